// tsc compiles TypeScript only; the numbered migrations and the dashboard's assets (its one script
// and stylesheet) ship beside the code that reads them. Each copy replaces the last: a migration
// renamed in src/ must not stay in dist/ under its old name (two files of one version).
import { cpSync, rmSync } from 'node:fs';
for (const [from, to] of [
  ['src/sql/migrations', 'dist/sql/migrations'],
  ['src/dashboard/assets', 'dist/dashboard/assets'],
]) {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

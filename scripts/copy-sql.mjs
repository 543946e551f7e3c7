// tsc compiles TypeScript only; the numbered migrations and the dashboard's assets (its one script
// and stylesheet) ship beside the code that reads them.
import { cpSync } from 'node:fs';
cpSync('src/sql/migrations', 'dist/sql/migrations', { recursive: true });
cpSync('src/dashboard/assets', 'dist/dashboard/assets', { recursive: true });

// tsc compiles TypeScript only; the numbered migrations ship beside the code that reads them.
import { cpSync } from 'node:fs';
cpSync('src/sql/migrations', 'dist/sql/migrations', { recursive: true });

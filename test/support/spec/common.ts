import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { backend, POSTGRES_URL } from '../backend.js';

// Embedded backend: black-box tests pass no connection at all. Give each test file its own data
// directory so files running in parallel do not contend for the default ./.hotmesh lock.
// DATABASE_URL would win over HOTMESH_DATA_DIR (README, Databases): a developer's shell may set it.
if (backend === 'pglite') delete process.env.DATABASE_URL;
if (backend === 'pglite' && !process.env.SPEC_SHARED_DATA_DIR) {
  process.env.HOTMESH_DATA_DIR = mkdtempSync(path.join(tmpdir(), 'hotmesh-spec-'));
}

/** What a black-box test passes: the pg short form on PostgreSQL, nothing (embedded default) otherwise. */
export function specConnection(): any {
  return backend === 'postgres' ? { class: pg.Client, options: { connectionString: POSTGRES_URL } } : undefined;
}
export function dR(n: number): number {
  const x = Math.sin(n) * 10000;
  return x - Math.floor(x);
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

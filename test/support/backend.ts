/**
 * Which database a test file runs against. The same files run twice (vitest projects 'postgres'
 * and 'pglite'); each file isolates itself with its own appId.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type Backend = 'postgres' | 'pglite';
export const backend: Backend = process.env.HOTMESH_TEST_BACKEND === 'pglite' ? 'pglite' : 'postgres';
export const POSTGRES_URL = process.env.HOTMESH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The connection a test passes to MemFlow, in the README's own form. */
export function testConnection(): { class: typeof pg.Client; options: { connectionString?: string; dataDir?: string } } | { dataDir: string } {
  return backend === 'postgres' ? { class: pg.Client, options: { connectionString: POSTGRES_URL } } : { dataDir: 'memory://' };
}

/** A fresh app id for one test file: its own schema, so runs never collide with leftovers. */
export function uniqueAppId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase();
}

/** Poll `check` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000, every = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, every));
  }
}

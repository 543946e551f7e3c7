/**
 * The Context object that workflows, hooks and outside callers use. It only validates and builds ops;
 * how an op runs (journaled inside a thread, or directly from a client) is the executor's business.
 */
import { buildOp, type ContextOpName, type ContextOpRequest, opResult } from './context-op.js';

export type ContextExecutor = (request: ContextOpRequest) => Promise<unknown>;

export class Context {
  constructor(private readonly execute: ContextExecutor) {}

  private async run(op: ContextOpName, args: unknown[]): Promise<any> {
    const request = buildOp(op, args);
    return opResult(request, await this.execute(request));
  }

  /** The whole document, or the value at `path` (null when missing). */
  get<T = any>(path?: string): Promise<T> {
    return this.run('get', [path]);
  }
  /** Replace the whole document (`set(value)`), or the value at a path (`set(path, value)`). Returns the document. */
  set<T = any>(valueOrPath: unknown, value?: unknown): Promise<T> {
    // Fix: count the arguments, not `value === undefined`: `set('a.b', undefined)` used to replace the
    // whole document with the string 'a.b' instead of refusing the undefined value.
    return this.run('set', arguments.length >= 2 ? [valueOrPath, value] : [valueOrPath]);
  }
  /** Deep-merge an object into the document (or at `path`). Returns the document. */
  merge<T = any>(objOrPath: unknown, obj?: unknown): Promise<T> {
    return this.run('merge', arguments.length >= 2 ? [objOrPath, obj] : [objOrPath]); // as set()
  }
  /** Remove the value at `path`. Returns the document. */
  delete<T = any>(path: string): Promise<T> {
    return this.run('delete', [path]);
  }
  /** Add `value` as one element at the end of the array at `path` (created if missing). Returns the array. */
  append<T = any>(path: string, value: unknown): Promise<T[]> {
    return this.run('append', [path, value]);
  }
  /** Add `value` as one element at the start of the array at `path`. Returns the array. */
  prepend<T = any>(path: string, value: unknown): Promise<T[]> {
    return this.run('prepend', [path, value]);
  }
  /** Remove the element at `index` of the array at `path`. Returns the array. */
  remove<T = any>(path: string, index: number): Promise<T[]> {
    return this.run('remove', [path, index]);
  }
  /** Add `by` (default 1, negative to decrement) to the number at `path` (missing counts as 0). Returns the new number. */
  increment(path: string, by = 1): Promise<number> {
    return this.run('increment', [path, by]);
  }
  /** Flip the boolean at `path` (missing counts as false). Returns the new value. */
  toggle(path: string): Promise<boolean> {
    return this.run('toggle', [path]);
  }
  /** Write `value` at `path` only if nothing is there (a JSON null counts as present). Returns the value there afterwards. */
  setIfNotExists<T = any>(path: string, value: T): Promise<T> {
    return this.run('setIfNotExists', [path, value]);
  }
}

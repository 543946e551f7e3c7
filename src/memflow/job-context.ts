/**
 * A job's context from outside any workflow: a client holding the job id reads it and applies the same
 * ops, each one atomic statement, optionally inside the caller's own transaction (pass a `pg` client
 * that has run BEGIN as `tx`, and the app's tables and the job's memory change in one commit). The
 * context of a finished job stays readable and writable.
 */
import { Context } from '../context/context-handle.js';
import { CONTEXT_MAX_BYTES, contextError, type ContextOpRequest, prunedContextError } from '../context/context-op.js';
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, ValidationError } from '../errors.js';
import type { Query } from '../sql/define-query.js';
import * as context from '../sql/queries/context.js';
import type { ContextValueRow } from '../sql/queries/context.js';
import type { Queryable, QueryResult } from '../storage/driver.js';
import { validateId, validateNonNegativeInteger, validateOptions } from '../validation.js';

export interface JobContextOptions {
  /** Run every op in the caller's transaction (a `pg` client after BEGIN, or any Queryable). */
  tx?: Queryable;
  /** Who the history records as the author of changes. Default 'client'. */
  actor?: string;
}

export interface ContextChange {
  version: number;
  op: string;
  path: string[];
  arg: unknown;
  actor: string;
  opId: string | null;
  at: Date;
}


export class JobContext extends Context {
  constructor(
    /** The app's engine, or how to open it (client.workflow.context does not wait for it: see named()). */
    private readonly engine: Engine | (() => Promise<Engine>),
    readonly workflowId: string,
    private readonly options: JobContextOptions = {},
    opId?: string,
  ) {
    super((request) => this.apply(request, opId));
    validateId('workflowId', workflowId);
    this.options = validateOptions<JobContextOptions>('context options', options, ['tx', 'actor']);
    const { tx } = this.options;
    // a black-box pass: `{ tx: {} }` failed at the first op with a raw TypeError (tx.query is not a function)
    if (tx !== undefined && tx !== null && (typeof tx !== 'object' || typeof (tx as { query?: unknown }).query !== 'function')) {
      throw new ValidationError('tx', 'must be a client with a query() method (a pg client on which you ran BEGIN)');
    }
    // the history keeps it as given: a lone surrogate came back as U+FFFD, a NUL reached SQL
    if (this.options.actor !== undefined) validateId('actor', this.options.actor);
    if (opId !== undefined) validateId('opId', opId);
  }

  /** A named query, in the caller's transaction when one was given (prepared on pg otherwise). */
  private async named<P extends object, R>(query: Query<P, R>, params: P): Promise<QueryResult<R>> {
    const { tx } = this.options;
    // every op has checked its input by now: only then is the engine (still opening, perhaps) awaited
    const engine = typeof this.engine === 'function' ? await this.engine() : this.engine;
    return tx ? engine.queryIn(tx, query, params) : engine.query(query, params);
  }

  /**
   * The same ops, applied at most once for `opId`: a retry with the same id (after a timeout, a
   * dropped connection) returns what the first call returned instead of applying the op again.
   */
  withOpId(opId: string): Context {
    return new JobContext(this.engine, this.workflowId, this.options, opId);
  }

  private async apply(request: ContextOpRequest, opId: string | undefined): Promise<unknown> {
    let row;
    try {
      row = request.op === 'get' ? (await this.named(context.contextGet, { jobId: this.workflowId, path: request.path })).rows[0] : await this.change(request, opId);
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).code === '23505' && opId !== undefined) {
        const first = await this.firstAnswer(request, opId);
        if (first) return first.value;
      }
      throw contextError(err, request);
    }
    if (!row && opId !== undefined) {
      const first = await this.firstAnswer(request, opId);
      if (first) return first.value;
    }
    if (!row) throw new JobNotFoundError(this.workflowId);
    return row.undef ? undefined : row.value;
  }

  /**
   * A change: in the caller's transaction when one was given, otherwise through the engine's lane for
   * this job (engine/context-lanes.ts: ops under way together on one job share a statement).
   */
  private async change(request: ContextOpRequest, opId: string | undefined): Promise<ContextValueRow | undefined> {
    const op = { op: request.op, path: request.path, arg: request.arg, opId: opId ?? null, actor: this.options.actor ?? 'client' };
    const { tx } = this.options;
    const engine = typeof this.engine === 'function' ? await this.engine() : this.engine;
    if (tx) return (await engine.queryIn(tx, context.contextOpOutside, { jobId: this.workflowId, ...op, capBytes: CONTEXT_MAX_BYTES })).rows[0];
    return engine.contextOps.apply(this.workflowId, op);
  }

  /**
   * What the op of `opId` answered the first time, if it was applied. An op id names one op: the same
   * id with another op or at another path is a ValidationError (it would not be applied, silently).
   * Another argument is a retry's: an activity retried with the same key may have computed it again.
   */
  private async firstAnswer(request: ContextOpRequest, opId: string): Promise<{ value: unknown } | undefined> {
    const { op, path } = request;
    const res = await this.named(context.contextOpById, { jobId: this.workflowId, opId, op, path });
    const first = res.rows[0];
    if (!first) return undefined;
    if (!first.same) {
      throw new ValidationError(
        'opId',
        `'${opId}' was used for another op (${first.op} at '${first.path.join('.')}', context version ${first.version}); ` +
          `an op id names one op: this ${op} at '${path.join('.')}' was not applied. Use a new op id for a different op`,
      );
    }
    return { value: first.undef ? undefined : first.value };
  }

  /** The current version (number of changes so far). */
  async version(): Promise<number> {
    const res = await this.named(context.contextGet, { jobId: this.workflowId, path: [] });
    if (!res.rows[0]) throw new JobNotFoundError(this.workflowId);
    return Number(res.rows[0].version);
  }

  /** Who changed what, in order: every change after `afterVersion` (default 0), up to `limit`. */
  async history(given?: { afterVersion?: number; limit?: number }): Promise<ContextChange[]> {
    const options = validateOptions<{ afterVersion: number; limit: number }>('history options', given, ['afterVersion', 'limit']);
    validateNonNegativeInteger('afterVersion', options.afterVersion);
    validateNonNegativeInteger('limit', options.limit);
    const res = await this.named(context.contextHistory, {
      jobId: this.workflowId,
      afterVersion: options.afterVersion ?? 0,
      limit: options.limit ?? 1000,
    });
    // no change found: an unknown job is a JobNotFoundError, as for every other read (was: [])
    if (res.rows.length === 0) await this.version();
    return res.rows.map((r) => ({ version: Number(r.version), op: r.op, path: r.path, arg: r.arg, actor: r.actor, opId: r.op_id, at: r.created_at }));
  }

  /**
   * What the context looked like at `version` (rebuilt from the newest checkpoint and the history). A
   * version the app's `contextLogRetention` no longer keeps is refused with a ValidationError.
   */
  async at(version: number): Promise<unknown> {
    validateNonNegativeInteger('version', version);
    const res = await this.named(context.contextAtVersion, { jobId: this.workflowId, version }).catch((err: unknown) => {
      throw prunedContextError(err, 'version');
    });
    const row = res.rows[0];
    if (!row || row.current === null) throw new JobNotFoundError(this.workflowId);
    // a version the context has not reached yet is not the current document (a black-box pass got that)
    if (version > Number(row.current)) throw new ValidationError('version', `is past the context's current version ${row.current} (got ${version})`);
    return row.context;
  }
}

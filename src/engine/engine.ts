/**
 * One app on one database, as one runtime uses it: the driver (shared with other runtimes of the
 * process), the schema (migrated when the engine opens), the named queries bound to that schema, and
 * the app's NOTIFY channel.
 *
 * The channel carries three kinds of payload: a topic name with the sender's origin tag (a task of
 * that topic became runnable), `done:<jobId>` (a job finished; with its outcome when it fits,
 * finish-notices.ts) and `emit:<json>` (emit()). All are hints; pollers make the engine correct
 * without them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { bindParams, type Query } from '../sql/define-query.js';
import { retryConflicts } from '../storage/conflict-retry.js';
import type { Driver, MaintenanceEvent, Queryable, QueryResult, StatementOptions } from '../storage/driver.js';
import type { DriverTarget } from '../storage/connection.js';
import { migrate } from '../storage/migrate.js';
import type { ClaimedRow } from '../worker/claimed-task.js';
import { type FinishNotice, type FinishWatch, FinishWatches, parseDone } from './finish-notices.js';
import { WriteLane } from './write-lane.js';
import { ContextLanes } from './context-lanes.js';
import { CONTEXT_MAX_BYTES } from '../context/context-op.js';
import { errField, type Logger } from '../telemetry/logger.js';
import { bindSchema, channelForSchema, quoteIdentifier, schemaForApp } from '../storage/sql-identifier.js';

type Listener = (payload: string) => void;

/**
 * A worker of this engine's app in this process, which can run a job started here without a claim
 * (task-loop.ts): `reserve` answers a slot when it serves the topic and has one free.
 */
export interface LocalTaker {
  reserve(topic: string): TakeSlot | undefined;
  /** This process serves `topic` and, as far as it knows, no other does: a start need not NOTIFY it. */
  servesAlone(topic: string): boolean;
  /** A job of the app expires in `ms` (a pending start): the worker's sweep comes then. */
  expiresIn(ms: number): void;
}

/** A slot reserved for a job about to be started held by `owner`. */
export interface TakeSlot {
  readonly owner: string;
  readonly leaseSeconds: number;
  /** The start answered the held task's row (`sentAt`: performance.now() when the start was sent). */
  take(row: ClaimedRow, sentAt: number): void; // the row is the take's own: the loop completes it in place
  /** The start failed or found the id taken; `after`: the give-back of its task, if one was sent (shutdown waits for it). */
  cancel(after?: Promise<unknown>): void;
}

/**
 * Grouped write statements (starts and finishes, write-lane.ts) in flight at once. One: a second lane
 * halves the groups and measured no faster (1-step workflows at 16 in flight on 2 cores: about
 * 2,150/s with one lane per kind, 1,990/s with two, 1,650/s without grouping; one lane for both kinds
 * measured 6-7% faster again, paired runs of the DBOS harness); PGlite runs one statement at a time anyway.
 */
const GROUP_LANES = 1;
/** Items in one grouped statement at most. */
const MAX_GROUP = 64;
/**
 * A grouped statement out longer than this frees its lane (it goes on): one stuck on a half-open
 * connection until its deadline held every later finish of the engine behind it. Statements take
 * about a millisecond; 200 ms is far past a busy one and far short of a deadline.
 */
const LANE_PATIENCE_MS = 200;
/** A grouped statement stops growing at about this many bytes of parameters (large results go alone). */
const MAX_GROUP_BYTES = 1 << 20;
/**
 * Turns of the event loop the lane waits after a statement answers before it sends the next group.
 * What its answers set going submits within them: a finish tells this process's result() waiters on
 * the next turn (localDone), and the starts they make then are submitted in that turn; a start's
 * workflow is dispatched on the next turn (task-loop.ts reserve()), runs its first batch of calls on
 * the one after (thread-run.ts drain) and, for a short workflow, submits its finish in that second
 * turn, after the lane's own callback of that turn (counted: 984 of 1,019 starts in the first turn,
 * 1,019 of 1,020 finishes in the second). So the lane sends on the third. Sent at once, the next group
 * left all of them behind for the statement after it: at 16 in flight each statement carried about 7
 * of the 32 items under way and each workflow waited through about four statements for its two. With
 * three turns each carries about 16; two turns carried about 11. Only a busy lane waits (its statement
 * was a group, or callers queue behind it): each turn lasts as long as the other work of the process,
 * and a lone caller's next call must not pay for them (group-commit.ts). 1-step workflows at 16 in
 * flight, the DBOS harness's process, paired runs: about 3,200/s against 2,800/s; 64 in flight and the
 * sequential latencies unchanged. The order within a turn counts too: the dispatch of a started
 * workflow must queue ahead of the lane's own callback, so a start's answer reaches its caller with
 * no hop of its own (write-lane.ts start(); one more split 1-activity workflows into two cohorts).
 */
const LANE_SETTLE_TURNS = 3;

/** A query bound to one app's schema, with the name its prepared statement goes by. */
interface BoundQuery {
  text: string;
  name: string;
}

export class Engine {
  readonly schema: string;
  /** The schema as SQL text, validated and quoted. */
  readonly sqlSchema: string;
  readonly channel: string;
  /** Tags this engine's own NOTIFYs, so it can skip wake-ups it already delivered in-process. */
  readonly instance = randomUUID().slice(0, 8);
  /** Appended to the topic in this engine's own NOTIFYs (it wakes its own workers in-process). */
  readonly origin = `@${this.instance}`;
  private readonly bound = new Map<Query<any, any>, BoundQuery>();
  /** Its starts and finishes, grouped when several are under way at once (write-lane.ts). */
  readonly writes: WriteLane;
  /** Context ops from outside, grouped per job when several are under way at once (context-lanes.ts). */
  readonly contextOps: ContextLanes;
  private readonly topicListeners = new Set<(topic: string) => void>();
  private readonly doneListeners = new Map<string, Set<(notice?: FinishNotice) => void>>();
  private readonly watches = new FinishWatches();
  /** Finish messages of this process's own finishes, told to result() waiters next turn (localDone). */
  private doneNextTurn: string[] = [];
  /** This process's worker of the app, if one runs here (set by the task loop). */
  localTaker: LocalTaker | undefined;
  private readonly reconnectListeners = new Set<() => void>();
  private readonly lostListeners = new Set<(error?: unknown) => void>();
  private readonly payloadListeners = new Set<Listener>();
  private readonly connectionErrorListeners = new Set<(error: unknown) => void>();
  private unlisten: (() => Promise<void>) | undefined;
  private stopUpkeepLog: (() => void) | undefined;

  private constructor(
    readonly appId: string,
    readonly driver: Driver,
    readonly target: DriverTarget,
  ) {
    this.schema = schemaForApp(appId);
    this.sqlSchema = quoteIdentifier(this.schema);
    this.channel = channelForSchema(this.schema);
    this.writes = new WriteLane((query, params) => this.query(query, params), {
      lanes: GROUP_LANES,
      maxGroup: MAX_GROUP,
      maxGroupBytes: MAX_GROUP_BYTES,
      patienceMs: LANE_PATIENCE_MS,
      settleTurns: LANE_SETTLE_TURNS,
    });
    this.contextOps = new ContextLanes((query, params) => this.query(query, params), CONTEXT_MAX_BYTES);
  }

  /** Migrate the app's schema on `driver` and subscribe to its channel. */
  static async open(driver: Driver, target: DriverTarget, appId: string, logger?: Logger): Promise<Engine> {
    schemaForApp(appId); // validate before anything touches the database
    await migrate(driver, appId, undefined, (m) =>
      logger?.info({ appId, migration: `${String(m.version).padStart(4, '0')}_${m.name}` }, 'migration applied'),
    );
    const engine = new Engine(appId, driver, target);
    await engine.subscribe();
    engine.stopUpkeepLog = driver.onMaintenance?.((event) => engine.logUpkeep(event, logger));
    return engine;
  }

  /** `query` bound to this app's schema (bound once per engine). */
  bind(query: Query<any, any>): BoundQuery {
    let b = this.bound.get(query);
    if (!b) {
      const text = bindSchema(query.text, this.schema);
      // A prepared-statement name per exact text: two apps on one pool never share one.
      b = { text, name: `hm_${createHash('sha1').update(text).digest('hex').slice(0, 20)}` };
      this.bound.set(query, b);
    }
    return b;
  }

  /** Run one of the engine's named queries with its named parameters. */
  query<P extends object, R>(query: Query<P, R>, params: P, options?: StatementOptions): Promise<QueryResult<R>> {
    const b = this.bind(query);
    const send = () => this.driver.named<R>(b.name, b.text, bindParams(query, params), query.noDeadline ? { noDeadline: true } : options);
    return query.retryConflicts ? retryConflicts(send) : send();
  }

  /** Run one of the engine's named queries inside a caller's transaction (not prepared: `tx` is one session's). */
  queryIn<P extends object, R>(tx: Queryable, query: Query<P, R>, params: P): Promise<QueryResult<R>> {
    return tx.query<R>(this.bind(query).text, bindParams(query, params));
  }

  private async subscribe(): Promise<void> {
    const onPayload: Listener = (payload) => {
      for (const l of this.payloadListeners) l(payload);
      if (payload.startsWith('done:')) {
        this.done(payload);
      } else if (!payload.startsWith('emit:')) {
        const [topic, origin] = payload.split('@');
        if (origin === this.instance) return; // already delivered in-process by localWake
        for (const l of this.topicListeners) l(topic!);
      }
    };
    this.unlisten = await this.driver.listen(this.channel, onPayload);
    this.driver.onReconnect(() => {
      for (const l of this.reconnectListeners) l();
    });
    this.driver.onReconnect(() => this.watches.listenerBack());
    this.driver.onListenerLost?.((error) => {
      this.watches.listenerLost();
      for (const l of this.lostListeners) l(error);
    });
    this.driver.onConnectionError?.((error) => {
      for (const l of this.connectionErrorListeners) l(error);
    });
  }

  onTopic(listener: (topic: string) => void): () => void {
    this.topicListeners.add(listener);
    return () => this.topicListeners.delete(listener);
  }

  /** Every payload on the app's channel, this engine's own included (the dashboard's live updates). */
  onPayload(listener: (payload: string) => void): () => void {
    this.payloadListeners.add(listener);
    return () => this.payloadListeners.delete(listener);
  }

  /** The LISTEN connection was lost (NOTIFY wake-ups stop until it is back; polling goes on). */
  onListenerLost(listener: (error?: unknown) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** A pooled connection failed outside any statement (the pool replaces it). */
  onConnectionError(listener: (error: unknown) => void): () => void {
    this.connectionErrorListeners.add(listener);
    return () => this.connectionErrorListeners.delete(listener);
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Wake in-process workers of a topic at once (a start from this process needs no round trip). */
  localWake(topic: string): void {
    for (const l of this.topicListeners) l(topic);
  }

  /**
   * A job finished in this process: tell result() waiters here without waiting for NOTIFY. `payload`
   * is the `done:` message its finishing statement sent, when it answered it.
   */
  localDone(jobId: string, payload?: string | null): void {
    // On the next turn: the finishing run frees its worker slot first, so the start a waiter makes
    // next can be taken by this process's worker at once (task-loop.ts reserve()). The finishes of one
    // turn are told together, in one callback, in the order they came (a group of 16 made 16).
    const message = payload && payload.startsWith(`done:${jobId}\n`) ? payload : `done:${jobId}`;
    if (this.doneNextTurn.push(message) > 1) return;
    setImmediate(() => {
      const messages = this.doneNextTurn;
      this.doneNextTurn = [];
      let failure: { error: unknown } | undefined;
      for (const m of messages) {
        try {
          this.done(m);
        } catch (error) {
          failure ??= { error }; // the others are still told; the first failure is thrown, as it was alone
        }
      }
      if (failure) throw failure.error;
    });
  }

  private done(payload: string): void {
    const { jobId, notice } = parseDone(payload);
    this.watches.heard(jobId, notice);
    const listeners = this.doneListeners.get(jobId);
    if (listeners) for (const l of [...listeners]) l(notice);
  }

  /** Watch job `jobId` from before its start (see finish-notices.ts). */
  watchFinish(jobId: string): FinishWatch {
    return this.watches.watch(jobId);
  }

  unwatchFinish(watch: FinishWatch): void {
    this.watches.drop(watch);
  }

  /** Whether `watch` has heard of every finish message since it was set (silence means not finished). */
  watchTrusted(watch: FinishWatch): boolean {
    return this.watches.trusted(watch);
  }

  onDone(jobId: string, listener: (notice?: FinishNotice) => void): () => void {
    let set = this.doneListeners.get(jobId);
    if (!set) this.doneListeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.doneListeners.delete(jobId);
    };
  }

  /** The driver's upkeep of this app's tables (PGlite's vacuums): failures warn, runs are debug. */
  private logUpkeep(event: MaintenanceEvent, logger: Logger | undefined): void {
    if (event.schema !== this.schema && event.schema !== '') return;
    const fields = { appId: this.appId, table: event.table || undefined, action: event.action, ms: Math.round(event.ms) };
    if (event.error !== undefined) logger?.warn({ ...fields, err: errField(event.error) }, `the embedded database's ${event.action} failed`);
    else logger?.debug(fields, `${event.action} of table ${event.table} (the embedded database has no autovacuum of its own)`);
  }

  async close(): Promise<void> {
    this.stopUpkeepLog?.();
    this.localTaker = undefined;
    this.topicListeners.clear();
    this.reconnectListeners.clear();
    this.lostListeners.clear();
    this.payloadListeners.clear();
    this.connectionErrorListeners.clear();
    await this.unlisten?.().catch(() => {});
  }
}

/**
 * The engine's write lane: its two hot writes, a job's start and a thread's finish, grouped
 * (group-commit.ts). A call that finds the lane free goes alone, as its single statement. Calls that
 * queue behind a statement in flight go together in the next one, whatever their kind: starts alone
 * as jobs.startJobs, finishes alone as threads.finishThreads, both as grouped.startsAndFinishes. So a
 * busy engine's starts and finishes share one round trip and one commit (one lane per kind, before,
 * sent two statements where one does).
 */
import type { Query } from '../sql/define-query.js';
import * as grouped from '../sql/queries/grouped.js';
import * as jobs from '../sql/queries/jobs.js';
import type { StartAnswer } from '../sql/queries/jobs.js';
import * as threads from '../sql/queries/threads.js';
import type { QueryResult } from '../storage/driver.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';

type ParamsOf<Q> = Q extends Query<infer P, any> ? P : never;
type RowOf<Q> = Q extends Query<any, infer R> ? R : never;

export type StartParams = ParamsOf<typeof jobs.startJob>;
export type FinishParams = ParamsOf<typeof threads.finishThread>;
export type FinishRow = RowOf<typeof threads.finishThread>;
export type WriteKind = 'start' | 'finish';

type Item = { kind: 'start'; params: StartParams } | { kind: 'finish'; params: FinishParams };

/** Runs one named query (the engine's query(), bound to its schema). */
export type RunQuery = <P extends object, R>(query: Query<P, R>, params: P) => Promise<QueryResult<R>>;

/** The lane's shape: how many statements in flight, how big a group, how long a statement holds it. */
export type LaneOptions = Omit<GroupCommitOptions<Item, unknown>, 'one' | 'many' | 'size'>;

/** About the bytes a statement's parameters take: its strings' lengths, 8 for anything else. */
function approximateSize(params: object): number {
  let n = 0;
  for (const v of Object.values(params)) n += typeof v === 'string' ? v.length : 8;
  return n;
}

/**
 * The group's items as one jsonb array, each item its params plus `i`, its place in the group. Spliced
 * as text rather than copied with a spread: the copy was this lane's costliest line before the code is
 * optimized (docs/design-decisions.md, "No object spread on the hot path"). Params are a non-empty
 * object whose keys never include `i`.
 */
function itemsJson(items: readonly { params: object; i: number }[]): string {
  let out = '[';
  for (let k = 0; k < items.length; k++) {
    const json = JSON.stringify(items[k]!.params);
    out += `${k === 0 ? '' : ','}${json.slice(0, -1)},"i":${items[k]!.i}}`;
  }
  return `${out}]`;
}

export class WriteLane {
  private readonly lane: GroupCommit<Item, unknown>;
  /** Per kind: statements that carried it, and items of it (the bench's and the tests' view). */
  private readonly sent: Record<WriteKind, { statements: number; items: number }> = {
    start: { statements: 0, items: 0 },
    finish: { statements: 0, items: 0 },
  };

  constructor(
    private readonly run: RunQuery,
    options: LaneOptions,
  ) {
    this.lane = new GroupCommit<Item, unknown>({
      ...options,
      one: (item) => this.one(item),
      many: (items) => this.many(items),
      size: (item) => approximateSize(item.params),
    });
  }

  /**
   * Start a job: what the database decided (start-job.ts startedRow completes it), or undefined when
   * the id is taken. The caller's continuation is the lane's own answer, with no hop of its own: the
   * lane's settle turns count the hops from an answer to what it sets going (engine.ts
   * LANE_SETTLE_TURNS), and one more hop here split the cohort at 16 in flight into two of 8.
   */
  start(params: StartParams): Promise<StartAnswer | undefined> {
    return this.lane.submit({ kind: 'start', params }) as Promise<StartAnswer | undefined>;
  }

  /** Finish a thread: its notice row, or undefined when it answered none. */
  finish(params: FinishParams): Promise<FinishRow | undefined> {
    return this.lane.submit({ kind: 'finish', params }) as Promise<FinishRow | undefined>;
  }

  /** Statements that carried `kind`, and items of it, so far. */
  stats(kind: WriteKind): { statements: number; items: number } {
    return { ...this.sent[kind] };
  }

  private count(kind: WriteKind, items: number): void {
    if (items === 0) return;
    this.sent[kind].statements++;
    this.sent[kind].items += items;
  }

  private async one(item: Item): Promise<unknown> {
    this.count(item.kind, 1);
    const res = item.kind === 'start' ? await this.run(jobs.startJob, item.params) : await this.run(threads.finishThread, item.params);
    return res.rows[0];
  }

  /** The answers in the items' order: each row found by the `idx` its item was sent with. */
  private async many(items: readonly Item[]): Promise<unknown[]> {
    const starts: { params: StartParams; i: number }[] = [];
    const finishes: { params: FinishParams; i: number }[] = [];
    items.forEach((item, i) => (item.kind === 'start' ? starts.push({ params: item.params, i }) : finishes.push({ params: item.params, i })));
    this.count('start', starts.length);
    this.count('finish', finishes.length);
    let rows: { idx: number }[];
    if (finishes.length === 0) rows = (await this.run(jobs.startJobs, { items: itemsJson(starts) })).rows;
    else if (starts.length === 0) rows = (await this.run(threads.finishThreads, { items: itemsJson(finishes) })).rows;
    else rows = (await this.run(grouped.startsAndFinishes, { starts: itemsJson(starts), finishes: itemsJson(finishes) })).rows.map((row) => row.r);
    const byIdx = new Map(rows.map((row) => [Number(row.idx), row]));
    return items.map((_, i) => byIdx.get(i));
  }
}

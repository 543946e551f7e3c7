/**
 * Context ops from outside a workflow (a client's handle.context()), grouped per job: an op that finds
 * its job's lane free goes at once, as its own statement (contextOpOutside); ops on that job that
 * arrive while it is in flight queue, and go together in the next statement (contextOpsOutside), in
 * the order they were made. Ops on one job serialize on its row anyway (each takes the row's lock until
 * it commits): so many writers on one hot job pay one commit per group instead of one per op, and the
 * ops of one process apply in the order it made them. A group the database refuses (one op's type
 * clash, a repeated op id) is sent again op by op, in order, so only the op at fault fails. Ops in the
 * caller's own transaction (`{ tx }`) do not come here.
 */
import * as context from '../sql/queries/context.js';
import type { ContextValueRow, OutsideOp } from '../sql/queries/context.js';
import { GroupCommit } from './group-commit.js';
import type { RunQuery } from './write-lane.js';

/** Ops in one statement at most. */
const MAX_GROUP = 64;
/** A group stops growing at about this many bytes of arguments (large ones go alone). */
const MAX_GROUP_BYTES = 1 << 20;

/**
 * A refusal one op can cause (bad data, a type clash, a repeated op id, a value past a limit:
 * classes 22, 23, 54, P0 and the context errors' HM): the group is sent again op by op, so only that
 * op fails. Anything else (a lock or statement timeout, a deadlock, no resources) would meet each op
 * again, one after another: the whole group fails at once, as each op would have on its own.
 */
function opCaused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54|P0|HM)/.test(code);
}

/** What an op answers: its row, or undefined (its op id was applied already, or no such job). */
export type OutsideOpAnswer = ContextValueRow | undefined;

export class ContextLanes {
  /** One lane per job with ops under way; dropped once idle. */
  private readonly lanes = new Map<string, GroupCommit<OutsideOp, OutsideOpAnswer>>();

  constructor(
    private readonly run: RunQuery,
    /** The most bytes a context may take (context_op's cap). */
    private readonly capBytes: number,
  ) {}

  apply(jobId: string, op: OutsideOp): Promise<OutsideOpAnswer> {
    let lane = this.lanes.get(jobId);
    if (!lane) {
      const created: GroupCommit<OutsideOp, OutsideOpAnswer> = new GroupCommit<OutsideOp, OutsideOpAnswer>({
        one: (item) => this.one(jobId, item),
        many: (items) => this.many(jobId, items),
        lanes: 1,
        maxGroup: MAX_GROUP,
        size: (item) => (item.arg?.length ?? 0) + 64,
        maxGroupBytes: MAX_GROUP_BYTES,
        resendInOrder: true,
        resendAfter: opCaused,
        onIdle: () => {
          if (this.lanes.get(jobId) === created) this.lanes.delete(jobId);
        },
      });
      lane = created;
      this.lanes.set(jobId, lane);
    }
    return lane.submit(op);
  }

  /** Jobs with ops under way (the tests' view: an idle job's lane is dropped). */
  get busyJobs(): number {
    return this.lanes.size;
  }

  private async one(jobId: string, op: OutsideOp): Promise<OutsideOpAnswer> {
    const res = await this.run(context.contextOpOutside, { jobId, ...op, capBytes: this.capBytes });
    return res.rows[0];
  }

  private async many(jobId: string, ops: readonly OutsideOp[]): Promise<OutsideOpAnswer[]> {
    const res = await this.run(context.contextOpsOutside, { jobId, ops: JSON.stringify(ops), capBytes: this.capBytes });
    return res.rows.map((row) => (row.version === null ? undefined : { value: row.value, undef: row.undef, version: row.version }));
  }
}

/**
 * How each named query maps onto a distributed PostgreSQL (Citus): which tables it touches and by
 * which key it finds their rows. The rule (docs/scaling.md): every table carries the job id (its
 * distribution key: `jobs.id`, `job_id` elsewhere), and a statement on a workflow's path touches one
 * job's rows, named by a parameter, so it can be routed to one shard. test/distribution-keys.test.ts
 * checks this list against the SQL itself (the tables each statement and the functions it calls
 * reach, as migrated) and fails on a named query that is not listed here.
 */
import type { NAMED_QUERIES } from './queries/index.js';

/** The distribution key of each app table; null: not per job (with why, in TABLES_NOT_PER_JOB). */
export const TABLE_KEYS: Readonly<Record<string, string | null>> = {
  jobs: 'id',
  threads: 'job_id',
  journal: 'job_id',
  tasks: 'job_id',
  context_log: 'job_id',
  jobs_attributes: 'job_id',
  waiters: 'job_id',
  signals: 'job_id', // NULL for an app-wide signal: those rows would live in a reference table
  signal_keys: 'job_id', // '' for an app-wide signal
  served_topics: null,
  context_checkpoints: 'job_id',
};

export const TABLES_NOT_PER_JOB: Readonly<Record<string, string>> = {
  served_topics: 'which topics workers serve (a few rows per worker): a reference table, or local to the coordinator',
};

/**
 * Tables whose unique keys do not include the distribution key yet (Citus requires it): the surrogate
 * bigserial ids. Adding job_id to these keys, and to the statements that find rows by id, is the
 * step left before the schema distributes (docs/scaling.md).
 */
export const KEYS_WITHOUT_JOB: Readonly<Record<string, string>> = {
  tasks: 'PRIMARY KEY (id): the lease fence and the heartbeat find a task by its id',
  signals: 'PRIMARY KEY (id): a buffered signal is consumed by its id (after a lookup by job and signal id)',
};

export type Routing =
  /** One job's rows, the job named by the parameter `key`. */
  | { route: 'job'; key: string }
  /** One job's row found by its task id alone: routable once the task predicate carries job_id too. */
  | { route: 'task'; why: string }
  /** A few named jobs (a parent and its child, a sender and its target, a job's tree): one shard each. */
  | { route: 'jobs'; keys: string[]; why: string }
  /**
   * Several calls of the single statements `of`, each touching that statement's rows, in one statement
   * (group commit, engine/write-lane.ts). On a distributed database a group spans the shards of its
   * jobs: grouped per shard there, or sent singly (docs/scaling.md).
   */
  | { route: 'group'; of: readonly (keyof typeof NAMED_QUERIES)[]; why: string }
  /** Not addressed by job: across every shard by design. */
  | { route: 'spanning'; why: string };

export interface Placement {
  /** The app tables the statement reaches (through the functions it calls too). */
  tables: readonly string[];
  routing: Routing;
  /**
   * The statement finds the task row by its id (the lease fence `lease_held`, the task's own
   * `WHERE id = … AND claims = …`): one job's row, but routable only once job_id joins that predicate.
   */
  taskById?: boolean;
  /** On a workflow's path (start, claim, step, finish, result, signal, context op). */
  hot?: boolean;
}

const job = (key: string): Routing => ({ route: 'job', key });

export const PLACEMENTS: Readonly<Record<keyof typeof NAMED_QUERIES, Placement>> = {
  // jobs
  startJob: { tables: ['jobs', 'jobs_attributes', 'threads', 'tasks'], routing: job('jobId'), hot: true },
  startPendingJob: { tables: ['jobs', 'jobs_attributes', 'threads', 'tasks'], routing: job('jobId') },
  startJobs: {
    tables: ['jobs', 'jobs_attributes', 'threads', 'tasks'],
    routing: { route: 'group', of: ['startJob'], why: 'concurrent starts of one process, one statement' },
    hot: true,
  },
  readJob: { tables: ['jobs'], routing: job('jobId') },
  readJobStatus: { tables: ['jobs'], routing: job('jobId'), hot: true },
  watchJobStatus: { tables: ['jobs'], routing: job('jobId') },
  releaseUntakenStart: { tables: ['tasks'], routing: job('jobId') },
  sweepExpiredJobs: {
    tables: ['jobs', 'threads', 'journal', 'tasks', 'waiters', 'signals', 'context_log', 'context_checkpoints', 'jobs_attributes'],
    routing: { route: 'spanning', why: 'the retention sweep: jobs whose expire_at passed, on every shard' },
  },
  interruptJob: {
    tables: ['jobs', 'threads', 'journal', 'tasks', 'waiters', 'signals'],
    routing: {
      route: 'jobs',
      keys: ['targetId'],
      why: 'the job and, with descend, its descendants (by parent_id); the jobs whose execHook waits on their hooks (by the hooks’ reply marker)',
    },
  },
  interruptFromThread: {
    tables: ['jobs', 'threads', 'journal', 'tasks', 'waiters', 'signals'],
    routing: {
      route: 'jobs',
      keys: ['jobId', 'targetId'],
      why: 'the calling job journals; the target (and its tree) ends, and the jobs waiting on its hooks hear of it',
    },
    taskById: true,
  },
  emitFromThread: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true },
  publishEvent: { tables: [], routing: { route: 'spanning', why: 'a NOTIFY only, no table' } },
  // tasks
  claimTasks: {
    tables: ['tasks', 'threads', 'jobs', 'journal'],
    routing: { route: 'spanning', why: 'a claim takes ready tasks of any job: per shard on a distributed database' },
    hot: true,
  },
  nextDue: { tables: ['tasks'], routing: { route: 'spanning', why: 'the next due task of a loop\'s topics, of any job' } },
  extendLeases: { tables: ['tasks'], routing: { route: 'spanning', why: 'one heartbeat for every task a worker holds' }, taskById: true },
  releaseTask: { tables: ['tasks'], routing: { route: 'task', why: 'a run gives its task back' }, taskById: true },
  releaseTaskForOthers: { tables: ['tasks'], routing: { route: 'task', why: 'a worker shutting down gives its task back and wakes the others' }, taskById: true },
  suspendThread: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true, hot: true },
  // journal
  appendResult: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true, hot: true },
  appendResults: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true, hot: true },
  readJournalRows: { tables: ['journal'], routing: job('jobId') },
  readTimeline: { tables: ['journal'], routing: job('jobId') },
  recordRetry: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true },
  stampDelivered: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true, hot: true },
  // threads
  finishThread: {
    tables: ['tasks', 'threads', 'waiters', 'jobs', 'journal'],
    routing: { route: 'jobs', keys: ['jobId'], why: 'the job finishes; an awaiting parent (named in its options) gets the result' },
    taskById: true,
    hot: true,
  },
  finishThreads: {
    tables: ['tasks', 'threads', 'waiters', 'jobs', 'journal'],
    routing: { route: 'group', of: ['finishThread'], why: 'concurrent finishes of one process, one statement' },
    hot: true,
  },
  // grouped writes
  startsAndFinishes: {
    tables: ['jobs', 'jobs_attributes', 'threads', 'tasks', 'waiters', 'journal'],
    routing: { route: 'group', of: ['startJob', 'finishThread'], why: 'concurrent starts and finishes of one process, one statement' },
    hot: true,
  },
  parkThread: { tables: ['tasks', 'threads', 'jobs'], routing: job('jobId'), taskById: true },
  retryThread: { tables: ['tasks', 'threads', 'journal'], routing: job('jobId'), taskById: true },
  // signals
  signalJob: { tables: ['jobs', 'threads', 'waiters', 'journal', 'tasks', 'signals', 'signal_keys'], routing: job('jobId'), hot: true },
  signalApp: {
    tables: ['waiters', 'journal', 'tasks', 'threads', 'signals', 'signal_keys'],
    routing: { route: 'spanning', why: 'an app-wide signal reaches every waiting job' },
  },
  signalFromThread: {
    tables: ['tasks', 'waiters', 'journal', 'threads', 'signals'],
    routing: { route: 'jobs', keys: ['jobId', 'targetId'], why: 'the sender journals; the target job receives' },
    taskById: true,
  },
  hookFailed: {
    tables: ['tasks', 'waiters', 'journal', 'threads', 'signals'],
    routing: { route: 'jobs', keys: ['jobId', 'targetId'], why: 'a failed hook of one job tells the job that waits on it' },
    taskById: true,
  },
  sweepSignals: { tables: ['signals', 'signal_keys', 'threads'], routing: { route: 'spanning', why: 'the expiry sweep, on every shard' } },
  waitForSignal: { tables: ['tasks', 'journal', 'signals', 'waiters'], routing: job('jobId'), taskById: true, hot: true },
  waitForSignalUntil: { tables: ['tasks', 'journal', 'signals', 'waiters'], routing: job('jobId'), taskById: true, hot: true },
  // context
  contextAtVersion: { tables: ['context_log', 'context_checkpoints', 'jobs'], routing: job('jobId') },
  contextGet: { tables: ['jobs'], routing: job('jobId'), hot: true },
  contextGetInThread: { tables: ['jobs', 'tasks', 'journal', 'context_checkpoints'], routing: job('jobId'), taskById: true, hot: true },
  contextHistory: { tables: ['context_log'], routing: job('jobId') },
  contextOpById: { tables: ['context_log'], routing: job('jobId') },
  contextOpInThread: { tables: ['tasks', 'jobs', 'context_log', 'context_checkpoints', 'journal'], routing: job('jobId'), taskById: true, hot: true },
  contextOpOutside: { tables: ['jobs', 'context_log', 'context_checkpoints'], routing: job('jobId'), hot: true },
  contextOpsOutside: { tables: ['jobs', 'context_log', 'context_checkpoints'], routing: job('jobId'), hot: true },
  // hooks
  startHookFromThread: {
    tables: ['tasks', 'jobs', 'threads', 'jobs_attributes', 'journal'],
    routing: { route: 'jobs', keys: ['jobId', 'targetId'], why: 'the calling job journals; the hook runs on the target job' },
    taskById: true,
  },
  startHookOutside: { tables: ['jobs', 'threads', 'jobs_attributes', 'tasks'], routing: job('targetId') },
  threadExists: { tables: ['threads'], routing: job('jobId') },
  // children
  startChildFromThread: {
    tables: ['tasks', 'jobs', 'threads', 'journal'],
    routing: { route: 'jobs', keys: ['jobId', 'childId'], why: 'the parent journals; the child job is created' },
    taskById: true,
  },
  releaseStartedChild: { tables: ['tasks'], routing: job('childId') },
  // search
  readAttributes: { tables: ['jobs_attributes'], routing: job('jobId') },
  searchOpInThread: { tables: ['tasks', 'jobs_attributes', 'journal'], routing: job('jobId'), taskById: true },
  // activities
  finishActivityTask: {
    tables: ['tasks', 'journal', 'threads'],
    routing: { route: 'task', why: 'the activity task is found by id; its job (from the task row) is journaled and woken' },
    taskById: true,
  },
  retryActivityTask: { tables: ['tasks'], routing: { route: 'task', why: 'a remote activity attempt failed' }, taskById: true },
  scheduleActivity: { tables: ['tasks', 'journal'], routing: job('jobId'), taskById: true },
  // entities
  createEntityIndex: { tables: ['jobs'], routing: { route: 'spanning', why: 'DDL: an index over every job of an entity' } },
  findEntityById: { tables: ['jobs'], routing: job('jobId') },
  // continueAsNew, journal retention (migrations 0042, 0043)
  continueThread: { tables: ['jobs', 'journal', 'tasks', 'threads', 'waiters'], routing: job('jobId'), taskById: true },
  compactJournals: { tables: ['journal', 'threads'], routing: { route: 'spanning', why: 'the retention sweep: threads finished long ago, on every shard' } },
  pruneContextLogs: {
    tables: ['context_checkpoints', 'jobs', 'context_log', 'journal'],
    routing: { route: 'spanning', why: 'the context log retention sweep: jobs with prunable log entries, on every shard' },
  },
  // context references (migration 0028)
  contextThreadReplay: { tables: ['context_checkpoints', 'context_log', 'journal', 'jobs'], routing: job('jobId') },
  // task loop metrics
  countReadyTasks: { tables: ['tasks'], routing: { route: 'spanning', why: 'the ready-tasks gauge: per topic, across jobs' } },
  // operating workflows (issue 8, migrations 0022-0024)
  listJobs: { tables: ['jobs', 'jobs_attributes', 'tasks'], routing: { route: 'spanning', why: 'a listing filters every job' } },
  countJobs: { tables: ['jobs', 'jobs_attributes', 'tasks'], routing: { route: 'spanning', why: 'counts per status over every job' } },
  listApps: { tables: [], routing: { route: 'spanning', why: 'the registry, not an app table' } },
  jobIsWaiting: { tables: ['tasks'], routing: job('jobId') },
  describeJob: {
    tables: ['jobs', 'journal', 'served_topics', 'tasks', 'threads', 'waiters'],
    routing: { route: 'jobs', keys: ['jobId'], why: "one job's rows, and the served-topics reference table for topics no worker serves" },
  },
  readHistory: { tables: ['context_log', 'journal', 'context_checkpoints', 'jobs'], routing: job('jobId') },
  readMainThread: { tables: ['jobs', 'journal', 'threads'], routing: job('jobId') },
  cancelJob: { tables: ['jobs', 'tasks', 'threads'], routing: job('jobId') },
  cancelCalls: { tables: ['jobs', 'journal', 'tasks', 'waiters'], routing: job('jobId'), taskById: true },
  resumeJob: { tables: ['jobs', 'tasks', 'threads'], routing: job('jobId') },
  retryJob: { tables: ['jobs', 'journal', 'tasks', 'threads', 'waiters'], routing: job('jobId') },
  forkJob: {
    tables: ['context_log', 'context_checkpoints', 'jobs', 'jobs_attributes', 'journal', 'tasks', 'threads'],
    routing: { route: 'jobs', keys: ['sourceId', 'newId'], why: 'the original is read; the fork is created' },
  },
  cancelMatching: { tables: ['jobs', 'jobs_attributes', 'tasks', 'threads'], routing: { route: 'spanning', why: 'a bulk action on every job the filter matches' } },
  terminateMatching: { tables: ['jobs', 'jobs_attributes', 'journal', 'tasks', 'threads', 'waiters', 'signals'], routing: { route: 'spanning', why: 'a bulk action on every job the filter matches' } },
  resumeMatching: { tables: ['jobs', 'jobs_attributes', 'tasks', 'threads'], routing: { route: 'spanning', why: 'a bulk action on every job the filter matches' } },
};

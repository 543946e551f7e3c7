/**
 * Records the golden histories under test/histories/*.json: the journals the README examples
 * (examples/*.ts) write when they run, so test/unit/golden-histories.test.ts can replay each one
 * against the current code with no database and fail loudly when the numbering or the shape of the
 * durable calls changed.
 *
 *   npm run histories:record      (or UPDATE_HISTORIES=1 on the golden-histories test)
 *
 * Each example runs as its README runs it (its own scenario function), on an in-memory PGlite
 * database. What varies from one recording to the next is normalised, so a re-recording of unchanged
 * code gives the same file unless concurrent threads finished in another order: job ids and random thread ids become labels
 * (`<workflowName>-<n>` in order of creation), epoch-millisecond numbers and ISO timestamps become
 * fixed values, and stored failures lose their stack and timestamp. Labels are substituted inside
 * every string (names, args, results), so ids derived from a job id stay consistent with the label.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemFlow, type MemFlowInstance } from '../../src/index.js';
import type { Engine } from '../../src/engine/engine.js';
import { runAgent } from '../../examples/agent.js';
import { runEstablished } from '../../examples/established-api.js';
import { startWorker } from '../../examples/hooks-and-context.js';
import { runMemoryFromOutside } from '../../examples/memory-from-outside.js';
import { main as quickStart } from '../../examples/quick-start.js';

export const HISTORIES_DIR = path.dirname(fileURLToPath(import.meta.url));

/** One journal row as a history keeps it. `result` is absent for a void (SQL NULL) result. */
export interface RecordedCall {
  seq: number;
  kind: string;
  name: string;
  batch: number | null;
  status: 'done' | 'failed' | 'retry';
  attempt: number;
  result?: unknown;
}

export interface RecordedThread {
  /** The job's label (its id, normalised). */
  job: string;
  thread: string;
  workflowName: string;
  args: unknown[];
  status: string;
  /** The thread's return value (absent when it returned nothing or did not complete). */
  output?: unknown;
  journal: RecordedCall[];
}

export interface History {
  /** What produced it: the example file and the scenario run. */
  example: string;
  source: string;
  threads: RecordedThread[];
}

const FIXED_EPOCH_MS = 1_700_000_000_000;
const FIXED_ISO = '2023-11-14T22:13:20.000Z';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Epoch milliseconds between 2001 and 2286: what Date.now() returns. */
const isEpochMs = (n: number) => Number.isInteger(n) && n > 1e12 && n < 1e13;

/** Replace ids by labels in every string (keys included), and times by fixed values. */
function normalise(value: unknown, labels: Array<[string, string]>): unknown {
  if (typeof value === 'string') {
    if (ISO_TIME.test(value)) return FIXED_ISO;
    let s = value;
    for (const [id, label] of labels) s = s.split(id).join(label);
    return s;
  }
  if (typeof value === 'number') return isEpochMs(value) ? FIXED_EPOCH_MS : value;
  if (Array.isArray(value)) return value.map((v) => normalise(v, labels));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [normalise(k, labels) as string, normalise(v, labels)]));
  }
  return value;
}

function withoutVaryingFailureFields(result: unknown, status: string): unknown {
  if (status === 'done' || result === null || typeof result !== 'object') return result;
  const { stack: _stack, timestamp: _timestamp, ...rest } = result as Record<string, unknown>;
  return rest;
}

/** Every thread of every job of the app, normalised. */
async function readApp(engine: Engine): Promise<RecordedThread[]> {
  const s = engine.sqlSchema;
  const threads = await engine.driver.query<{
    job_id: string; thread: string; workflow_name: string; args: unknown[]; status: string; output: unknown; undef: boolean;
  }>(`SELECT t.job_id, t.thread, t.workflow_name, t.args, t.status, t.output, t.output IS NULL AS undef
        FROM ${s}.threads t JOIN ${s}.jobs j ON j.id = t.job_id
       ORDER BY j.created_at, j.id, t.created_at, t.thread`);
  // Labels, longest id first so an id that contains another is replaced whole.
  const labels: Array<[string, string]> = [];
  const counts = new Map<string, number>();
  const label = (id: string, base: string) => {
    if (labels.some(([known]) => known === id)) return;
    const n = (counts.get(base) ?? 0) + 1;
    counts.set(base, n);
    labels.push([id, `${base}-${n}`]);
  };
  for (const t of threads.rows) if (t.thread === 'main') label(t.job_id, t.workflow_name);
  // Thread ids a hook gets from its position (`main/3`) are stable; one started from outside is random.
  for (const t of threads.rows) if (!/^main(\/\d+)*$/.test(t.thread)) label(t.thread, `hook-${t.workflow_name}`);
  labels.sort((a, b) => b[0].length - a[0].length);

  const out: RecordedThread[] = [];
  for (const t of threads.rows) {
    const rows = await engine.driver.query<RecordedCall & { undef: boolean }>(
      `SELECT seq, kind, name, batch, status, attempt, result, result IS NULL AS undef
         FROM ${s}.journal WHERE job_id = $1 AND thread = $2 ORDER BY seq`,
      [t.job_id, t.thread],
    );
    const journal = rows.rows.map(({ undef, result, ...call }) => ({
      ...call,
      ...(undef ? {} : { result: withoutVaryingFailureFields(result, call.status) }),
    }));
    out.push(
      normalise(
        {
          job: t.job_id,
          thread: t.thread,
          workflowName: t.workflow_name,
          args: t.args,
          status: t.status,
          ...(t.undef ? {} : { output: t.output }),
          journal,
        },
        labels,
      ) as RecordedThread,
    );
  }
  return out;
}

/** The examples, each run as the README runs it, on one in-memory database (an app each). */
const SCENARIOS: Array<{ file: string; example: string; source: string; run(): Promise<string> }> = [
  {
    file: 'quick-start.json',
    example: 'the quick start: startWorker() and main() (hooks & context)',
    source: 'examples/quick-start.ts, examples/hooks-and-context.ts',
    run: async () => {
      await startWorker();
      await (await quickStart()).result();
      return 'my-app';
    },
  },
  {
    file: 'memory-from-outside.json',
    example: 'permanent memory from the outside: runMemoryFromOutside(mf)',
    source: 'examples/memory-from-outside.ts',
    run: async () => {
      const mf = await MemFlow.init({ appId: 'golden-memory', engine: { connection: { dataDir: 'memory://' } } });
      await runMemoryFromOutside(mf);
      return 'golden-memory';
    },
  },
  {
    file: 'established-api.json',
    example: 'the established API: runEstablished(connection)',
    source: 'examples/established-api.ts',
    run: async () => {
      await runEstablished({ dataDir: 'memory://' });
      return 'onboarding';
    },
  },
  {
    file: 'agent.json',
    example: 'the durable AI agent: runAgent(mf)',
    source: 'examples/agent.ts',
    run: async () => {
      const mf: MemFlowInstance = await MemFlow.init({ appId: 'golden-agent', engine: { connection: { dataDir: 'memory://' } } });
      await runAgent(mf);
      return 'golden-agent';
    },
  },
];

/** Run every example and write its history. Returns the files written. */
export async function recordHistories(dir = HISTORIES_DIR): Promise<string[]> {
  const saved = { url: process.env.DATABASE_URL, dataDir: process.env.HOTMESH_DATA_DIR };
  // The quick start reads DATABASE_URL; unset, it runs on the embedded database (in memory here).
  delete process.env.DATABASE_URL;
  process.env.HOTMESH_DATA_DIR = 'memory://';
  const written: string[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const appId = await scenario.run();
      const engine = await new MemFlow.Client({ connection: { dataDir: 'memory://' } }).engine(appId);
      const history: History = { example: scenario.example, source: scenario.source, threads: await readApp(engine) };
      const file = path.join(dir, scenario.file);
      fs.writeFileSync(file, `${JSON.stringify(history, null, 2)}\n`);
      written.push(file);
    }
  } finally {
    await MemFlow.shutdown();
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.url;
    if (saved.dataDir === undefined) delete process.env.HOTMESH_DATA_DIR;
    else process.env.HOTMESH_DATA_DIR = saved.dataDir;
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of await recordHistories()) console.log(`recorded ${path.relative(process.cwd(), file)}`);
}

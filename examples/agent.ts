// A durable AI agent on permanent memory. One job's context is the agent's memory:
//   - the planner workflow sketches a task list and seeds the memory;
//   - tool hooks (one per task, run in parallel) write their findings into it;
//   - a reflector hook, started from outside after the planner finished, summarises it (again and
//     again: the memory outlives the planner);
//   - a supervisor workflow (a job of its own) watches the planner's metrics and decides when to stop.
// The model is a deterministic stand-in, called as an activity: its answers are journaled like a real
// model's would be, so a replay never asks it twice and this file runs in tests without a network.
import { MemFlow, type MemFlowInstance, type WorkflowHandle } from 'hotmesh';

const QUEUE = 'agent';
const REFLECTIONS_WANTED = 2;
const CHECK_EVERY = '1 second';
const MAX_CHECKS = 60;

/** The planner job's context: everything the agent knows, in one JSONB document. */
export interface AgentMemory {
  goal: string;
  tasks: string[];
  results: Record<string, string>;
  memory: { facts: string[]; version: number; summary?: string };
  metrics: { toolCalls: number; reflections: number };
  supervisor?: Decision;
}

/* ------------ The model (a pure stand-in for an LLM) ------------ */

/** What the agent asks. A real model takes text; the stand-in takes the same information, tagged. */
export type Prompt =
  | { kind: 'plan'; goal: string }
  | { kind: 'act'; goal: string; task: string }
  | { kind: 'reflect'; goal: string; facts: string[] };

const ANSWERS: Record<string, string> = {
  flights: 'a return flight costs 120 EUR',
  hotel: 'a room in Alfama costs 90 EUR a night',
  weather: 'sunny, 24 C on Saturday',
};

/** Same prompt, same answer: canned replies chosen by the input. */
export function fakeModel(prompt: Prompt): string {
  switch (prompt.kind) {
    case 'plan': // one task per line, as a chat model would list them
      return (/trip/i.test(prompt.goal) ? ['flights', 'hotel', 'weather'] : ['research', 'draft']).join('\n');
    case 'act':
      return ANSWERS[prompt.task] ?? `${prompt.task}: done`;
    case 'reflect':
      return `${prompt.goal}: ${prompt.facts.length} facts known (${prompt.facts.join('; ')})`;
  }
}

// Activity names are process-wide, so they are specific to this example.
const { askModel } = MemFlow.workflow.proxyActivities({
  activities: { askModel: fakeModel },
  retryPolicy: { maximumAttempts: 3, backoffCoefficient: 2, maximumInterval: '5s' }, // real models time out
});

/* ------------ Planner workflow ------------ */

/** Parsing the model's reply is pure code: it gives the same tasks on every replay. */
function parseTasks(reply: string): string[] {
  return reply.split('\n').map((line) => line.trim()).filter(Boolean);
}

export async function planner(goal: string) {
  const ctx = await MemFlow.workflow.context();
  const tasks = parseTasks(await askModel({ kind: 'plan', goal }));

  // Seed the memory before any tool starts, so every tool finds the paths it appends to.
  await ctx.set({ goal, tasks, results: {}, memory: { facts: [], version: 0 }, metrics: { toolCalls: 0, reflections: 0 } });

  // One tool hook per task, all started before the planner suspends; each signals when it is done.
  const answers = await MemFlow.workflow.execHookBatch<Record<string, string>>(
    tasks.map((task) => ({
      key: task,
      options: { taskQueue: QUEUE, workflowName: 'tool', args: [goal, task], signalId: `tool-done-${task}` },
    })),
  );
  return { goal, tasks, answers };
}

/* ------------ Tool hook (one task, on the planner's job) ------------ */

/** `done` is the marker execHook appends as the last argument: the signal to send when finished. */
export async function tool(goal: string, task: string, done: { signal: string }) {
  const ctx = await MemFlow.workflow.context();
  const answer = await askModel({ kind: 'act', goal, task });

  // Each op is one atomic statement: parallel tools never lose each other's writes.
  await ctx.merge({ results: { [task]: answer } });
  await ctx.append('memory.facts', `${task}: ${answer}`);
  await ctx.increment('metrics.toolCalls');

  await MemFlow.workflow.signal(done.signal, answer);
}

/* ------------ Reflector hook (started from outside, any time) ------------ */

export async function reflector() {
  const ctx = await MemFlow.workflow.context();
  const { goal, memory } = await ctx.get<AgentMemory>(); // journaled: a replay sees the same memory
  const summary = await askModel({ kind: 'reflect', goal, facts: memory.facts });

  await ctx.merge({ memory: { summary } }); // deep merge: the facts stay
  await ctx.increment('memory.version');
  await ctx.increment('metrics.reflections'); // last: the supervisor and the caller wait for it
}

/* ------------ Supervisor workflow (its own job) ------------ */

export interface Observation {
  planned: number | null;
  toolCalls: number;
  reflections: number;
}

export interface Decision {
  action: 'wait' | 'finish' | 'escalate';
  reason: string;
}

// Activities reach the database through the app's MemFlow instance (set by runAgent), found by the
// namespace of the call, so two apps in one process never read each other's jobs.
const apps = new Map<string, MemFlowInstance>();
const appOfThisCall = () => apps.get(MemFlow.activity.getContext().namespace)!;

const { observePlanner, recordDecision } = MemFlow.workflow.proxyActivities({
  activities: {
    /** Reading another job's memory is reading the outside world: an activity, so it is journaled. */
    async observePlanner(plannerId: string): Promise<Observation> {
      const memory = await appOfThisCall().workflow.context(plannerId);
      const tasks = await memory.get<string[] | null>('tasks');
      const metrics = await memory.get<AgentMemory['metrics'] | null>('metrics');
      return { planned: tasks?.length ?? null, toolCalls: metrics?.toolCalls ?? 0, reflections: metrics?.reflections ?? 0 };
    },
    /** Keyed by the call's idempotency key: a retried attempt writes the decision once. */
    async recordDecision(plannerId: string, decision: Decision): Promise<void> {
      const memory = await appOfThisCall().workflow.context(plannerId, { actor: 'supervisor' });
      await memory.withOpId(MemFlow.activity.getContext().idempotencyKey).merge({ supervisor: decision });
    },
  },
});

/** The policy is pure code over journaled observations, so replay reaches the same decision. */
export function decide(seen: Observation): Decision {
  if (seen.planned === null || seen.toolCalls < seen.planned) return { action: 'wait', reason: 'tools still running' };
  if (seen.reflections < REFLECTIONS_WANTED) return { action: 'wait', reason: 'memory not yet consolidated' };
  return {
    action: 'finish',
    reason: `${seen.toolCalls}/${seen.planned} tools ran, memory summarised ${seen.reflections} times`,
  };
}

export async function supervisor(plannerId: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ plannerId, checks: 0 });

  let decision: Decision = { action: 'escalate', reason: `no decision after ${MAX_CHECKS} checks` };
  for (let check = 1; check <= MAX_CHECKS; check++) {
    await ctx.increment('checks');
    const verdict = decide(await observePlanner(plannerId));
    if (verdict.action !== 'wait') {
      decision = verdict;
      break;
    }
    await MemFlow.workflow.sleepFor(CHECK_EVERY); // a durable timer: no connection held while waiting
  }

  await ctx.merge({ decision });
  await recordDecision(plannerId, decision); // the agent's memory says why it stopped
  return decision;
}

/* ------------ The scenario ------------ */

async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    if (Date.now() > end) throw new Error('agent example: condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start a reflection on the (finished) planner job and wait until it has written its summary. */
async function reflect(plan: WorkflowHandle, nth: number) {
  const memory = plan.context();
  await plan.hook({ taskQueue: QUEUE, workflowName: 'reflector' });
  await until(async () => (await memory.get<number>('metrics.reflections')) >= nth);
  return memory.get<string>('memory.summary');
}

export async function runAgent(mf: MemFlowInstance, goal = 'Plan a weekend trip to Lisbon') {
  apps.set(mf.appId, mf);
  for (const workflow of [planner, tool, reflector, supervisor]) await mf.worker.create({ taskQueue: QUEUE, workflow });

  const plan = await mf.workflow.start({ taskQueue: QUEUE, workflowName: 'planner', args: [goal], entity: 'agent' });
  const watch = await mf.workflow.start({ taskQueue: QUEUE, workflowName: 'supervisor', args: [plan.workflowId] });

  const planned = await plan.result(); // the planner is done; its memory is not
  const memory = plan.context();
  const versionWhenPlannerFinished = await memory.version();

  // Long-term memory keeps evolving: reflect, learn something new from the user, reflect again.
  const firstSummary = await reflect(plan, 1);
  await memory.append('memory.facts', 'user: prefers a quiet hotel');
  const secondSummary = await reflect(plan, 2);

  const decision = await watch.result();
  const history = await memory.history();
  return {
    plannerId: plan.workflowId,
    planned,
    decision,
    memory: (await memory.get()) as AgentMemory,
    supervisorMemory: await watch.context().get(),
    summaries: [firstSummary, secondSummary],
    versionWhenPlannerFinished,
    // context versions at which a reflector bumped memory.version
    reflectionVersions: history.filter((c) => c.path.join('.') === 'memory.version').map((c) => c.version),
  };
}

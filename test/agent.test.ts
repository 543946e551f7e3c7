/** examples/agent.ts: planner, parallel tool hooks, outside reflections and a supervisor, on both backends. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, fakeModel, runAgent } from '../examples/agent.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const TASKS = ['flights', 'hotel', 'weather'];
const GOAL = 'Plan a weekend trip to Lisbon';

describe('agent example', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('agent'), engine: { connection: testConnection() } });
  });
  afterAll(() => MemFlow.shutdown());

  it('the model stand-in and the supervisor policy are pure', () => {
    expect(fakeModel({ kind: 'plan', goal: GOAL })).toBe(TASKS.join('\n'));
    expect(fakeModel({ kind: 'act', goal: GOAL, task: 'hotel' })).toBe(fakeModel({ kind: 'act', goal: GOAL, task: 'hotel' }));
    expect(decide({ planned: null, toolCalls: 0, reflections: 0 }).action).toBe('wait');
    expect(decide({ planned: 3, toolCalls: 3, reflections: 1 }).action).toBe('wait');
    expect(decide({ planned: 3, toolCalls: 3, reflections: 2 }).action).toBe('finish');
  });

  it('plans, runs the tools in parallel, keeps reflecting after the planner finished, and stops when the supervisor says so', async () => {
    const out = await runAgent(mf, GOAL);
    const answers = Object.fromEntries(TASKS.map((t) => [t, fakeModel({ kind: 'act', goal: GOAL, task: t })]));
    const toolFacts = TASKS.map((t) => `${t}: ${answers[t]}`);
    const userFact = 'user: prefers a quiet hotel';

    // the planner: its plan, and every tool's answer delivered through execHookBatch
    expect(out.planned).toEqual({ goal: GOAL, tasks: TASKS, answers });

    // the memory: every result, each fact exactly once (tools append in any order), exact counts
    const { memory } = out;
    expect(memory.goal).toBe(GOAL);
    expect(memory.tasks).toEqual(TASKS);
    expect(memory.results).toEqual(answers);
    expect(memory.memory.facts).toHaveLength(4);
    expect(memory.memory.facts.slice(0, 3).sort()).toEqual([...toolFacts].sort());
    expect(memory.memory.facts[3]).toBe(userFact);
    expect(memory.metrics).toEqual({ toolCalls: 3, reflections: 2 });

    // the reflector: ran twice from outside, after the planner finished; the second saw the new fact
    expect(memory.memory.version).toBe(2);
    expect(out.reflectionVersions).toHaveLength(2);
    for (const v of out.reflectionVersions) expect(v).toBeGreaterThan(out.versionWhenPlannerFinished);
    const [first, second] = out.summaries;
    expect(first).toBe(fakeModel({ kind: 'reflect', goal: GOAL, facts: memory.memory.facts.slice(0, 3) }));
    expect(second).toBe(fakeModel({ kind: 'reflect', goal: GOAL, facts: memory.memory.facts }));
    expect(second).not.toBe(first);
    expect(memory.memory.summary).toBe(second);

    // the supervisor: its decision, returned, in its own memory and in the agent's
    const decision = { action: 'finish', reason: '3/3 tools ran, memory summarised 2 times' };
    expect(out.decision).toEqual(decision);
    expect(out.supervisorMemory).toMatchObject({ decision });
    expect(out.supervisorMemory.checks).toBeGreaterThanOrEqual(1);
    expect(memory.supervisor).toEqual(decision);

    // the model was asked once per prompt (plan, 3 tools, 2 reflections): journaled, never re-asked on replay
    const engine = await mf.client.engine(mf.appId);
    const asked = await engine.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${mf.appId.replace(/-/g, '_')}.journal WHERE job_id = $1 AND kind = 'activity' AND name = 'askModel'`,
      [out.plannerId],
    );
    expect(asked.rows[0]!.n).toBe(6);
  });
});

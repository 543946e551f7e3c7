/**
 * A start whose task no local worker takes NOTIFYs its topic only when another process may serve it
 * (issue 12, NOTIFY pressure; migration 0047): the loop learns from served_topics, with each
 * heartbeat, which of its topics others serve. Alone, its busy workers are woken in-process when a
 * slot frees, and the job still runs; shared, the NOTIFY goes out and the other process runs it.
 *
 * Two runtimes of one process are two engines with two loops (two owners), like two processes; a
 * third engine only listens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { workflowTopic } from '../src/topics.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const gates = new Map<string, () => void>();
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async hold(tag: string): Promise<string> {
      await new Promise<void>((resolve) => gates.set(tag, resolve));
      return tag;
    },
  },
});

export async function holds(tag: string): Promise<string> {
  return acts.hold(tag);
}

describe('a start NOTIFYs its topic only when another process serves it', () => {
  const appId = uniqueAppId('solo');
  const topic = workflowTopic('solo', 'holds');
  let a: MemFlowInstance;
  let b: MemFlowInstance | undefined;
  let listener: MemFlowInstance;
  let engineA: Engine;
  const heard: string[] = [];

  beforeAll(async () => {
    // one slot, heartbeats every ~330 ms (leaseSeconds / 3): what others serve is learned quickly
    a = await MemFlow.init({ appId, engine: { connection: testConnection() }, worker: { concurrency: 1, leaseSeconds: 1 } });
    listener = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    (await listener.client.engine(appId)).onPayload((p) => heard.push(p));
    await a.worker.create({ taskQueue: 'solo', workflow: holds });
    engineA = await a.client.engine(appId);
    await eventually(async () => engineA.localTaker?.servesAlone(topic));
  });
  afterAll(async () => {
    await b?.shutdown();
    await listener?.shutdown();
    await a?.shutdown();
  });

  const start = (mf: MemFlowInstance, tag: string) => mf.workflow.start({ taskQueue: 'solo', workflowName: 'holds', workflowId: tag, args: [tag] });
  const topicNotices = () => heard.filter((p) => p.startsWith(`${topic}@`));

  it('alone and busy: no NOTIFY; the job runs when the slot frees', async () => {
    const first = await start(a, `solo-1-${Date.now()}`);
    await eventually(async () => gates.has(first.workflowId)); // the only slot is taken
    const before = topicNotices().length;
    const second = await start(a, `solo-2-${Date.now()}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(topicNotices().length).toBe(before);
    gates.get(first.workflowId)!();
    expect(await first.result()).toBe(first.workflowId);
    // woken in-process (or, were that missing, found by a's next poll, at most maxPollMs = 2 s later:
    // the bound cannot tell those apart and is not meant to); 10 s for a loaded CI machine
    await eventually(async () => gates.has(second.workflowId), 10_000);
    gates.get(second.workflowId)!();
    expect(await second.result()).toBe(second.workflowId);
  });

  it('shared and busy: the NOTIFY goes out, and the other process runs the job', async () => {
    b = await MemFlow.init({ appId, engine: { connection: testConnection() }, worker: { leaseSeconds: 1 } });
    await b.worker.create({ taskQueue: 'solo', workflow: holds });
    await eventually(async () => engineA.localTaker?.servesAlone(topic) === false, 5000);
    const busy = await start(a, `shared-1-${Date.now()}`);
    await eventually(async () => gates.has(busy.workflowId));
    const before = topicNotices().length;
    const other = await start(a, `shared-2-${Date.now()}`);
    // the listener hears the NOTIFY itself (a poll puts nothing on the channel): the bound only allows for load
    await eventually(async () => topicNotices().length > before, 10_000);
    await eventually(async () => gates.has(other.workflowId), 10_000); // b took it while a is busy
    gates.get(other.workflowId)!();
    gates.get(busy.workflowId)!();
    expect(await other.result()).toBe(other.workflowId);
    expect(await busy.result()).toBe(busy.workflowId);
  });
});

/**
 * A finish sends the `done:` NOTIFY only when someone outside the finishing engine may wait for it
 * (issue 12, NOTIFY pressure; migration 0047): the engine that started the job, when another engine
 * finishes it, and any waiter that read the job without the start's watch (its first read marks the
 * job watched). Results must stay prompt: each case below would wait out result()'s 2 s polling
 * fallback (the signal is sent just after a poll) if its NOTIFY were not sent.
 *
 * Two runtimes of one process are two engines (two origins), each listening on the app's channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function quickDone(tag: string): Promise<string> {
  return `${tag}:done`;
}

export async function waitsForGo(tag: string): Promise<string> {
  const go = await MemFlow.workflow.waitFor<{ n: number }>(`go-${tag}`);
  return `${tag}:${go.n}`;
}

/**
 * result()'s polling fallback is 2 s: a signal this long after the waiter's read comes just after a
 * poll, so a waiter left to its polls answers about 1.95 s after it. Each case also checks that the
 * NOTIFY itself was heard, so the bound needs no more than to tell the two apart.
 */
const AFTER_POLL_MS = 2050;
const PROMPT_MS = 1500;

describe('the done: NOTIFY goes only where a waiter may be', () => {
  const appId = uniqueAppId('watched');
  let a: MemFlowInstance;
  let b: MemFlowInstance;
  /** Every payload runtime b's engine hears on the app's channel. */
  const heardByB: string[] = [];
  /** Every payload runtime a's engine hears on the app's channel. */
  const heardByA: string[] = [];

  beforeAll(async () => {
    a = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    b = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    (await b.client.engine(appId)).onPayload((p) => heardByB.push(p));
    (await a.client.engine(appId)).onPayload((p) => heardByA.push(p));
    await a.worker.create({ taskQueue: 'local', workflow: quickDone });
    await a.worker.create({ taskQueue: 'local', workflow: waitsForGo });
    await b.worker.create({ taskQueue: 'remote', workflow: waitsForGo }); // only b serves 'remote'
  });
  afterAll(async () => {
    await b?.shutdown();
    await a?.shutdown();
  });

  it('a job started and finished in one engine, awaited there, sends none', async () => {
    const tag = `local-${Date.now()}`;
    const handle = await a.workflow.start({ taskQueue: 'local', workflowName: 'quickDone', workflowId: tag, args: [tag] });
    expect(await handle.result()).toBe(`${tag}:done`);
    await new Promise((r) => setTimeout(r, 300));
    expect(heardByB.filter((p) => p.startsWith(`done:${tag}`))).toEqual([]);
  });

  it('a waiter in another engine marks the job watched, and hears its end at once', async () => {
    const tag = `watched-${Date.now()}`;
    await a.workflow.start({ taskQueue: 'local', workflowName: 'waitsForGo', workflowId: tag, args: [tag] });
    const elsewhere = await b.workflow.getHandle('local', 'waitsForGo', tag);
    const result = elsewhere.result();
    await new Promise((r) => setTimeout(r, AFTER_POLL_MS));
    const sent = Date.now();
    await a.workflow.signal(`go-${tag}`, { n: 7 });
    expect(await result).toBe(`${tag}:7`);
    expect(Date.now() - sent).toBeLessThan(PROMPT_MS);
    expect(heardByB.some((p) => p.startsWith(`done:${tag}\n`))).toBe(true);
  });

  it('the starting engine hears the end of a job another engine finished', async () => {
    const tag = `remote-${Date.now()}`;
    const handle = await a.workflow.start({ taskQueue: 'remote', workflowName: 'waitsForGo', workflowId: tag, args: [tag] });
    const result = handle.result();
    await new Promise((r) => setTimeout(r, AFTER_POLL_MS));
    const sent = Date.now();
    await a.workflow.signal(`go-${tag}`, { n: 9 });
    expect(await result).toBe(`${tag}:9`);
    expect(Date.now() - sent).toBeLessThan(PROMPT_MS);
    expect(heardByA.some((p) => p.startsWith(`done:${tag}\n`))).toBe(true);
  });
});

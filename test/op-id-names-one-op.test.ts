/**
 * An op id names one op (a black-box pass: `withOpId` reused with a different op returned the first
 * op's answer and silently did not apply the second). The same op at the same path again answers what
 * it answered the first time, whatever its argument (a retried activity may compute it again); another
 * op or another path under that id is a ValidationError naming both, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function opIdHolder(): Promise<string> {
  return 'ok';
}

describe('withOpId', () => {
  let mf: MemFlowInstance;
  let workflowId: string;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('opid'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'opid', workflow: opIdHolder });
    const handle = await mf.workflow.start({ taskQueue: 'opid', workflowName: 'opIdHolder' });
    await handle.result();
    workflowId = handle.workflowId;
  });
  afterAll(() => mf.shutdown());

  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

  it('answers a repeat of the same op once, whatever its argument', async () => {
    const ctx = await mf.workflow.context(workflowId);
    const first = await ctx.withOpId('seed').set({ profile: { name: 'Ann', tier: 'gold' } });
    const version = await ctx.version();
    expect(await ctx.withOpId('seed').set({ profile: { tier: 'gold', name: 'Ann' } })).toEqual(first);
    expect(await ctx.version()).toBe(version);
    expect(await ctx.withOpId('bump').increment('visits', 1)).toBe(1);
    expect(await ctx.withOpId('bump').increment('visits', 1)).toBe(1);
    expect(await ctx.withOpId('bump').increment('visits', 7)).toBe(1); // recomputed by a retry: not applied again
    expect(await ctx.get('visits')).toBe(1);
    expect(await ctx.withOpId('seed').set({ profile: { name: 'Bob' } })).toEqual(first);
    expect(await ctx.get('profile.name')).toBe('Ann');
  });

  it('refuses another op or path under a used id, and changes nothing', async () => {
    const ctx = await mf.workflow.context(workflowId);
    await ctx.withOpId('once').increment('score', 5);
    const before = { doc: await ctx.get(), version: await ctx.version() };
    const attempts = [
      () => ctx.withOpId('once').merge({ score: 100 }), // another op
      () => ctx.withOpId('once').increment('other', 5), // another path
      () => ctx.withOpId('once').set({ score: 5 }), // another op at the root
    ];
    for (const attempt of attempts) {
      const err = await refusal(attempt());
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain("'once' was used for another op (increment at 'score'");
    }
    expect({ doc: await ctx.get(), version: await ctx.version() }).toEqual(before);
  });
});

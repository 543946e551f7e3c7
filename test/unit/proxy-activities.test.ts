/**
 * A proxied activity called where no workflow runs: the call is a rejected promise naming the API,
 * never a synchronous throw (the stub is not an async function; a throw before its promise must still
 * reach the caller's await or .catch).
 */
import { describe, expect, it } from 'vitest';
import { MemFlow, ValidationError } from '../../src/index.js';

describe('proxyActivities outside a workflow', () => {
  it('rejects, naming the call, and throws nothing synchronously', async () => {
    const { lookup } = MemFlow.workflow.proxyActivities({ activities: { async lookup(x: number) { return x; } } });
    let call: Promise<unknown> | undefined;
    expect(() => (call = lookup(1))).not.toThrow();
    expect(call).toBeInstanceOf(Promise);
    await expect(call).rejects.toThrow('MemFlow.workflow.proxyActivities(...).lookup(): can only be called inside a workflow or hook function');
    await expect(call).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('MemFlow.workflow.* outside a workflow', () => {
  // a black-box pass: a plain Error with no code, and execHookBatch([]) resolved {}
  it.each([
    ['sleepFor', () => MemFlow.workflow.sleepFor('1 second')],
    ['waitFor', () => MemFlow.workflow.waitFor('go')],
    ['execHookBatch', () => MemFlow.workflow.execHookBatch([])],
    ['execChild', () => MemFlow.workflow.execChild({ taskQueue: 'q', workflowName: 'child' })],
  ])('%s is a ValidationError naming the call', async (name, call) => {
    const err = await Promise.resolve().then(call).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(`MemFlow.workflow.${name}()`);
  });
});

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

describe('MemFlow.activity.getContext() outside an activity', () => {
  // a black-box pass: a plain Error, where its MemFlow.workflow.* twins give a ValidationError
  it('throws a ValidationError naming the call', () => {
    expect(() => MemFlow.activity.getContext()).toThrow(ValidationError);
    expect(() => MemFlow.activity.getContext()).toThrow('MemFlow.activity.getContext(): can only be called inside an activity');
  });
});

describe('activities that are not activities', () => {
  // a black-box pass: a number gave TypeError "Invalid value used in weak set"; null registered nothing, silently
  it('proxyActivities refuses an activities value that is not an object or a function, naming it', () => {
    for (const bad of [5, 'greet', null, [() => 1]]) {
      expect(() => MemFlow.workflow.proxyActivities({ activities: bad as never })).toThrow(ValidationError);
      expect(() => MemFlow.workflow.proxyActivities({ activities: bad as never })).toThrow(/Invalid activities: must be an object of activity functions/);
    }
    expect(() => MemFlow.workflow.proxyActivities({})).not.toThrow();
  });

  it('registerActivityWorker refuses them before it opens anything', async () => {
    for (const bad of [5, 'greet', null, undefined]) {
      await expect(MemFlow.registerActivityWorker({ connection: { dataDir: 'memory://' } }, bad as never, 'acts')).rejects.toBeInstanceOf(ValidationError);
    }
  });
});

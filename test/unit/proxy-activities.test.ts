/**
 * A proxied activity called where no workflow runs: the call is a rejected promise naming the API,
 * never a synchronous throw (the stub is not an async function; a throw before its promise must still
 * reach the caller's await or .catch).
 */
import { describe, expect, it } from 'vitest';
import { MemFlow } from '../../src/index.js';

describe('proxyActivities outside a workflow', () => {
  it('rejects, naming the call, and throws nothing synchronously', async () => {
    const { lookup } = MemFlow.workflow.proxyActivities({ activities: { async lookup(x: number) { return x; } } });
    let call: Promise<unknown> | undefined;
    expect(() => (call = lookup(1))).not.toThrow();
    expect(call).toBeInstanceOf(Promise);
    await expect(call).rejects.toThrow('MemFlow.workflow.proxyActivities(...).lookup() can only be called inside a workflow or hook function');
  });
});

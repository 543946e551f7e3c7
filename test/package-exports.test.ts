/** The package root exports what the established API's users import (memflow-api.md §1.1). */
import * as hotmesh from 'hotmesh';
import { describe, expect, it } from 'vitest';

describe('package exports', () => {
  it('exports MemFlow and its submodules one by one', async () => {
    for (const name of ['MemFlow', 'Client', 'Worker', 'workflow', 'WorkflowHandle', 'proxyActivities', 'Search', 'Entity', 'Connection', 'Errors', 'Enums', 'guid']) {
      expect(hotmesh, name).toHaveProperty(name);
    }
    expect(hotmesh.MemFlow.Client).toBe(hotmesh.Client);
    expect(hotmesh.MemFlow.workflow).toBe(hotmesh.workflow);
    expect(hotmesh.workflow.proxyActivities).toBe(hotmesh.proxyActivities);
    expect(await hotmesh.Connection.connect({ a: 1 })).toEqual({ a: 1 });
    expect(hotmesh.MemFlow.guid()).toMatch(/^H[A-Za-z0-9_-]{22}$/);
    expect(hotmesh.Enums.HMSH_CODE_MEMFLOW_FATAL).toBe(598);
  });

  it('has the 24 MemFlow.workflow members upstream has, plus patched', () => {
    for (const name of ['getContext', 'trace', 'enrich', 'emit', 'execChild', 'executeChild', 'startChild', 'execHook', 'execHookBatch', 'hook', 'proxyActivities', 'search', 'entity', 'context', 'random', 'signal', 'didInterrupt', 'interrupt', 'all', 'sleepFor', 'waitFor', 'patched']) {
      expect(typeof (hotmesh.MemFlow.workflow as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('marks every MemFlow error class for didInterrupt, and nothing else', () => {
    const { Errors } = hotmesh;
    expect(hotmesh.MemFlow.didInterrupt(new Errors.MemFlowFatalError('x'))).toBe(true);
    expect(hotmesh.MemFlow.didInterrupt(new Errors.MemFlowSleepError())).toBe(true);
    expect(hotmesh.MemFlow.didInterrupt(new Error('x'))).toBe(false);
    expect(new Errors.MemFlowMaxedError('x').code).toBe(597);
    expect(new Errors.MemFlowTimeoutError('x').type).toBe('MemFlowTimeoutError');
  });
});

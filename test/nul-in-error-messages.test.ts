/**
 * Errors whose message holds a raw U+0000 (V8's JSON.parse errors quote their input) are stored like
 * any other: jsonb refuses NUL, so the failure codec writes it as the visible text `\u0000`. Before
 * that, the statement storing the failure was refused (22P05), the task stayed leased and was claimed
 * again every lease, forever (a remote activity allowed 2 executions ran 5 times in 12 s).
 *
 * Here: inline and remote activities that always throw such an error run exactly as many times as
 * their policy allows, and the workflow sees a clear failure; a workflow that throws one fails with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const executions = new Map<string, number>();
const count = (tag: string) => executions.set(tag, (executions.get(tag) ?? 0) + 1);
const POLICY = { maximumAttempts: 2, backoffCoefficient: 1, maximumInterval: '1 second' };

/** Throws V8's own SyntaxError, whose message quotes the NUL it met. */
function parseWithNul(): never {
  JSON.parse('{"a":\u0000}');
  throw new Error('JSON.parse accepted a NUL');
}

const inline = MemFlow.workflow.proxyActivities({
  activities: {
    async parseInline(tag: string): Promise<string> {
      count(tag);
      return parseWithNul();
    },
  },
  retryPolicy: POLICY,
});
const remoteActs = {
  async parseRemote(tag: string): Promise<string> {
    count(tag);
    return parseWithNul();
  },
};
const remote = MemFlow.workflow.proxyActivities<typeof remoteActs>({ taskQueue: 'nul-remote', retryPolicy: POLICY });

export async function callsParser(tag: string, where: 'inline' | 'remote'): Promise<string> {
  try {
    return where === 'inline' ? await inline.parseInline(tag) : await remote.parseRemote(tag);
  } catch (err) {
    const e = err as Error & { code?: number };
    return `caught ${e.code}: ${e.message}`;
  }
}

export async function throwsParseError(): Promise<string> {
  return parseWithNul();
}

describe('an error whose message holds U+0000', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('nul-errors'), engine: { connection: testConnection() }, worker: { leaseSeconds: 2 } });
    await mf.worker.create({ taskQueue: 'nul', workflow: callsParser });
    await mf.worker.create({ taskQueue: 'nul', workflow: throwsParseError });
    await mf.worker.registerActivityWorker({}, remoteActs, 'nul-remote');
  });
  afterAll(() => mf.shutdown());

  for (const where of ['inline', 'remote'] as const) {
    it(`a ${where} activity throwing it is retried per its policy (3 executions), then fails the call with the message`, async () => {
      const tag = `${where}-${Date.now()}`;
      const handle = await mf.workflow.start({ taskQueue: 'nul', workflowName: 'callsParser', workflowId: tag, args: [tag, where] });
      const result = await handle.result();
      expect(executions.get(tag)).toBe(POLICY.maximumAttempts + 1);
      expect(result).toMatch(/^caught 598: /);
      expect(result).toContain('\\u0000'); // the NUL, as visible text
      expect(result).not.toContain('\u0000');
      await new Promise((r) => setTimeout(r, 2500)); // longer than a lease: nothing runs it again
      expect(executions.get(tag)).toBe(POLICY.maximumAttempts + 1);
    });
  }

  it('a workflow throwing it fails (after its retries) with the message, instead of being re-run forever', async () => {
    const handle = await mf.workflow.start({
      taskQueue: 'nul',
      workflowName: 'throwsParseError',
      config: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1 second' },
    });
    const error = (await handle.result().catch((e: unknown) => e)) as Error & { code?: number };
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(597); // retries exhausted
    expect(error.message).toContain('\\u0000');
    expect(error.message).toMatch(/JSON/);
  });
});

/**
 * An activity that throws something other than an Error: its message and code still travel back to
 * the workflow (catalog §4.4: "The error's message and stack travel back"). A black-box pass: a thrown
 * `{ message, code }` arrived as "[object Object]".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async throwsObject(): Promise<never> {
      throw { message: 'plain object failure', code: 598 };
    },
    async throwsString(): Promise<never> {
      throw 'plain string failure';
    },
    async throwsBareObject(): Promise<never> {
      throw Object.create(null); // String() of it throws: the attempt must still be recorded
    },
  },
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' },
});

export async function catchesPlainThrows(): Promise<Array<{ message: string; code: unknown }>> {
  const seen = [];
  for (const call of [acts.throwsObject, acts.throwsString, acts.throwsBareObject]) {
    try {
      await call();
    } catch (err) {
      seen.push({ message: (err as Error).message, code: (err as { code?: unknown }).code });
    }
  }
  return seen;
}

describe('an activity that throws a plain object', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('plain-throw'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'plain-throw', workflow: catchesPlainThrows });
  });
  afterAll(() => mf.shutdown());

  it('reaches the workflow with its message and code', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'plain-throw', workflowName: 'catchesPlainThrows' });
    const [object, text, bare] = await handle.result<Array<{ message: string; code: unknown }>>();
    expect(object).toEqual({ message: 'plain object failure', code: 598 });
    expect(text!.message).toBe('plain string failure');
    expect(bare!.message).toBe('a thrown object that cannot be made into a string');
  });
});

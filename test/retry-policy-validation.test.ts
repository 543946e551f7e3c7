/**
 * A retry policy that cannot be used is refused where it is given, and a call whose own input cannot
 * succeed fails the workflow: neither leaves a job running forever.
 *
 * Before: `start({ config: { maximumInterval: 'soon' } })` and `proxyActivities({ retryPolicy:
 * { maximumInterval: 'soon' } })` were accepted. The first failed every claim of the job in the worker
 * (logged, never ended); the second aborted the run at its activity call, silently, every second.
 * A remote activity with arguments JSON cannot hold did the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError, WorkflowFailedError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const activities = {
  async rvEcho(x: unknown) {
    return x;
  },
};

/** A proxy made inside the workflow, with a policy that does not parse. */
async function rvBadPolicyInside(): Promise<unknown> {
  const acts = MemFlow.workflow.proxyActivities({ activities, retryPolicy: { maximumInterval: 'soon' } });
  return acts.rvEcho(1);
}

/** A remote activity call whose arguments JSON cannot hold. */
async function rvRemoteBigint(): Promise<unknown> {
  const acts = MemFlow.workflow.proxyActivities<typeof activities>({ taskQueue: 'rv-remote' });
  return acts.rvEcho(10n);
}

async function rvPlain(): Promise<string> {
  return 'ran';
}

function expectInvalid(err: unknown, field: string): void {
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).field).toBe(field);
}

describe('retry policies are checked where they are given', () => {
  it.each([
    ['maximumInterval', { maximumInterval: 'soon' }],
    ['maximumAttempts', { maximumAttempts: 'x' }],
    ['maximumAttempts', { maximumAttempts: -1 }],
    ['maximumAttempts', { maximumAttempts: 1.5 }],
    ['maximumAttempts', { maximumAttempts: '2 times' }],
    ['maximumAttempts', { maximumAttempts: true }],
    ['backoffCoefficient', { backoffCoefficient: 'x' }],
    ['backoffCoefficient', { backoffCoefficient: Number.POSITIVE_INFINITY }],
    // falsy, but a number that is not one: README "Bad input" (a black-box pass: both were accepted)
    ['backoffCoefficient', { backoffCoefficient: Number.NaN }],
    ['maximumAttempts', { maximumAttempts: Number.NaN }],
    ['throwOnError', { throwOnError: 'no' }],
  ])('proxyActivities refuses retryPolicy.%s = %j', (field, retryPolicy) => {
    let thrown: unknown;
    try {
      MemFlow.workflow.proxyActivities({ activities, retryPolicy: retryPolicy as never });
    } catch (err) {
      thrown = err;
    }
    expectInvalid(thrown, `retryPolicy.${field}`);
  });

  // a number there is seconds (README): the refusal says so, and shows the value as given
  it.each([['soon'], [-5]])('says a maximumInterval number is seconds when it refuses %j', (maximumInterval) => {
    expect(() => MemFlow.workflow.proxyActivities({ activities, retryPolicy: { maximumInterval } as never })).toThrow(
      `Invalid retryPolicy.maximumInterval: '${maximumInterval}' is not a duration (try '5 seconds', '2m', '1 hour' or a number of seconds)`,
    );
  });

  it('accepts what the defaults accept: durations, seconds, and 0 or empty to inherit', () => {
    for (const retryPolicy of [
      { maximumAttempts: 0, backoffCoefficient: 0, maximumInterval: 0 },
      { maximumAttempts: 5, backoffCoefficient: 1.5, maximumInterval: '30 seconds', throwOnError: false },
      { maximumInterval: 2 },
      { maximumInterval: '' },
      // falsy fields inherit (upstream's ||), and numbers may come as numeric strings, as the policy reads them
      { maximumAttempts: '' as never, backoffCoefficient: '' as never, maximumInterval: false as never },
      { maximumAttempts: '3' as never, backoffCoefficient: '2.5' as never },
    ]) {
      expect(() => MemFlow.workflow.proxyActivities({ activities, retryPolicy })).not.toThrow();
    }
  });
});

describe('a policy or an input that cannot succeed ends the job', () => {
  let mf: MemFlowInstance;
  const taskQueue = 'rv';
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('retryval'), engine: { connection: testConnection() } });
    for (const workflow of [rvBadPolicyInside, rvRemoteBigint, rvPlain]) await mf.worker.create({ taskQueue, workflow });
  });
  afterAll(async () => {
    await mf?.shutdown();
  });

  it('start refuses a config that does not parse, before anything is stored', async () => {
    const workflowId = `rv-start-${Date.now()}`;
    const err = await mf.workflow
      .start({ taskQueue, workflowName: 'rvPlain', workflowId, config: { maximumInterval: 'soon' } })
      .catch((e: unknown) => e);
    expectInvalid(err, 'config.maximumInterval');
    const bad = await mf.workflow.start({ taskQueue, workflowName: 'rvPlain', config: { maximumAttempts: 'x' as never } }).catch((e: unknown) => e);
    expectInvalid(bad, 'config.maximumAttempts');
    // nothing was stored under the id: it is free
    const handle = await mf.workflow.start({ taskQueue, workflowName: 'rvPlain', workflowId });
    expect(await handle.result()).toBe('ran');
  });

  it("a hook started from outside refuses a config that does not parse, as a start does (it was accepted)", async () => {
    const handle = await mf.workflow.start({ taskQueue, workflowName: 'rvPlain' });
    await handle.result();
    const err = await mf.workflow.hook({ workflowId: handle.workflowId, taskQueue, workflowName: 'rvPlain', config: { maximumAttempts: 1.5 } }).catch((e: unknown) => e);
    expectInvalid(err, 'config.maximumAttempts');
    const viaHandle = await handle.hook({ taskQueue, workflowName: 'rvPlain', config: { maximumInterval: 'soon' } }).catch((e: unknown) => e);
    expectInvalid(viaHandle, 'config.maximumInterval');
  });

  it('a worker refuses retry defaults that do not parse', async () => {
    const err = await mf.worker.create({ taskQueue: 'rv-other', workflow: rvPlain, options: { maximumInterval: 'soon' } }).catch((e: unknown) => e);
    expectInvalid(err, 'options.maximumInterval');
    const nan = await mf.worker.create({ taskQueue: 'rv-other', workflow: rvPlain, options: { backoffCoefficient: Number.NaN } }).catch((e: unknown) => e);
    expectInvalid(nan, 'options.backoffCoefficient');
  });

  it('a proxy made inside the workflow with a bad policy fails the workflow (598), naming the field', async () => {
    const handle = await mf.workflow.start({ taskQueue, workflowName: 'rvBadPolicyInside' });
    const err = await withDeadline(handle.result(), 15_000);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).code).toBe(598);
    expect((err as Error).message).toMatch(/retryPolicy\.maximumInterval/);
    // the cause is the ValidationError itself, naming the field
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(ValidationError);
    expect(((err as WorkflowFailedError).cause as ValidationError).field).toBe('retryPolicy.maximumInterval');
  });

  it('a job whose stored config does not parse (an older build wrote it) fails at its first run, naming the field', async () => {
    // started on a queue nobody serves yet, its stored config then spoiled by hand
    const handle = await mf.workflow.start({ taskQueue: 'rv-legacy', workflowName: 'rvPlain', config: { maximumInterval: '1s' } });
    const engine = await mf.client.engine(mf.appId);
    const updated = await engine.driver.query(
      `UPDATE ${engine.sqlSchema}.jobs SET options = jsonb_set(options, '{config,maximumInterval}', '"soon"') WHERE id = $1`,
      [handle.workflowId],
    );
    expect(updated.rowCount).toBe(1);
    await mf.worker.create({ taskQueue: 'rv-legacy', workflow: rvPlain });
    const err = await withDeadline(handle.result(), 15_000);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).code).toBe(598);
    // resolveRetry names the field as the policy has it
    expect((err as Error).message).toMatch(/Invalid maximumInterval: 'soon'/);
  });

  it('a remote activity with arguments JSON cannot hold fails the workflow (598), not every run', async () => {
    const handle = await mf.workflow.start({ taskQueue, workflowName: 'rvRemoteBigint' });
    const err = await withDeadline(handle.result(), 15_000);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).code).toBe(598);
    expect((err as Error).message).toMatch(/bigint/i);
  });
});

/** The rejection of `work`, or a failure naming the deadline: a job that never ends fails the test. */
async function withDeadline(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the job had not ended after ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([work, deadline]);
    throw new Error(`expected the job to fail, it returned ${JSON.stringify(value)}`);
  } catch (err) {
    if (err instanceof Error && /had not ended|expected the job to fail/.test(err.message)) throw err;
    return err;
  } finally {
    clearTimeout(timer);
  }
}

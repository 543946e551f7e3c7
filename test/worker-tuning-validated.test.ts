/**
 * A worker's tuning options are checked before anything opens, in both places they are given
 * (`MemFlow.init({ worker })` and `worker.create({ options })`). Found by a black-box pass: a
 * concurrency of 0 or -1, or a lease of 0, was accepted and the worker never ran a workflow (its
 * start's result() waited for ever); a concurrency of 'x' or a lease of '3' was accepted as given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function tuned(n: number): Promise<number> {
  return n + 1;
}

const BAD: Array<[string, unknown]> = [
  ['concurrency', 0],
  ['concurrency', -1],
  ['concurrency', 1.5],
  ['concurrency', 'x'],
  ['leaseSeconds', 0],
  ['leaseSeconds', -2],
  ['leaseSeconds', 0.0001],
  ['leaseSeconds', '3'],
  ['leaseSeconds', Number.POSITIVE_INFINITY],
  ['shutdownGraceMs', -5],
  ['shutdownGraceMs', Number.NaN],
  ['maxPollMs', 0],
  ['maxPollMs', '2s'],
];

/** The ValidationError `fn` rejects with, or a failure naming what it did instead. */
async function refusal(fn: () => Promise<unknown>): Promise<ValidationError> {
  const outcome = await fn().then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) {
    // accepted: close what it opened, and fail
    await (outcome.value as { shutdown?: () => Promise<void> } | undefined)?.shutdown?.();
    throw new Error('accepted');
  }
  expect(outcome.err).toBeInstanceOf(ValidationError);
  return outcome.err as ValidationError;
}

describe('worker tuning options', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('tuning'), engine: { connection: testConnection() } });
  });
  afterAll(() => mf.shutdown());

  it.each(BAD)('MemFlow.init refuses worker.%s = %s with a ValidationError naming it, before connecting', async (field, value) => {
    // a database nobody listens on: a refusal that came after connecting would be a ConnectionError
    const err = await refusal(() =>
      MemFlow.init({ appId: uniqueAppId('tuning-bad'), engine: { connection: { connectionString: 'postgres://nobody@127.0.0.1:1/none' } }, worker: { [field]: value } }),
    );
    expect(err.message).toContain(`worker.${field}`);
  });

  it.each(BAD)('worker.create refuses options.%s = %s with a ValidationError naming it', async (field, value) => {
    const err = await refusal(() => mf.worker.create({ taskQueue: 'tuning-bad', workflow: tuned, options: { [field]: value } }));
    expect(err.message).toContain(`options.${field}`);
  });

  it('accepts the documented ranges, maxPollMs included, and the worker runs', async () => {
    const other = await MemFlow.init({
      appId: uniqueAppId('tuning-ok'),
      engine: { connection: testConnection() },
      worker: { concurrency: 1, leaseSeconds: 0.5, shutdownGraceMs: 0, maxPollMs: 100 },
    });
    try {
      await other.worker.create({ taskQueue: 'tuning', workflow: tuned });
      const handle = await other.workflow.start({ taskQueue: 'tuning', workflowName: 'tuned', args: [41] });
      expect(await handle.result()).toBe(42);
    } finally {
      await other.shutdown();
    }
  });
});

/**
 * The listing and bulk calls take the app to look in as a filter field, `namespace`, as start() and
 * context() take it in their options (a black-box pass: `list({ namespace })` was refused as an
 * unknown field). The filter's namespace picks the app; it must not contradict the call's own
 * namespace argument; a bad one is refused before any SQL runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppNotFoundError, MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function listedHere(): Promise<string> {
  return 'ok';
}

describe('list, counts and the bulk calls in another namespace', () => {
  let mf: MemFlowInstance;
  const here = uniqueAppId('ns-here');
  const there = uniqueAppId('ns-there');

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: here, engine: { connection: testConnection() } });
    // no worker anywhere: the jobs stay running, which is all the listing needs
    await mf.workflow.start({ taskQueue: 'nsq', workflowName: 'listedHere', workflowId: 'here-1' });
    await mf.client.workflow.start({ namespace: there, taskQueue: 'nsq', workflowName: 'listedHere', workflowId: 'there-1' });
    await mf.client.workflow.start({ namespace: there, taskQueue: 'nsq', workflowName: 'listedHere', workflowId: 'there-2' });
  }, 60_000);
  afterAll(() => mf.shutdown());

  const ids = (page: { items: { workflowId: string }[] }) => page.items.map((i) => i.workflowId).sort();

  it('lists and counts the app the filter names', async () => {
    expect(ids(await mf.workflow.list())).toEqual(['here-1']);
    expect(ids(await mf.workflow.list({ namespace: there }))).toEqual(['there-1', 'there-2']);
    expect(ids(await mf.client.workflow.list({ namespace: there, idPrefix: 'there-2' }))).toEqual(['there-2']);
    expect(ids(await mf.client.workflow.list({ namespace: here }, here))).toEqual(['here-1']);
    expect((await mf.workflow.counts({ namespace: there })).running).toBe(2);
    expect((await mf.workflow.counts()).running).toBe(1);
  });

  it('runs a bulk action in the app the filter names only', async () => {
    expect(await mf.workflow.terminateMany({ namespace: there, idPrefix: 'there-1' })).toEqual({ matched: 1, affected: 1 });
    expect((await mf.client.workflow.counts({ namespace: there })).terminated).toBe(1);
    expect((await mf.workflow.counts()).terminated).toBe(0);
  });

  // a black-box pass: list({ namespace: 'typo' }) answered an empty page and created the app 'typo'
  it('answers AppNotFoundError for an app the database does not have, and creates none', async () => {
    const typo = uniqueAppId('ns-typo');
    for (const read of [
      () => mf.workflow.list({ namespace: typo }),
      () => mf.workflow.counts({ namespace: typo }),
      () => mf.client.workflow.list({}, typo),
      () => mf.workflow.cancelMany({ namespace: typo }),
    ]) {
      const err = await read().catch((e) => e);
      expect(err).toBeInstanceOf(AppNotFoundError);
      expect(err.message).toContain(`No app '${typo}'`);
    }
    expect(await mf.workflow.apps()).not.toContain(typo);
  });

  // a later pass: a handle, a context, a search and a hook in a mistyped namespace each created it
  it('a handle, a context, a search or a hook in an app the database does not have: AppNotFoundError, and none created', async () => {
    const typo = uniqueAppId('ns-typo-more');
    for (const read of [
      () => mf.client.workflow.getHandle('nsq', 'listedHere', 'there-1', typo),
      () => mf.client.workflow.context('there-1', { namespace: typo }).then((c) => c.get()),
      () => mf.client.workflow.search('nsq', 'listedHere', typo, 'i', 'SELECT 1 AS one'),
      () => mf.client.workflow.hook({ namespace: typo, taskQueue: 'nsq', workflowName: 'listedHere', workflowId: 'there-1', args: [] }),
    ]) {
      const err = await read().catch((e) => e);
      expect(err).toBeInstanceOf(AppNotFoundError);
      expect(err.message).toContain(`No app '${typo}'`);
    }
    expect(await mf.workflow.apps()).not.toContain(typo);
    // an app that exists is reached as before
    expect(await (await mf.client.workflow.getHandle('nsq', 'listedHere', 'there-1', there)).status()).toBeTypeOf('number');
  });

  it('refuses a namespace that contradicts the argument, or is not an app id, before any SQL', async () => {
    const contradicted = await mf.client.workflow.list({ namespace: there }, here).catch((e) => e);
    expect(contradicted).toBeInstanceOf(ValidationError);
    expect(contradicted.message).toMatch(/namespace/);
    for (const bad of ['Not An App!', '', 42]) {
      const err = await mf.workflow.counts({ namespace: bad as string }).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
    }
  });
});

/**
 * One rule for search fields, from a start to the list filter (a black-box pass):
 * - a field any job can hold can be filtered on (`list`, `counts`): `'customer name'` and `'größe'`
 *   were refused by a narrower rule than the one start, search() and enrich() store by;
 * - a field and value too long for the (field, value) index are a ValidationError before any SQL, at a
 *   start and an outside hook, and a failed call inside a workflow (they were PostgreSQL's "index row
 *   size ... exceeds btree maximum", code 54000);
 * - `search` and `search.data` must be objects (a string was stored as fields '0', '1', ...).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { SEARCH_ENTRY_MAX_BYTES } from '../src/search-rules.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function tagsTooLong(): Promise<{ field: unknown; kept: unknown }> {
  const search = await MemFlow.workflow.search();
  await search.set({ kept: 'short' });
  try {
    await search.set({ note: 'x'.repeat(3000) });
    return { field: 'none', kept: null };
  } catch (err) {
    return { field: /^Invalid search value: /.test((err as Error).message) ? 'search value' : (err as Error).message, kept: await search.get('kept') };
  }
}

export async function tagged(): Promise<number> {
  await (await MemFlow.workflow.search()).set({ 'order id': '17' });
  return 1;
}

describe('search field rules', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('search-rules'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'search-rules', workflow: tagged });
    await mf.worker.create({ taskQueue: 'search-rules', workflow: tagsTooLong });
  });
  afterAll(() => mf.shutdown());

  it('a field a job holds can be filtered on, whatever its characters', async () => {
    const long = 'k'.repeat(200);
    const data = { 'customer name': 'Ada', größe: 'L', [long]: 'v', 'a/b': 'x' };
    const handle = await mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: { data } });
    await handle.result();
    for (const [field, value] of [...Object.entries(data), ['order id', '17']]) {
      const page = await mf.workflow.list({ search: { [field]: value } });
      expect(page.items.map((i) => i.workflowId), field).toEqual([handle.workflowId]);
      expect((await mf.workflow.counts({ search: { [field]: value } })).completed, field).toBe(1);
    }
    // the rule is the storing rule: what no job can hold is still refused
    await expect(mf.workflow.list({ search: { ['x'.repeat(256)]: 'v' } })).rejects.toBeInstanceOf(ValidationError);
    await expect(mf.workflow.list({ search: { 'tab\there': 'v' } })).rejects.toBeInstanceOf(ValidationError);
  });

  it('a field and value longer than the index holds are refused before any SQL, by start and by hook', async () => {
    // random text does not compress: 2,880 bytes of it were PostgreSQL's "index row size exceeds" (54000)
    const random = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join('');
    const refusal = { field: 'search value' };
    await expect(mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: { data: { note: random } } })).rejects.toMatchObject(refusal);
    await expect(
      mf.workflow.hook({ taskQueue: 'search-rules', workflowName: 'tagged', workflowId: 'any-job', args: [], search: { data: { note: random } } }),
    ).rejects.toMatchObject(refusal);
    // the longest entry allowed, with the longest field in bytes (255 UTF-16 units of 3 bytes each:
    // '_' + 254 here) and a value of random text, is stored and found
    const field = '€'.repeat(254);
    const value = random.slice(0, SEARCH_ENTRY_MAX_BYTES - Buffer.byteLength(`_${field}`));
    const handle = await mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: { data: { [field]: value } } });
    await handle.result();
    expect((await mf.workflow.list({ search: { [field]: value } })).items.map((i) => i.workflowId)).toEqual([handle.workflowId]);
  });

  it('inside a workflow, a value too long fails the call with the ValidationError, journaled', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagsTooLong' });
    expect(await handle.result()).toEqual({ field: 'search value', kept: 'short' });
  });

  it('search and search.data must be objects', async () => {
    const start = (search: unknown) => mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: search as never });
    await expect(start(5)).rejects.toMatchObject({ field: 'search' });
    await expect(start({ data: 'xy' })).rejects.toMatchObject({ field: 'search.data' });
    await expect(start({ data: ['a'] })).rejects.toMatchObject({ field: 'search.data' });
  });
});

/**
 * One rule for search fields, from a start to the list filter (a black-box pass):
 * - a field any job can hold can be filtered on (`list`, `counts`): `'customer name'` and `'größe'`
 *   were refused by a narrower rule than the one start, search() and enrich() store by;
 * - a value too long for the (field, value) index is a ValidationError before any SQL, at a start and
 *   at an outside hook (it was PostgreSQL's "index row size ... exceeds btree maximum", code 54000);
 * - `search` and `search.data` must be objects (a string was stored as fields '0', '1', ...).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { SEARCH_VALUE_MAX_BYTES } from '../src/workflow/search-rules.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function tagged(): Promise<number> {
  await (await MemFlow.workflow.search()).set({ 'order id': '17' });
  return 1;
}

describe('search field rules', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('search-rules'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'search-rules', workflow: tagged });
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

  it('a value longer than the index holds is refused before any SQL, by start and by hook', async () => {
    const tooLong = 'é'.repeat(SEARCH_VALUE_MAX_BYTES / 2 + 1); // 2 bytes each in UTF-8
    const refusal = { field: 'search value' };
    await expect(mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: { data: { note: tooLong } } })).rejects.toMatchObject(refusal);
    await expect(
      mf.workflow.hook({ taskQueue: 'search-rules', workflowName: 'tagged', workflowId: 'any-job', args: [], search: { data: { note: tooLong } } }),
    ).rejects.toMatchObject(refusal);
    // the longest value allowed, with the longest field in bytes (255 UTF-16 units of 3 bytes each,
    // '_' + 254 here), is stored and found
    const field = '€'.repeat(254);
    const value = 'v'.repeat(SEARCH_VALUE_MAX_BYTES);
    const handle = await mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: { data: { [field]: value } } });
    await handle.result();
    expect((await mf.workflow.list({ search: { [field]: value } })).items.map((i) => i.workflowId)).toEqual([handle.workflowId]);
  });

  it('search and search.data must be objects', async () => {
    const start = (search: unknown) => mf.workflow.start({ taskQueue: 'search-rules', workflowName: 'tagged', search: search as never });
    await expect(start(5)).rejects.toMatchObject({ field: 'search' });
    await expect(start({ data: 'xy' })).rejects.toMatchObject({ field: 'search.data' });
    await expect(start({ data: ['a'] })).rejects.toMatchObject({ field: 'search.data' });
  });
});

/**
 * An inline activity's result reached the workflow as the function returned it on the run that made
 * the call, and as the database stores it (jsonb) on every replay: keys in jsonb's order (shorter
 * first), a Date as its ISO string, `undefined` properties gone, `-0` as 0. A workflow that walked
 * `Object.keys(result)` paired its later steps with other keys after a replay, and finished with a
 * wrong result (or was parked with a NonDeterminismError), depending only on whether it was replayed
 * (a black-box pass of the catalog's §5.0.1 / §5.1: "on replay a successful call returns the
 * activity's return value").
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonbKeyOrder } from '../src/stored-json.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async listPlans() {
      return { premium: 30, basic: 10, 'ünïcode': 1, zz: { b: 1, a: undefined, aa: [1, undefined] }, 10: 'ten', 9: 'nine' };
    },
    async price(plan: string) {
      return `price-of-${plan}`;
    },
    async when() {
      return { at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), minusZero: -0 };
    },
  },
});

/** What each run of `pricing` saw of its first two calls, before it slept. */
const seen: string[] = [];

export async function pricing(): Promise<Record<string, string>> {
  const plans = await acts.listPlans();
  const when = await acts.when();
  seen.push(JSON.stringify({ keys: Object.keys(plans), plans, when, atType: typeof when.at, minusZeroIsZero: Object.is(when.minusZero, 0) }));
  const priced: Record<string, string> = {};
  for (const plan of Object.keys(plans)) priced[plan] = await acts.price(plan);
  await MemFlow.workflow.sleepFor('200 milliseconds'); // the next run replays from the top
  return priced;
}

describe('a replay sees what the first run saw', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('replay-seen'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'seen', workflow: pricing });
  });
  afterAll(() => mf.shutdown());

  it("an inline activity's result is the stored value on every run: key order, Dates, undefined, -0", async () => {
    const handle = await mf.workflow.start({ taskQueue: 'seen', workflowName: 'pricing' });
    const priced = await handle.result();
    expect(seen.length, 'runs: the first, and the replay after the sleep').toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size, `what the runs saw:\n${seen.join('\n')}`).toBe(1);
    const first = JSON.parse(seen[0]!);
    // JavaScript lists integer-like keys first, then the rest in jsonb's order
    expect(first.keys).toEqual(['9', '10', 'zz', 'basic', 'premium', 'ünïcode']);
    expect(first.plans.zz).toEqual({ b: 1, aa: [1, null] });
    expect(first.when).toEqual({ at: '2026-01-02T03:04:05.000Z', minusZero: 0 });
    expect(first.atType).toBe('string');
    expect(first.minusZeroIsZero).toBe(true);
    for (const [plan, price] of Object.entries(priced)) expect(price).toBe(`price-of-${plan}`);
  });

  it('orders keys as the database does (property: any keys)', async () => {
    const engine = await mf.client.engine(mf.appId);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 6 }).filter((k) => !k.includes('\u0000')), { minLength: 2, maxLength: 8 }), async (keys) => {
        const doc = Object.fromEntries(keys.map((k, i) => [k, i]));
        const res = await engine.driver.query<{ keys: string[] }>(`SELECT array(SELECT jsonb_object_keys($1::jsonb)) AS keys`, [JSON.stringify(doc)]);
        expect([...keys].sort(jsonbKeyOrder)).toEqual(res.rows[0]!.keys);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * A finish in this process tells its result() waiters on the next turn of the event loop
 * (Engine.localDone): every finish of one turn, each with its own outcome, in the order they came,
 * and none before that turn (the finishing run frees its worker slot first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import type { FinishNotice } from '../src/engine/finish-notices.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

describe('local finish messages', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('localdone'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(() => mf.shutdown());

  it('the finishes of one turn are all told on the next, in order, each with its outcome', async () => {
    const heard: Array<[string, FinishNotice | undefined]> = [];
    const ids = ['ld-a', 'ld-b', 'ld-c'];
    const offs = ids.map((id) => engine.onDone(id, (notice) => heard.push([id, notice])));
    engine.localDone('ld-a', 'done:ld-a\n{"s":"completed","o":1}');
    engine.localDone('ld-b'); // no answer: the waiter reads the row
    engine.localDone('ld-c', 'done:ld-c\n{"s":"failed","e":{"message":"boom"}}');
    expect(heard).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([
      ['ld-a', { status: 'completed', output: 1, outputUndefined: false, error: null }],
      ['ld-b', undefined],
      ['ld-c', { status: 'failed', output: undefined, outputUndefined: true, error: { message: 'boom' } }],
    ]);
    // the next turn's finishes are told on the turn after it
    engine.localDone('ld-a', 'done:ld-a\n{"s":"completed","o":2}');
    await new Promise((r) => setImmediate(r));
    expect(heard).toHaveLength(4);
    for (const off of offs) off();
  });
});

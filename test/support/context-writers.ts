/**
 * Concurrent writers on one job's context, and the check of what they leave behind. Shared by
 * test/context-concurrency.test.ts (in-process writers) and test/support/context-writer-process.ts
 * (one writer per OS process).
 *
 * Writer `w` issues ops i = 0, 1, ... one after another (each acknowledged before the next is sent),
 * each with op id `w{w}-{i}`, cycling through four kinds:
 *   inc: increment('counter')                      answers the new count
 *   app: append('list', 'w{w}-{i}')                answers the list
 *   tog: toggle('flag')                            answers the new flag
 *   mrg: merge({ keys: { k_{w}_{i}: i } })          answers the document
 */
import { isHotMeshError } from '../../src/errors.js';
import type { JobContext } from '../../src/memflow/job-context.js';

export type Ack =
  | { w: number; i: number; kind: 'inc'; result: number }
  | { w: number; i: number; kind: 'app'; token: string; len: number; last: unknown }
  | { w: number; i: number; kind: 'tog'; result: boolean }
  | { w: number; i: number; kind: 'mrg'; key: string; seen: boolean };

const KINDS = ['inc', 'app', 'tog', 'mrg'] as const;

export const opId = (w: number, i: number) => `w${w}-${i}`;
export const kindOf = (w: number, i: number) => KINDS[(i + w) % KINDS.length]!;

/** Issue op i of writer w (retrying the same op id on a non-engine error, e.g. a dropped connection). */
export async function issue(ctx: JobContext, w: number, i: number): Promise<Ack> {
  const c = ctx.withOpId(opId(w, i));
  for (let attempt = 0; ; attempt++) {
    try {
      switch (kindOf(w, i)) {
        case 'inc':
          return { w, i, kind: 'inc', result: await c.increment('counter') };
        case 'app': {
          const token = opId(w, i);
          const list = await c.append<unknown>('list', token);
          return { w, i, kind: 'app', token, len: list.length, last: list.at(-1) };
        }
        case 'tog':
          return { w, i, kind: 'tog', result: await c.toggle('flag') };
        case 'mrg': {
          const key = `k_${w}_${i}`;
          const doc = await c.merge({ keys: { [key]: i } });
          return { w, i, kind: 'mrg', key, seen: doc?.keys?.[key] === i };
        }
      }
    } catch (err) {
      if (isHotMeshError(err) || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}

/** The deliberately broken increment: read, add one in JavaScript, write back (lost updates). */
export async function brokenIncrement(ctx: JobContext, w: number, i: number): Promise<Ack> {
  const v = ((await ctx.get<number | null>('counter')) ?? 0) + 1;
  await ctx.set('counter', v);
  return { w, i, kind: 'inc', result: v };
}

/**
 * Everything acknowledged is in the final document exactly once, in an order consistent with each
 * writer's issue order and with what every op answered. Returns the violations (empty when none).
 */
export function checkContext(final: any, acks: Ack[]): string[] {
  const bad: string[] = [];
  const of = <K extends Ack['kind']>(k: K) => acks.filter((a): a is Extract<Ack, { kind: K }> => a.kind === k);

  // increments: the count, and the answers are exactly 1..N (each op saw a distinct predecessor)
  const incs = of('inc');
  if ((final?.counter ?? 0) !== incs.length) bad.push(`counter is ${final?.counter}, ${incs.length} increments were acknowledged`);
  const answers = incs.map((a) => a.result).sort((x, y) => x - y);
  const wrong = answers.filter((v, k) => v !== k + 1);
  if (wrong.length > 0) bad.push(`increment answers are not 1..${incs.length} (${wrong.length} out of place, e.g. ${wrong.slice(0, 5).join(', ')})`);

  // appends: each acknowledged token exactly once, at the position its answer showed, in writer order
  const apps = of('app');
  const list: unknown[] = Array.isArray(final?.list) ? final.list : [];
  if (list.length !== apps.length) bad.push(`list has ${list.length} tokens, ${apps.length} appends were acknowledged`);
  const position = new Map<unknown, number>();
  list.forEach((t, k) => {
    if (position.has(t)) bad.push(`token ${String(t)} appears twice`);
    position.set(t, k);
  });
  const lastPos = new Map<number, { i: number; pos: number }>();
  for (const a of [...apps].sort((x, y) => x.w - y.w || x.i - y.i)) {
    const pos = position.get(a.token);
    if (pos === undefined) {
      bad.push(`acknowledged token ${a.token} is missing`);
      continue;
    }
    if (a.last !== a.token || pos !== a.len - 1) bad.push(`append ${a.token} answered a list of ${a.len} ending in ${String(a.last)}, but sits at ${pos}`);
    const prev = lastPos.get(a.w);
    if (prev && prev.pos > pos) bad.push(`writer ${a.w}: token ${a.i} precedes token ${prev.i}`);
    lastPos.set(a.w, { i: a.i, pos });
  }

  // toggles: parity, and the answers alternate (as many trues as odd positions)
  const togs = of('tog');
  if ((final?.flag === true) !== (togs.length % 2 === 1)) bad.push(`flag is ${final?.flag} after ${togs.length} toggles`);
  const trues = togs.filter((a) => a.result).length;
  if (trues !== Math.ceil(togs.length / 2)) bad.push(`${trues} toggles answered true, expected ${Math.ceil(togs.length / 2)}`);

  // merges: every key, with its value; every answer already showed its own key
  const mrgs = of('mrg');
  const keys = final?.keys ?? {};
  for (const a of mrgs) {
    if (keys[a.key] !== a.i) bad.push(`merged key ${a.key} is ${keys[a.key]}`);
    if (!a.seen) bad.push(`merge ${a.key} answered a document without its key`);
  }
  if (Object.keys(keys).length !== mrgs.length) bad.push(`${Object.keys(keys).length} keys, ${mrgs.length} merges were acknowledged`);
  return bad;
}

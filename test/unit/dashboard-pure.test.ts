/** The dashboard's pure parts: the JSON diff, HTML escaping, the timeline, the request guard, action input. */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseActionBody } from '../../src/dashboard/action-input.js';
import { resolveDashboardOptions } from '../../src/dashboard/dashboard-options.js';
import { escapeHtml, html, jsonScript } from '../../src/dashboard/html.js';
import { type DiffEntry, diffJson } from '../../src/dashboard/json-diff.js';
import { constantTimeEquals, hostAllowed, sameOrigin } from '../../src/dashboard/request-guard.js';
import { buildTimeline } from '../../src/dashboard/timeline.js';
import type { HistoryEntry } from '../../src/manage/types.js';

/** The oracle: apply a diff to the older document. */
function applyDiff(doc: unknown, changes: DiffEntry[]): unknown {
  let root = structuredClone(doc);
  const removals: Array<{ parent: any; key: string }> = [];
  for (const c of changes) {
    if (c.path.length === 0) {
      root = structuredClone(c.after);
      continue;
    }
    let parent: any = root;
    for (const seg of c.path.slice(0, -1)) parent = parent[seg];
    const key = c.path[c.path.length - 1]!;
    if (c.kind === 'removed') removals.push({ parent, key });
    // defineProperty, not assignment: a JSON key named __proto__ is an own property, and
    // assigning it would set the object's prototype instead
    else Object.defineProperty(parent, key, { value: structuredClone(c.after), writable: true, enumerable: true, configurable: true });
  }
  // array tails go from the end, so indexes stay valid
  for (const { parent, key } of removals.reverse()) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  }
  return root;
}

const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe('diffJson', () => {
  it('turns the older document into the newer one, for any two JSON documents', () => {
    fc.assert(fc.property(json, json, (a, b) => {
      expect(applyDiff(a, diffJson(a, b))).toEqual(b);
    }));
  });

  it('keeps a key named __proto__ as an ordinary key (found by the property above)', () => {
    const after = JSON.parse('[{"__proto__":false}]') as unknown;
    expect(diffJson([{}], after)).toEqual([{ path: ['0', '__proto__'], kind: 'added', after: false }]);
    expect(applyDiff([{}], diffJson([{}], after))).toEqual(after);
  });

  it('is empty for equal documents, and names merged keys one by one', () => {
    fc.assert(fc.property(json, (a) => {
      expect(diffJson(a, structuredClone(a))).toEqual([]);
    }));
    expect(diffJson({ hooks: {}, n: 1 }, { hooks: { r1: 1, r2: { ok: true } }, n: 2 })).toEqual([
      { path: ['hooks', 'r1'], kind: 'added', after: 1 },
      { path: ['hooks', 'r2'], kind: 'added', after: { ok: true } },
      { path: ['n'], kind: 'changed', before: 1, after: 2 },
    ]);
  });
});

describe('html', () => {
  it('escapes every interpolated string: no markup character survives', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(html`${s}`.text).not.toMatch(/[<>"']/);
        expect(html`<td title="${s}">${[s, s]}</td>`.text).toBe(`<td title="${escapeHtml(s)}">${escapeHtml(s)}${escapeHtml(s)}</td>`);
        expect(escapeHtml(s)).not.toMatch(/[<>"']/);
      }),
    );
    expect(html`<p>${'<img src=x onerror=alert(1)>'}</p>`.text).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html`<p>${html`<b>${'&'}</b>`}</p>`.text).toBe('<p><b>&amp;</b></p>');
  });

  it('embeds JSON that round-trips and can never close its script element', () => {
    fc.assert(
      fc.property(json, fc.string(), (v, s) => {
        const value = { v, s: `${s}</script><script>alert(1)</script>` };
        const out = jsonScript('d', value).text;
        const body = out.slice(out.indexOf('>') + 1, -'</script>'.length);
        expect(body).not.toMatch(/<|>/);
        expect(JSON.parse(body)).toEqual(value);
      }),
    );
  });
});

function entry(thread: string, seq: number, kind: string, name: string, batch: number | null, createdAt: number, dueAt: number | null = null): HistoryEntry {
  return { thread, seq, kind, name, status: 'done', batch, attempt: 1, createdAt: new Date(createdAt).toISOString(), dueAt: dueAt === null ? null : new Date(dueAt).toISOString() };
}

describe('buildTimeline', () => {
  it('starts a call at its thread\'s latest earlier-batch result, and puts parallel calls in rows of their own', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const t = buildTimeline(
      [
        entry('main', 1, 'context', 'set', 1, t0 + 10),
        entry('main', 2, 'hook', 'hook1', 2, t0 + 20),
        entry('main', 3, 'hook', 'hook2', 2, t0 + 25),
        entry('main', 4, 'wait', 'hook1-complete', 4, t0 + 2000),
        entry('main', 5, 'wait', 'hook2-complete', 3, t0 + 100),
        entry('main/2', 1, 'sleep', '2 seconds', 1, t0 + 30, t0 + 2030),
      ],
      { main: new Date(t0).toISOString(), 'main/2': new Date(t0 + 20).toISOString() },
    );
    const main = t.lanes.find((l) => l.thread === 'main')!;
    const bars = main.rows.flat();
    const bar = (seq: number) => bars.find((b) => b.seq === seq)!;
    expect(bar(1).startMs).toBe(t0);
    expect(bar(2).startMs).toBe(t0 + 10); // after the set's result (batch 1)
    expect(bar(3).startMs).toBe(t0 + 10); // issued with hook1, in parallel
    expect(bar(4).startMs).toBe(t0 + 25);
    expect(main.rows.length).toBeGreaterThanOrEqual(2); // the parallel waits overlap
    const sleep = t.lanes.find((l) => l.thread === 'main/2')!.rows[0]![0]!;
    expect([sleep.startMs, sleep.endMs]).toEqual([t0 + 20, t0 + 2030]); // a timer ends when it falls due
    for (const lane of t.lanes) {
      for (const row of lane.rows) for (let i = 1; i < row.length; i++) expect(row[i]!.startMs).toBeGreaterThanOrEqual(row[i - 1]!.endMs);
    }
  });
});

function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('request guard and options', () => {
  it('compares tokens exactly', () => {
    expect(constantTimeEquals('a-token-of-16-chars', 'a-token-of-16-chars')).toBe(true);
    expect(constantTimeEquals('a-token-of-16-chars', 'a-token-of-16-charz')).toBe(false);
    expect(constantTimeEquals('', 'x')).toBe(false);
  });

  it('takes a POST as same-origin only when Origin names this host (or the browser says so)', () => {
    expect(sameOrigin(req({ host: '127.0.0.1:7070', origin: 'http://127.0.0.1:7070' }))).toBe(true);
    expect(sameOrigin(req({ host: '127.0.0.1:7070', origin: 'http://evil.example' }))).toBe(false);
    expect(sameOrigin(req({ host: '127.0.0.1:7070' }))).toBe(false);
    expect(sameOrigin(req({ host: '127.0.0.1:7070', origin: 'null', 'sec-fetch-site': 'cross-site' }))).toBe(false);
    expect(sameOrigin(req({ host: '127.0.0.1:7070', 'sec-fetch-site': 'same-origin' }))).toBe(true);
  });

  it('answers only loopback Host names without a token', () => {
    expect(hostAllowed(req({ host: '127.0.0.1:7070' }), false)).toBe(true);
    expect(hostAllowed(req({ host: 'localhost:7070' }), false)).toBe(true);
    expect(hostAllowed(req({ host: '[::1]:7070' }), false)).toBe(true);
    expect(hostAllowed(req({ host: 'evil.example:7070' }), false)).toBe(false);
    expect(hostAllowed(req({ host: 'evil.example:7070' }), true)).toBe(true);
  });

  it('refuses a public host without a token, a short token, a bad port', () => {
    expect(() => resolveDashboardOptions({ host: '0.0.0.0' })).toThrow(/token.*required/);
    expect(() => resolveDashboardOptions({ host: '0.0.0.0', token: 'short' })).toThrow(/at least 16/);
    expect(() => resolveDashboardOptions({ port: 70000 })).toThrow(/port/);
    expect(resolveDashboardOptions({ host: '0.0.0.0', token: 'a-token-of-16-chars' }).host).toBe('0.0.0.0');
    expect(resolveDashboardOptions({}).port).toBe(7070);
  });

  it('parses action bodies and refuses bad JSON with a typed error', () => {
    expect(parseActionBody('signal', JSON.stringify({ signalId: 'go', payload: '{"a":1}' }))).toEqual({ action: 'signal', signalId: 'go', payload: { a: 1 } });
    expect(() => parseActionBody('signal', JSON.stringify({ signalId: 'go', payload: '{' }))).toThrow('Invalid payload: is not valid JSON');
    expect(() => parseActionBody('signal', '[1]')).toThrow(/JSON object/);
    expect(() => parseActionBody('hook', JSON.stringify({ args: '{}' }))).toThrow(/JSON array/);
    expect(() => parseActionBody('fork', JSON.stringify({ fromSeq: '-1' }))).toThrow(/non-negative/);
    expect(parseActionBody('fork', JSON.stringify({ fromSeq: '3' }))).toEqual({ action: 'fork', fromSeq: 3 });
    // a client other than the page sends JSON values (a black-box pass: each was a 400 "must be a string")
    expect(parseActionBody('fork', JSON.stringify({ fromSeq: 2 }))).toEqual({ action: 'fork', fromSeq: 2 });
    expect(() => parseActionBody('fork', JSON.stringify({ fromSeq: -1 }))).toThrow(/non-negative/);
    expect(() => parseActionBody('fork', JSON.stringify({ fromSeq: 1.5 }))).toThrow(/non-negative/);
    expect(parseActionBody('signal', JSON.stringify({ signalId: 'go', payload: { a: [1, true] } }))).toEqual({ action: 'signal', signalId: 'go', payload: { a: [1, true] } });
    expect(parseActionBody('signal', JSON.stringify({ signalId: 'go', payload: 7 }))).toEqual({ action: 'signal', signalId: 'go', payload: 7 });
    expect(parseActionBody('hook', JSON.stringify({ taskQueue: 'q', workflowName: 'w', args: ['x', 1] }))).toEqual({ action: 'hook', taskQueue: 'q', workflowName: 'w', args: ['x', 1] });
    expect(() => parseActionBody('hook', JSON.stringify({ args: { not: 'an array' } }))).toThrow(/JSON array/);
  });
});

/** The timeline as SVG (positions are attributes, so the page needs no inline style). */
import { html, type SafeHtml } from '../html.js';
import type { Timeline, TimelineBar } from '../timeline.js';

const ROW = 22;
const LANE_GAP = 18;

function pct(x: number): string {
  return `${(Math.round(x * 10000) / 100).toFixed(2)}%`;
}

function durationText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function bar(t: Timeline, b: TimelineBar, y: number): SafeHtml {
  const span = Math.max(1, t.endMs - t.startMs);
  const x = (b.startMs - t.startMs) / span;
  const w = Math.max(0.004, (b.endMs - b.startMs) / span);
  const duration = b.endMs - b.startMs;
  const title = `${b.kind} ${b.name} · seq ${b.seq} · starts +${durationText(b.startMs - t.startMs)} · ${durationText(duration)} · attempt ${b.attempt}${b.error ? ` · error: ${b.error}` : ''}`;
  return html`<g class="bar kind-${b.kind} status-${b.status}" data-thread="${b.thread}" data-seq="${b.seq}" data-kind="${b.kind}" data-name="${b.name}" data-attempt="${b.attempt}" data-duration-ms="${duration}">
<title>${title}</title>
<rect x="${pct(Math.min(x, 0.996))}" y="${y}" width="${pct(w)}" height="${ROW - 4}" rx="3"></rect>
<text x="${pct(Math.min(x, 0.9))}" y="${y + ROW - 9}" dx="4">${b.kind} ${b.name}${b.attempt > 1 ? ` ×${b.attempt}` : ''}${b.error ? ' ⚠' : ''}</text>
</g>`;
}

export function timelineSvg(t: Timeline): SafeHtml {
  let y = 0;
  const parts: SafeHtml[] = [];
  for (const lane of t.lanes) {
    parts.push(html`<text class="lane-label" x="0" y="${y + 12}">${lane.thread}</text>`);
    y += LANE_GAP;
    const rows = lane.rows.length ? lane.rows : [[]];
    parts.push(html`<g class="lane" data-thread="${lane.thread}" data-rows="${lane.rows.length}">${rows.map((row, i) => row.map((b) => bar(t, b, y + i * ROW)))}</g>`);
    y += rows.length * ROW + 6;
  }
  const total = t.endMs - t.startMs;
  return html`<figure class="timeline">
<svg id="timeline" width="100%" height="${y}" role="img" aria-label="durable calls over time">${parts}</svg>
<figcaption>${t.lanes.length} thread(s) over ${durationText(total)}; a bar runs from the call (the thread's latest result before it) to its result (or due time).</figcaption>
</figure>`;
}

/** Plain-text tables: one per backend, then the headline numbers of every backend side by side. */
import type { Backend } from './backends.js';
import type { Row, Section } from './section.js';
import { ms, ratio } from './stats.js';

export interface SectionResult {
  section: Section;
  rows: Row[];
  error?: unknown;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

function targetText(row: Row): string {
  if (!row.target) return '';
  return `${row.target.text}: ${row.target.met ? 'met' : 'MISSED'}`;
}

export function printBackendTable(backend: Backend, appId: string, results: SectionResult[]): void {
  const lines: string[][] = [['section', 'metric', 'value', 'target', 'detail']];
  for (const r of results) {
    if (r.error) {
      lines.push([r.section.title, 'error', String((r.error as Error)?.message ?? r.error), '', '']);
      continue;
    }
    r.rows.forEach((row, i) => lines.push([i === 0 ? r.section.title : '', row.metric, row.value, targetText(row), row.detail ?? '']));
  }
  const widths = lines[0]!.slice(0, -1).map((_, c) => Math.max(...lines.map((l) => [...l[c]!].length)));
  console.log(`\n== ${backend.label}   appId ${appId} ==`);
  for (const [i, line] of lines.entries()) {
    console.log(line.map((cell, c) => (c < widths.length ? pad(cell, widths[c]!) : cell)).join('  ').trimEnd());
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  ') + '  ------');
  }
}

/** One line per backend: the numbers the targets talk about (those the selected sections measured). */
export function printSummary(runs: Array<{ backend: Backend; metrics: Map<string, number> }>): void {
  console.log('\n== summary ==');
  for (const { backend, metrics } of runs) {
    const m = (k: string) => metrics.get(k) ?? Number.NaN;
    const parts = [
      metrics.has('baseline.p50') && `baseline commit p50 ${ms(m('baseline.p50'))} ms back to back`,
      metrics.has('wf1.p50') &&
        `1-step p50 ${ms(m('wf1.p50'))} ms (${ratio(m('wf1.ratio'))} the raw commit of its rounds, ${ms(m('wf1.commit'))} ms), p99 ${ms(m('wf1.p99'))} ms`,
      metrics.has('wf1x16.perSecond') && `${m('wf1x16.perSecond').toFixed(0)} / ${m('wf1x64.perSecond').toFixed(0)} workflows/s @16/@64`,
      metrics.has('trips.wf1') && `${m('trips.wf1').toFixed(2)} statements/1-step workflow`,
      metrics.has('claims.p50') && `claim @200k ${ms(m('claims.p50'))} ms`,
      metrics.has('timers.lastS') && `10k timers ${m('timers.lastS').toFixed(2)} s`,
      metrics.has('scale.p50Ratio') && `1M jobs: p50 ${ratio(m('scale.p50Ratio'))}, throughput ${ratio(m('scale.throughputRatio'))}`,
      metrics.has('step.overhead') && `per-step overhead = ${ms(m('step.overhead'))} ms = ${ratio(m('step.ratio'))} the raw commit of its rounds`,
    ].filter(Boolean);
    console.log(`${pad(backend.id, 9)} ${parts.join(' | ')}`);
  }
}

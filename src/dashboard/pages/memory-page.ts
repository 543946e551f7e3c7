/**
 * A job's memory: the context as a tree, a version slider (the document at any version), a diff
 * between two versions, and the change log filtered by path. The tree, the slider and the diff are
 * drawn by the page's script from JSON; the log is a table here.
 */
import type { ContextChange } from '../../memflow/job-context.js';
import { html, jsonScript } from '../html.js';
import { jobUrl, layout } from './layout.js';

export interface MemoryPageData {
  appId: string;
  workflowId: string;
  version: number;
  value: unknown;
  log: ContextChange[];
  /** The log's path filter: changes whose path starts with these segments. */
  pathFilter: string;
}

function argText(arg: unknown): string {
  const text = JSON.stringify(arg) ?? '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function memoryPage(d: MemoryPageData, readOnly: boolean): string {
  const api = `/api/apps/${encodeURIComponent(d.appId)}/jobs/${encodeURIComponent(d.workflowId)}`;
  const prefix = d.pathFilter === '' ? [] : d.pathFilter.split('.');
  const shown = d.log.filter((c) => prefix.every((seg, i) => c.path[i] === seg));
  return layout(
    { title: `Memory of ${d.workflowId}`, appId: d.appId, readOnly },
    html`<h1><span class="muted">memory of</span> <a href="${jobUrl(d.appId, d.workflowId)}">${d.workflowId}</a></h1>
<section class="memory" id="memory-view" data-api="${api}" data-version="${d.version}">
<div class="slider">
  <label for="version-slider">version</label>
  <input type="range" id="version-slider" min="0" max="${d.version}" value="${d.version}" step="1">
  <output id="version-label">${d.version}</output> of ${d.version}
  <label><input type="checkbox" id="raw-toggle"> raw JSON</label>
</div>
<div id="context-tree" class="json-tree" data-version-shown="${d.version}"></div>
<pre id="context-json" hidden></pre>
</section>
<section><h2>Diff</h2>
<form id="diff-form" class="inline">
  <label>from version <input type="number" name="from" min="0" max="${d.version}" value="${Math.max(0, d.version - 1)}"></label>
  <label>to version <input type="number" name="to" min="0" max="${d.version}" value="${d.version}"></label>
  <button type="submit">Compare</button>
</form>
<table class="grid" id="diff"><thead><tr><th>path</th><th>change</th><th>before</th><th>after</th></tr></thead><tbody></tbody></table>
</section>
<section><h2>Change log</h2>
<form method="get" class="inline" id="log-filter"><label>path starts with <input name="path" value="${d.pathFilter}" placeholder="user.name"></label> <button type="submit">Filter</button></form>
<table class="grid" id="change-log"><thead><tr><th>version</th><th>op</th><th>path</th><th>value</th><th>actor</th><th>time</th></tr></thead><tbody>
${shown.map(
  (c) => html`<tr><td>${c.version}</td><td>${c.op}</td><td>${c.path.join('.')}</td><td><code>${argText(c.arg)}</code></td><td>${c.actor}</td><td>${new Date(c.at).toISOString()}</td></tr>`,
)}
</tbody></table>
<p class="muted">${shown.length} of ${d.log.length} change(s).</p>
</section>
${jsonScript('context-data', { version: d.version, value: d.value })}`,
  );
}

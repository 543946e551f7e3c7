/**
 * The job list of one app: the filter form, counts per status, and the table, which the page's
 * script renders from the JSON below (and again on every live update).
 */
import { WORKFLOW_STATUSES, type ListOptions, type WorkflowPage } from '../../manage/types.js';
import type { StatusCounts } from '../dashboard-source.js';
import { html, jsonScript } from '../html.js';
import { layout } from './layout.js';

export interface JobsPageData {
  appId: string;
  options: ListOptions;
  /** The URL's own query string (filters and cursor), for the script's refetches. */
  query: string;
  page: WorkflowPage;
  counts: StatusCounts;
}

function localInput(iso: string | Date | undefined): string {
  if (!iso) return '';
  return new Date(iso).toISOString().slice(0, 19);
}

export function jobsPage(data: JobsPageData, readOnly: boolean): string {
  const o = data.options;
  const chosen = new Set([o.status ?? []].flat());
  const app = encodeURIComponent(data.appId);
  return layout(
    { title: `Jobs of ${data.appId}`, appId: data.appId, readOnly },
    html`<h1>Jobs of ${data.appId}</h1>
<form class="filters" method="get" id="filters">
  <label>status <select name="status"><option value="">any</option>${WORKFLOW_STATUSES.map(
    (s) => html`<option value="${s}"${chosen.has(s) ? html` selected` : ''}>${s}</option>`,
  )}</select></label>
  <label>workflow <input name="workflow" value="${o.workflowName ?? ''}"></label>
  <label>task queue <input name="queue" value="${o.taskQueue ?? ''}"></label>
  <label>entity <input name="entity" value="${o.entity ?? ''}"></label>
  <label>id prefix <input name="prefix" value="${o.idPrefix ?? ''}"></label>
  <label>created after <input type="datetime-local" step="1" name="after" value="${localInput(o.createdAfter)}"></label>
  <label>created before <input type="datetime-local" step="1" name="before" value="${localInput(o.createdBefore)}"></label>
  <button type="submit">Filter</button> <a href="/apps/${app}/jobs">clear</a>
</form>
<ul class="counts" id="counts">${WORKFLOW_STATUSES.map(
      (s) => html`<li class="status-${s}"><span>${s}</span> <b data-count="${s}">${data.counts[s]}</b></li>`,
    )}</ul>
<p class="live"><span id="live-state">live</span> · updated <span id="updated-at"></span></p>
<table class="grid" id="jobs">
<thead><tr><th>workflow id</th><th>workflow</th><th>task queue</th><th>entity</th><th>status</th><th>created</th><th>updated</th><th>parent</th></tr></thead>
<tbody></tbody>
</table>
<p class="pager"><a id="first-page" href="?">first page</a> <a id="next-page" hidden>next page →</a></p>
<div id="jobs-view" data-app="${data.appId}" data-api="/api/apps/${app}/jobs?${data.query}" data-events="/api/apps/${app}/events"></div>
${jsonScript('jobs-data', { page: data.page, counts: data.counts })}`,
  );
}

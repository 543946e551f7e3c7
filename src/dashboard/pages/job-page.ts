/** One job: status and error, the timeline, what it waits for, its family, hooks, journal, actions. */
import type { HistoryEntry, WorkflowDescription } from '../../manage/types.js';
import { html, type SafeHtml } from '../html.js';
import { buildTimeline } from '../timeline.js';
import { actionForms } from './action-forms.js';
import { jobUrl, layout, timeText } from './layout.js';
import { timelineSvg } from './timeline-svg.js';

function short(value: unknown, max = 160): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function waitingFor(appId: string, d: WorkflowDescription): SafeHtml {
  const w = d.waitingFor;
  const items: SafeHtml[] = [
    ...(d.pendingUntil ? [html`<li class="warn">resume (started pending: scrubbed at ${d.pendingUntil} unless resumed)</li>`] : []),
    ...w.signals.map((s) => html`<li>signal <code>${s.signalId}</code> (thread ${s.thread}, seq ${s.seq}${s.dueAt ? `, until ${s.dueAt}` : ''})</li>`),
    ...w.timers.map((t) => html`<li>timer due ${t.dueAt} (thread ${t.thread}, seq ${t.seq})</li>`),
    ...w.children.map((c) => html`<li>child <a href="${jobUrl(appId, c.workflowId)}">${c.workflowId}</a> (${c.status})</li>`),
    ...w.activities.map((a) => html`<li>activity <code>${a.name}</code> on ${a.taskQueue}, attempt ${a.attempt}, due ${a.dueAt}</li>`),
    ...w.unservedTopics.map((t) => html`<li class="warn">no worker has served <code>${t}</code> recently</li>`),
  ];
  return items.length ? html`<ul id="waiting-for">${items}</ul>` : html`<p id="waiting-for" class="empty">Nothing.</p>`;
}

function family(appId: string, d: WorkflowDescription): SafeHtml {
  return html`<ul class="tree" id="family">
<li>${d.parentId ? html`parent <a href="${jobUrl(appId, d.parentId)}">${d.parentId}</a>` : html`<span class="empty">no parent</span>`}
<ul><li><b>${d.workflowId}</b> (this job)
${d.children.length ? html`<ul>${d.children.map((c) => html`<li><a href="${jobUrl(appId, c.workflowId)}">${c.workflowId}</a> ${c.workflowName} <span class="status status-${c.status}">${c.status}</span></li>`)}</ul>` : ''}
</li></ul></li></ul>`;
}

export function jobPage(appId: string, d: WorkflowDescription, history: HistoryEntry[], readOnly: boolean): string {
  const starts: Record<string, string> = { main: d.createdAt };
  for (const h of d.hooks) starts[h.thread] = h.createdAt;
  const timeline = buildTimeline(history, starts);
  return layout(
    { title: d.workflowId, appId, readOnly },
    html`<h1><span class="muted">job</span> <span id="workflow-id">${d.workflowId}</span> <span class="status status-${d.status}" id="job-status">${d.status}</span></h1>
<p><a id="memory-link" href="${jobUrl(appId, d.workflowId)}/memory">memory (context version ${d.contextVersion}) →</a></p>
<dl class="facts">
<dt>workflow</dt><dd>${d.workflowName}</dd><dt>task queue</dt><dd>${d.taskQueue}</dd><dt>entity</dt><dd>${d.entity ?? '—'}</dd>
<dt>created</dt><dd>${timeText(d.createdAt)}</dd><dt>updated</dt><dd>${timeText(d.updatedAt)}</dd><dt>completed</dt><dd>${timeText(d.completedAt)}</dd>
<dt>attempt</dt><dd>${d.attempt}</dd><dt>steps</dt><dd>${d.stepCount}</dd>
</dl>
${d.error ? html`<section class="error" id="job-error"><h2>Error</h2><p>${d.error.message}</p>${d.error.code !== null ? html`<p>code ${d.error.code}</p>` : ''}</section>` : ''}
<section><h2>Timeline</h2>${timelineSvg(timeline)}</section>
<section><h2>Waiting for</h2>${waitingFor(appId, d)}</section>
<section><h2>Parent and children</h2>${family(appId, d)}</section>
<section><h2>Hooks</h2>
${d.hooks.length ? html`<table class="grid" id="hooks"><thead><tr><th>thread</th><th>workflow</th><th>task queue</th><th>status</th><th>created</th><th>completed</th></tr></thead><tbody>
${d.hooks.map((h) => html`<tr><td>${h.thread}</td><td>${h.workflowName}</td><td>${h.taskQueue}</td><td>${h.status}</td><td>${timeText(h.createdAt)}</td><td>${timeText(h.completedAt)}</td></tr>`)}
</tbody></table>` : html`<p class="empty" id="hooks">No hooks.</p>`}
</section>
<section><h2>Journal</h2>
<table class="grid" id="journal"><thead><tr><th>thread</th><th>seq</th><th>kind</th><th>name</th><th>status</th><th>attempt</th><th>batch</th><th>recorded</th><th>result or error</th></tr></thead><tbody>
${history.map(
  (e) => html`<tr><td>${e.thread}</td><td>${e.seq}</td><td>${e.kind}</td><td>${e.name}</td><td>${e.status}</td><td>${e.attempt}</td><td>${e.batch ?? '—'}</td><td>${timeText(e.createdAt)}</td><td><code>${e.error ? e.error.message : short(e.result)}</code></td></tr>`,
)}
</tbody></table>
</section>
${readOnly ? '' : actionForms(appId, d)}`,
  );
}

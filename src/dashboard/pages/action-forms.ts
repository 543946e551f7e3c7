/**
 * The action forms of a job page (left out entirely with readOnly). The page's script asks for
 * confirmation, posts the form as JSON and shows the answer in the form's <output>.
 */
import type { WorkflowDescription } from '../../manage/types.js';
import { html, type SafeHtml } from '../html.js';

function form(appId: string, d: WorkflowDescription, action: string, label: string, fields: SafeHtml | string): SafeHtml {
  const url = `/api/apps/${encodeURIComponent(appId)}/jobs/${encodeURIComponent(d.workflowId)}/actions/${action}`;
  return html`<form class="action" data-app="${appId}" data-action="${action}" data-url="${url}" data-confirm="${label} on job ${d.workflowId}?">
<h3>${label}</h3>${fields}<button type="submit">${label}</button>
<output class="result" role="status"></output>
</form>`;
}

export function actionForms(appId: string, d: WorkflowDescription): SafeHtml {
  return html`<section id="actions"><h2>Actions</h2><div class="actions">
${form(appId, d, 'signal', 'Send signal', html`<label>signal id <input name="signalId" required></label><label>payload (JSON) <textarea name="payload" rows="3">{}</textarea></label>`)}
${form(appId, d, 'hook', 'Start hook', html`<label>task queue <input name="taskQueue" required value="${d.taskQueue}"></label><label>workflow <input name="workflowName" required></label><label>args (JSON array) <textarea name="args" rows="2">[]</textarea></label>`)}
${form(appId, d, 'cancel', 'Cancel', html`<label>reason <input name="reason"></label>`)}
${form(appId, d, 'terminate', 'Terminate', html`<label>reason <input name="reason"></label>`)}
${form(appId, d, 'resume', 'Resume', '')}
${form(appId, d, 'retry', 'Retry', '')}
${form(appId, d, 'fork', 'Fork', html`<label>from seq <input name="fromSeq" inputmode="numeric"></label>`)}
</div></section>`;
}

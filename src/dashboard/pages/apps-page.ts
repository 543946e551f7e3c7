/** The first page: every app registered on the database. */
import type { AppSummary } from '../dashboard-source.js';
import { html } from '../html.js';
import { appUrl, layout } from './layout.js';

export function appsPage(apps: AppSummary[], readOnly: boolean): string {
  return layout(
    { title: 'Apps', readOnly },
    html`<h1>Apps</h1>
<table class="grid" id="apps">
<thead><tr><th>app</th><th>schema</th></tr></thead>
<tbody>
${apps.map((a) => html`<tr><td><a href="${appUrl(a.appId)}">${a.appId}</a></td><td>${a.schema}</td></tr>`)}
</tbody>
</table>
${apps.length === 0 ? html`<p class="empty">No app on this database yet.</p>` : ''}`,
  );
}

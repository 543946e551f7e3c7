/** The frame every page shares: title, navigation, the one stylesheet and the one script. */
import { html, type SafeHtml } from '../html.js';

export interface PageFrame {
  title: string;
  appId?: string;
  readOnly: boolean;
}

export function appUrl(appId: string): string {
  return `/apps/${encodeURIComponent(appId)}/jobs`;
}

export function jobUrl(appId: string, workflowId: string): string {
  return `/apps/${encodeURIComponent(appId)}/jobs/${encodeURIComponent(workflowId)}`;
}

export function layout(frame: PageFrame, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · HotMesh</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-read-only="${String(frame.readOnly)}">
<header class="top">
  <a class="brand" href="/">HotMesh</a>
  ${frame.appId ? html`<span class="crumb">/</span><a href="${appUrl(frame.appId)}">${frame.appId}</a>` : ''}
  ${frame.readOnly ? html`<span class="badge read-only">read-only</span>` : ''}
</header>
<main>
${body}
</main>
</body>
</html>`.text;
}

/** A time as the pages show it: ISO 8601 in UTC, to the millisecond. */
export function timeText(iso: string | null | undefined): string {
  return iso ?? '—';
}

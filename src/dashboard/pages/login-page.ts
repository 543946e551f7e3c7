/** What a request without the token gets: a form to give it (no data, no stylesheet). */
import { html } from '../html.js';

export function loginPage(failed: boolean): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HotMesh dashboard · token required</title></head>
<body>
<h1>HotMesh dashboard</h1>
<p>This dashboard requires its token.</p>
${failed ? html`<p id="login-failed">That token is not the one.</p>` : ''}
<form method="post" action="/login"><label>token <input type="password" name="token" autocomplete="current-password" required></label> <button type="submit">Enter</button></form>
</body></html>`.text;
}

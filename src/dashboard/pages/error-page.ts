/** An error as the browser sees it: its status and message, never a stack. */
import { html } from '../html.js';
import { layout } from './layout.js';

export function errorPage(status: number, message: string, readOnly: boolean): string {
  return layout({ title: `Error ${status}`, readOnly }, html`<h1>Error ${status}</h1><p id="error-message">${message}</p><p><a href="/">back to the apps</a></p>`);
}

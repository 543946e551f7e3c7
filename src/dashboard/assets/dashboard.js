// The dashboard's only script. Every value from the server is put in the page as text
// (textContent, attribute setters): never as markup.
'use strict';

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function jobHref(app, id) {
  return `/apps/${encodeURIComponent(app)}/jobs/${encodeURIComponent(id)}`;
}

/* ---------- a JSON value as a collapsible tree ---------- */
function jsonTree(value, key) {
  const label = key === undefined ? [] : [el('span', { class: 'key' }, key), ': '];
  if (value !== null && typeof value === 'object') {
    const isArray = Array.isArray(value);
    const entries = isArray ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const details = el('details', { open: '' });
    details.append(el('summary', {}, ...label, el('span', { class: 'muted' }, isArray ? `[${entries.length}]` : `{${entries.length}}`)));
    const list = el('ul');
    for (const [k, v] of entries) list.append(el('li', {}, jsonTree(v, k)));
    details.append(list);
    return details;
  }
  const type = value === null ? 'null' : typeof value;
  return el('span', { class: 'leaf' }, ...label, el('span', { class: `value ${type}` }, JSON.stringify(value)));
}

/* ---------- job list: rows, counts, live updates ---------- */
function jobsView(view) {
  const app = view.dataset.app;
  const tbody = document.querySelector('#jobs tbody');
  const next = document.getElementById('next-page');
  const first = document.getElementById('first-page');
  const params = new URLSearchParams(location.search);
  params.delete('cursor');
  first.href = `?${params}`;
  function render(data) {
    const rows = data.page.items.map((j) =>
      el('tr', { 'data-id': j.workflowId },
        el('td', {}, el('a', { href: jobHref(app, j.workflowId) }, j.workflowId)),
        el('td', {}, j.workflowName), el('td', {}, j.taskQueue), el('td', {}, j.entity ?? ''),
        el('td', {}, el('span', { class: `status status-${j.status}` }, j.status)),
        el('td', {}, j.createdAt), el('td', {}, j.updatedAt),
        el('td', {}, j.parentId ? el('a', { href: jobHref(app, j.parentId) }, j.parentId) : '')));
    tbody.replaceChildren(...rows);
    if (rows.length === 0) tbody.append(el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'No job matches.')));
    for (const [status, n] of Object.entries(data.counts)) {
      const b = document.querySelector(`[data-count="${status}"]`);
      if (b) b.textContent = String(n);
    }
    if (data.page.nextCursor) {
      const p = new URLSearchParams(location.search);
      p.set('cursor', data.page.nextCursor);
      next.href = `?${p}`;
      next.hidden = false;
    } else next.hidden = true;
    document.getElementById('updated-at').textContent = new Date().toISOString();
  }
  render(readJson('jobs-data'));
  let inFlight = false;
  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const res = await fetch(view.dataset.api, { headers: { accept: 'application/json' } });
      if (res.ok) render(await res.json());
    } finally {
      inFlight = false;
    }
  }
  const state = document.getElementById('live-state');
  const events = new EventSource(view.dataset.events);
  events.addEventListener('change', refresh);
  events.onopen = () => (state.textContent = 'live');
  events.onerror = () => (state.textContent = 'reconnecting…');
}

/* ---------- memory: tree, version slider, diff ---------- */
function memoryView(view) {
  const tree = document.getElementById('context-tree');
  const raw = document.getElementById('context-json');
  const slider = document.getElementById('version-slider');
  const label = document.getElementById('version-label');
  const toggle = document.getElementById('raw-toggle');
  function show(version, value) {
    tree.replaceChildren(jsonTree(value));
    raw.textContent = JSON.stringify(value, null, 2);
    tree.dataset.versionShown = String(version);
    raw.dataset.versionShown = String(version);
    label.textContent = String(version);
  }
  const data = readJson('context-data');
  show(data.version, data.value);
  toggle.addEventListener('change', () => {
    raw.hidden = !toggle.checked;
    tree.hidden = toggle.checked;
  });
  let wanted = data.version;
  slider.addEventListener('input', async () => {
    wanted = Number(slider.value);
    label.textContent = String(wanted);
    const res = await fetch(`${view.dataset.api}/context?version=${wanted}`, { headers: { accept: 'application/json' } });
    const body = await res.json();
    if (res.ok && body.version === wanted) show(body.version, body.value);
  });
  const form = document.getElementById('diff-form');
  const tbody = document.querySelector('#diff tbody');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = new URLSearchParams(new FormData(form));
    const res = await fetch(`${view.dataset.api}/diff?${q}`, { headers: { accept: 'application/json' } });
    const body = await res.json();
    if (!res.ok) {
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'error' }, body.error)));
      return;
    }
    const text = (v) => (v === undefined ? '' : JSON.stringify(v));
    tbody.replaceChildren(...body.changes.map((c) =>
      el('tr', { class: `diff-${c.kind}`, 'data-path': c.path.join('.') },
        el('td', {}, c.path.join('.') || '(document)'), el('td', {}, c.kind),
        el('td', {}, el('code', {}, text(c.before))), el('td', {}, el('code', {}, text(c.after))))));
    if (body.changes.length === 0) tbody.append(el('tr', {}, el('td', { colspan: '4', class: 'empty' }, 'No difference.')));
    form.dataset.shown = `${body.from}-${body.to}`;
  });
}

/* ---------- actions: confirm, post as JSON, show the answer ---------- */
function actionForm(form) {
  const output = form.querySelector('output');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!window.confirm(form.dataset.confirm)) return;
    output.className = 'result pending';
    output.textContent = '…';
    try {
      const res = await fetch(form.dataset.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(Object.fromEntries(new FormData(form))),
      });
      const body = await res.json();
      output.className = res.ok ? 'result ok' : 'result failed';
      output.replaceChildren(res.ok ? body.message : body.error);
      if (res.ok && body.workflowId) {
        output.append(' ', el('a', { href: jobHref(form.dataset.app, body.workflowId) }, body.workflowId));
      }
    } catch (err) {
      output.className = 'result failed';
      output.textContent = String(err && err.message ? err.message : err);
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const jobs = document.getElementById('jobs-view');
  if (jobs) jobsView(jobs);
  const memory = document.getElementById('memory-view');
  if (memory) memoryView(memory);
  for (const form of document.querySelectorAll('form.action')) actionForm(form);
});

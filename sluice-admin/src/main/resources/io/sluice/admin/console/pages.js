// The console's pages. Each takes its container, the route's arguments and query, fills the
// container, and may return a function that stops it. Text goes into the DOM as text nodes only.
import { ApiFailure, call, session } from './api.js';
import { lineOf } from './yaml.js';
import { barChart, format, lineChart } from './chart.js';

const PAGE_SIZE = 50;
const POLL_MS = 2000;
const SAMPLES = 60;

/** An element: h('a', {href: '#/'}, 'text', child...). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function singular(kinds) {
  return kinds.replace(/ies$/, 'y').replace(/(x|s)es$/, '$1').replace(/s$/, '');
}

function kindName(kinds) {
  const s = singular(kinds);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function time(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** A unified diff, its lines classed for colour. */
function diffView(text, id) {
  const pre = h('pre', { class: 'diff', ...(id ? { id } : {}) });
  for (const line of text.split('\n')) {
    const cls = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
    pre.append(h('span', { class: cls }, line + '\n'));
  }
  return pre;
}

function changesView(changes, id) {
  const box = h('div', { class: 'changes', id });
  const shown = changes.filter((c) => c.op !== 'unchanged');
  if (!shown.length) box.append(h('p', { class: 'muted' }, 'No change.'));
  for (const c of shown) {
    box.append(h('h3', {}, `${c.kind} ${c.name}: ${c.op}`), diffView(c.diff));
  }
  return box;
}

function failure(e) {
  return h('p', { class: 'error', role: 'alert' }, e instanceof ApiFailure ? `${e.status}: ${e.message}` : String(e));
}

/** Asks for confirmation in the page's dialog, showing `body`; resolves true on "Confirm". */
function confirmDialog(title, body, action) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-body').replaceChildren(body);
  document.getElementById('confirm-yes').textContent = action;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
  });
}

// ---- overview

async function overview(c) {
  const [s, status] = await Promise.all([session(), call('/api/v1/status')]);
  c.append(h('h1', {}, 'Overview'));
  c.append(h('dl', { class: 'facts', id: 'status' },
    h('dt', {}, 'Node'), h('dd', {}, status.nodeId),
    h('dt', {}, 'Version'), h('dd', {}, status.version),
    h('dt', {}, 'Store revision'), h('dd', { id: 'store-revision' }, String(status.storeRevision)),
    h('dt', {}, 'Applied revision'), h('dd', {}, String(status.appliedRevision)),
    h('dt', {}, 'Up since'), h('dd', {}, time(status.startedAt)),
    h('dt', {}, 'Listeners'), h('dd', {}, status.listeners.map((l) => `${l.name} ${l.address}`).join(', ') || 'none')));
  if (status.lastApplyError) c.append(h('p', { class: 'error' }, `Revision ${status.lastApplyError.revision} failed to apply: ${status.lastApplyError.message}`));
  const counts = h('ul', { class: 'kinds', id: 'kind-counts' });
  c.append(h('h2', {}, 'Objects'), counts);
  const totals = (await call('/console/data/counts')).counts;
  s.kinds.forEach((k) => counts.append(h('li', {}, h('a', { href: `#/kind/${k}` }, `${totals[k]} ${k}`))));
}

// ---- lists

async function kind(c, [kinds], query) {
  const offset = Number(query.get('offset') || 0);
  const q = query.get('q') || '';
  const data = await call(`/console/data/${encodeURIComponent(kinds)}?offset=${offset}&limit=${PAGE_SIZE}&q=${encodeURIComponent(q)}`);
  const search = h('input', { id: 'search', type: 'search', placeholder: 'name contains…', value: q });
  search.addEventListener('change', () => { location.hash = `#/kind/${kinds}?q=${encodeURIComponent(search.value)}`; });
  c.append(h('h1', {}, kinds), h('div', { class: 'toolbar' }, search, h('a', { id: 'new-object', class: 'button', href: `#/new/${kinds}` }, `New ${singular(kinds)}`)));
  const rows = data.items.map((o) => h('tr', { 'data-name': o.metadata.name },
    h('td', {}, h('a', { href: `#/object/${kinds}/${encodeURIComponent(o.metadata.name)}` }, o.metadata.name)),
    h('td', { class: 'summary' }, summary(o)),
    h('td', {}, String(o.metadata.revision ?? ''))));
  c.append(h('table', { id: 'objects' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Spec'), h('th', {}, 'Revision'))), h('tbody', {}, rows)));
  const last = Math.min(offset + PAGE_SIZE, data.total);
  const to = (o) => `#/kind/${kinds}?offset=${o}&q=${encodeURIComponent(q)}`;
  c.append(h('div', { class: 'pager' },
    h('a', { id: 'prev', class: 'button', href: offset > 0 ? to(Math.max(0, offset - PAGE_SIZE)) : null, 'aria-disabled': offset <= 0 }, '← Previous'),
    h('span', { id: 'page-info' }, data.total ? `${offset + 1}–${last} of ${data.total}` : 'none'),
    h('a', { id: 'next', class: 'button', href: last < data.total ? to(offset + PAGE_SIZE) : null, 'aria-disabled': last >= data.total }, 'Next →')));
}

/** One line about an object's spec: its first few scalar fields. */
function summary(o) {
  const parts = [];
  const walk = (v, path) => {
    if (parts.length >= 3) return;
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else if (v !== null && v !== undefined) parts.push(`${path}: ${v}`);
  };
  walk(o.spec, '');
  return parts.join('  ');
}

// ---- one object: view, edit, check, diff, apply

const TEMPLATES = {
  routes: 'apiVersion: sluice.io/v1\nkind: Route\nmetadata:\n  name: NAME\nspec:\n  match:\n    path:\n      prefix: /\n  upstream: UPSTREAM\n',
  upstreams: 'apiVersion: sluice.io/v1\nkind: Upstream\nmetadata:\n  name: NAME\nspec:\n  endpoints:\n    - address: 127.0.0.1:8000\n',
};

async function object(c, [kinds, name]) {
  const yaml = await call(`/api/v1/${encodeURIComponent(kinds)}/${encodeURIComponent(name)}?output=yaml`, { accept: 'text' });
  editor(c, kinds, name, yaml);
}

async function create(c, [kinds]) {
  editor(c, kinds, null, TEMPLATES[kinds] || `apiVersion: sluice.io/v1\nkind: ${kindName(kinds)}\nmetadata:\n  name: NAME\nspec: {}\n`);
}

function editor(c, kinds, name, yaml) {
  const s = sessionSync;
  c.append(h('h1', {}, name ? `${kindName(kinds)} ${name}` : `New ${singular(kinds)}`));
  if (name) c.append(h('p', {}, h('a', { id: 'object-history', href: `#/history/${kinds}/${encodeURIComponent(name)}` }, 'History of this object')));
  const gutter = h('div', { class: 'gutter', id: 'gutter', 'aria-hidden': 'true' });
  const text = h('textarea', { id: 'yaml', spellcheck: 'false', rows: 24, 'aria-label': 'YAML' });
  text.value = yaml;
  const errors = h('ul', { id: 'errors', class: 'field-errors' });
  const diff = h('div', { id: 'diff-box' });
  const message = h('input', { id: 'message', type: 'text', placeholder: 'change message (shown in history)' });
  const check = h('button', { id: 'check', type: 'button' }, 'Check and show diff');
  // With change review on the API refuses direct writes: the save proposes a change request instead.
  const review = Boolean(s.review && s.review.required);
  const apply = h('button', { id: review ? 'propose' : 'apply', type: 'button', disabled: true, class: 'primary' }, review ? 'Propose' : 'Apply');
  const title = h('input', { id: 'change-title', type: 'text', placeholder: 'title: one line saying what the change does' });
  const description = h('textarea', { id: 'change-description', rows: 3, placeholder: 'description (why, how to check it)', 'aria-label': 'description' });
  const result = h('p', { id: 'result', role: 'status' });
  let checked = null; // the text the shown diff is for

  const lines = () => {
    const n = text.value.split('\n').length;
    const marked = new Map([...errors.querySelectorAll('li')].map((li) => [Number(li.dataset.line), li.dataset.field]));
    gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h('div', { class: marked.has(i + 1) ? 'error-line' : '', title: marked.get(i + 1) || null, 'data-line': i + 1 }, String(i + 1))));
  };
  text.addEventListener('input', () => {
    if (checked !== text.value) apply.disabled = true;
    lines();
  });
  text.addEventListener('scroll', () => { gutter.scrollTop = text.scrollTop; });

  const showErrors = (e) => {
    errors.replaceChildren();
    const list = e.body.errors || [];
    if (list.length) {
      for (const err of list) {
        const line = lineOf(text.value, err.field);
        errors.append(h('li', { 'data-line': line, 'data-field': err.field }, h('a', { href: '#', class: 'line-link', 'data-line': line }, `line ${line}`), ` ${err.field}: ${err.message}`));
      }
    } else {
      const at = /at line (\d+)/.exec(e.message);
      errors.append(h('li', { 'data-line': at ? at[1] : 1, 'data-field': '' }, e.message));
    }
    for (const a of errors.querySelectorAll('a.line-link')) a.addEventListener('click', (ev) => { ev.preventDefault(); select(text, Number(a.dataset.line)); });
    lines();
  };

  check.addEventListener('click', async () => {
    result.textContent = '';
    diff.replaceChildren();
    errors.replaceChildren();
    apply.disabled = true;
    const sent = text.value;
    try {
      const r = await call('/api/v1/apply?dryRun=true', { method: 'POST', body: sent, type: 'application/yaml' });
      checked = sent;
      diff.append(h('h2', {}, 'Diff against the live configuration'), changesView(r.changes, 'diff'));
      apply.disabled = !s.write || r.changes.every((x) => x.op === 'unchanged');
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e;
      showErrors(e);
    }
    lines();
  });

  apply.addEventListener('click', async () => {
    apply.disabled = true;
    if (review) {
      try {
        const c = await call('/api/v1/changes', { method: 'POST', body: proposal(title.value, description.value, checked), type: 'application/yaml' });
        result.replaceChildren(`Proposed as change ${c.id}. `, h('a', { id: 'proposed-change', href: `#/change/${c.id}` }, `See change ${c.id}`));
        result.dataset.change = c.id;
      } catch (e) {
        apply.disabled = false;
        if (e instanceof ApiFailure && e.body.errors) showErrors(e);
        else result.replaceChildren(failure(e));
      }
      return;
    }
    try {
      const r = await call(`/api/v1/apply?message=${encodeURIComponent(message.value || `console: edit ${singular(kinds)} ${name || ''}`.trim())}`,
        { method: 'POST', body: checked, type: 'application/yaml' });
      result.replaceChildren(`Applied as revision ${r.revision}. `, h('a', { href: '#/history' }, 'See history'));
      result.dataset.revision = r.revision;
    } catch (e) {
      if (e instanceof ApiFailure && e.body.errors) showErrors(e);
      else result.replaceChildren(failure(e));
    }
  });

  const toolbar = review
    ? [h('div', { class: 'toolbar' }, check, title, apply), h('div', { class: 'toolbar' }, description)]
    : [h('div', { class: 'toolbar' }, check, message, apply)];
  c.append(h('div', { class: 'editor' }, gutter, text), errors, ...toolbar, result, diff);
  lines();
}

/**
 * The body of POST /api/v1/changes for one object's YAML, as YAML: the title and description as
 * JSON strings (valid YAML scalars, whatever they hold), the object indented as the list's item.
 */
function proposal(title, description, yaml) {
  const object = yaml.replace(/^---\s*\n/, '').replace(/\n+$/, '').split('\n').map((l) => `    ${l}`).join('\n');
  return `title: ${JSON.stringify(title)}\ndescription: ${JSON.stringify(description)}\nobjects:\n  -\n${object}\n`;
}

let sessionSync = { roles: ['viewer'], write: false };
session().then((s) => { sessionSync = s; });

function select(textarea, line) {
  const lines = textarea.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + (lines[line - 1] || '').length);
}

// ---- history and rollback

async function history(c, [kinds, name]) {
  if (kinds) return objectHistory(c, kinds, name);
  const [revs, byRevision] = await Promise.all([call(`/console/data/revisions?limit=${PAGE_SIZE}`).then((d) => d.items), publishedChanges()]);
  c.append(h('h1', {}, 'History'), h('p', { class: 'muted' }, `The last ${revs.length} revisions of the configuration, newest first. Pick two to compare.`));
  revisionTable(c, revs.map((r) => ({ ...r, what: objectsOf(r.objects, r.objectCount), change: byRevision.get(r.revision) })),
    (from, to) => call(`/console/data/diff?from=${from}&to=${to}`).then((d) => d.changes),
    async (rev) => {
      const preview = await call('/api/v1/rollback?dryRun=true', { method: 'POST', body: { to: rev } });
      if (sessionSync.review && sessionSync.review.required) return proposeRollback(rev, preview.changes, `Roll the configuration back to revision ${rev}`);
      if (!(await confirmDialog(`Roll the whole configuration back to revision ${rev}?`, changesView(preview.changes), `Roll back to ${rev}`))) return null;
      return call(`/api/v1/rollback?message=${encodeURIComponent(`console: rollback to ${rev}`)}`, { method: 'POST', body: { to: rev } });
    });
}

/** The objects a revision changed, the first few by name: one revision may hold thousands. */
function objectsOf(objects, count) {
  const shown = objects.join(', ');
  return count > objects.length ? `${shown} and ${count - objects.length} more` : shown;
}

async function objectHistory(c, kinds, name) {
  const entries = (await call(`/api/v1/${encodeURIComponent(kinds)}/${encodeURIComponent(name)}/history`)).items.slice().reverse();
  c.append(h('h1', {}, `History of ${kindName(kinds)} ${name}`), h('p', {}, h('a', { href: `#/object/${kinds}/${encodeURIComponent(name)}` }, 'Back to the object')));
  const kind = kindName(kinds);
  revisionTable(c, entries.map((e) => ({ ...e, what: e.deleted ? 'deleted' : 'changed', change: e.change })),
    (from, to) => call(`/console/data/diff?from=${from}&to=${to}`).then((d) => d.changes.filter((x) => x.name === name && x.kind.toLowerCase() === kind.toLowerCase())),
    async (rev) => {
      const path = `/api/v1/${encodeURIComponent(kinds)}/${encodeURIComponent(name)}/rollback`;
      const preview = await call(`${path}?dryRun=true`, { method: 'POST', body: { to: rev } });
      if (sessionSync.review && sessionSync.review.required) return proposeRollback(rev, preview.changes, `Roll ${kind} ${name} back to revision ${rev}`);
      if (!(await confirmDialog(`Roll ${kind} ${name} back to revision ${rev}?`, changesView(preview.changes), `Roll back to ${rev}`))) return null;
      return call(`${path}?message=${encodeURIComponent(`console: rollback ${name} to ${rev}`)}`, { method: 'POST', body: { to: rev } });
    });
}

/** The published change requests by the revision that published them ({id, title, author, approvedBy, publishedBy}). */
async function publishedChanges() {
  const items = (await call('/api/v1/changes?state=published')).items;
  return new Map(items.map((x) => [x.publishedRevision, { id: x.id, title: x.title, proposedBy: x.author, approvedBy: x.approvedBy, publishedBy: x.publishedBy }]));
}

/** "change 3: proposed by alice, approved by bob", linked to the change request. */
function changeLink(ch) {
  if (!ch) return '';
  return h('span', {}, h('a', { href: `#/change/${ch.id}`, 'data-change': ch.id }, `change ${ch.id}`),
    `: proposed by ${ch.proposedBy}, approved by ${ch.approvedBy.join(', ') || 'nobody'}`);
}

/**
 * With change review on a rollback is a change request like any other: the objects as they were at
 * revision `rev` (from their history), and deletions of those that did not exist then. Asks for a
 * confirmation showing what it would change; resolves to the change request, or null.
 */
async function proposeRollback(rev, changes, title) {
  const shown = changes.filter((x) => x.op !== 'unchanged');
  if (!(await confirmDialog(`${title}: propose it as a change request?`, changesView(shown), 'Propose rollback'))) return null;
  const plurals = new Map(sessionSync.kinds.map((k) => [kindName(k).toLowerCase(), k]));
  const objects = [];
  const deletions = [];
  for (const x of shown) {
    const entries = (await call(`/api/v1/${encodeURIComponent(plurals.get(x.kind.toLowerCase()))}/${encodeURIComponent(x.name)}/history`)).items;
    const then = entries.filter((e) => e.revision <= rev).pop();
    if (!then || then.deleted) deletions.push({ kind: x.kind, name: x.name });
    else objects.push(then.object);
  }
  const proposed = await call('/api/v1/changes', { method: 'POST', body: { title, description: `Proposed from the console's history: the configuration as it was at revision ${rev}.`, objects, deletions } });
  location.hash = `#/change/${proposed.id}`;
  return null;
}

function revisionTable(c, rows, diffOf, rollback) {
  const out = h('div', { id: 'history-result', role: 'status' });
  const diffBox = h('div', { id: 'compare-box' });
  const body = h('tbody', {}, rows.map((r, i) => {
    const button = h('button', { type: 'button', class: 'rollback', 'data-revision': r.revision },
      sessionSync.review && sessionSync.review.required ? 'Propose rollback to this' : 'Roll back to this');
    button.addEventListener('click', async () => {
      try {
        const done = await rollback(r.revision);
        if (done) {
          out.replaceChildren(`Rolled back: revision ${done.revision}.`);
          out.dataset.revision = done.revision;
          setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 0);
        }
      } catch (e) {
        out.replaceChildren(failure(e));
      }
    });
    return h('tr', { 'data-revision': r.revision },
      h('td', {}, h('input', { type: 'radio', name: 'from', value: r.revision, checked: i === 1, 'aria-label': `from ${r.revision}` }),
        h('input', { type: 'radio', name: 'to', value: r.revision, checked: i === 0, 'aria-label': `to ${r.revision}` })),
      h('td', { class: 'rev' }, String(r.revision)), h('td', { class: 'author' }, r.author), h('td', {}, time(r.time)),
      h('td', { class: 'message' }, r.message), h('td', { class: 'change' }, changeLink(r.change)), h('td', { class: 'what' }, r.what),
      h('td', {}, i === 0 ? '' : button));
  }));
  const compare = h('button', { id: 'compare', type: 'button' }, 'Compare selected');
  compare.addEventListener('click', async () => {
    const from = c.querySelector('input[name=from]:checked');
    const to = c.querySelector('input[name=to]:checked');
    if (!from || !to) return;
    diffBox.replaceChildren(h('h2', {}, `From revision ${from.value} to ${to.value}`), changesView(await diffOf(from.value, to.value), 'compare-diff'));
  });
  c.append(h('table', { id: 'revisions' },
    h('thead', {}, h('tr', {}, h('th', {}, 'from / to'), h('th', {}, 'Revision'), h('th', {}, 'Author'), h('th', {}, 'Time'), h('th', {}, 'Message'), h('th', {}, 'Change request'), h('th', {}, 'Objects'), h('th', {}, ''))),
    body), h('div', { class: 'toolbar' }, compare), out, diffBox);
}

// ---- change requests

async function changes(c, args, query) {
  const state = query.get('state') || '';
  const data = await call(`/api/v1/changes${state ? `?state=${encodeURIComponent(state)}` : ''}`);
  const filter = h('select', { id: 'change-state', 'aria-label': 'state' },
    ['', 'open', 'approved', 'canary', 'rejected', 'published'].map((v) => h('option', { value: v, selected: v === state }, v || 'all states')));
  filter.addEventListener('change', () => { location.hash = `#/changes${filter.value ? `?state=${filter.value}` : ''}`; });
  const on = sessionSync.review && sessionSync.review.required;
  c.append(h('h1', {}, 'Change requests'),
    h('p', { class: 'muted' }, on
      ? `Change review is on: the configuration changes only by publishing change requests with ${sessionSync.review.approvals} approval(s). The live configuration is at revision ${data.revision}.`
      : `Change review is off: edits apply at once; change requests proposed through the API or CLI are listed here. The live configuration is at revision ${data.revision}.`),
    h('div', { class: 'toolbar' }, h('label', { for: 'change-state' }, 'Show '), filter));
  const rows = data.items.slice().reverse().map((x) => h('tr', { 'data-change': x.id },
    h('td', {}, h('a', { href: `#/change/${x.id}` }, `#${x.id}`)),
    h('td', { class: 'title' }, x.title),
    h('td', {}, h('span', { class: `state state-${x.state}` }, x.state), x.stale ? h('span', { class: 'badge stale', title: `based on revision ${x.baseRevision}, the configuration is at ${data.revision}` }, 'stale') : ''),
    h('td', { class: 'author' }, x.author),
    h('td', { class: 'approvals' }, `${x.approvals}/${x.approvalsRequired}${x.approvedBy.length ? ` (${x.approvedBy.join(', ')})` : ''}`),
    h('td', { class: 'base' }, String(x.baseRevision)),
    h('td', {}, x.publishedRevision ? `revision ${x.publishedRevision} by ${x.publishedBy}` : ''),
    h('td', {}, time(x.created))));
  c.append(table('changes', ['Change', 'Title', 'State', 'Author', 'Approvals', 'Base', 'Published', 'Proposed'], h('tbody', {}, rows)));
  if (!rows.length) c.append(h('p', { class: 'muted' }, 'No change requests.'));
}

async function change(c, [id]) {
  const x = await call(`/api/v1/changes/${encodeURIComponent(id)}`);
  const me = sessionSync.name;
  const roles = sessionSync.roles || [];
  const reviewer = roles.includes('reviewer') || roles.includes('admin');
  const editor = Boolean(sessionSync.write);
  const open = x.state === 'open' || x.state === 'approved';
  c.append(h('h1', {}, `Change ${x.id}: ${x.title}`), h('p', {}, h('a', { href: '#/changes' }, 'All change requests')));
  c.append(h('dl', { class: 'facts', id: 'change-facts' },
    h('dt', {}, 'State'), h('dd', { id: 'change-state-value' }, h('span', { class: `state state-${x.state}` }, x.state),
      x.stale ? h('span', { class: 'badge stale', id: 'stale' }, 'stale') : ''),
    h('dt', {}, 'Proposed by'), h('dd', { id: 'change-author' }, `${x.author}, ${time(x.created)}`),
    h('dt', {}, 'Base revision'), h('dd', {}, String(x.baseRevision) + (x.stale ? ' (the configuration has moved on: rebase before publishing)' : '')),
    h('dt', {}, 'Approvals'), h('dd', { id: 'change-approvals' }, `${x.approvals} of ${x.approvalsRequired}${x.approvedBy.length ? `: ${x.approvedBy.join(', ')}` : ''}`),
    ...(x.publishedRevision ? [h('dt', {}, 'Published'), h('dd', { id: 'change-published' }, h('a', { href: '#/history' }, `revision ${x.publishedRevision}`), ` by ${x.publishedBy}`)] : []),
    ...(x.state === 'canary' ? [h('dt', {}, 'Canary'), h('dd', { id: 'change-canary' }, h('a', { href: '#/fleet' }, x.canary), ' runs: promote it on the fleet page to publish the change, or abort it')] : []),
    ...(x.canaryAborted ? [h('dt', {}, 'Canary aborted'), h('dd', { id: 'change-canary-aborted' }, x.canaryAborted)] : [])));
  if (x.description) c.append(h('h2', {}, 'Description'), h('p', { class: 'description', id: 'change-description-text' }, x.description));
  if (x.reviews.length) {
    c.append(h('h2', {}, 'Reviews'), table('reviews', ['Reviewer', 'Verdict', 'Comment', 'Time'], h('tbody', {}, x.reviews.map((v) =>
      h('tr', {}, h('td', {}, v.reviewer), h('td', { class: `verdict-${v.verdict}` }, v.verdict), h('td', {}, v.comment), h('td', {}, time(v.time)))))));
  }
  const out = h('div', { id: 'change-result', role: 'status' });
  const act = async (what, body) => {
    try {
      await call(`/api/v1/changes/${encodeURIComponent(x.id)}/${what}`, { method: 'POST', body });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (e) {
      out.replaceChildren(failure(e));
    }
  };
  if (open) {
    const actions = h('div', { class: 'toolbar', id: 'change-actions' });
    if (reviewer) {
      const own = x.author === me;
      const already = x.approvedBy.includes(me);
      const comment = h('input', { id: 'review-comment', type: 'text', placeholder: 'comment (a rejection needs one)' });
      const why = own ? `${me} proposed this change: approvals come from other reviewers` : already ? `${me} approved it already` : null;
      const approve = h('button', { id: 'approve', type: 'button', class: 'primary', disabled: Boolean(why), title: why }, 'Approve');
      const reject = h('button', { id: 'reject', type: 'button', class: 'danger' }, 'Reject');
      approve.addEventListener('click', () => act('approve', { comment: comment.value }));
      reject.addEventListener('click', () => act('reject', { comment: comment.value }));
      actions.append(comment, approve, reject);
      if (why) actions.append(h('span', { class: 'hint', id: 'approve-why' }, why));
    }
    if (editor && x.stale) {
      const rebase = h('button', { id: 'rebase', type: 'button' }, `Rebase onto the live revision`);
      rebase.addEventListener('click', () => act('rebase', {}));
      actions.append(rebase);
    }
    if (editor) {
      const ready = x.state === 'approved' && !x.stale;
      const publish = h('button', { id: 'publish', type: 'button', class: 'primary', disabled: !ready,
        title: ready ? null : x.stale ? 'rebase first' : `needs ${x.approvalsRequired} approval(s)` }, 'Publish');
      publish.addEventListener('click', async () => {
        if (await confirmDialog(`Publish change ${x.id}?`, changesView(x.changes), 'Publish')) await act('publish', {});
      });
      actions.append(publish);
      if (ready && await hasFleet()) {
        // A config canary of the change instead: the same rules, published when the canary is promoted.
        const selector = h('input', { id: 'canary-selector', type: 'text', placeholder: 'zone=a or 10%', 'aria-label': 'canary selector' });
        const canary = h('button', { id: 'publish-canary', type: 'button' }, 'Publish as canary');
        canary.addEventListener('click', async () => {
          const sel = selector.value.trim();
          if (!sel) {
            out.replaceChildren(h('p', { class: 'error' }, 'Give the canary nodes: a label selector such as zone=a or a percentage such as 10%.'));
            return;
          }
          if (await confirmDialog(`Publish change ${x.id} as a canary on ${sel}?`, changesView(x.changes), 'Start canary')) {
            await act(`publish?canary=${encodeURIComponent(sel)}`, {});
          }
        });
        actions.append(selector, canary);
      }
    }
    c.append(actions);
  }
  c.append(out, h('h2', {}, `Diff against revision ${x.baseRevision}`), changesView(x.changes, 'change-diff'));
}

/** Whether the server has a fleet to canary on (GET /api/v1/canary answers 409 no_fleet without one). */
async function hasFleet() {
  try {
    await call('/api/v1/canary');
    return true;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 409) return false;
    throw e;
  }
}

// ---- webhook deliveries and dead letters

async function deliveries(c, args, query) {
  const all = query.get('all') === 'true';
  const items = (await call(`/api/v1/webhooks/deliveries${all ? '' : '?failed=true'}`)).items.slice().reverse();
  c.append(h('h1', {}, all ? 'Webhook deliveries' : 'Dead letters'),
    h('p', { class: 'muted' }, all
      ? 'The last webhook deliveries of this node, newest first.'
      : 'Webhook events every attempt failed to deliver, newest first; kept across restarts (the last 1,000 deliveries of this node).'),
    h('div', { class: 'toolbar' }, h('a', { id: 'deliveries-toggle', href: all ? '#/deliveries' : '#/deliveries?all=true' }, all ? 'Only the dead letters' : 'All recent deliveries')));
  const out = h('div', { id: 'deliveries-result', role: 'status' });
  const rows = items.map((d) => {
    const cells = [h('td', {}, time(d.time)), h('td', { class: 'webhook' }, d.webhook), h('td', { class: 'event' }, d.event),
      h('td', { class: `state state-${d.state}` }, d.state), h('td', { class: 'attempts' }, String(d.attempts)),
      h('td', { class: 'last' }, d.lastError || (d.lastStatus ? String(d.lastStatus) : ''))];
    const again = h('button', { type: 'button', class: 'redeliver', 'data-id': d.id, disabled: !sessionSync.write || d.state !== 'failed' }, 'Redeliver');
    again.addEventListener('click', async () => {
      try {
        await call('/api/v1/webhooks/deliveries/redeliver', { method: 'POST', body: { id: d.id } });
        out.replaceChildren(`Sent ${d.event} to ${d.webhook} again.`);
        setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 1000);
      } catch (e) {
        out.replaceChildren(failure(e));
      }
    });
    const payload = h('details', {}, h('summary', {}, 'payload'), h('pre', { class: 'diff' }, d.payload));
    return h('tr', { 'data-id': d.id }, ...cells, h('td', {}, payload), h('td', {}, again));
  });
  c.append(out, table('deliveries', ['Time', 'Webhook', 'Event', 'State', 'Attempts', 'Last error', 'Payload', ''], h('tbody', {}, rows)));
  if (!rows.length) c.append(h('p', { class: 'muted', id: 'no-deliveries' }, all ? 'No deliveries yet.' : 'No dead letters.'));
}

// ---- traffic

async function traffic(c) {
  c.append(h('h1', {}, 'Traffic'), h('p', { class: 'muted' }, `From /api/v1/stats every ${POLL_MS / 1000} s; rates per second, latency in ms over the last 5 minutes.`));
  const pick = h('select', { id: 'traffic-pick', 'aria-label': 'route or upstream' });
  const charts = h('div', { class: 'charts', id: 'charts' });
  const routes = h('tbody');
  const upstreams = h('tbody');
  c.append(h('div', { class: 'toolbar' }, h('label', { for: 'traffic-pick' }, 'Charts for '), pick), charts,
    h('h2', {}, 'Routes'), table('traffic-routes', ['Route', 'Requests', 'req/s', 'errors/s', 'p50', 'p95', 'p99', 'Status codes'], routes),
    h('h2', {}, 'Upstreams and endpoints'), table('traffic-upstreams', ['Upstream / endpoint', 'Requests', 'req/s', 'errors/s', 'p50', 'p95', 'p99', 'Health and breaker'], upstreams));
  const samples = new Map(); // "route:web" -> [{t, requests, errors, p50, p95, p99}]
  let timer = null;
  let stopped = false;

  const record = (key, tr, t) => {
    const list = samples.get(key) || [];
    list.push({ t, requests: tr.requests, errors: tr.errors, p50: tr.latency.p50, p95: tr.latency.p95, p99: tr.latency.p99, codes: tr.statusCodes });
    if (list.length > SAMPLES) list.shift();
    samples.set(key, list);
  };
  const rates = (list, field) => list.slice(1).map((s, i) => Math.max(0, (s[field] - list[i][field]) / Math.max(0.001, (s.t - list[i].t) / 1000)));

  const row = (label, tr, extra, key) => h('tr', { 'data-name': key },
    h('td', {}, label), h('td', { class: 'requests' }, String(tr.requests)), h('td', {}, format(tr.requestRate.m1)), h('td', {}, format(tr.errorRate.m1)),
    h('td', {}, format(tr.latency.p50)), h('td', {}, format(tr.latency.p95)), h('td', {}, format(tr.latency.p99)), h('td', {}, extra));

  const draw = () => {
    const key = pick.value;
    const list = samples.get(key) || [];
    if (!key || !list.length) {
      charts.replaceChildren(h('p', { class: 'muted' }, 'No traffic yet.'));
      return;
    }
    const latest = list[list.length - 1];
    charts.replaceChildren(
      h('p', { id: 'chart-total' }, `${key}: ${latest.requests} requests, ${latest.errors} errors`),
      lineChart('Requests per second', [{ name: 'requests', values: rates(list, 'requests') }, { name: 'errors', values: rates(list, 'errors') }], '/s'),
      lineChart('Latency', [{ name: 'p50', values: list.map((s) => s.p50) }, { name: 'p95', values: list.map((s) => s.p95) }, { name: 'p99', values: list.map((s) => s.p99) }], 'ms'),
      barChart('Status codes', latest.codes));
  };

  const poll = async () => {
    try {
      const stats = await call('/api/v1/stats');
      const t = Date.now();
      const keys = [];
      routes.replaceChildren(...[...stats.routes].sort((a, b) => b.traffic.requests - a.traffic.requests).slice(0, PAGE_SIZE).map((r) => {
        record(`route ${r.name}`, r.traffic, t);
        keys.push(`route ${r.name}`);
        return row(r.name, r.traffic, Object.entries(r.traffic.statusCodes).map(([k, v]) => `${k}: ${v}`).join(', '), r.name);
      }));
      upstreams.replaceChildren(...stats.upstreams.flatMap((u) => {
        record(`upstream ${u.name}`, u.traffic, t);
        keys.push(`upstream ${u.name}`);
        return [row(u.name, u.traffic, breaker(u.breaker, 'upstream breaker'), u.name), ...u.endpoints.map((e) => row(h('span', { class: 'endpoint' }, e.address), e.traffic,
          h('span', {}, h('span', { class: e.healthy ? 'ok' : 'bad' }, `${e.healthy ? 'healthy' : 'out of rotation'}, ${e.openConnections} connections, ${e.activeRequests} active`),
            breaker(e.breaker, 'breaker')), `${u.name} ${e.address}`))];
      }));
      const chosen = pick.value;
      if (pick.options.length !== keys.length || [...pick.options].some((o, i) => o.value !== keys[i])) {
        pick.replaceChildren(...keys.map((k) => h('option', { value: k }, k)));
        if (keys.includes(chosen)) pick.value = chosen;
      }
      draw();
    } catch (e) {
      charts.replaceChildren(failure(e));
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };
  pick.addEventListener('change', draw);
  await poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** A circuit breaker's state (closed, open, half-open), or nothing where none is configured. */
function breaker(state, label) {
  if (!state) return '';
  return h('span', { class: `breaker breaker-${state}`, 'data-breaker': state }, `${label} ${state}`);
}

function table(id, heads, body) {
  return h('table', { id }, h('thead', {}, h('tr', {}, heads.map((x) => h('th', {}, x)))), body);
}

// ---- route tester

async function tester(c) {
  const method = h('input', { id: 'rt-method', value: 'GET', size: 8, 'aria-label': 'method' });
  const url = h('input', { id: 'rt-url', value: 'http://localhost:8080/', size: 48, 'aria-label': 'URL' });
  const headers = h('textarea', { id: 'rt-headers', rows: 4, placeholder: 'Name: value, one a line', 'aria-label': 'headers' });
  const send = h('button', { id: 'rt-send', type: 'button', class: 'primary' }, 'Test');
  const out = h('div', { id: 'rt-result', role: 'status' });
  send.addEventListener('click', async () => {
    out.replaceChildren();
    const hs = headers.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    try {
      const r = await call('/api/v1/route-test', { method: 'POST', body: { method: method.value, url: url.value, headers: hs } });
      out.append(h('dl', { class: 'facts' },
        h('dt', {}, 'Matched'), h('dd', { id: 'rt-matched' }, r.matched ? 'yes' : 'no'),
        h('dt', {}, 'Listener'), h('dd', {}, r.listener || '–'),
        h('dt', {}, 'Route'), h('dd', { id: 'rt-route' }, r.route || '–'),
        h('dt', {}, 'Filters'), h('dd', {}, (r.filters || []).join(' → ') || 'none'),
        h('dt', {}, 'Upstream'), h('dd', { id: 'rt-upstream' }, r.upstream || (r.matched ? 'answers itself' : '–')),
        h('dt', {}, 'Sent upstream as'), h('dd', {}, r.matched ? `${r.host} ${r.path}` : '–'),
        ...(r.reason ? [h('dt', {}, 'Why not'), h('dd', {}, r.reason)] : [])));
    } catch (e) {
      out.append(failure(e));
    }
  });
  c.append(h('h1', {}, 'Route tester'), h('p', { class: 'muted' }, 'Which route, filters and upstream would take a request.'),
    h('div', { class: 'form' }, method, url, headers, send), out);
}

// ---- fleet

async function fleet(c) {
  c.append(h('h1', {}, 'Fleet'));
  const nodes = await call('/api/v1/nodes');
  c.append(h('p', { id: 'convergence' }, nodes.converged ? `Converged on revision ${nodes.storeRevision}.` : `Converging on revision ${nodes.storeRevision}.`),
    table('nodes', ['Node', 'Role', 'Address', 'Version', 'Applied', 'Lag', 'Last error'], h('tbody', {}, nodes.items.map((n) => h('tr', { 'data-node': n.id },
      h('td', {}, n.id), h('td', {}, n.role), h('td', {}, n.address), h('td', {}, n.version), h('td', {}, String(n.appliedRevision)),
      h('td', { class: n.lag ? 'bad' : 'ok' }, String(n.lag)), h('td', {}, n.lastApplyError ? `${n.lastApplyError.revision}: ${n.lastApplyError.message}` : ''))))));
  const box = h('div', { id: 'canary' });
  c.append(h('h2', {}, 'Config canary'), box);
  let status;
  try {
    status = await call('/api/v1/canary');
  } catch (e) {
    box.append(h('p', { class: 'muted' }, e instanceof ApiFailure && e.status === 409 ? 'No fleet: this server runs on its own store.' : e.message));
    return;
  }
  const k = status.canary;
  if (!k) {
    box.append(h('p', { class: 'muted' }, 'No canary is running.'));
  } else {
    const cmp = status.comparison;
    box.append(h('dl', { class: 'facts' },
      h('dt', {}, 'Canary'), h('dd', {}, `${k.id} on ${k.selector}, base revision ${k.baseRevision}, by ${k.author}: ${k.message}`),
      ...(k.change ? [h('dt', {}, 'Change request'), h('dd', { id: 'canary-change' }, h('a', { href: `#/change/${k.change}` }, `change ${k.change}`),
        ': promoting the canary publishes it, aborting it makes it approved again')] : []),
      h('dt', {}, 'Started'), h('dd', {}, time(k.startedAt)),
      ...(cmp ? [h('dt', {}, 'Canary nodes'), h('dd', {}, side(cmp.canary)), h('dt', {}, 'Other nodes'), h('dd', {}, side(cmp.rest)),
        h('dt', {}, 'Verdict'), h('dd', { id: 'verdict' }, cmp.verdict)] : [])));
    const promote = h('button', { id: 'promote', type: 'button', class: 'primary' }, 'Promote');
    const abort = h('button', { id: 'abort', type: 'button', class: 'danger' }, 'Abort');
    const out = h('p', { role: 'status' });
    const act = async (what) => {
      if (!(await confirmDialog(`${what === 'promote' ? 'Promote' : 'Abort'} canary ${k.id}?`, document.createTextNode(''), what === 'promote' ? 'Promote' : 'Abort'))) return;
      try {
        await call(`/api/v1/canary/${what}`, { method: 'POST', body: { id: k.id } });
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) {
        out.replaceChildren(failure(e));
      }
    };
    promote.addEventListener('click', () => act('promote'));
    abort.addEventListener('click', () => act('abort'));
    // Promote and abort are the editor's (and admin's); viewers and reviewers only watch.
    if (sessionSync.write) box.append(h('div', { class: 'toolbar' }, promote, abort));
    box.append(out);
  }
  if (status.history.length) {
    box.append(h('h3', {}, 'Earlier canaries'), table('canary-history', ['Canary', 'State', 'By', 'Reason', 'Time'], h('tbody', {},
      status.history.map((o) => h('tr', {}, h('td', {}, o.id), h('td', {}, o.state), h('td', {}, o.by), h('td', {}, o.reason || ''), h('td', {}, time(o.time)))))));
  }
}

function side(s) {
  return `${s.requests} requests, error rate ${(100 * s.errorRate).toFixed(2)}%, p99 ${format(s.p99Millis)} ms over ${s.windowSeconds} s`;
}

async function missing(c) {
  c.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
}

/** Page name (the hash's first segment) → page. New pages (change requests) are one more entry. */
export const pages = { overview, kind, object, new: create, history, changes, change, deliveries, traffic, tester, fleet, missing };

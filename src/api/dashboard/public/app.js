// The dashboard: sign-in, the router (#/, #/incidents, #/incident/<id>, #/audit), live events.
import { call, listen, session, signIn, SignedOut } from './api.js';
import { clear, h } from './dom.js';
import { appendRecord, approvalBox, auditRow, diagnosisBox, failureBox, incidentHeader, incidentRow, targetCard, timeline, transcriptsBox } from './views.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
let stream = null;
let render = null; // re-renders the current view after an event (debounced)
let pendingRefresh = null;

function toast(text, bad = false) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.className = bad ? 'toast bad' : 'toast';
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 5000);
}

/** An operator request; the medic's answer (or refusal) is shown, the page follows through events. */
async function act(kind, body) {
  try {
    const answer = await call('POST', `/${kind}`, body);
    const what = kind === 'approve' ? (body.approved ? `approved ${answer.approval}` : `denied ${answer.approval}`) : `${kind} ${body.target}${answer.incident ? ` (${answer.incident})` : ''}`;
    toast(`Done: ${what}`);
  } catch (err) {
    handleError(err);
  }
}

function handleError(err) {
  if (err instanceof SignedOut) return showSignIn(err.message);
  toast(err.message, true);
}

// --- sign-in ---------------------------------------------------------------

function showSignIn(message) {
  stream?.abort();
  stream = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('who').textContent = '';
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, 'aria-label': 'API token' });
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'username', placeholder: 'your name', maxlength: 64, 'aria-label': 'your name' });
  const error = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    { class: 'card signin' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'With the medic’s API token (MEDIC_API_TOKEN or <data dir>/api-token), or open the one-time link that ', h('code', {}, 'clawmedic dashboard'), ' prints.'),
    h('label', {}, 'API token', token),
    h('label', {}, 'Name (recorded in the audit)', name),
    h('button', { type: 'submit', class: 'ok' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await signIn({ token: token.value, ...(name.value.trim() ? { name: name.value.trim() } : {}) });
      token.value = '';
      start();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  clear(main, form);
}

// --- views -----------------------------------------------------------------

async function overview() {
  const status = await call('GET', '/status');
  const open = status.targets.filter((t) => t.incident);
  const timelines = await Promise.all(open.map((t) => call('GET', `/incidents/${encodeURIComponent(t.incident.id)}`).catch(() => null)));
  return [
    h('h1', { class: 'sr' }, 'Now'),
    h('section', { class: 'grid', id: 'targets' }, status.targets.map((t) => targetCard(t, act))),
    h('h2', {}, open.length ? 'Open incidents' : 'No open incident'),
    open.map((t, n) => {
      const found = timelines[n];
      return h(
        'article',
        { class: 'card incident', dataset: { incident: t.incident.id } },
        h('h3', {}, h('a', { href: `#/incident/${encodeURIComponent(t.incident.id)}` }, t.incident.id), ` · ${t.name} · ${t.incident.state.replace('_', ' ')} · level ${t.incident.level}`),
        h('p', { class: 'cause' }, t.incident.cause),
        found?.incident.failure ? failureBox(found.incident.failure) : null,
        t.incident.approval ? approvalBox(t.name, t.incident.approval, act) : null,
        timeline(t.incident.id, (found?.timeline ?? []).slice(-40)),
      );
    }),
  ];
}

async function historyPage(params) {
  const q = params.get('q') ?? '';
  const input = h('input', { type: 'search', name: 'q', value: q, placeholder: 'search: id, target, cause, class, outcome', 'aria-label': 'search incidents' });
  const form = h('form', { class: 'search', role: 'search' }, input, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/incidents${input.value.trim() ? `?q=${encodeURIComponent(input.value.trim())}` : ''}`;
  });
  const found = await call('GET', `/incidents?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`);
  return [
    h('h1', {}, 'Incidents'),
    form,
    h('p', { class: 'muted' }, `${found.incidents.length} incident(s)${q ? ` matching “${q}”` : ''}`),
    h('ul', { class: 'list', id: 'incident-list' }, found.incidents.map(incidentRow)),
  ];
}

async function incidentPage(id) {
  const found = await call('GET', `/incidents/${encodeURIComponent(id)}`);
  const i = found.incident;
  const openNow = i.closedAt === null;
  return [
    incidentHeader(i),
    openNow && i.approval ? approvalBox(i.target, i.approval, act) : null,
    openNow
      ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: () => act('abort', { target: i.target }) }, 'Abort this incident'))
      : null,
    failureBox(i.failure),
    diagnosisBox(i.lastDiagnosis),
    openNow && i.agent ? h('section', { class: 'agent-live' }, h('h3', {}, 'AI agent, live'), h('pre', { class: 'agent-screen', dataset: { incident: i.id } })) : null,
    h('h2', {}, 'Timeline'),
    timeline(i.id, found.timeline),
    transcriptsBox(found.transcripts),
  ];
}

async function auditPage(params) {
  const q = params.get('q') ?? '';
  const input = h('input', { type: 'search', name: 'q', value: q, placeholder: 'search: who, what, target', 'aria-label': 'search the audit log' });
  const form = h('form', { class: 'search', role: 'search' }, input, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/audit${input.value.trim() ? `?q=${encodeURIComponent(input.value.trim())}` : ''}`;
  });
  const found = await call('GET', `/audit?limit=500${q ? `&q=${encodeURIComponent(q)}` : ''}`);
  return [h('h1', {}, 'Audit log'), form, h('ul', { class: 'list', id: 'audit-list' }, found.audit.map(auditRow))];
}

function route() {
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query ?? '');
  const m = /^\/incident\/(.+)$/.exec(path);
  if (m) return { name: 'incident', id: decodeURIComponent(m[1]), view: () => incidentPage(decodeURIComponent(m[1])) };
  if (path === '/incidents') return { name: 'incidents', view: () => historyPage(params) };
  if (path === '/audit') return { name: 'audit', view: () => auditPage(params) };
  return { name: 'overview', view: overview };
}

async function show() {
  const r = route();
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('here', a.getAttribute('href') === `#/${r.name === 'overview' ? '' : r.name}`);
  render = async () => {
    try {
      const scroll = window.scrollY;
      clear(main, await r.view());
      window.scrollTo(0, scroll);
    } catch (err) {
      handleError(err);
    }
  };
  render.route = r;
  await render();
}

/** Live events: timeline lines are appended where they are shown; other changes re-render the view. */
function onEvent(name, data) {
  if (name === 'signed-out') return showSignIn('Your session ended: sign in again.');
  if (name === 'record') {
    if (data.incidentId) appendRecord(main, data);
    if (render?.route.name === 'audit') refreshSoon();
    return;
  }
  if (name === 'agent-output') return appendAgentLines(data);
  const r = render?.route;
  if (!r) return;
  if (r.name === 'overview' && ['status', 'incident', 'approval', 'approval-closed'].includes(name)) {
    if (name === 'status' && !changedTarget(data)) return;
    refreshSoon();
  }
  if (r.name === 'incident' && (data.incident?.id === r.id || data.incidentId === r.id)) refreshSoon();
  if (r.name === 'incidents' && name === 'incident') refreshSoon();
}

/** The AI agent's new screen lines, on its incident's page (the last 500 kept). */
function appendAgentLines(e) {
  for (const pre of main.querySelectorAll('pre.agent-screen')) {
    if (pre.dataset.incident !== e.incidentId) continue;
    const lines = `${pre.textContent}${pre.textContent ? '\n' : ''}${e.lines.join('\n')}`.split('\n');
    pre.textContent = lines.slice(-500).join('\n');
    pre.scrollTop = pre.scrollHeight;
  }
}

/** A status event that changes what a target card shows (not only its last probe's timing). */
const lastShown = new Map();
function changedTarget(t) {
  const key = JSON.stringify({ ...t, lastProbe: t.lastProbe ? { ok: t.lastProbe.ok, status: t.lastProbe.status } : null });
  if (lastShown.get(t.name) === key) return false;
  lastShown.set(t.name, key);
  return true;
}

function refreshSoon() {
  clearTimeout(pendingRefresh);
  pendingRefresh = setTimeout(() => render?.(), 150);
}

function start() {
  document.getElementById('nav').hidden = false;
  document.getElementById('who').textContent = session.operator ?? '';
  const signOut = h('button', { type: 'button', class: 'link', onclick: async () => {
    await call('POST', '/sign-out', {}).catch(() => {});
    session.clear();
    showSignIn('Signed out.');
  } }, 'sign out');
  document.getElementById('who').append(' ', signOut);
  stream?.abort();
  stream = new AbortController();
  void listen(onEvent, (s) => {
    live.textContent = s;
    live.classList.toggle('on', s === 'live');
  }, stream.signal);
  void show();
}

async function boot() {
  // A one-time link: #login=<code>. The code leaves the address bar (and history) before it is used.
  const m = /^#login=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', location.pathname);
    try {
      await signIn({ link: m[1] });
    } catch (err) {
      return showSignIn(err.message);
    }
  }
  if (!session.token) return showSignIn();
  start();
}

window.addEventListener('hashchange', () => {
  if (session.token && !location.hash.startsWith('#login=')) void show();
  else if (location.hash.startsWith('#login=')) void boot();
});
void boot();

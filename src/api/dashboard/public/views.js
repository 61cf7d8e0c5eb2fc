// The dashboard's views: targets, open incidents with their live timelines, the history, one
// incident's page, the audit log. Each returns elements; app.js puts them on the page.
import { ago, badge, h, time } from './dom.js';

const LEVELS = ['0 supervise', '1 watchdog', '2 repair', '3 AI agent', '4 human'];

/** One timeline line; `key` lets a live line and a fetched one be shown once. */
export function recordItem(r) {
  return h(
    'li',
    { class: `rec k-${r.kind}`, dataset: { key: `${r.at}|${r.text}` } },
    h('time', { datetime: new Date(r.at).toISOString() }, time(r.at)),
    r.level !== null && r.level !== undefined ? h('span', { class: 'lvl' }, `L${r.level}`) : null,
    h('span', { class: 'text' }, r.text),
  );
}

export function timeline(incidentId, records) {
  return h('ol', { class: 'timeline', dataset: { incident: incidentId }, 'aria-live': 'polite' }, records.map(recordItem));
}

/** Appends a live record to every timeline of its incident on the page, once. */
export function appendRecord(root, r) {
  for (const list of root.querySelectorAll('ol.timeline')) {
    if (list.dataset.incident !== r.incidentId) continue;
    const key = `${r.at}|${r.text}`;
    if ([...list.children].some((li) => li.dataset.key === key)) continue;
    const li = recordItem(r);
    li.classList.add('new');
    list.append(li);
  }
}

export function targetCard(t, act) {
  const probe = t.lastProbe ? (t.lastProbe.ok ? `${t.lastProbe.status} in ${t.lastProbe.latencyMs} ms` : t.lastProbe.error) : 'none yet';
  return h(
    'article',
    { class: `card target p-${t.phase}`, dataset: { target: t.name } },
    h('div', { class: 'row' }, h('h2', {}, t.name), badge(t.phase, `phase-${t.phase}`), badge(t.health, `health-${t.health}`)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'process'), h('dd', {}, `${t.process}${t.pid ? ` · pid ${t.pid}` : ''}`),
      h('dt', {}, 'up'), h('dd', {}, t.startedAt && t.process === 'running' ? ago(t.startedAt) : '—'),
      h('dt', {}, 'restarts'), h('dd', {}, String(t.restarts)),
      h('dt', {}, 'last probe'), h('dd', {}, probe),
      t.paused ? [h('dt', {}, 'paused'), h('dd', {}, t.pausedUntil ? `until ${time(t.pausedUntil)}` : 'until resumed')] : null,
      t.incident ? [h('dt', {}, 'incident'), h('dd', {}, h('a', { href: `#/incident/${encodeURIComponent(t.incident.id)}` }, t.incident.id))] : null,
    ),
    targetActions(t, act),
  );
}

function targetActions(t, act) {
  // Level 3 only where the AI agent is available; the default is the next level up.
  const level = h('select', { 'aria-label': `level for ${t.name}` }, LEVELS.map((l, i) => h('option', { value: String(i), disabled: i === 3 && !t.agent }, l)));
  const next = t.incident ? Math.min(4, t.incident.level + 1) : 1;
  level.value = String(next === 3 && !t.agent ? 4 : next);
  return h(
    'div',
    { class: 'actions' },
    h('span', { class: 'group' }, level, h('button', { type: 'button', onclick: () => act('recover', { target: t.name, level: Number(level.value) }) }, 'Recover')),
    t.paused
      ? h('button', { type: 'button', onclick: () => act('resume', { target: t.name }) }, 'Resume')
      : h('button', { type: 'button', onclick: () => act('pause', { target: t.name }) }, 'Pause'),
    t.incident ? h('button', { type: 'button', class: 'danger', onclick: () => act('abort', { target: t.name }) }, 'Abort') : null,
  );
}

/** An open question with its three answers. */
export function approvalBox(target, a, act) {
  return h(
    'section',
    { class: 'approval', dataset: { approval: a.id } },
    h('h3', {}, `Question ${a.id}`),
    h('p', {}, a.question),
    a.command ? h('pre', { class: 'cmd' }, a.command) : null,
    h('p', { class: 'muted' }, `expires ${time(a.expiresAt)}`),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'ok', dataset: { action: 'approve' }, onclick: () => act('approve', { target, approval: a.id, approved: true }) }, 'Approve'),
      a.kind === 'agent-tool'
        ? h('button', { type: 'button', dataset: { action: 'grant' }, onclick: () => act('approve', { target, approval: a.id, approved: true, scope: 'incident' }) }, 'Approve for the incident')
        : null,
      h('button', { type: 'button', class: 'danger', dataset: { action: 'deny' }, onclick: () => act('approve', { target, approval: a.id, approved: false }) }, 'Deny'),
    ),
  );
}

export function failureBox(f) {
  if (!f) return null;
  return h(
    'section',
    { class: 'failure' },
    h('h3', {}, 'Failure ', badge(f.class, 'class')),
    h('p', {}, f.summary),
    f.culprit ? h('p', {}, 'Culprit: ', h('code', {}, f.culprit)) : null,
    f.evidence?.length ? h('pre', { class: 'evidence' }, f.evidence.join('\n')) : null,
  );
}

export function incidentRow(i) {
  return h(
    'li',
    { class: 'incident-row', dataset: { incident: i.id } },
    h('a', { href: `#/incident/${encodeURIComponent(i.id)}` }, h('strong', {}, i.id)),
    ' ',
    badge(i.state.replace('_', ' '), `state-${i.state}`),
    i.failure ? badge(i.failure.class, 'class') : null,
    h('div', { class: 'cause' }, i.cause),
    h('div', { class: 'muted' }, `${time(i.openedAt)} · level ${i.level} (max ${i.maxLevel}) · ${i.restarts} restarts${i.outcome ? ` · ${i.outcome}` : ''}`),
  );
}

export function incidentHeader(i) {
  return h(
    'header',
    { class: 'incident-head' },
    h('h1', {}, i.id, ' ', badge(i.state.replace('_', ' '), `state-${i.state}`)),
    h('p', { class: 'cause' }, i.cause),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'target'), h('dd', {}, i.target),
      h('dt', {}, 'opened'), h('dd', {}, time(i.openedAt)),
      h('dt', {}, 'closed'), h('dd', {}, i.closedAt ? `${time(i.closedAt)} (after ${ago(i.openedAt, i.closedAt)})` : 'open'),
      h('dt', {}, 'level'), h('dd', {}, `${i.level} (highest ${i.maxLevel})`),
      h('dt', {}, 'restarts'), h('dd', {}, String(i.restarts)),
      i.tried?.length ? [h('dt', {}, 'repairs tried'), h('dd', {}, i.tried.join(', '))] : null,
      i.agent ? [h('dt', {}, 'AI agent'), h('dd', {}, `${i.agent.runs} session(s)${i.agent.result ? ` · ${i.agent.result}` : ''}`)] : null,
      h('dt', {}, 'outcome'), h('dd', {}, i.outcome ?? '—'),
    ),
  );
}

export function diagnosisBox(d) {
  if (!d) return null;
  const lines = [
    `config: ${d.config.ok ? 'valid' : `invalid: ${d.config.error ?? ''}`}`,
    `last-known-good: ${d.lastKnownGood.available ? (d.lastKnownGood.differs ? 'available, differs' : 'available, same') : 'none'}`,
    `port holder: ${d.portHolder ? `pid ${d.portHolder.pid} (${d.portHolder.command})${d.portHolder.stale ? ', stale' : ''}` : 'none'}`,
  ];
  return h('section', { class: 'diagnosis' }, h('h3', {}, 'Last diagnosis'), h('pre', {}, lines.join('\n')));
}

export function transcriptsBox(transcripts) {
  if (!transcripts?.length) return null;
  return h(
    'section',
    { class: 'transcripts' },
    h('h3', {}, 'AI agent transcript'),
    transcripts.map((t) =>
      h('details', { open: transcripts.length === 1 }, h('summary', {}, `session ${t.run} · ${t.lines.length} lines${t.truncated ? ' (last part)' : ''}`), h('pre', { class: 'transcript' }, t.lines.join('\n'))),
    ),
  );
}

export function auditRow(r) {
  return h(
    'li',
    { class: `audit-row k-${r.kind}` },
    h('time', {}, time(r.at)),
    ' ',
    badge(r.kind),
    ' ',
    h('span', { class: 'muted' }, r.target),
    r.incidentId ? [' ', h('a', { href: `#/incident/${encodeURIComponent(r.incidentId)}` }, r.incidentId)] : null,
    h('div', { class: 'text' }, r.text),
  );
}

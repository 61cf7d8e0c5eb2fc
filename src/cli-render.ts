/** Readable tables for the CLI: what a person at 3 a.m. needs first, on one line per thing. */
import type { MedicStatus } from './medic.js';
import type { IncidentWithTimeline } from './recovery/ports.js';
import type { Incident } from './recovery/types.js';

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d${h % 24}h`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function renderStatus(status: MedicStatus, now: number): string {
  const rows = [['TARGET', 'HEALTH', 'PID', 'UPTIME', 'RESTARTS', 'LAST PROBE', 'PHASE', 'INCIDENT']];
  for (const t of status.targets) {
    const probe = t.lastProbe
      ? `${t.lastProbe.ok ? `${t.lastProbe.status} in ${t.lastProbe.latencyMs} ms` : t.lastProbe.error}, ${formatDuration(now - t.lastProbe.at)} ago`
      : 'none yet';
    const inc = t.incident ? `${t.incident.id} ${t.incident.state} L${t.incident.level}` : '-';
    rows.push([
      t.name,
      t.paused ? `${t.health} (paused)` : t.health,
      t.pid === null ? '-' : String(t.pid),
      t.startedAt === null || t.process !== 'running' ? '-' : formatDuration(now - t.startedAt),
      String(t.restarts),
      probe,
      t.phase,
      inc,
    ]);
  }
  const m = status.medic;
  return `clawmedic ${m.version} (pid ${m.pid}, up ${formatDuration(m.uptimeMs)})\n\n${table(rows)}`;
}

export function renderIncidentList(body: { incidents: Incident[] }): string {
  if (!body.incidents.length) return 'no incidents';
  const rows = [['ID', 'STATE', 'LEVEL', 'OPENED', 'DURATION', 'CAUSE', 'OUTCOME']];
  for (const i of body.incidents) {
    rows.push([
      i.id,
      i.state,
      `L${i.level}`,
      new Date(i.openedAt).toISOString().replace('T', ' ').slice(0, 19),
      formatDuration((i.closedAt ?? Date.now()) - i.openedAt),
      i.cause,
      i.outcome ?? '-',
    ]);
  }
  return table(rows);
}

export function renderIncident(body: IncidentWithTimeline): string {
  const i = body.incident;
  const head = `${i.id} (${i.target}): ${i.state} at level ${i.level}, highest ${i.maxLevel}\ncause: ${i.cause}\noutcome: ${i.outcome ?? '-'}\n`;
  const lines = body.timeline.map((r) => {
    const t = new Date(r.at).toISOString().slice(11, 19);
    return `${t}  ${r.kind.padEnd(8)} ${r.text.replace(/\n/g, '\n                   ')}`;
  });
  return `${head}\n${lines.join('\n')}`;
}

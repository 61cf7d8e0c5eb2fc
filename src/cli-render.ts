/** Readable tables for the CLI: what a person at 3 a.m. needs first, on one line per thing. */
import type { MedicStatus } from './medic.js';
import type { IncidentWithTimeline } from './recovery/ports.js';
import type { Incident } from './recovery/types.js';
import { formatTimeOfDay, formatTimestamp, zoneLabel, type TimeRule } from './cli/time.js';
import { describeVitals } from './recovery/vitals/describe.js';

/** How output is laid out: the terminal's width (undefined: not a terminal, nothing is cut) and the time rule. */
export interface RenderOptions extends TimeRule {
  width?: number | undefined;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d${h % 24}h`;
}

/** Cuts `text` to `max` characters, ending in `…` when cut. */
export function cut(text: string, max: number): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}

const MIN_FLEX = 12;

/**
 * Columns separated by two spaces. With a `width`, the `flexible` columns (causes, errors) are
 * cut, widest first, until each line fits; the others are never cut.
 */
export function table(rows: string[][], width?: number, flexible: number[] = []): string {
  const one = rows.map((r) => r.map((c) => c.replace(/\s*\n\s*/g, ' ')));
  const widths = one[0]!.map((_, i) => Math.max(...one.map((r) => (r[i] ?? '').length)));
  if (width !== undefined) {
    let over = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) - width;
    while (over > 0) {
      const widest = flexible.filter((i) => widths[i]! > MIN_FLEX).sort((a, b) => widths[b]! - widths[a]!)[0];
      if (widest === undefined) break;
      const take = Math.min(over, widths[widest]! - MIN_FLEX);
      widths[widest] = widths[widest]! - take;
      over -= take;
    }
  }
  return one.map((r) => r.map((cell, i) => cut(cell, widths[i]!).padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function renderStatus(status: MedicStatus, now: number, o: RenderOptions = {}): string {
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
  const vitals = status.targets.flatMap((t) => describeVitals(t, now).map((line) => `  ${t.name} ${line}`));
  return `clawmedic ${m.version} (pid ${m.pid}, up ${formatDuration(m.uptimeMs)})\n\n${table(rows, o.width, [5, 7])}${vitals.length ? `\n\n${vitals.join('\n')}` : ''}`;
}

export function renderIncidentList(body: { incidents: Incident[] }, now = Date.now(), o: RenderOptions = {}): string {
  if (!body.incidents.length) return 'no incidents';
  const rows = [['ID', 'STATE', 'LEVEL', 'OPENED', 'DURATION', 'CAUSE', 'OUTCOME']];
  for (const i of body.incidents) {
    rows.push([
      i.id,
      i.state,
      `L${i.level}`,
      formatTimestamp(i.openedAt, o),
      formatDuration((i.closedAt ?? now) - i.openedAt),
      i.cause,
      i.outcome ?? '-',
    ]);
  }
  return table(rows, o.width, [5, 6]);
}

export function renderIncident(body: IncidentWithTimeline, o: RenderOptions = {}): string {
  const i = body.incident;
  const head = `${i.id} (${i.target}): ${i.state} at level ${i.level}, highest ${i.maxLevel}, opened ${formatTimestamp(i.openedAt, o)}\ncause: ${i.cause}\noutcome: ${i.outcome ?? '-'}\n`;
  const lines = body.timeline.map((r) => `${formatTimeOfDay(r.at, o)}  ${r.kind.padEnd(8)} ${r.text.replace(/\n/g, '\n                   ')}`);
  return `${head}\ntimeline (${zoneLabel(i.openedAt, o)}):\n${lines.join('\n')}`;
}

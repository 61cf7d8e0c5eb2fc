/**
 * A digest of the incidents of a period as Markdown: counts by failure class and by outcome, the
 * time to recover (median and mean), how many needed a person, the top causes. Pure.
 */
import type { Incident } from '../recovery/types.js';
import { iso, seconds } from './markdown.js';

export interface Digest {
  from: number;
  to: number;
  incidents: number;
  resolved: number;
  /** Reached level 4 (a person) at some point. */
  needingPerson: number;
  /** Milliseconds, over the resolved incidents; null when none resolved. */
  mttrMs: number | null;
  medianMs: number | null;
  byClass: Record<string, number>;
  topCauses: { cause: string; count: number }[];
  markdown: string;
}

export function digest(all: Incident[], from: number, to: number): Digest {
  const incidents = all.filter((i) => i.openedAt >= from && i.openedAt < to);
  const resolved = incidents.filter((i) => i.state === 'resolved' && i.closedAt !== null);
  const durations = resolved.map((i) => i.closedAt! - i.openedAt).sort((a, b) => a - b);
  const mttrMs = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
  const medianMs = durations.length ? durations[Math.floor((durations.length - 1) / 2)]! : null;
  const byClass: Record<string, number> = {};
  for (const i of incidents) byClass[i.failure?.class ?? 'unclassified'] = (byClass[i.failure?.class ?? 'unclassified'] ?? 0) + 1;
  const causes = new Map<string, number>();
  // Causes without their numbers (pids, ports, seconds), so the same fault counts as one.
  for (const i of incidents) {
    const cause = i.cause.replace(/\d+/g, 'N');
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  }
  const topCauses = [...causes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([cause, count]) => ({ cause, count }));
  const needingPerson = incidents.filter((i) => i.maxLevel >= 4).length;
  const lines = [
    `# clawmedic digest: ${iso(from)} to ${iso(to)}`,
    '',
    `- Incidents: ${incidents.length}; resolved ${resolved.length}; needed a person ${needingPerson}; healed with no person ${resolved.filter((i) => i.maxLevel < 4).length}`,
    `- Time to recover: ${mttrMs === null ? 'none resolved' : `mean ${seconds(mttrMs)}, median ${seconds(medianMs!)}`}`,
    '',
    '## By failure class',
    '',
    ...(Object.keys(byClass).length ? Object.entries(byClass).sort((a, b) => b[1] - a[1]).map(([c, n]) => `- ${c}: ${n}`) : ['- (none)']),
    '',
    '## Top causes',
    '',
    ...(topCauses.length ? topCauses.map((c) => `- ${c.count} × ${c.cause}`) : ['- (none)']),
  ];
  return { from, to, incidents: incidents.length, resolved: resolved.length, needingPerson, mttrMs, medianMs, byClass, topCauses, markdown: `${lines.join('\n')}\n` };
}

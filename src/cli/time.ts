/**
 * The one rule for times the CLI prints: the host's local time with its zone label
 * (`10:42 UTC`, `11:42 CET`, `19:42 GMT+9`), the same clock as the medic's pretty logs.
 * The CLI talks to a medic on the same host (127.0.0.1), so "local" is the medic's too.
 */

/** `timeZone`: an IANA zone for tests; default the process's (`TZ`, else the system's). */
export interface TimeRule {
  timeZone?: string;
}

interface Parts {
  date: string;
  hm: string;
  hms: string;
  zone: string;
}

function parts(ms: number, rule: TimeRule): Parts {
  const format = new Intl.DateTimeFormat('en-GB', {
    ...(rule.timeZone ? { timeZone: rule.timeZone } : {}),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  const p = Object.fromEntries(format.formatToParts(ms).map((x) => [x.type, x.value])) as Record<string, string>;
  const hm = `${p.hour}:${p.minute}`;
  return { date: `${p.year}-${p.month}-${p.day}`, hm, hms: `${hm}:${p.second}`, zone: p.timeZoneName ?? 'local' };
}

/** `10:42 UTC`: a time within the next or last few hours. */
export function formatClock(ms: number, rule: TimeRule = {}): string {
  const p = parts(ms, rule);
  return `${p.hm} ${p.zone}`;
}

/** `2026-12-03 10:42:05 UTC`: a point in time in a table or a report. */
export function formatTimestamp(ms: number, rule: TimeRule = {}): string {
  const p = parts(ms, rule);
  return `${p.date} ${p.hms} ${p.zone}`;
}

/** `10:42:05`: one line of a timeline whose heading carries the zone (`zoneLabel`). */
export function formatTimeOfDay(ms: number, rule: TimeRule = {}): string {
  return parts(ms, rule).hms;
}

/** The zone's label at that moment (`UTC`, `CET`, `GMT+9`): a heading states it once. */
export function zoneLabel(ms: number, rule: TimeRule = {}): string {
  return parts(ms, rule).zone;
}

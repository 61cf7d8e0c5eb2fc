/**
 * When the digest is posted (DIGEST_SCHEDULE): `off`; `weekly` (Monday 09:00); a day and a time
 * (`mon 09:00`, `friday 17:30`) or `daily 08:00`, in the host's local time zone; or `every <N>m|h|d`,
 * at multiples of N since 1970-01-01 00:00 UTC (`every 24h` is midnight UTC). Pure: a schedule is a
 * value, its slots are computed from a time; the poster (digest-poster.ts) waits on the injected clock.
 */

export type DigestSchedule =
  | { kind: 'off' }
  /** `weekday` 0 (Sunday) to 6, or null for every day; local time. */
  | { kind: 'at'; weekday: number | null; hour: number; minute: number }
  | { kind: 'every'; everyMs: number };

export const DEFAULT_DIGEST_SCHEDULE: DigestSchedule = { kind: 'at', weekday: 1, hour: 9, minute: 0 };

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DAY_MS = 86_400_000;

/** What DIGEST_SCHEDULE may say, for the error that says how to fix it. */
export const DIGEST_SCHEDULE_FORMS = 'off, weekly (Monday 09:00), a day and a local time (mon 09:00, friday 17:30), daily HH:MM, or every <N>m|h|d (every 24h)';

export function parseDigestSchedule(raw: string): DigestSchedule | { error: string } {
  const text = raw.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === 'off') return { kind: 'off' };
  if (text === 'weekly') return DEFAULT_DIGEST_SCHEDULE;
  const every = /^every (\d{1,6}) ?(m|min|h|d)$/.exec(text);
  if (every) {
    const everyMs = Number(every[1]) * UNIT_MS[every[2]!.charAt(0) as keyof typeof UNIT_MS];
    if (everyMs < 10 * 60_000) return { error: 'must be at least every 10m' };
    if (everyMs > 366 * DAY_MS) return { error: 'must be at most every 366d' };
    return { kind: 'every', everyMs };
  }
  const at = /^([a-z]+) (\d{1,2})(?::(\d{2}))?$/.exec(text);
  if (at) {
    const day = at[1]!;
    const weekday = day === 'daily' ? null : DAYS.indexOf(day as (typeof DAYS)[number]) >= 0 ? DAYS.indexOf(day as (typeof DAYS)[number]) : FULL_DAYS.indexOf(day as (typeof FULL_DAYS)[number]);
    const hour = Number(at[2]);
    const minute = Number(at[3] ?? 0);
    if (weekday === -1) return { error: `'${day}' is not a day: use mon, tue, wed, thu, fri, sat, sun or daily` };
    if (hour > 23 || minute > 59) return { error: `${at[2]}:${at[3] ?? '00'} is not a time of day (00:00 to 23:59)` };
    return { kind: 'at', weekday, hour, minute };
  }
  return { error: `must be ${DIGEST_SCHEDULE_FORMS}` };
}

/** As a person reads it (logs, check-config). */
export function describeSchedule(s: DigestSchedule): string {
  if (s.kind === 'off') return 'off';
  if (s.kind === 'every') {
    const [n, unit] = s.everyMs % DAY_MS === 0 ? [s.everyMs / DAY_MS, 'd'] : s.everyMs % 3_600_000 === 0 ? [s.everyMs / 3_600_000, 'h'] : [s.everyMs / 60_000, 'm'];
    return `every ${n}${unit} (UTC)`;
  }
  const time = `${String(s.hour).padStart(2, '0')}:${String(s.minute).padStart(2, '0')}`;
  return `${s.weekday === null ? 'daily' : `${FULL_DAYS[s.weekday]}s`} at ${time} local time`;
}

/** The latest slot at or before `now`; null when off. */
export function previousSlot(s: DigestSchedule, now: number): number | null {
  if (s.kind === 'off') return null;
  if (s.kind === 'every') return Math.floor(now / s.everyMs) * s.everyMs;
  const d = new Date(now);
  const back = s.weekday === null ? 0 : (d.getDay() - s.weekday + 7) % 7;
  let slot = new Date(d.getFullYear(), d.getMonth(), d.getDate() - back, s.hour, s.minute).getTime();
  if (slot > now) slot = shiftDays(slot, s.weekday === null ? -1 : -7, s);
  return slot;
}

/** The first slot after `now`; null when off. */
export function nextSlot(s: DigestSchedule, now: number): number | null {
  const prev = previousSlot(s, now);
  if (prev === null || s.kind === 'off') return null;
  if (s.kind === 'every') return prev + s.everyMs;
  return shiftDays(prev, s.weekday === null ? 1 : 7, s);
}

/** The slot before `slot`: the digest posted at `slot` covers [periodStart(slot), slot). */
export function periodStart(s: DigestSchedule, slot: number): number {
  if (s.kind === 'every') return slot - s.everyMs;
  if (s.kind === 'off') return slot;
  return shiftDays(slot, s.weekday === null ? -1 : -7, s);
}

/** `days` calendar days from `slot`, at the schedule's local time (a DST change keeps 09:00 at 09:00). */
function shiftDays(slot: number, days: number, s: { hour: number; minute: number }): number {
  const d = new Date(slot);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, s.hour, s.minute).getTime();
}

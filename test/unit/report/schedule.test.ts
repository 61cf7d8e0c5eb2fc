/** DIGEST_SCHEDULE: what it accepts (and how it refuses), and its slots in local time or at UTC multiples. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DIGEST_SCHEDULE, describeSchedule, nextSlot, parseDigestSchedule, periodStart, previousSlot, type DigestSchedule } from '../../../src/report/schedule.js';

const local = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min).getTime();

describe('parseDigestSchedule', () => {
  it.each([
    ['off', { kind: 'off' }],
    ['weekly', DEFAULT_DIGEST_SCHEDULE],
    ['mon 09:00', { kind: 'at', weekday: 1, hour: 9, minute: 0 }],
    ['  Friday   17:30 ', { kind: 'at', weekday: 5, hour: 17, minute: 30 }],
    ['sun 7', { kind: 'at', weekday: 0, hour: 7, minute: 0 }],
    ['daily 08:15', { kind: 'at', weekday: null, hour: 8, minute: 15 }],
    ['every 24h', { kind: 'every', everyMs: 86_400_000 }],
    ['every 7d', { kind: 'every', everyMs: 7 * 86_400_000 }],
    ['every 30m', { kind: 'every', everyMs: 1_800_000 }],
  ] as [string, DigestSchedule][])('%s', (raw, want) => {
    expect(parseDigestSchedule(raw)).toEqual(want);
  });

  it.each([
    ['monday', 'must be off, weekly (Monday 09:00), a day and a local time (mon 09:00, friday 17:30), daily HH:MM, or every <N>m|h|d (every 24h)'],
    ['funday 09:00', "'funday' is not a day: use mon, tue, wed, thu, fri, sat, sun or daily"],
    ['mon 24:00', '24:00 is not a time of day (00:00 to 23:59)'],
    ['mon 9:75', '9:75 is not a time of day (00:00 to 23:59)'],
    ['every 5m', 'must be at least every 10m'],
    ['every 400d', 'must be at most every 366d'],
    ['0 9 * * 1', 'must be off, weekly (Monday 09:00), a day and a local time (mon 09:00, friday 17:30), daily HH:MM, or every <N>m|h|d (every 24h)'],
  ])('refuses %s', (raw, error) => {
    expect(parseDigestSchedule(raw)).toEqual({ error });
  });

  it('describes itself as a person reads it', () => {
    expect(describeSchedule(DEFAULT_DIGEST_SCHEDULE)).toBe('mondays at 09:00 local time');
    expect(describeSchedule({ kind: 'at', weekday: null, hour: 8, minute: 5 })).toBe('daily at 08:05 local time');
    expect(describeSchedule({ kind: 'every', everyMs: 86_400_000 })).toBe('every 1d (UTC)');
    expect(describeSchedule({ kind: 'every', everyMs: 5_400_000 })).toBe('every 90m (UTC)');
    expect(describeSchedule({ kind: 'off' })).toBe('off');
  });
});

describe('slots', () => {
  const weekly = DEFAULT_DIGEST_SCHEDULE; // Monday 09:00, local
  it('weekly: the Monday 09:00 at or before now, and the one after; a digest covers the week before its slot', () => {
    // 2026-12-02 is a Wednesday.
    const wed = local(2026, 12, 2, 14, 0);
    expect(previousSlot(weekly, wed)).toBe(local(2026, 11, 30, 9));
    expect(nextSlot(weekly, wed)).toBe(local(2026, 12, 7, 9));
    expect(periodStart(weekly, local(2026, 11, 30, 9))).toBe(local(2026, 11, 23, 9));
    // Monday before 09:00 belongs to the week before; at 09:00 exactly, the slot is now.
    expect(previousSlot(weekly, local(2026, 11, 30, 8, 59))).toBe(local(2026, 11, 23, 9));
    expect(previousSlot(weekly, local(2026, 11, 30, 9))).toBe(local(2026, 11, 30, 9));
    expect(nextSlot(weekly, local(2026, 11, 30, 9))).toBe(local(2026, 12, 7, 9));
  });

  it('weekly: across a month and a year end', () => {
    expect(nextSlot(weekly, local(2026, 12, 29, 10))).toBe(local(2027, 1, 4, 9));
    expect(previousSlot({ kind: 'at', weekday: 0, hour: 23, minute: 30 }, local(2027, 1, 2, 12))).toBe(local(2026, 12, 27, 23, 30));
  });

  it('daily: today at the time once it passed, else yesterday', () => {
    const daily: DigestSchedule = { kind: 'at', weekday: null, hour: 8, minute: 0 };
    expect(previousSlot(daily, local(2026, 12, 3, 7))).toBe(local(2026, 12, 2, 8));
    expect(previousSlot(daily, local(2026, 12, 3, 9))).toBe(local(2026, 12, 3, 8));
    expect(nextSlot(daily, local(2026, 12, 3, 9))).toBe(local(2026, 12, 4, 8));
    expect(periodStart(daily, local(2026, 12, 3, 8))).toBe(local(2026, 12, 2, 8));
  });

  it('every N: multiples of N since the epoch, whatever the start time', () => {
    const every: DigestSchedule = { kind: 'every', everyMs: 86_400_000 };
    const t = Date.UTC(2026, 11, 3, 16, 40);
    expect(previousSlot(every, t)).toBe(Date.UTC(2026, 11, 3));
    expect(nextSlot(every, t)).toBe(Date.UTC(2026, 11, 4));
    expect(periodStart(every, Date.UTC(2026, 11, 4))).toBe(Date.UTC(2026, 11, 3));
  });

  it('off: no slots', () => {
    expect(previousSlot({ kind: 'off' }, Date.now())).toBeNull();
    expect(nextSlot({ kind: 'off' }, Date.now())).toBeNull();
  });
});

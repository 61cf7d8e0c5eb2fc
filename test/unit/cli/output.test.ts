/** What the CLI prints for people: the time rule, write sentences, tables cut to the terminal. */
import { describe, expect, it } from 'vitest';
import { cut, renderIncident, renderIncidentList, table } from '../../../src/cli-render.js';
import { sayWriteResult } from '../../../src/cli/sentences.js';
import { formatClock, formatTimestamp, zoneLabel } from '../../../src/cli/time.js';
import type { Incident } from '../../../src/recovery/types.js';

const AT = Date.UTC(2026, 11, 3, 10, 32, 5);

describe('times: local time with its zone, always labelled', () => {
  it.each([
    ['UTC', '10:32 UTC', '2026-12-03 10:32:05 UTC'],
    ['Europe/Paris', '11:32 CET', '2026-12-03 11:32:05 CET'],
    ['Asia/Tokyo', '19:32 GMT+9', '2026-12-03 19:32:05 GMT+9'],
  ])('%s', (timeZone, clock, stamp) => {
    expect(formatClock(AT, { timeZone })).toBe(clock);
    expect(formatTimestamp(AT, { timeZone })).toBe(stamp);
  });
});

describe('write commands say what happened', () => {
  const utc = { timeZone: 'UTC' };
  it.each([
    [{ kind: 'pause', target: 'openclaw', minutes: 10 }, 'paused openclaw until 10:42 UTC (10 min): watched but not acted on; clawmedic resume openclaw ends it sooner'],
    [{ kind: 'pause', target: 'openclaw', minutes: null }, 'paused openclaw: it is watched but not acted on until clawmedic resume openclaw'],
    [{ kind: 'resume', target: 'openclaw' }, 'resumed openclaw: automatic actions are on again'],
    [{ kind: 'abort', target: 'openclaw', incident: 'openclaw-3' }, 'aborted incident openclaw-3 of openclaw: automatic actions stay paused until clawmedic resume openclaw'],
    [{ kind: 'recover', target: 'openclaw', level: 2, incident: 'openclaw-4' }, 'level 2 (repair) started for openclaw (incident openclaw-4): follow it with clawmedic status'],
    [{ kind: 'approve', target: 'demo', approved: true, scope: 'once', approval: 'a1' }, 'approved (a1) for demo'],
    [{ kind: 'approve', target: 'demo', approved: true, scope: 'incident', approval: 'a1' }, "approved (a1) for demo, and the agent's later actions until the incident ends"],
    [{ kind: 'approve', target: 'demo', approved: false, scope: 'once', approval: 'a1' }, 'denied the question (a1) for demo'],
  ] as const)('%j', (result, sentence) => {
    expect(sayWriteResult(result, AT, utc)).toBe(sentence);
  });
});

const incident = (cause: string): Incident =>
  ({ id: 'gw-1', target: 'gw', state: 'resolved', level: 2, maxLevel: 2, cause, outcome: 'restored the config', openedAt: AT, closedAt: AT + 65_000 }) as Incident;

describe('tables fit the terminal', () => {
  it('cuts only the flexible columns, with an ellipsis, so each line fits', () => {
    const long = 'gateway exited with code 78: config invalid at gateway.mode (expected "local" or "remote"), see the log for the full report';
    const text = renderIncidentList({ incidents: [incident(long)] }, AT + 65_000, { width: 100, timeZone: 'UTC' });
    const lines = text.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines[1]).toContain('2026-12-03 10:32:05 UTC');
    expect(lines[1]).toContain('1m05s');
    expect(lines[1]).toMatch(/  gateway exited with …  restored the config$/);
  });

  it('is not cut when nothing says the width (a pipe, a script)', () => {
    const long = 'x'.repeat(300);
    expect(renderIncidentList({ incidents: [incident(long)] }, AT, { timeZone: 'UTC' })).toContain(long);
  });

  it('keeps the fixed columns whole when the terminal is very narrow', () => {
    const text = table([['ID', 'CAUSE'], ['gw-12345', 'y'.repeat(50)]], 10, [1]);
    expect(text.split('\n')[1]).toBe(`gw-12345  ${'y'.repeat(11)}…`);
    expect(cut('a\nb', 10)).toBe('a b');
  });

  it('an incident timeline states its zone once', () => {
    const text = renderIncident(
      { incident: incident('crash'), timeline: [{ at: AT + 1000, kind: 'action', text: 'restarted' }] } as never,
      { timeZone: 'UTC' },
    );
    expect(text).toContain('opened 2026-12-03 10:32:05 UTC');
    expect(text).toContain('timeline (UTC):\n10:32:06  action   restarted');
  });
});

/** Postmortems and digests: Markdown from what the store kept. */
import { describe, expect, it } from 'vitest';
import { digest } from '../../../src/report/digest.js';
import { fenced } from '../../../src/report/markdown.js';
import { renderPostmortem } from '../../../src/report/postmortem.js';
import type { Incident, LadderRecord } from '../../../src/recovery/types.js';
import { makeIncident } from '../store/store-contract.js';

const T0 = Date.UTC(2026, 11, 3, 3, 0, 0);
const rec = (at: number, kind: LadderRecord['kind'], level: LadderRecord['level'], text: string, by?: string): LadderRecord => ({
  kind, at: T0 + at, target: 'gw', incidentId: 'gw-7', level, text, ...(by ? { by } : {}),
});

function pluginIncident(overrides: Partial<Incident> = {}): Incident {
  return makeIncident('gw-7', 'gw', T0, {
    cause: 'gateway exited with code 1',
    state: 'resolved',
    closedAt: T0 + 72_000,
    level: 2,
    maxLevel: 2,
    restarts: 2,
    tried: ['disable-plugin'],
    outcome: 'fixed by disable-plugin',
    failure: {
      class: 'plugin-crash',
      culprit: 'crash-plugin',
      summary: 'plugin crash-plugin throws at every start',
      evidence: ['Error: boom', '    at …/node_modules/crash-plugin/index.js:3:9', 'evil ``` fence ```` closer'],
    },
    ...overrides,
  });
}

const timeline = [
  rec(0, 'opened', 0, 'gateway exited with code 1'),
  rec(500, 'step', 0, 'gateway started (pid 101)'),
  rec(16_000, 'step', 2, 'repair: disable-plugin'),
  rec(27_000, 'step', 2, 'disable-plugin finished: Disabled plugin "crash-plugin"'),
  rec(72_000, 'resolved', 2, 'resolved after 72.0 s at level 2'),
];

describe('renderPostmortem', () => {
  it('has every section, with the times, the class, what each level tried and a follow-up for the class', () => {
    const md = renderPostmortem({ incident: pluginIncident(), timeline });
    for (const h of ['# Postmortem: gw-7 (gw)', '## Summary', '## Detection and recovery', '## Timeline', '## What each level tried', '## Evidence', '## Follow-ups']) {
      expect(md).toContain(h);
    }
    expect(md).toContain('- **Failure class:** plugin-crash (culprit: crash-plugin): plugin crash-plugin throws at every start');
    expect(md).toContain('- First action after 0.5 s');
    expect(md).toContain('- Recovered after 72.0 s, with no person');
    expect(md).toContain('- 03:00:16 (+16.0 s) L2 repair: disable-plugin');
    expect(md).toContain('- **Level 2 repair:** repair: disable-plugin; disable-plugin finished: Disabled plugin "crash-plugin"');
    expect(md).toContain('- [ ] Fix or remove plugin crash-plugin before re-enabling it (`openclaw plugins enable crash-plugin`).');
    expect(md).not.toContain('## The AI agent');
  });

  it('fences the evidence so that a line from a stranger cannot close the block', () => {
    const md = renderPostmortem({ incident: pluginIncident(), timeline });
    const block = md.slice(md.indexOf('## Evidence'));
    expect(block.split('\n')[2]).toBe('`````text'); // longer than the 4 backticks inside
    expect(fenced(['a ``` b'])).toEqual(['````text', 'a ``` b', '````']);
  });

  it('an incident that needed a person and the agent: who was asked, the agent, an excerpt of its transcript, the follow-ups', () => {
    const { failure: _failure, ...unclassified } = pluginIncident();
    const incident: Incident = {
      ...unclassified,
      state: 'waiting_human',
      closedAt: null,
      maxLevel: 4,
      agent: { runs: 1, reason: 'level 2 had nothing left', startedAt: T0 + 30_000, asks: 2, grantedBy: null, result: 'failed: could not find it' },
    };
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    const md = renderPostmortem({ incident, timeline: [...timeline.slice(0, 3), rec(90_000, 'human', 4, 'human needed: no repair left')] }, [{ run: 1, lines }]);
    expect(md).toContain('- A person was asked after 90.0 s');
    expect(md).toContain('**closed:** still open');
    expect(md).toContain('### Transcript, session 1 (last 40 lines)');
    expect(md).toContain('line 59');
    expect(md).not.toContain('line 19\n');
    expect(md).toContain('- [ ] The incident did not resolve by itself');
    expect(md).toContain("- [ ] Review what the AI agent changed");
  });
});

describe('digest', () => {
  it('counts the period by class and outcome, the time to recover, the top causes without their numbers', () => {
    const day = 86_400_000;
    const incidents: Incident[] = [
      pluginIncident(),
      makeIncident('gw-8', 'gw', T0 + 1_000, { state: 'resolved', closedAt: T0 + 11_000, maxLevel: 0, cause: 'gateway was killed by SIGKILL (pid 4242)' }),
      makeIncident('gw-9', 'gw', T0 + 2_000, { state: 'resolved', closedAt: T0 + 32_000, maxLevel: 0, cause: 'gateway was killed by SIGKILL (pid 5151)' }),
      makeIncident('gw-10', 'gw', T0 + 3_000, { state: 'waiting_human', closedAt: null, maxLevel: 4, cause: 'exit 78' }),
      makeIncident('gw-1', 'gw', T0 - 8 * day, { state: 'resolved', closedAt: T0 - 8 * day + 5_000, cause: 'long ago' }),
    ];
    const d = digest(incidents, T0 - 7 * day, T0 + day);
    expect(d).toMatchObject({ incidents: 4, resolved: 3, needingPerson: 1, byClass: { unclassified: 3, 'plugin-crash': 1 } });
    expect(d.mttrMs).toBeCloseTo((72_000 + 10_000 + 30_000) / 3);
    expect(d.medianMs).toBe(30_000);
    expect(d.topCauses[0]).toEqual({ cause: 'gateway was killed by SIGKILL (pid N)', count: 2 });
    expect(d.markdown).toContain('- Incidents: 4; resolved 3; needed a person 1; healed with no person 3');
    expect(d.markdown).toContain('- 2 × gateway was killed by SIGKILL (pid N)');
    expect(digest([], T0, T0 + day).markdown).toContain('- Time to recover: none resolved');
  });
});

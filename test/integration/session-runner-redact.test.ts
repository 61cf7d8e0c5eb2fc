/**
 * The transcript of an agent session is redacted on logical lines: a secret the 120-column
 * terminal wrapped onto two rows is masked whole, on disk and in the report.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDriver } from '../../src/agent/driver.js';
import { AgentSessionRunner } from '../../src/agent/session-runner.js';
import { Redactor } from '../../src/lib/redact.js';
import { TempDirs } from '../fixtures/gateways.js';
import { agentRequest, runnerOptions } from '../fixtures/agent-runner.js';

const SECRET = 'gw-auth-4f1c9a7e0b2d6c3a8e5f';
const temps = new TempDirs();
afterEach(() => temps.removeAll());

describe('AgentSessionRunner transcript', () => {
  it('masks a known secret the terminal wrapped across two rows, whatever the cut', async () => {
    // Three lines whose secret starts 6, 12 and 20 columns before the right edge.
    const script = [6, 12, 20].map((left) => `console.log('${'x'.repeat(120 - left - 1)} ${SECRET} end');`).join('');
    const driver: AgentDriver = {
      name: 'wrap-driver',
      prepare: async (s) => ({ command: process.execPath, args: ['-e', `${script} setInterval(() => {}, 1000)`], env: { PATH: process.env.PATH ?? '' }, cwd: s.workspace }),
      runTurn: async (session) => {
        for (let i = 0; i < 100 && session.transcript().filter((l) => l.endsWith('end')).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
        return { outcome: 'finished', detail: 'printed' };
      },
    };
    const dir = await temps.make('clawmedic-wrap-');
    const runner = new AgentSessionRunner(runnerOptions(dir, driver, { redactor: new Redactor([SECRET]) }));
    const report = await runner.run(agentRequest({ timeline: [], recentOutput: [], reason: 'test' }), { permission: async () => ({ allow: false, reason: '', by: '' }), output: () => {} }, new AbortController().signal);
    const saved = await readFile(report.transcriptPath!, 'utf8');
    // The terminal did wrap: rows of exactly 120 columns.
    expect(report.transcript.filter((l) => l.length >= 110).length).toBeGreaterThanOrEqual(3);
    for (const text of [saved, report.transcript.join('\n')]) {
      expect(text).not.toContain(SECRET.slice(0, 6));
      expect(text).not.toContain(SECRET.slice(-6));
      expect(text.match(/\[REDACTED\]/g)?.length).toBeGreaterThanOrEqual(3);
    }
  });
});

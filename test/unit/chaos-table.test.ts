import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReport, renderClassTable, replaceTable, TableBegin, TableEnd } from '../chaos/class-table.js';
import type { ClassRow, Measurement } from '../chaos/report.js';

function measurement(at: string, load5: number, row?: Partial<ClassRow>): Measurement {
  return {
    scenario: row?.fault ?? 'first start',
    faultToHealthyMs: 1000,
    faultToResolvedMs: null,
    floorMs: 0,
    incidents: [],
    timeline: [],
    at,
    load: [load5 + 1, load5, load5 - 0.5],
    openclaw: '2026.9.6',
    ...(row
      ? {
          classRow: {
            class: 'plugin-crash',
            fault: 'a plugin throws',
            test: 'plugin.test.ts',
            culprit: null,
            endState: 'healthy',
            healed: true,
            person: null,
            ms: 71_900,
            restarts: 3,
            floorMs: 16_100,
            said: 'plugin crash-plugin crashed the gateway',
            ...row,
          },
        }
      : {}),
  };
}

const report = [
  measurement('2026-12-03T20:40:00.000Z', 2.5),
  measurement('2026-12-03T20:50:00.000Z', 7.25, { class: 'node-too-old', fault: 'Node 20', test: 'crash-loop.test.ts', endState: 'level 4: install Node 24.16+ or 26.1+', healed: false, person: 'level 4: install Node 24.16+ or 26.1+', ms: 900, restarts: 0, floorMs: null, said: 'OpenClaw cannot run on Node 20.20.2 | pipe' }),
  measurement('2026-12-03T20:45:00.000Z', 4, { class: 'out-of-memory', fault: 'a leak', test: 'memory.test.ts', person: 'a leak to look at', note: 'warned 30.0 s before', culprit: null }),
  measurement('2026-12-03T21:05:00.000Z', 3, { culprit: 'crash-plugin' }),
];

describe('the per-class chaos table', () => {
  it('one row per recorded class in the README order, the run in the header, the share healed with no person', () => {
    const block = renderClassTable(report);
    const lines = block.split('\n');
    expect(lines[0]).toBe(TableBegin);
    expect(lines.at(-1)).toBe(TableEnd);
    expect(lines[1]).toBe('One chaos run (2026-12-03 20:40-21:05 UTC), OpenClaw 2026.9.6, load average (5 min, at each test\'s end) 2.5-7.3 on this 2-core machine.');
    const rows = lines.filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => r.split(' | ')[0])).toEqual(['| `plugin-crash`', '| `out-of-memory`', '| `node-too-old`']);
    expect(rows[0]).toBe('| `plugin-crash` | a plugin throws (`plugin.test.ts`) | healthy | 71.9 s | 16.1 s | 3 | no | crash-plugin: plugin crash-plugin crashed the gateway |');
    expect(rows[1]).toContain('| healthy (warned 30.0 s before) |');
    expect(rows[1]).toContain('| a leak to look at |');
    expect(rows[2]).toBe('| `node-too-old` | Node 20 (`crash-loop.test.ts`) | level 4: install Node 24.16+ or 26.1+ | 0.9 s | none started | 0 | level 4: install Node 24.16+ or 26.1+ | OpenClaw cannot run on Node 20.20.2 \\| pipe |');
    expect(block).toContain("**2 of 3 classes healed with no person** (`plugin-crash`, `out-of-memory`; `out-of-memory` also left a finding for a person); the other 1 ended at a person's step (`node-too-old`)");
    expect(block).toContain('Not in this run: `stale-lock`, `version-drift`');
  });

  it('a class with one row needing a person is not counted as healed', () => {
    const block = renderClassTable([report[1]!, measurement('2026-12-03T21:00:00.000Z', 1, { healed: false, endState: 'level 4: x', person: 'level 4: x' }), report[3]!]);
    expect(block).toContain('**0 of 2 classes healed with no person**');
  });

  it('refuses a report with no class rows, and names a line that is not JSON', () => {
    expect(() => renderClassTable([report[0]!])).toThrow(/no per-class rows/);
    expect(() => parseReport('{"a":1}\n\nnot json\n')).toThrow("line 3 is not JSON: 'not json'");
    expect(parseReport(`${report.map((r) => JSON.stringify(r)).join('\n')}\n`)).toEqual(report);
  });

  it('replaces only what is between the markers', () => {
    const readme = `# x\n\nbefore\n${TableBegin}\nold table\n${TableEnd}\nafter\n`;
    expect(replaceTable(readme, `${TableBegin}\nNEW\n${TableEnd}`)).toBe(`# x\n\nbefore\n${TableBegin}\nNEW\n${TableEnd}\nafter\n`);
    expect(() => replaceTable('# no markers\n', 'x')).toThrow(/no '<!-- chaos-table:begin/);
  });

  describe('npm run chaos:table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaos-table-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (...args: string[]) => spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'scripts/chaos-table.ts', '--', ...args], { encoding: 'utf8', timeout: 60_000 });

    it('writes the README between the markers; bad input is one line and exit 2', () => {
      const file = join(dir, 'report.jsonl');
      const readme = join(dir, 'README.md');
      writeFileSync(file, `${report.map((r) => JSON.stringify(r)).join('\n')}\n`);
      writeFileSync(readme, `intro\n${TableBegin}\n${TableEnd}\nend\n`);
      const ok = run(file, '--readme', readme);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(readFileSync(readme, 'utf8')).toBe(`intro\n${renderClassTable(report)}\nend\n`);
      const missing = run(join(dir, 'nope.jsonl'), '--readme', readme);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toBe(`chaos:table: ${join(dir, 'nope.jsonl')}: no such file\n`);
      const none = run();
      expect(none.status).toBe(2);
      expect(none.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});

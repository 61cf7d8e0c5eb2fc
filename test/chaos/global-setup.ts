/**
 * The chaos project's global setup: builds dist/ (the nuclear scenario runs the real
 * `clawmedic run` command), installs the real OpenClaw once (cached outside the repo),
 * and hands both to the tests. At the end it prints what every scenario measured, and where the run's report is
 * (kept: `npm run chaos:table -- <report>` renders the README's per-class table from it).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { installOpenClaw } from './openclaw.js';
import { formatMeasurements, type Measurement } from './report.js';

export default function setup(project: TestProject): () => void {
  const started = Date.now();
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`[chaos] tsc build failed:\n${build.stdout}${build.stderr}`);
  const install = installOpenClaw();
  process.stderr.write(`[chaos] OpenClaw ${install.openclawVersion} on Node ${install.nodeVersion} from ${install.cacheDir} (${(install.installMs / 1000).toFixed(1)} s)\n`);
  const report = process.env.CHAOS_REPORT_FILE ?? join(tmpdir(), `clawmedic-chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
  writeFileSync(report, '');
  process.stderr.write(`[chaos] report: ${report}\n`);
  project.provide('openclaw', install);
  project.provide('chaosReport', report);
  return () => {
    let rows: Measurement[] = [];
    try {
      rows = readFileSync(report, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Measurement);
    } catch {
      // No report: nothing ran.
    }
    const total = ((Date.now() - started) / 1000).toFixed(0);
    process.stdout.write(`\n[chaos] measurements (${report}); whole run ${total} s, install ${(install.installMs / 1000).toFixed(1)} s\n`);
    process.stdout.write(`${formatMeasurements(rows)}\n`);
    // Kept (a few kB): the README's per-class table is rendered from one whole run's report.
    const classRows = rows.filter((r) => r.classRow).length;
    process.stdout.write(`[chaos] report kept: ${report} (${rows.length} lines, ${classRows} per-class rows); README table: npm run chaos:table -- ${report}\n`);
  };
}

/**
 * How soon a doctor that hangs is stopped, as a ratio of its timeout (the timing goal that used
 * to sit in test/unit/recovery/repair/doctor.test.ts). A doctor script that prints one line and
 * sleeps 30 s is run with timeouts of 300 ms and 1 s; the goal is a ratio under 2 (stopped within
 * its timeout plus the kill grace), whatever the machine.
 *
 *   npx vite-node bench/doctor-timeout.ts [--rounds 5]
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigGuard } from '../src/recovery/repair/config-guard.js';
import { runDoctor } from '../src/recovery/repair/doctor.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const dir = await mkdtemp(join(tmpdir(), 'clawmedic-bench-doctor-'));
try {
  const configPath = join(dir, 'openclaw.json');
  await writeFile(configPath, '{ "gateway": { "mode": "local" } }');
  const hang = join(dir, 'hang.sh');
  await writeFile(hang, "#!/bin/sh\necho 'Health check: waiting for gateway'\nsleep 30\n");
  await chmod(hang, 0o755);
  const guard = new ConfigGuard({ configPath, dataDir: join(dir, 'data'), kind: 'openclaw', clock: Date, log: quiet });
  console.log('| timeout | rounds | median stop (ms) | worst (ms) | worst / timeout |');
  console.log('|---|---|---|---|---|');
  for (const timeoutMs of [300, 1_000]) {
    const took: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const result = await runDoctor({ command: hang, timeoutMs, guard, env: { ...process.env, OPENCLAW_CONFIG_PATH: configPath } });
      if (result.ok) throw new Error('a hanging doctor was judged ok');
      took.push(performance.now() - t0);
    }
    took.sort((a, b) => a - b);
    const worst = took.at(-1)!;
    const median = took[Math.floor(took.length / 2)]!;
    console.log(`| ${timeoutMs} ms | ${ROUNDS} | ${median.toFixed(0)} | ${worst.toFixed(0)} | ${(worst / timeoutMs).toFixed(2)}${worst / timeoutMs < 2 ? '' : ' (over the goal of 2)'} |`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

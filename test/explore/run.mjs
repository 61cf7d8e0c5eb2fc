#!/usr/bin/env node
// npm run explore -- [--seeds N] [--from S] [--world both|inproc|crash] [--crash-seeds M] [--jobs K]
// npm run explore -- --seed S [--world ...]          (replays one seed)
//
// Runs the fault explorer (test/explore) on seeds S..S+N-1 of the in-process world and S..S+M-1 of the
// medic-crash world (M defaults to N), K seeds at a time (each in its own medic, ports and data dir; K
// worker processes, default 4). Prints one line per seed, the whole report of every failing seed with
// its replay command, and a summary (seeds, pass/fail, time per seed, wall time, load). Exit 1 if a seed failed.
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const USAGE = 'usage: npm run explore -- [--seeds N] [--from S] [--world both|inproc|crash] [--crash-seeds M] [--jobs K]   or   npm run explore -- --seed S [--world W]';
const KNOWN = new Set(['--seeds', '--from', '--seed', '--world', '--crash-seeds', '--jobs']);
const args = process.argv.slice(2);
const opts = {};
for (let i = 0; i < args.length; i += 2) {
  if (!KNOWN.has(args[i]) || args[i + 1] === undefined) usage(`unknown or incomplete option ${args[i]}`);
  opts[args[i]] = args[i + 1];
}
const int = (name, fallback) => {
  const v = opts[name] ?? fallback;
  if (!/^\d+$/.test(String(v))) usage(`${name} must be a whole number, got ${v}`);
  return Number(v);
};
const world = opts['--world'] ?? 'both';
if (!['both', 'inproc', 'crash'].includes(world)) usage(`--world must be both, inproc or crash, got ${world}`);
const one = opts['--seed'] !== undefined;
const from = int(one ? '--seed' : '--from', 1);
const seeds = one ? 1 : int('--seeds', 20);
const crashSeeds = one ? 1 : int('--crash-seeds', seeds);
const jobsWanted = int('--jobs', 4);
if (jobsWanted < 1) usage('--jobs must be at least 1');

const root = fileURLToPath(new URL('../../', import.meta.url));
const queue = [];
if (world !== 'crash') for (let s = from; s < from + seeds; s++) queue.push({ world: 'inproc', seed: s });
if (world !== 'inproc') for (let s = from; s < from + crashSeeds; s++) queue.push({ world: 'crash', seed: s });
const total = queue.length;
const jobs = Math.min(jobsWanted, total);

if (world !== 'inproc') {
  // The medic-crash world runs `clawmedic run` from dist/: build it once, as the test setup does.
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('explore: the build (tsc -p tsconfig.build.json) failed; the medic-crash world needs dist/');
    process.exit(1);
  }
  spawnSync(process.execPath, ['scripts/copy-dashboard-assets.mjs'], { cwd: root, stdio: 'inherit' });
}

/** A seed that has not answered in this long is counted failed and its worker replaced. */
const JOB_TIMEOUT_MS = 300_000;
const startedAt = Date.now();
const load0 = loadavg();
const results = [];
console.log(`explore: ${total} seeds (${world === 'crash' ? 0 : seeds} in-process, ${world === 'inproc' ? 0 : crashSeeds} medic-crash) from seed ${from}, ${jobs} at a time; load ${load0.map((l) => l.toFixed(2)).join(' ')}`);

const replay = (r) => `npm run explore -- --world ${r.world} --seed ${r.seed}`;

function record(r) {
  results.push(r);
  const n = String(results.length).padStart(String(total).length);
  const lag = r.mismatches?.length ? `; /status pid lagged ${r.mismatches.map((m) => `${m.ms} ms/${m.probes} probes`).join(', ')}` : '';
  console.log(`[${n}/${total}] ${r.world === 'inproc' ? 'in-process ' : 'medic-crash'} seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'} (${(r.ms / 1000).toFixed(1)} s${lag})`);
  if (!r.ok) console.log(`${r.report}\n  replay: ${replay(r)}\n`);
}

const workers = new Set();

/**
 * SIGTERM first: the worker stops every process below it by pid (its medics' gateways run in process groups
 * of their own), then exits; its group is killed 5 s later in case it could not.
 */
function stopWorker(child) {
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }, 5_000).unref();
}

// Interrupted (Ctrl-C, or stopped by a CI's timeout): no seed's medic or gateway is left running. The seeds that
// finished are still summed up; the exit code is 130 (SIGINT) or 143 (SIGTERM).
let interrupted = null;
const interruptedCode = () => (interrupted === 'SIGINT' ? 130 : 143);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    queue.length = 0;
    console.log(`\nexplore: ${signal}: stopping ${workers.size} worker(s) and what they started; ${results.length} of ${total} seeds had finished`);
    for (const child of workers) stopWorker(child);
    setTimeout(() => process.exit(interruptedCode()), 15_000).unref();
  });
}

function startWorker() {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/explore/worker.ts'], {
      cwd: root,
      // Its own process group: a worker that hangs is stopped with whatever it started.
      detached: true,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let current = null;
    let timer = null;
    const next = () => {
      clearTimeout(timer);
      current = queue.shift() ?? null;
      if (!current) return child.stdin.end();
      const job = current;
      timer = setTimeout(() => {
        record({ ...job, ms: JOB_TIMEOUT_MS, ok: false, report: `${job.world} seed ${job.seed}: no result after ${JOB_TIMEOUT_MS / 1000} s (the worker was stopped)` });
        current = null;
        stopWorker(child);
      }, JOB_TIMEOUT_MS);
      child.stdin.write(`${JSON.stringify(job)}\n`);
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('@@explore ')) return void console.log(line);
      record(JSON.parse(line.slice('@@explore '.length)));
      current = null;
      next();
    });
    workers.add(child);
    child.on('exit', (code, signal) => {
      workers.delete(child);
      clearTimeout(timer);
      if (interrupted) return done(undefined);
      if (current) record({ ...current, ms: 0, ok: false, report: `${current.world} seed ${current.seed}: its worker exited (${signal ?? `code ${code}`}) before answering` });
      // A worker stopped by its timeout or lost is replaced while seeds remain.
      done(queue.length > 0 ? startWorker() : undefined);
    });
    next();
  });
}

await Promise.all(Array.from({ length: jobs }, () => startWorker()));

const wall = (Date.now() - startedAt) / 1000;
const load1 = loadavg();
console.log(`\nexplore summary: ${jobs} at a time, wall ${(wall / 60).toFixed(1)} min; load at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${load1.map((l) => l.toFixed(2)).join(' ')}`);
for (const w of ['inproc', 'crash']) {
  const rs = results.filter((r) => r.world === w);
  if (!rs.length) continue;
  const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
  const q = (p) => (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] / 1000).toFixed(1);
  const failed = rs.filter((r) => !r.ok);
  console.log(
    `  ${w === 'inproc' ? 'in-process ' : 'medic-crash'}: ${rs.length} seeds, ${rs.length - failed.length} passed, ${failed.length} failed; ` +
      `time per seed median ${q(0.5)} s, p90 ${q(0.9)} s, max ${q(1)} s` +
      (failed.length ? `\n    failed: ${failed.map((r) => r.seed).join(', ')}` : ''),
  );
}
// The data behind the monitor's allowance for "the /status pid is the gateway's" (monitor.ts): every stretch
// during which, health up, /status named another pid than the gateway process.
const mm = results.flatMap((r) => (r.mismatches ?? []).map((m) => ({ ...m, seed: r.seed })));
if (mm.length) {
  const byMs = [...mm].sort((a, b) => a.ms - b.ms);
  const byProbes = [...mm].sort((a, b) => a.probes - b.probes);
  const at = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const worst = byMs[byMs.length - 1];
  console.log(
    `  /status pid not yet the gateway's (health up): ${mm.length} stretches in ${new Set(mm.map((m) => m.seed)).size} seeds; ` +
      `median ${at(byMs, 0.5).ms} ms, p99 ${at(byMs, 0.99).ms} ms, max ${worst.ms} ms (seed ${worst.seed}); ` +
      `probes in it median ${at(byProbes, 0.5).probes}, p99 ${at(byProbes, 0.99).probes}, max ${byProbes[byProbes.length - 1].probes}`,
  );
}
for (const r of results.filter((r) => !r.ok)) console.log(`  replay: ${replay(r)}`);
process.exit(interrupted ? interruptedCode() : results.length === total && results.every((r) => r.ok) ? 0 : 1);

function usage(why) {
  console.error(`explore: ${why}\n${USAGE}`);
  process.exit(2);
}

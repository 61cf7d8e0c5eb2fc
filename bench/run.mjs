#!/usr/bin/env node
/**
 * clawmedic benchmarks (`npm run bench`, which builds first; `node bench/run.mjs --quick` for
 * a smoke run). Linux only (/proc). Everything on 127.0.0.1, every process started is stopped
 * by pid at the end, also on failure, and the temp dir is removed.
 *
 *   1. kill -9 of the gateway -> healthy again, clawmedic beside PM2 on the same fixture gateway,
 *      interleaved round by round with starts of the bare gateway (the floor).
 *   2. A hang -> incident opened, and -> healthy again, at default settings: a gateway frozen with SIGSTOP,
 *      one whose event loop spins (a busy loop), one whose loop is blocked in a wait (no CPU); and an
 *      in-process restart (SIGUSR2: the port closed while it works) that must not be killed.
 *   3. Idle CPU and RSS of the medic with 1 and with 50 supervised targets.
 *
 * Prints one markdown table and writes it, with the samples, to bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { commandLine, isAlive, Janitor, killHard, processesWithEnv, waitFor } from './lib.mjs';
import { describeMachine, describeMethod, renderResultsPage, renderSamples, renderTable } from './report.mjs';
import { sectionOf } from './plain-command.mjs';
import { benchHang, benchInProcessRestart, benchKill, sampleIdle, startIdle } from './scenarios.mjs';
import { pm2Version, snapshotBuild, stopMedic, stopPm2 } from './supervisors.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/run.mjs [--quick] [--no-write]   (build first: npm run build; npm run bench does both)');
  process.exit(0);
}

const Plan = opts.quick
  ? { killRounds: 3, hangRounds: 1, restartRounds: 1, idleSampleMs: 10_000, idleTargets: 50 }
  : { killRounds: 10, hangRounds: 3, restartRounds: 2, idleSampleMs: 30_000, idleTargets: 50 };
const MARKER = 'CLAWMEDIC_BENCH_RUN';
const RESULTS_PATH = new URL('./RESULTS.md', import.meta.url).pathname;

const log = (line) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const t0 = performance.now();


/** The bench's environment: this one without any clawmedic setting, so every default applies. */
function baseEnvironment(config, marker) {
  const env = { ...process.env, [MARKER]: marker };
  for (const { name } of config.CONFIG_VARIABLES) delete env[name];
  for (const name of Object.keys(env)) if (name === 'MEDIC_ENV_FILE' || name.startsWith('DISCORD_')) delete env[name];
  return env;
}

let cleaning = null;
/** Stops the medics (and their gateways), PM2 and anything else this run started; removes the temp dir. */
function cleanup(ctx) {
  cleaning ??= (async () => {
    await Promise.all(ctx.medics.map((m) => stopMedic(ctx, m).catch((err) => console.error(`stopping ${m.name}: ${err.message}`))));
    await stopPm2(ctx).catch((err) => console.error(`stopping PM2: ${err.message}`));
    const killed = await ctx.janitor.killAll();
    // Anything that carries this run's marker and still runs escaped the above: report it, kill it.
    const strays = processesWithEnv(MARKER, ctx.marker);
    for (const pid of strays) {
      console.error(`cleanup: pid ${pid} was still running: ${commandLine(pid)}`);
      killHard(pid);
    }
    await waitFor(() => strays.every((pid) => !isAlive(pid)), { timeoutMs: 5_000 }).catch(() => {});
    const left = processesWithEnv(MARKER, ctx.marker);
    // The link first, on its own: the temp dir goes, the project's node_modules stays.
    await unlink(join(ctx.root, 'app', 'node_modules')).catch(() => {});
    await rm(ctx.root, { recursive: true, force: true });
    return { started: ctx.janitor.pids.size, killed: killed.length + strays.length, left };
  })();
  return cleaning;
}

async function main() {
  const marker = randomBytes(6).toString('hex');
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
    console.error('clawmedic is not built: run `npm run bench` (or `npm run build` first).');
    process.exitCode = 2;
    return;
  }
  const root = await mkdtemp(join(os.tmpdir(), 'clawmedic-bench-'));
  const build = await snapshotBuild(join(root, 'app'));
  const config = await import(pathToFileURL(build.config).href);
  const { DefaultChildSupervisorOptions: stops } = await import(pathToFileURL(build.supervisor).href);
  const ctx = {
    root,
    build,
    marker,
    janitor: new Janitor(),
    baseEnv: baseEnvironment(config, marker),
    gatewayConfig: join(root, 'gateway.json'),
    medics: [],
    pm2: null,
    pm2Version: pm2Version(),
    defaults: config.loadConfig({ HOME: root }, root).targets[0],
    /** The SIGTERM grace of a gateway that stopped answering (shorter than STOP_TIMEOUT_MS when the build has one). */
    hangGraceMs: null,
    plan: Plan,
    log,
    restartMs: [],
  };
  ctx.hangGraceMs = Math.min(ctx.defaults.stopTimeoutMs, stops?.urgentStopMs ?? Infinity);
  await writeFile(ctx.gatewayConfig, JSON.stringify({ gateway: { mode: 'local' } }, null, 2));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup(ctx).finally(() => process.exit(130));
    });
  }
  const loadBefore = os.loadavg()[0];
  log(`${opts.quick ? 'quick run' : 'full run'}; temp dir ${root}; ${describeMachine(ctx.pm2Version)}; load average ${loadBefore.toFixed(2)}`);
  const results = { pm2Version: ctx.pm2Version };
  let failure = null;
  try {
    results.kill = await benchKill(ctx);
    const idle = await startIdle(ctx);
    ctx.restartMs = results.kill.medic;
    results.hang = await benchHang(ctx, 'sigstop');
    results.busy = await benchHang(ctx, 'spin');
    results.blocked = await benchHang(ctx, 'wait');
    results.inProcess = await benchInProcessRestart(ctx);
    results.idle = await sampleIdle(ctx, idle);
  } catch (err) {
    failure = err;
    for (const m of ctx.medics) if (isAlive(m.pid)) console.error(`--- ${m.name} log (last lines) ---\n${m.tail()}`);
  } finally {
    const done = await cleanup(ctx);
    log(`cleanup: ${done.started} processes started, ${done.killed} needed SIGKILL at the end, ${done.left.length} left running; temp dir removed`);
    if (done.left.length) console.error(`still running: ${done.left.map((pid) => `${pid} ${commandLine(pid)}`).join('; ')}`);
  }
  if (failure) throw failure;

  const totalMs = performance.now() - t0;
  const table = renderTable(results);
  const samples = renderSamples(results);
  const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : `node bench/run.mjs${process.argv.slice(2).map((a) => ` ${a}`).join('')}`;
  console.log(`\n${table}\n\n${samples}\n\ntotal ${(totalMs / 1000).toFixed(0)} s`);
  if (opts.quick || opts['no-write']) {
    console.log(`\n(not written to bench/RESULTS.md: ${opts.quick ? '--quick' : '--no-write'})`);
    return;
  }
  const page = renderResultsPage({
    table,
    samples,
    method: describeMethod(ctx),
    machine: `${describeMachine(ctx.pm2Version)}; 1-minute load average ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end (other work on the machine shows here)`,
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    totalMs,
    quick: false,
  });
  // The plain-command section is bench/plain-command.mjs's: kept as it is.
  const plain = existsSync(RESULTS_PATH) ? sectionOf(readFileSync(RESULTS_PATH, 'utf8')) : null;
  await writeFile(RESULTS_PATH, plain ? `${page.trimEnd()}\n\n${plain}\n` : page);
  console.log(`\nwritten to bench/RESULTS.md`);
}

main().catch((err) => {
  console.error(`bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});

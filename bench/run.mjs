#!/usr/bin/env node
/**
 * clawmedic benchmarks (`npm run bench`, which builds first; `node bench/run.mjs --quick` for
 * a smoke run). Linux only (/proc). Everything on 127.0.0.1, every process started is stopped
 * by pid at the end, also on failure, and the temp dir is removed.
 *
 *   1. kill -9 of the gateway -> healthy again, clawmedic beside PM2 on the same fixture gateway,
 *      interleaved round by round with starts of the bare gateway (the floor).
 *   2. A hang (a gateway frozen with SIGSTOP) -> incident opened, and -> healthy again, at default settings.
 *   3. Idle CPU and RSS of the medic with 1 and with 50 supervised targets.
 *
 * Prints one markdown table and writes it, with the samples, to bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  commandLine,
  cpuSeconds,
  freePort,
  httpGet,
  isAlive,
  Janitor,
  killAndWaitGone,
  killHard,
  memoryMiB,
  pollUntil200,
  processesWithEnv,
  sleep,
  spawnLogged,
  waitFor,
} from './lib.mjs';
import { renderResultsPage, renderSamples, renderTable } from './report.mjs';
import { median } from './stats.mjs';
import {
  gatewayArgs,
  gatewayCommand,
  healthUrl,
  Paths,
  pm2Gateway,
  pm2Version,
  startMedic,
  startPm2,
  stopMedic,
  stopPm2,
  waitMedicSettled,
} from './supervisors.mjs';

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
  ? { killRounds: 3, hangRounds: 1, idleSampleMs: 10_000, idleTargets: 50 }
  : { killRounds: 10, hangRounds: 3, idleSampleMs: 30_000, idleTargets: 50 };
/** The fixture gateway's own start-up: node's boot plus this delay before it listens. */
const START_DELAY_MS = 300;
const POLL_MS = 20;
const STATUS_POLL_MS = 50;
const MARKER = 'CLAWMEDIC_BENCH_RUN';
const RESULTS_PATH = new URL('./RESULTS.md', import.meta.url).pathname;

const log = (line) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const t0 = performance.now();

const config = await import('../dist/config.js').catch(() => {
  console.error('clawmedic is not built: run `npm run bench` (or `npm run build` first).');
  process.exit(2);
});

/** The bench's environment: this one without any clawmedic setting, so every default applies. */
function baseEnvironment(marker) {
  const env = { ...process.env, [MARKER]: marker };
  for (const { name } of config.CONFIG_VARIABLES) delete env[name];
  for (const name of Object.keys(env)) if (name === 'MEDIC_ENV_FILE' || name.startsWith('DISCORD_')) delete env[name];
  return env;
}

// ---- 1. kill -9 -> healthy ---------------------------------------------------------

async function benchKill(ctx) {
  const gw = { mode: 'ok', startDelayMs: START_DELAY_MS };
  const [medicPort, pm2Port] = await distinctPorts(2);
  const medic = await startMedic(ctx, 'kill-medic', { GATEWAY_COMMAND: gatewayCommand(medicPort, gw), GATEWAY_HEALTH_URL: healthUrl(medicPort) });
  await startPm2(ctx, pm2Port, gw);
  await pollUntil200(healthUrl(pm2Port), { what: 'the gateway under PM2' });
  await waitMedicSettled(medic);
  log(`kill -9: clawmedic (pid ${medic.pid}) and PM2 ${ctx.pm2Version} each supervise a fixture gateway; ${Plan.killRounds} rounds`);

  const kinds = {
    async medic() {
      const { pid } = (await waitMedicSettled(medic)).targets[0];
      const start = performance.now();
      await killAndWaitGone(pid);
      const ms = (await pollUntil200(healthUrl(medicPort), { everyMs: POLL_MS, what: 'the gateway under clawmedic' })) - start;
      const after = (await medic.status()).targets[0];
      if (after.pid === pid) throw new Error(`clawmedic still reports pid ${pid} after it was killed`);
      return ms;
    },
    async pm2() {
      const before = await pm2Gateway(ctx);
      // Past PM2's min_uptime (1 s), so the kill counts as a stable run's death, as for the medic.
      const upFor = Date.now() - before.upSince;
      if (upFor < 1500) await sleep(1500 - upFor);
      const start = performance.now();
      await killAndWaitGone(before.pid);
      const ms = (await pollUntil200(healthUrl(pm2Port), { everyMs: POLL_MS, what: 'the gateway under PM2' })) - start;
      const after = await pm2Gateway(ctx);
      ctx.janitor.track(after.pid);
      if (after.pid === before.pid || after.restarts !== before.restarts + 1) {
        throw new Error(`PM2 did not restart the gateway once (pid ${before.pid} -> ${after.pid}, restarts ${before.restarts} -> ${after.restarts})`);
      }
      return ms;
    },
    async floor() {
      const port = await freePort();
      const start = performance.now();
      const child = await spawnLogged(ctx.janitor, process.execPath, [Paths.gateway, ...gatewayArgs(port, gw)], {
        logPath: join(ctx.root, 'direct-gateway.log'),
        env: ctx.baseEnv,
      });
      const ms = (await pollUntil200(healthUrl(port), { everyMs: POLL_MS, what: 'the gateway started directly' })) - start;
      child.kill('SIGTERM');
      await child.exited;
      return ms;
    },
  };
  const results = { medic: [], pm2: [], floor: [] };
  const names = Object.keys(kinds);
  for (let round = 0; round < Plan.killRounds; round++) {
    // Rotate the order, so no kind always runs first (or right after another's restart).
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const kind of order) results[kind].push(await kinds[kind]());
    log(`  round ${round + 1}: clawmedic ${Math.round(results.medic.at(-1))} ms, PM2 ${Math.round(results.pm2.at(-1))} ms, bare start ${Math.round(results.floor.at(-1))} ms`);
  }
  await stopMedic(ctx, medic);
  await stopPm2(ctx);
  return results;
}

// ---- 2. hang -> incident -> healthy -------------------------------------------------------

/**
 * When the medic should open the incident for a hang: probe number 1..F after it fails, each
 * taking `timeout` and followed by `interval` of sleep, and the first comes `lead` after the hang.
 */
function expectedDetectMs(d, leadMs) {
  return leadMs + d.failureThreshold * d.probeTimeoutMs + (d.failureThreshold - 1) * d.probeIntervalMs;
}

async function benchHang(ctx) {
  const d = ctx.defaults;
  const port = await freePort();
  const url = healthUrl(port);
  const medic = await startMedic(ctx, 'hang-medic', {
    GATEWAY_COMMAND: gatewayCommand(port, { mode: 'ok', startDelayMs: START_DELAY_MS }),
    GATEWAY_HEALTH_URL: url,
  });
  log(`hang: a gateway under clawmedic (pid ${medic.pid}) frozen with SIGSTOP; ${Plan.hangRounds} round(s) of ~40 s`);
  const rounds = [];
  for (let round = 0; round < Plan.hangRounds; round++) {
    const [target] = (await waitMedicSettled(medic, { timeoutMs: 60_000 })).targets;
    // Where the hang falls in the probe cycle decides up to one interval of the detection time: the
    // rounds freeze the gateway 1/2N, 3/2N ... of an interval before the medic's next probe.
    const leadMs = (d.probeIntervalMs * (2 * round + 1)) / (2 * Plan.hangRounds);
    const cycleMs = d.probeIntervalMs + target.lastProbe.latencyMs;
    let nextProbeAt = target.lastProbe.at + cycleMs;
    while (nextProbeAt - leadMs < Date.now() + 200) nextProbeAt += cycleMs;
    await sleepUntil(nextProbeAt - leadMs);
    process.kill(target.pid, 'SIGSTOP');
    const hangAt = Date.now();
    // Dates, not performance.now(): they are compared with the medic's probe and incident times.
    let firstFailedAt = null;
    const incident = await waitFor(
      async () => {
        const t = (await medic.status()).targets[0];
        if (firstFailedAt === null && t.lastProbe && !t.lastProbe.ok && t.lastProbe.at > hangAt - d.probeIntervalMs) firstFailedAt = t.lastProbe.at;
        return t.incident;
      },
      { timeoutMs: 60_000, intervalMs: STATUS_POLL_MS, what: 'the medic to open an incident' },
    );
    const seenAt = Date.now();
    const healthyAt = await pollUntil200(url, { everyMs: POLL_MS, now: Date.now, timeoutMs: 60_000, what: 'the restarted gateway' });
    const actualLeadMs = (firstFailedAt ?? hangAt + leadMs) - hangAt;
    const x = {
      leadMs: actualLeadMs,
      detectMs: incident.openedAt - hangAt,
      expectedDetectMs: expectedDetectMs(d, actualLeadMs),
      seenMs: seenAt - hangAt,
      healthyMs: healthyAt - hangAt,
      cause: incident.cause,
    };
    x.expectedHealthyMs = x.expectedDetectMs + d.stopTimeoutMs + median(ctx.restartMs);
    rounds.push(x);
    log(`  round ${round + 1}: first probe ${(x.leadMs / 1000).toFixed(2)} s after the freeze; incident opened after ${(x.detectMs / 1000).toFixed(1)} s (expected ${(x.expectedDetectMs / 1000).toFixed(1)}), healthy again after ${(x.healthyMs / 1000).toFixed(1)} s`);
  }
  await stopMedic(ctx, medic);
  return {
    rounds,
    expected: {
      detectMinMs: expectedDetectMs(d, 0),
      detectMaxMs: expectedDetectMs(d, d.probeIntervalMs),
      detectMeanMs: expectedDetectMs(d, d.probeIntervalMs / 2),
      stopTimeoutMs: d.stopTimeoutMs,
    },
  };
}

// ---- 3. idle CPU and RSS ------------------------------------------------------------

/** Starts the idle medics (1 and N supervised targets, each with its own gateway) and waits until all are healthy. */
async function startIdle(ctx) {
  const ports = await distinctPorts(Plan.idleTargets + 1);
  const gw = { mode: 'ok', startDelayMs: START_DELAY_MS };
  const one = await startMedic(ctx, 'idle-1', { GATEWAY_COMMAND: gatewayCommand(ports[0], gw), GATEWAY_HEALTH_URL: healthUrl(ports[0]) });
  const targets = ports.slice(1).map((port, i) => ({
    name: `t${String(i + 1).padStart(2, '0')}`,
    command: gatewayCommand(port, gw),
    healthUrl: healthUrl(port),
  }));
  const targetsFile = join(ctx.root, 'targets.json');
  await writeFile(targetsFile, JSON.stringify({ targets }, null, 2));
  const many = await startMedic(ctx, `idle-${Plan.idleTargets}`, { MEDIC_TARGETS_FILE: targetsFile });
  await Promise.all([waitMedicSettled(one), waitMedicSettled(many, { timeoutMs: 60_000 })]);
  log(`idle: clawmedic with 1 target (pid ${one.pid}) and with ${Plan.idleTargets} targets (pid ${many.pid}) are up; they warm up during the hang rounds`);
  return { one, many, upAt: Date.now() };
}

async function sampleIdle(ctx, idle) {
  const d = ctx.defaults;
  // Past the one-off last-known-good snapshot (SNAPSHOT_AFTER_MS healthy, checked at the next probe).
  const warmUntil = idle.upAt + d.snapshotAfterMs + d.probeIntervalMs + 1000;
  if (warmUntil > Date.now()) {
    log(`idle: warming up ${((warmUntil - Date.now()) / 1000).toFixed(0)} s more (past the config snapshot at ${d.snapshotAfterMs / 1000} s healthy)`);
    await sleepUntil(warmUntil);
  }
  const medics = [idle.one, idle.many];
  const restartsBefore = await Promise.all(medics.map(restartCount));
  log(`idle: sampling CPU and RSS of both medics for ${Plan.idleSampleMs / 1000} s, nothing else running`);
  const start = { at: performance.now(), cpu: medics.map((m) => cpuSeconds(m.pid)) };
  const rss = medics.map(() => []);
  while (performance.now() - start.at < Plan.idleSampleMs) {
    medics.forEach((m, i) => rss[i].push(memoryMiB(m.pid).rss));
    await sleep(Math.min(1000, Plan.idleSampleMs - (performance.now() - start.at)));
  }
  const wallMs = performance.now() - start.at;
  const out = medics.map((m, i) => {
    const used = cpuSeconds(m.pid) - start.cpu[i];
    return { cpuSeconds: used, wallMs, cpuPercent: (used / (wallMs / 1000)) * 100, rssSamples: rss[i], peakMiB: memoryMiB(m.pid).peak };
  });
  const restartsAfter = await Promise.all(medics.map(restartCount));
  await Promise.all(medics.map((m) => waitMedicSettled(m, { timeoutMs: 1000 })));
  if (restartsAfter.some((n, i) => n !== restartsBefore[i])) throw new Error('a gateway restarted while the medics were meant to be idle');
  await Promise.all(medics.map((m) => stopMedic(ctx, m)));
  return { one: out[0], many: out[1], sampleMs: Plan.idleSampleMs, targets: Plan.idleTargets };
}

/** Sleeps until `Date.now()` reaches `at` (at once when it has). */
function sleepUntil(at) {
  return sleep(Math.max(0, at - Date.now()));
}

async function restartCount(medic) {
  return (await medic.status()).targets.reduce((n, t) => n + t.restarts, 0);
}

async function distinctPorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

// ---- run, report, clean up -------------------------------------------------------------

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
    await rm(ctx.root, { recursive: true, force: true });
    return { started: ctx.janitor.pids.size, killed: killed.length + strays.length, left };
  })();
  return cleaning;
}

function describeMachine() {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = (os.totalmem() / 1024 ** 3).toFixed(0);
  return `${os.availableParallelism()} × ${cpu} (nproc ${os.availableParallelism()}), ${gib} GiB RAM, Linux ${os.release()}, Node ${process.version}, PM2 ${pm2Version()}`;
}

function describeLeads(ctx) {
  const n = Plan.hangRounds;
  return Array.from({ length: n }, (_, k) => ((ctx.defaults.probeIntervalMs * (2 * k + 1)) / (2 * n) / 1000).toFixed(2)).join(', ');
}

function describeMethod(ctx) {
  const d = ctx.defaults;
  return [
    `- Fixture: \`demo/gateway.mjs --mode ok --start-delay-ms ${START_DELAY_MS}\` (node's boot plus ${START_DELAY_MS} ms before it listens; the real OpenClaw gateway takes 10-25 s).`,
    `- kill -9: clawmedic (\`node bin/clawmedic.js run\`, every setting at its default: probe every ${d.probeIntervalMs / 1000} s) and PM2 ${ctx.pm2Version} (own PM2_HOME; ecosystem file: fork mode, autorestart, restart_delay 0) each supervise one gateway on its own port, both running throughout. Each round kills the gateway with SIGKILL (pid from \`/status\` \`targets[0].pid\` and from \`pm2 jlist\`), waits until the pid is gone, then GETs /healthz every ${POLL_MS} ms (fresh connection each) until a 200; the time is from the kill to that 200. The floor is the same gateway started directly (spawn -> first 200, same ${POLL_MS} ms poll) in the same rounds. Order rotates each round (clawmedic, PM2, bare start). Before each clawmedic kill the medic has seen the gateway healthy (\`health: up\`, no incident); PM2's gateway has been up > 1.5 s (its min_uptime is 1 s). p90 is nearest-rank.`,
    `- Hang: the gateway (mode ok) is frozen with SIGSTOP: it keeps its port, the kernel still accepts connections, nothing answers, SIGTERM is not acted on, as with a frozen event loop. The freeze is placed in the probe cycle (from \`/status\` \`lastProbe\`): the ${Plan.hangRounds} rounds freeze it ${describeLeads(ctx)} s before the medic's next probe, spreading the rounds over the phase that decides up to one interval of the detection time. (\`--mode hang-after\` freezes at a time fixed at exec, which after the first restart always falls at the same point of the probe cycle.) Defaults: ${d.failureThreshold} failed probes, ${d.probeIntervalMs / 1000} s interval, ${d.probeTimeoutMs / 1000} s probe timeout, ${d.stopTimeoutMs / 1000} s SIGTERM -> SIGKILL grace. Incident opened = the incident's \`openedAt\` (also seen on \`/status\`, polled every ${STATUS_POLL_MS} ms). Healthy again = first 200 from the restarted gateway (${POLL_MS} ms poll). Expected detection = lead + threshold × timeout + (threshold - 1) × interval, where lead (0 to one interval) is how long after the freeze the first probe starts: the probe loop sleeps an interval after each probe, and a probe of a frozen gateway takes the whole timeout. Expected healthy again = that + the SIGTERM grace + the median kill -9 -> healthy above. The idle medics of part 3 run meanwhile (idle, warming up).`,
    `- Idle: two medics at once, one with 1 and one with ${Plan.idleTargets} targets, all supervised (the medic spawns one fixture gateway per target, ${Plan.idleTargets + 1} gateway processes in all), every target healthy and past its ${d.snapshotAfterMs / 1000} s config snapshot, no API calls during the sample. CPU = utime + stime of the medic's process (all threads) from /proc/<pid>/stat over ${Plan.idleSampleMs / 1000} s, as % of one core; RSS = VmRSS from /proc/<pid>/status once a second (median; peak = VmHWM).`,
  ].join('\n');
}

async function main() {
  const marker = randomBytes(6).toString('hex');
  const root = await mkdtemp(join(os.tmpdir(), 'clawmedic-bench-'));
  const ctx = {
    root,
    marker,
    janitor: new Janitor(),
    baseEnv: baseEnvironment(marker),
    gatewayConfig: join(root, 'gateway.json'),
    medics: [],
    pm2: null,
    pm2Version: pm2Version(),
    defaults: config.loadConfig({ HOME: root }, root).targets[0],
  };
  await writeFile(ctx.gatewayConfig, JSON.stringify({ gateway: { mode: 'local' } }, null, 2));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup(ctx).finally(() => process.exit(130));
    });
  }
  log(`${opts.quick ? 'quick run' : 'full run'}; temp dir ${root}; ${describeMachine()}`);
  const results = { pm2Version: ctx.pm2Version };
  let failure = null;
  try {
    results.kill = await benchKill(ctx);
    const idle = await startIdle(ctx);
    ctx.restartMs = results.kill.medic;
    results.hang = await benchHang(ctx);
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
    machine: describeMachine(),
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    totalMs,
    quick: false,
  });
  await writeFile(RESULTS_PATH, page);
  console.log(`\nwritten to bench/RESULTS.md`);
}

main().catch((err) => {
  console.error(`bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});

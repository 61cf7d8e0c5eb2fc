/**
 * The three measurements of bench/run.mjs. Each takes the run's context (`ctx`: temp dir,
 * janitor, base environment, the medic's defaults, the plan, a logger) and returns its samples.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuSeconds, freePort, killAndWaitGone, memoryMiB, pollUntil200, sleep, spawnLogged, waitFor } from './lib.mjs';
import { median } from './stats.mjs';
import {
  gatewayArgs,
  gatewayCommand,
  healthUrl,
  pm2Gateway,
  startMedic,
  startPm2,
  stopMedic,
  stopPm2,
  waitMedicSettled,
} from './supervisors.mjs';

/** The fixture gateway's own start-up: node's boot plus this delay before it listens. */
export const START_DELAY_MS = 300;
/** How often the bench GETs /healthz while it waits for a 200. */
export const POLL_MS = 20;
/** How often the bench reads the medic's /status while it waits for an incident. */
export const STATUS_POLL_MS = 50;

// ---- 1. kill -9 -> healthy ---------------------------------------------------------

export async function benchKill(ctx) {
  const gw = { mode: 'ok', startDelayMs: START_DELAY_MS };
  const [medicPort, pm2Port] = await distinctPorts(2);
  const medic = await startMedic(ctx, 'kill-medic', { GATEWAY_COMMAND: gatewayCommand(ctx, medicPort, gw), GATEWAY_HEALTH_URL: healthUrl(medicPort) });
  await startPm2(ctx, pm2Port, gw);
  await pollUntil200(healthUrl(pm2Port), { what: 'the gateway under PM2' });
  await waitMedicSettled(medic);
  ctx.log(`kill -9: clawmedic (pid ${medic.pid}) and PM2 ${ctx.pm2Version} each supervise a fixture gateway; ${ctx.plan.killRounds} rounds`);

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
      const child = await spawnLogged(ctx.janitor, process.execPath, [ctx.build.gateway, ...gatewayArgs(port, gw)], {
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
  for (let round = 0; round < ctx.plan.killRounds; round++) {
    // Rotate the order, so no kind always runs first (or right after another's restart).
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const kind of order) results[kind].push(await kinds[kind]());
    ctx.log(`  round ${round + 1}: clawmedic ${Math.round(results.medic.at(-1))} ms, PM2 ${Math.round(results.pm2.at(-1))} ms, bare start ${Math.round(results.floor.at(-1))} ms`);
  }
  await stopMedic(ctx, medic);
  await stopPm2(ctx);
  return results;
}

// ---- 2. hang -> incident -> healthy -------------------------------------------------------

/** How often the supervisor reads the gateway's processes from /proc (DefaultChildSupervisorOptions.watchMs). */
const WATCH_MS = 500;
/** How often a waiting probe checks for a stopped process (watchdog/probe-once.ts). */
const STOPPED_CHECK_MS = 250;

/**
 * When the medic should open the incident for a gateway frozen with SIGSTOP: its process is seen in
 * state T at the supervisor's next /proc reading (within WATCH_MS), which probes it at once, and the
 * probe's own check sees the state within STOPPED_CHECK_MS: not answering at that first failed probe,
 * whatever the probe phase. (Before issue 10: lead + (threshold - 1) × interval + timeout, 13-18 s.)
 */
function expectedDetectMs(_d, _leadMs) {
  return WATCH_MS + STOPPED_CHECK_MS;
}

/**
 * A frozen event loop that still runs (a busy loop, state R): the supervisor's /proc reading sees its main
 * thread pinned; a stretch of 1 s wakes the probe loop (PINNED_TELL_MS), and a probe that times out with
 * the thread pinned through its wait is the verdict. The freeze is seen pinned from the first reading
 * after it (within WATCH_MS), told 1 s later: the probe starts at min(lead, that) and fails a timeout later.
 */
export function expectedBusyLoopDetectMs(d, leadMs) {
  return Math.min(leadMs, WATCH_MS + PINNED_TELL_MS) + d.probeTimeoutMs;
}

/** A pinned main thread is told after this long (serving-watch.ts PINNED_TELL_MS). */
const PINNED_TELL_MS = 1_000;

/**
 * An event loop blocked in a wait (no CPU, not pinned): the first probe after the freeze times out, then
 * quick re-probes (PROBE_RETRY_MS after each) until the threshold: lead + threshold × timeout +
 * (threshold - 1) × retry. What a busy loop took before issue 10's pinned reading.
 */
export function expectedCountedDetectMs(d, leadMs) {
  return leadMs + d.failureThreshold * d.probeTimeoutMs + (d.failureThreshold - 1) * d.probeRetryMs;
}

/** The three freezes: SIGSTOP (state T), a busy loop (state R, pinned), a loop blocked in a wait (state S). */
export const Freezes = {
  sigstop: { label: 'SIGSTOP', gateway: {}, freeze: (pid) => process.kill(pid, 'SIGSTOP'), expected: expectedDetectMs },
  spin: { label: 'busy loop', gateway: { freeze: 'spin' }, freeze: (pid) => process.kill(pid, 'SIGWINCH'), expected: expectedBusyLoopDetectMs },
  wait: { label: 'loop blocked in a wait', gateway: { freeze: 'wait' }, freeze: (pid) => process.kill(pid, 'SIGWINCH'), expected: expectedCountedDetectMs },
};

export async function benchHang(ctx, kind = 'sigstop') {
  const d = ctx.defaults;
  const f = Freezes[kind];
  const port = await freePort();
  const url = healthUrl(port);
  const medic = await startMedic(ctx, `${kind}-medic`, {
    GATEWAY_COMMAND: gatewayCommand(ctx, port, { mode: 'ok', startDelayMs: START_DELAY_MS, ...f.gateway }),
    GATEWAY_HEALTH_URL: url,
  });
  ctx.log(`${f.label}: a gateway under clawmedic (pid ${medic.pid}) frozen (${kind}); ${ctx.plan.hangRounds} round(s)`);
  const rounds = [];
  for (let round = 0; round < ctx.plan.hangRounds; round++) {
    const [target] = (await waitMedicSettled(medic, { timeoutMs: 60_000 })).targets;
    // Where the hang falls in the probe cycle decides up to one interval of the detection time: the
    // rounds freeze the gateway 1/2N, 3/2N ... of an interval before the medic's next probe.
    const leadMs = (d.probeIntervalMs * (2 * round + 1)) / (2 * ctx.plan.hangRounds);
    const cycleMs = d.probeIntervalMs + target.lastProbe.latencyMs;
    let nextProbeAt = target.lastProbe.at + cycleMs;
    while (nextProbeAt - leadMs < Date.now() + 200) nextProbeAt += cycleMs;
    await sleepUntil(nextProbeAt - leadMs);
    f.freeze(target.pid);
    const hangAt = Date.now();
    // Dates, not performance.now(): they are compared with the medic's probe and incident times.
    let firstFailedAt = null;
    const incident = await waitFor(
      async () => {
        const t = (await medic.status().catch(() => null))?.targets[0];
        if (!t) return null;
        if (firstFailedAt === null && t.lastProbe && !t.lastProbe.ok && t.lastProbe.at > hangAt - d.probeIntervalMs) firstFailedAt = t.lastProbe.at;
        return t.incident;
      },
      { timeoutMs: 60_000, intervalMs: STATUS_POLL_MS, what: 'the medic to open an incident' },
    );
    const seenAt = Date.now();
    const healthyAt = await pollUntil200(url, { everyMs: POLL_MS, now: Date.now, timeoutMs: 60_000, what: 'the restarted gateway' });
    const x = {
      // Where the freeze fell: this long before the next probe the interval would have started.
      leadMs,
      // The first failed probe's start (lastProbe.at is its start), from the freeze.
      firstFailedMs: firstFailedAt === null ? null : firstFailedAt - hangAt,
      detectMs: incident.openedAt - hangAt,
      expectedDetectMs: f.expected(d, leadMs),
      seenMs: seenAt - hangAt,
      healthyMs: healthyAt - hangAt,
      cause: incident.cause,
    };
    // SIGSTOP: SIGCONT follows the SIGTERM, the fixture shuts down at once; a frozen loop ignores SIGTERM: the urgent grace, then SIGKILL.
    x.expectedHealthyMs = x.expectedDetectMs + (kind === 'sigstop' ? 0 : ctx.hangGraceMs) + median(ctx.restartMs);
    rounds.push(x);
    ctx.log(`  round ${round + 1}: frozen ${(x.leadMs / 1000).toFixed(2)} s before the next scheduled probe; incident opened after ${(x.detectMs / 1000).toFixed(1)} s (expected ${(x.expectedDetectMs / 1000).toFixed(1)}), healthy again after ${(x.healthyMs / 1000).toFixed(1)} s; "${x.cause}"`);
  }
  await stopMedic(ctx, medic);
  const leads = rounds.map((x) => x.leadMs);
  return {
    kind,
    label: f.label,
    rounds,
    expected: {
      detectMinMs: Math.min(...leads.map((l) => f.expected(d, l))),
      detectMaxMs: kind === 'sigstop' ? expectedDetectMs(d, 0) : f.expected(d, d.probeIntervalMs),
      graceMs: ctx.hangGraceMs,
    },
  };
}

// ---- 2b. an in-process restart is not killed ---------------------------------------------

/** As measured on OpenClaw 2026.9.6 (SIGUSR2): the port refused connections for about 8 s. */
export const IN_PROCESS_RESTART_MS = 8_000;

/**
 * The fixture restarts in process (SIGUSR2, same pid): /startupz says draining, its port closes for
 * IN_PROCESS_RESTART_MS while it works (CPU), then it listens again. At default settings three failed
 * probes take 10-15 s, so the check is made with a closure longer than that when `long` is set.
 */
export async function benchInProcessRestart(ctx) {
  const port = await freePort();
  const url = healthUrl(port);
  const restartMs = Math.max(IN_PROCESS_RESTART_MS, 3 * ctx.defaults.probeIntervalMs + 2_000);
  const medic = await startMedic(ctx, 'restart-medic', {
    GATEWAY_COMMAND: gatewayCommand(ctx, port, { mode: 'ok', startDelayMs: START_DELAY_MS, restartMs }),
    GATEWAY_HEALTH_URL: url,
  });
  ctx.log(`in-process restart: a gateway under clawmedic (pid ${medic.pid}) restarted in process with SIGUSR2, port closed ${restartMs / 1000} s; ${ctx.plan.restartRounds} round(s)`);
  const rounds = [];
  for (let round = 0; round < ctx.plan.restartRounds; round++) {
    const [before] = (await waitMedicSettled(medic, { timeoutMs: 60_000 })).targets;
    const sentAt = Date.now();
    process.kill(before.pid, 'SIGUSR2');
    await sleep(1_000); // past the fixture's 200 ms of draining: the port is closed now
    const backAt = await pollUntil200(url, { everyMs: POLL_MS, now: Date.now, timeoutMs: restartMs + 60_000, what: 'the gateway after its in-process restart' });
    const [after] = (await waitMedicSettled(medic, { timeoutMs: 60_000 })).targets;
    const incidents = (await medic.status()).targets[0].incident;
    const x = { closedMs: restartMs, backMs: backAt - sentAt, samePid: after.pid === before.pid, restarts: after.restarts - before.restarts, incident: incidents };
    rounds.push(x);
    ctx.log(`  round ${round + 1}: answering again after ${(x.backMs / 1000).toFixed(1)} s; pid ${before.pid} -> ${after.pid}, ${x.restarts} restart(s) by the medic`);
  }
  await stopMedic(ctx, medic);
  return { rounds, restartMs };
}

// ---- 3. idle CPU and RSS ------------------------------------------------------------

/** Starts the idle medics (1 and N supervised targets, each with its own gateway) and waits until all are healthy. */
export async function startIdle(ctx) {
  const ports = await distinctPorts(ctx.plan.idleTargets + 1);
  const gw = { mode: 'ok', startDelayMs: START_DELAY_MS };
  const one = await startMedic(ctx, 'idle-1', { GATEWAY_COMMAND: gatewayCommand(ctx, ports[0], gw), GATEWAY_HEALTH_URL: healthUrl(ports[0]) });
  const targets = ports.slice(1).map((port, i) => ({
    name: `t${String(i + 1).padStart(2, '0')}`,
    command: gatewayCommand(ctx, port, gw),
    healthUrl: healthUrl(port),
  }));
  const targetsFile = join(ctx.root, 'targets.json');
  await writeFile(targetsFile, JSON.stringify({ targets }, null, 2));
  const many = await startMedic(ctx, `idle-${ctx.plan.idleTargets}`, { MEDIC_TARGETS_FILE: targetsFile });
  // 51 gateways start at once: on a loaded machine that takes a while (more than 120 s at load 32).
  await Promise.all([waitMedicSettled(one, { timeoutMs: 240_000 }), waitMedicSettled(many, { timeoutMs: 240_000 })]);
  ctx.log(`idle: clawmedic with 1 target (pid ${one.pid}) and with ${ctx.plan.idleTargets} targets (pid ${many.pid}) are up; they warm up during the hang rounds`);
  return { one, many, upAt: Date.now() };
}

export async function sampleIdle(ctx, idle) {
  const d = ctx.defaults;
  // Past the one-off last-known-good snapshot (SNAPSHOT_AFTER_MS healthy, checked at the next probe).
  const warmUntil = idle.upAt + d.snapshotAfterMs + d.probeIntervalMs + 1000;
  if (warmUntil > Date.now()) {
    ctx.log(`idle: warming up ${((warmUntil - Date.now()) / 1000).toFixed(0)} s more (past the config snapshot at ${d.snapshotAfterMs / 1000} s healthy)`);
    await sleepUntil(warmUntil);
  }
  const medics = [idle.one, idle.many];
  const restartsBefore = await Promise.all(medics.map(restartCount));
  ctx.log(`idle: sampling CPU and RSS of both medics for ${ctx.plan.idleSampleMs / 1000} s, nothing else running`);
  const start = { at: performance.now(), cpu: medics.map((m) => cpuSeconds(m.pid)) };
  const rss = medics.map(() => []);
  while (performance.now() - start.at < ctx.plan.idleSampleMs) {
    medics.forEach((m, i) => rss[i].push(memoryMiB(m.pid).rss));
    await sleep(Math.min(1000, ctx.plan.idleSampleMs - (performance.now() - start.at)));
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
  return { one: out[0], many: out[1], sampleMs: ctx.plan.idleSampleMs, targets: ctx.plan.idleTargets, probeIntervalMs: d.probeIntervalMs };
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

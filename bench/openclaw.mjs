#!/usr/bin/env node
/**
 * kill -9 of the REAL OpenClaw gateway -> healthy again, under three supervisors, beside the
 * gateway's own start-up (the floor) measured in the same run:
 *
 *   1. clawmedic (`node bin/clawmedic.js run`, GATEWAY_COMMAND running the pinned OpenClaw, every
 *      other setting at its default: level 0 restarts it at once);
 *   2. PM2 (fork mode, autorestart, restart_delay 0, its own PM2_HOME);
 *   3. a systemd-style loop, `sh -c 'while :; do <gateway>; sleep 5; done'`: the unit OpenClaw
 *      writes has Restart=always, RestartSec=5, and systemd waits RestartSec after a kill -9 too.
 *
 * `npm run build` first (`npm run bench:openclaw` does both). Linux only (/proc). Needs the pinned
 * OpenClaw and Node 24 (scripts/install-openclaw.mjs installs them, or finds them in its cache).
 *
 * One gateway at a time (one takes ~1.3 cores for ~13 s to start): each supervisor in turn, in its
 * own world (temp HOME, OPENCLAW_STATE_DIR, config, port), N rounds of: healthy and stable 3 s,
 * kill -9 the gateway, GET /healthz every 100 ms until a 200. The floor (the gateway started
 * directly, exec -> first 200) is sampled between the supervisors' turns, so it sees the same
 * machine. Everything started is stopped by pid (and what a world left, by its state dir); the
 * temp dir is removed. Prints a markdown table and writes it to bench/OPENCLAW.md.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { commandLine, getJson, httpGet, isAlive, Janitor, killAndWaitGone, pollUntil200, processesWithEnv, sleep, spawnLogged, waitFor } from './lib.mjs';
import {
  childrenOf,
  countInLogs,
  drainWorld,
  gatewayArgs,
  gatewayShell,
  installOpenClaw,
  killPids,
  makeWorld,
  runsNode,
  startedAtMs,
  uptimeMs,
  worldProcesses,
} from './openclaw-worlds.mjs';
import { describeMachine } from './report.mjs';
import { max, median, min } from './stats.mjs';
import { Paths, pm2Gateway, pm2Version, snapshotBuild, startMedic, stopMedic, stopPm2, waitMedicSettled } from './supervisors.mjs';

const execFileAsync = promisify(execFile);

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE = 'usage: node bench/openclaw.mjs [--rounds N (default 5)] [--no-write]   (build first: npm run build)';
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const ROUNDS = Number(opts.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`--rounds must be a whole number >= 1 (got '${opts.rounds}')\n${USAGE}`);
  process.exit(2);
}

/** How often /healthz is polled while waiting for a 200. */
const POLL_MS = 100;
/** Healthy (every poll a 200) for this long before a kill. */
const STABLE_MS = 3_000;
/** The systemd unit's RestartSec. */
const RESTART_SEC = 5;
/** The longest wait for one start or restart (13 s is usual; slack for a loaded machine). */
const START_TIMEOUT_MS = 180_000;
/** Every process this run starts carries `MARKER=<run id>` in its environment. */
const MARKER = 'CLAWMEDIC_BENCH_OPENCLAW_RUN';
const RESULTS_PATH = new URL('./OPENCLAW.md', import.meta.url).pathname;
/** What OpenClaw logs after 3 unclean boots within 5 minutes (see the reference, section 6). */
const BREAKER_TEXT = 'restart-loop breaker tripped';

const t0 = performance.now();
const log = (line) => console.log(`[bench:openclaw ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
/** Short spans (a supervisor's reaction, 10 ms clock ticks) in ms, longer ones in s. */
const span = (ms) => (ms < 1000 ? `${Math.round(ms / 10) * 10} ms` : secs(ms));

/** This environment without any clawmedic setting (so every default applies), plus the run's marker. */
function baseEnvironment(config, marker) {
  const env = { ...process.env, [MARKER]: marker };
  for (const { name } of config.CONFIG_VARIABLES) delete env[name];
  for (const name of Object.keys(env)) {
    if (name === 'MEDIC_ENV_FILE' || name.startsWith('DISCORD_') || name.startsWith('OPENCLAW_') || name.startsWith('PM2_') || name === 'NODE_COMPILE_CACHE') delete env[name];
  }
  return env;
}

/** Polls `url` every POLL_MS until it has answered 200 to every poll for `stableMs`. */
async function waitStable(url, what, stableMs = STABLE_MS, timeoutMs = START_TIMEOUT_MS) {
  const deadline = performance.now() + timeoutMs;
  let since = null;
  for (;;) {
    const r = await httpGet(url, 1000);
    const now = performance.now();
    if (r.status === 200) {
      since ??= now;
      if (now - since >= stableMs) return;
    } else {
      since = null;
    }
    if (now > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to be healthy for ${stableMs} ms (last: ${r.status ?? r.error})`);
    await sleep(POLL_MS);
  }
}

/** From `from` (performance.now()) to the first 200 of `url`, polled every POLL_MS. */
async function msTo200(url, from, what) {
  return (await pollUntil200(url, { everyMs: POLL_MS, timeoutMs: START_TIMEOUT_MS, requestTimeoutMs: 1000, what })) - from;
}

/**
 * The rounds of one supervisor: ready (its own view), healthy and stable 3 s, kill -9 the pid
 * it reports, time to the next 200, then check that it started a new gateway. Also splits each
 * time at the new gateway's fork (/proc starttime): the supervisor's reaction, then the start-up.
 */
async function killRounds(ctx, key, label, world, sup) {
  const times = [];
  const respawn = [];
  let victim = null;
  for (let round = 1; round <= ROUNDS; round++) {
    await sup.ready(victim);
    await waitStable(world.healthUrl, `the gateway under ${label}`);
    const before = await sup.current();
    if (before.pid === victim || !runsNode(before.pid, ctx.install)) {
      throw new Error(`${label}: pid ${before.pid} is not a fresh gateway (${commandLine(before.pid)})`);
    }
    victim = before.pid;
    const killedAt = uptimeMs();
    const start = performance.now();
    await killAndWaitGone(victim);
    const ms = await msTo200(world.healthUrl, start, `the gateway under ${label} after kill -9`);
    const next = await sup.check(before);
    const forkedAt = startedAtMs(next);
    if (forkedAt === null) throw new Error(`${label}: the new gateway (pid ${next}) is gone already`);
    times.push(ms);
    respawn.push(Math.max(0, forkedAt - killedAt));
    ctx.log(`  ${label} round ${round}/${ROUNDS}: kill -9 of pid ${victim} -> healthy in ${secs(ms)} (new process pid ${next} after ${span(respawn.at(-1))})`);
  }
  ctx.results[key] = times;
  ctx.results.respawn[key] = respawn;
}

// ---- the floor ------------------------------------------------------------------------------

/** The gateway started directly (exec -> first 200); then kill -9, as the supervised restarts follow one. */
async function floorStart(ctx, world) {
  const start = performance.now();
  const child = await spawnLogged(ctx.janitor, ctx.install.node, [ctx.install.openclaw, ...gatewayArgs(world)], {
    logPath: join(world.dir, 'gateway.log'),
    env: world.env,
    cwd: world.dir,
    detached: true,
  });
  const ms = await msTo200(world.healthUrl, start, 'the gateway started directly');
  await killAndWaitGone(child.pid);
  await child.exited;
  const killed = await drainWorld(world);
  if (killed.length) ctx.log(`  floor: ${killed.length} helper(s) outlived the killed gateway; killed: ${killed.join(', ')}`);
  return ms;
}

async function floorSamples(ctx, count) {
  for (let i = 0; i < count; i++) {
    const ms = await floorStart(ctx, ctx.floorWorld);
    ctx.results.floor.push(ms);
    ctx.log(`  floor sample ${ctx.results.floor.length}/${ROUNDS}: gateway started directly, exec -> first 200 in ${secs(ms)}`);
  }
}

// ---- clawmedic -------------------------------------------------------------------------------

async function benchMedic(ctx) {
  const world = await newWorld(ctx, 'clawmedic');
  const launched = performance.now();
  const medic = await startMedic(ctx, world.name, {
    ...world.env,
    // As a user writes it: a plain command line (no `exec`); /status names the node process serving the port.
    GATEWAY_COMMAND: gatewayShell(ctx.install, world),
    GATEWAY_HEALTH_URL: world.healthUrl,
    GATEWAY_CONFIG_PATH: world.configPath,
    GATEWAY_CONFIG_KIND: 'openclaw',
  });
  ctx.results.firstStart.medic = await msTo200(world.healthUrl, launched, 'the first gateway under clawmedic');
  ctx.log(`clawmedic (pid ${medic.pid}): first gateway healthy ${secs(ctx.results.firstStart.medic)} after the medic's launch; ${ROUNDS} rounds`);
  const incidentsUrl = medic.statusUrl.replace(/\/status$/, '/incidents?limit=200');
  const before = new Set((await getJson(incidentsUrl, 5_000)).incidents.map((i) => i.id));
  await killRounds(ctx, 'medic', 'clawmedic', world, {
    // The medic has seen the new gateway healthy (two good probes) and closed the incident.
    ready: (victim) => waitMedicSettled(medic, { timeoutMs: START_TIMEOUT_MS, unlessPid: victim }),
    current: async () => (await medic.status()).targets[0],
    check: async (before) => {
      const after = (await medic.status()).targets[0];
      if (after.pid === null || after.pid === before.pid) throw new Error(`clawmedic reports pid ${after.pid} after pid ${before.pid} was killed`);
      return after.pid;
    },
  });
  await waitMedicSettled(medic, { timeoutMs: START_TIMEOUT_MS });
  const incidents = (await getJson(incidentsUrl, 5_000)).incidents.filter((i) => !before.has(i.id));
  ctx.results.medicIncidents = incidents.map((i) => ({ state: i.state, maxLevel: i.maxLevel, cause: i.cause, outcome: i.outcome }));
  await stopMedic(ctx, medic);
  await endWorld(ctx, world);
}

// ---- PM2 ---------------------------------------------------------------------------------

async function benchPm2(ctx) {
  const world = await newWorld(ctx, 'pm2');
  const home = join(world.dir, 'pm2');
  await mkdir(home, { recursive: true });
  // pm2Gateway/stopPm2 run the PM2 CLI with `baseEnv` and `pm2.home`: the world's environment.
  const p = { ...ctx, baseEnv: world.env, pm2: { home, daemonPid: null, running: true } };
  ctx.pm2ctx = p;
  // interpreter 'none': PM2 execs the `openclaw` wrapper (which execs the pinned Node), so the pid
  // PM2 reports is the gateway's. With a node interpreter PM2 would load openclaw.mjs inside its
  // ProcessContainerFork.js, and OpenClaw's entry, not seeing itself as the main module, would not start.
  const app = {
    name: 'gateway',
    script: join(ctx.install.binDir, 'openclaw'),
    args: gatewayArgs(world),
    interpreter: 'none',
    exec_mode: 'fork',
    autorestart: true,
    restart_delay: 0,
    cwd: world.dir,
    env: Object.fromEntries(Object.entries(world.env).filter(([k]) => k.startsWith('OPENCLAW_') || k === 'HOME' || k === 'PATH' || k === MARKER)),
  };
  const ecosystem = join(home, 'ecosystem.json');
  await writeFile(ecosystem, JSON.stringify({ apps: [app] }, null, 2));
  const launched = performance.now();
  await execFileAsync(Paths.pm2, ['start', ecosystem], { cwd: home, env: { ...world.env, PM2_HOME: home }, timeout: 60_000 });
  const pidFile = join(home, 'pm2.pid');
  if (existsSync(pidFile)) p.pm2.daemonPid = ctx.janitor.track(Number(readFileSync(pidFile, 'utf8').trim()));
  ctx.results.firstStart.pm2 = await msTo200(world.healthUrl, launched, 'the first gateway under PM2');
  ctx.log(`PM2 ${ctx.pm2Version} (daemon pid ${p.pm2.daemonPid}): first gateway healthy ${secs(ctx.results.firstStart.pm2)} after \`pm2 start\`; ${ROUNDS} rounds`);
  await killRounds(ctx, 'pm2', 'PM2', world, {
    ready: (victim) =>
      waitFor(async () => {
        const gw = await pm2Gateway(p);
        return gw.status === 'online' && gw.pid && gw.pid !== victim;
      }, { timeoutMs: START_TIMEOUT_MS, intervalMs: 200, what: 'PM2 to report a new gateway online' }),
    current: () => pm2Gateway(p),
    check: async (before) => {
      const after = await pm2Gateway(p);
      ctx.janitor.track(after.pid);
      if (after.pid === before.pid || after.restarts !== before.restarts + 1) {
        throw new Error(`PM2 did not restart the gateway once (pid ${before.pid} -> ${after.pid}, restarts ${before.restarts} -> ${after.restarts})`);
      }
      return after.pid;
    },
  });
  await stopPm2(p);
  await endWorld(ctx, world);
}

// ---- the systemd-style loop -------------------------------------------------------------------

async function benchLoop(ctx) {
  const world = await newWorld(ctx, 'loop');
  const script = `while :; do ${gatewayShell(ctx.install, world)}; sleep ${RESTART_SEC}; done`;
  const launched = performance.now();
  const sh = await spawnLogged(ctx.janitor, '/bin/sh', ['-c', script], { logPath: join(world.dir, 'loop.log'), env: world.env, cwd: world.dir, detached: true });
  ctx.loop = sh;
  /** The loop shell's gateway child (not its `sleep`), or null between runs. */
  const gateway = () => childrenOf(sh.pid).find((pid) => runsNode(pid, ctx.install)) ?? null;
  ctx.results.firstStart.loop = await msTo200(world.healthUrl, launched, 'the first gateway under the loop');
  ctx.log(`systemd-style loop (sh pid ${sh.pid}, RestartSec=${RESTART_SEC}): first gateway healthy ${secs(ctx.results.firstStart.loop)} after launch; ${ROUNDS} rounds`);
  await killRounds(ctx, 'loop', 'the loop', world, {
    ready: (victim) => waitFor(() => {
      const pid = gateway();
      return pid !== null && pid !== victim;
    }, { timeoutMs: START_TIMEOUT_MS, intervalMs: 200, what: 'the loop to run a new gateway' }),
    current: async () => ({ pid: gateway() }),
    check: async (before) => {
      const pid = gateway();
      if (pid === null || pid === before.pid) throw new Error(`the loop runs no new gateway after pid ${before.pid} was killed`);
      return pid;
    },
  });
  await stopLoop(ctx);
  await endWorld(ctx, world);
}

/** SIGTERM to the loop's process group (the shell, its gateway or its sleep), SIGKILL after 15 s. */
async function stopLoop(ctx) {
  const sh = ctx.loop;
  if (!sh) return;
  ctx.loop = null;
  const group = [sh.pid, ...childrenOf(sh.pid)];
  try {
    process.kill(-sh.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  const stopped = await waitFor(() => group.every((pid) => !isAlive(pid)), { timeoutMs: 15_000, intervalMs: 100 }).catch(() => false);
  if (!stopped) await killPids(group);
}

// ---- worlds and cleanup ------------------------------------------------------------------------

async function newWorld(ctx, name) {
  const world = await makeWorld(ctx.root, name, ctx.install, ctx.baseEnv, ctx.ports);
  ctx.worlds.push(world);
  return world;
}

/** After a supervisor's turn: nothing of its world may still run when the next one starts. */
async function endWorld(ctx, world) {
  ctx.results.breakerTrips[world.name] = countInLogs(world, BREAKER_TEXT);
  const killed = await drainWorld(world);
  if (killed.length) ctx.log(`  ${world.name}: killed ${killed.length} process(es) left after the supervisor stopped: ${killed.join(', ')}`);
}

/** Every process of this run: the run's marker, or one of its worlds' state dirs, in its environment. */
function ours(ctx) {
  return [...new Set([...processesWithEnv(MARKER, ctx.marker), ...ctx.worlds.flatMap(worldProcesses)])];
}

let cleaning = null;
function cleanup(ctx) {
  cleaning ??= (async () => {
    for (const m of ctx.medics) await stopMedic(ctx, m).catch((err) => console.error(`stopping ${m.name}: ${err.message}`));
    if (ctx.pm2ctx) await stopPm2(ctx.pm2ctx).catch((err) => console.error(`stopping PM2: ${err.message}`));
    await stopLoop(ctx).catch((err) => console.error(`stopping the loop: ${err.message}`));
    const strays = ours(ctx);
    for (const pid of strays) console.error(`cleanup: pid ${pid} was still running: ${commandLine(pid)}`);
    await killPids(strays);
    const left = ours(ctx);
    // The link first, on its own: the temp dir goes, the project's node_modules stays.
    await unlink(join(ctx.root, 'app', 'node_modules')).catch(() => {});
    await rm(ctx.root, { recursive: true, force: true });
    return { started: ctx.janitor.pids.size, killed: strays.length, left };
  })();
  return cleaning;
}

// ---- report --------------------------------------------------------------------------------------

function renderTable(ctx) {
  const r = ctx.results;
  const floor = median(r.floor);
  const medic = median(r.medic);
  const x = (v) => `${(v / floor).toFixed(2)}`;
  const y = (v) => `${(v / medic).toFixed(2)}`;
  const over = (v) => `${v >= floor ? '+' : '−'}${secs(Math.abs(v - floor))}`;
  const row = (what, samples, respawn) => {
    const m = median(samples);
    return [what, samples.length, `**${secs(m)}**`, `${secs(min(samples))}–${secs(max(samples))}`, over(m), x(m), y(m), respawn ? span(median(respawn)) : '–'];
  };
  const rows = [
    ['kill -9 of the gateway → healthy again', 'N', 'median', 'min–max', 'median − floor', '× floor', '× clawmedic', 'of which kill → new process, median'],
    row("floor: the gateway's own start-up (started directly, exec → first 200)", r.floor, null),
    row('clawmedic (level 0, default settings)', r.medic, r.respawn.medic),
    row(`PM2 ${ctx.pm2Version} (fork mode, autorestart, restart_delay 0)`, r.pm2, r.respawn.pm2),
    row(`systemd-style loop (Restart=always, RestartSec=${RESTART_SEC})`, r.loop, r.respawn.loop),
    [
      "the article's level 0: launchd's throttle (5-10 s) + start-up, not measured",
      '–',
      `≈ ${secs(floor + 5000)}–${secs(floor + 10_000)}`,
      '',
      '+5.0 s to +10.0 s',
      `${x(floor + 5000)}–${x(floor + 10_000)}`,
      `${y(floor + 5000)}–${y(floor + 10_000)}`,
      '5.0 s–10.0 s',
    ],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((rw) => String(rw[c]).length)));
  const line = (rw) => `| ${rw.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

function renderSamples(ctx) {
  const r = ctx.results;
  const list = (v) => v.map((ms) => Math.round(ms)).join(', ');
  const startups = (key) => list(r[key].map((ms, i) => ms - r.respawn[key][i]));
  const trips = r.breakerTrips;
  const levels = r.medicIncidents ?? [];
  const atLevel0 = levels.filter((i) => i.state === 'resolved' && i.maxLevel === 0).length;
  const outcomes = [...new Set(levels.map((i) => `${i.cause} → ${i.outcome}`))].join('; ');
  return [
    `- floor, gateway started directly, exec → first 200 (ms, in the order taken): ${list(r.floor)}`,
    `- clawmedic, kill -9 → healthy (ms): ${list(r.medic)}; of which kill → new process: ${list(r.respawn.medic)}; new process → first 200: ${startups('medic')}`,
    `- PM2, kill -9 → healthy (ms): ${list(r.pm2)}; of which kill → new process: ${list(r.respawn.pm2)}; new process → first 200: ${startups('pm2')}`,
    `- systemd-style loop, kill -9 → healthy (ms): ${list(r.loop)}; of which kill → new process: ${list(r.respawn.loop)}; new process → first 200: ${startups('loop')}`,
    `- first start in a fresh state dir, launch → first 200 (not in the table): floor ${secs(r.firstStart.floor)}, clawmedic ${secs(r.firstStart.medic)} (includes the medic's own start), PM2 ${secs(r.firstStart.pm2)} (includes \`pm2 start\` and its daemon's start), loop ${secs(r.firstStart.loop)}`,
    `- OpenClaw's restart-loop breaker ("${BREAKER_TEXT}", after 3 unclean boots within 5 minutes; channels stay off, /healthz unaffected) logged: floor ${trips.floor ?? '?'}, clawmedic ${trips.clawmedic ?? '?'}, PM2 ${trips.pm2 ?? '?'}, loop ${trips.loop ?? '?'} time(s)`,
    `- clawmedic's incidents for the ${r.medic.length} kills: ${levels.length}, ${atLevel0} resolved at level 0 (${outcomes || 'none'})`,
  ].join('\n');
}

function describeMethod(ctx) {
  const slots = ctx.floorPlan;
  return [
    `- Gateway: OpenClaw ${ctx.install.openclawVersion} on Node ${ctx.install.nodeVersion} (\`scripts/install-openclaw.mjs\`), \`<node> openclaw.mjs gateway run --port P --bind loopback\`, each supervisor in its own world: temp HOME, OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH with the minimal config of the chaos suite (gateway.mode local, token auth, loopback, update check and telemetry off), DO_NOT_TRACK=1, OPENCLAW_NO_AUTO_UPDATE=1, OPENCLAW_DISABLE_BONJOUR=1, and its own port.`,
    `- One gateway at a time (a start takes ~1.3 cores; the machine has ${os.availableParallelism()}): clawmedic's turn, then PM2's, then the loop's; each supervisor started fresh for its turn and stopped after it, with nothing of its world left running before the next.`,
    `- clawmedic: \`node bin/clawmedic.js run\` (a snapshot of dist/), GATEWAY_COMMAND \`<node> openclaw.mjs gateway run ...\` (a plain command line as users write it, no \`exec\`: \`/bin/sh -c\` stays as the gateway's parent), GATEWAY_HEALTH_URL, GATEWAY_CONFIG_PATH the world's config, every other setting at its default (probe every 5 s, 2 good probes to call it healthy; level 0 restarts a gateway that dies after a healthy run at once). Victim pid: \`GET /status\` \`targets[0].pid\` (the node process serving the port, checked to run OpenClaw's node, not the shell). Before each kill the medic has seen the gateway healthy with no incident open.`,
    `- PM2 ${ctx.pm2Version}: its own PM2_HOME, an ecosystem file: fork mode, autorestart, restart_delay 0, \`interpreter: none\` running the install's \`openclaw\` wrapper (a shell script that execs the pinned Node, so PM2's pid is the gateway's). Not \`script: openclaw.mjs\` with a node interpreter: PM2 then loads it inside its ProcessContainerFork.js, OpenClaw's entry does not see itself as the main module and never starts the gateway, and PM2 shows the app \`online\` with 0 restarts while nothing listens (seen on this machine: no 200 in 40 s). Victim pid: \`pm2 jlist\`. \`pm2 kill\` at the end.`,
    `- systemd-style loop: \`sh -c 'while :; do <gateway>; sleep ${RESTART_SEC}; done'\`, the restart policy of the unit OpenClaw writes (Restart=always, RestartSec=${RESTART_SEC}; systemd also waits RestartSec after a kill -9). Victim pid: the loop shell's node child.`,
    `- Each round: the supervisor reports a new gateway, /healthz has answered 200 to every poll for ${STABLE_MS / 1000} s, SIGKILL to the gateway's pid, wait until the pid is gone, then GET /healthz (fresh connection, 1 s timeout) every ${POLL_MS} ms until a 200; the time is from the kill to that 200. The supervisor must then report a new pid (PM2 also one more restart). "Kill → new process" is when the new gateway process was forked (\`/proc/<pid>/stat\` starttime against \`/proc/uptime\` at the kill, 10 ms ticks): the supervisor's own share, plus the kernel's teardown of the killed ~0.8 GB process before its parent hears of the exit (about 150 ms here, the same for all three); the rest is the gateway's start-up in that round.`,
    `- Floor: the same gateway started directly in its own world (spawn → first 200, same ${POLL_MS} ms poll), then killed with SIGKILL as the supervised ones, so each start follows an unclean exit in a used state dir, as every measured restart does. A first start in the fresh state dir is not counted (nor is any supervisor's first start). Sampled between the supervisors' turns (${slots.join(', ')} samples before clawmedic, before PM2, before the loop, after the loop), so it sees the same machine as they do.`,
    `- The article's row is arithmetic, not a measurement: this run's floor median plus launchd's throttle as the article gives it (5-10 s).`,
  ].join('\n');
}

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
    console.error('clawmedic is not built: run `npm run bench:openclaw` (or `npm run build` first).');
    process.exitCode = 2;
    return;
  }
  const install = installOpenClaw();
  const marker = randomBytes(6).toString('hex');
  const root = await mkdtemp(join(os.tmpdir(), 'clawmedic-bench-openclaw-'));
  const ctx = {
    root,
    marker,
    install,
    janitor: new Janitor(),
    ports: new Set(),
    worlds: [],
    medics: [],
    pm2ctx: null,
    loop: null,
    floorWorld: null,
    pm2Version: pm2Version(),
    log,
    // The floor samples between the turns: as evenly as the rounds allow.
    floorPlan: [0, 1, 2, 3].map((i) => Math.floor((ROUNDS * (i + 1)) / 4) - Math.floor((ROUNDS * i) / 4)),
    results: { floor: [], medic: [], pm2: [], loop: [], respawn: {}, firstStart: {}, medicIncidents: null, breakerTrips: {} },
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup(ctx).finally(() => process.exit(130));
    });
  }
  const loadBefore = os.loadavg()[0];
  const machine = `${describeMachine(ctx.pm2Version)}; OpenClaw ${install.openclawVersion} on Node ${install.nodeVersion}`;
  let failure = null;
  try {
    ctx.build = await snapshotBuild(join(root, 'app'));
    const config = await import(pathToFileURL(ctx.build.config).href);
    ctx.baseEnv = baseEnvironment(config, marker);
    ctx.floorWorld = await newWorld(ctx, 'floor');
    log(`${ROUNDS} rounds each; temp dir ${root}; ${machine}; load average ${loadBefore.toFixed(2)}`);
    const [a, b, c, d] = ctx.floorPlan;
    // Not counted: the first start in a fresh state dir, as each supervisor's first start is not.
    ctx.results.firstStart.floor = await floorStart(ctx, ctx.floorWorld);
    log(`  floor warm-up (fresh state dir, not counted): exec -> first 200 in ${secs(ctx.results.firstStart.floor)}`);
    await floorSamples(ctx, a);
    await benchMedic(ctx);
    await floorSamples(ctx, b);
    await benchPm2(ctx);
    await floorSamples(ctx, c);
    await benchLoop(ctx);
    await floorSamples(ctx, d);
    ctx.results.breakerTrips.floor = countInLogs(ctx.floorWorld, BREAKER_TEXT);
  } catch (err) {
    failure = err;
    for (const m of ctx.medics) if (isAlive(m.pid)) console.error(`--- ${m.name} log (last lines) ---\n${m.tail()}`);
  } finally {
    const done = await cleanup(ctx);
    log(`cleanup: ${done.killed} process(es) needed SIGKILL at the end, ${done.left.length} left running; temp dir removed`);
    if (done.left.length) console.error(`still running: ${done.left.map((pid) => `${pid} ${commandLine(pid)}`).join('; ')}`);
  }
  if (failure) throw failure;

  const totalMs = performance.now() - t0;
  const table = renderTable(ctx);
  const samples = renderSamples(ctx);
  console.log(`\n${table}\n\n${samples}\n\ntotal ${secs(totalMs)}`);
  if (opts['no-write']) {
    console.log('\n(not written to bench/OPENCLAW.md: --no-write)');
    return;
  }
  const command =
    process.env.npm_lifecycle_event === 'bench:openclaw'
      ? `npm run bench:openclaw${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
      : `node bench/openclaw.mjs${process.argv.slice(2).map((a) => ` ${a}`).join('')}`;
  const page = `# kill -9 of the real OpenClaw gateway: clawmedic, PM2, a systemd-style loop, and the floor

Produced by \`bench/openclaw.mjs\`; do not edit by hand, run it again.

- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}
- Machine: ${machine}; 1-minute load average ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end
- Command: \`${command}\` (${secs(totalMs)} in all)

${table}

## Samples

${samples}

## Method

${describeMethod(ctx)}
`;
  await writeFile(RESULTS_PATH, page);
  console.log('\nwritten to bench/OPENCLAW.md');
}

main().catch((err) => {
  console.error(`bench:openclaw failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});

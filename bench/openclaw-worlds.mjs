/**
 * The real OpenClaw gateway for bench/openclaw.mjs: the pinned install (scripts/install-openclaw.mjs),
 * one isolated "world" per supervisor (temp HOME, OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH, the
 * minimal config of test/chaos/harness.ts: token auth, loopback, telemetry and update check off),
 * and finding and killing what a world left. A gateway is three processes, and its spawn broker
 * leads its own session, so leftovers are found by their state dir in /proc/<pid>/environ and
 * killed by pid (and their process group only when they lead it). Linux only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clockTicksPerSecond, freePort, isAlive, parentPid, processesWithEnv, shellQuote, waitFor } from './lib.mjs';
import { healthUrl } from './supervisors.mjs';

export const InstallerPath = new URL('../scripts/install-openclaw.mjs', import.meta.url).pathname;

/** The gateway's auth token in the bench config (a test value, not a secret). */
export const GATEWAY_TOKEN = 'bench-token-not-a-secret';

/** Telemetry, the update check and mDNS off (see /work/shared/reference/openclaw.md). */
export const QUIET_OPENCLAW = {
  DO_NOT_TRACK: '1',
  OPENCLAW_NO_AUTO_UPDATE: '1',
  OPENCLAW_DISABLE_BONJOUR: '1',
  NO_COLOR: '1',
};

/**
 * Runs the installer (warm: it only prints the paths) and returns its JSON:
 * { node, openclaw, binDir, cacheDir, nodeVersion, openclawVersion }.
 */
export function installOpenClaw(env = process.env) {
  const r = spawnSync(process.execPath, [InstallerPath], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (r.error) throw new Error(`could not run ${InstallerPath}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${InstallerPath} failed (exit ${String(r.status ?? r.signal)}); see its messages above`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  const paths = JSON.parse(last);
  for (const key of ['node', 'openclaw', 'binDir']) {
    if (typeof paths[key] !== 'string') throw new Error(`${InstallerPath}: '${key}' is missing from '${last}'`);
  }
  return { ...paths, nodeReal: realpathSync(paths.node) };
}

export function minimalConfig(stateDir, port) {
  return {
    gateway: { mode: 'local', port, bind: 'loopback', auth: { mode: 'token', token: GATEWAY_TOKEN } },
    logging: { file: join(stateDir, 'logs', 'gateway.log') },
    update: { checkOnStart: false },
    telemetry: { enabled: false },
  };
}

/**
 * A fresh world in `root/name`: its dir (HOME), state dir, config, a port of its own, and the
 * environment every process of that world runs with (`baseEnv` plus the isolation).
 */
export async function makeWorld(root, name, install, baseEnv, takenPorts) {
  const dir = join(root, name);
  const stateDir = join(dir, 'state');
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const configPath = join(stateDir, 'openclaw.json');
  let port = await freePort();
  while (takenPorts.has(port)) port = await freePort();
  takenPorts.add(port);
  writeFileSync(configPath, `${JSON.stringify(minimalConfig(stateDir, port), null, 2)}\n`);
  const env = {
    ...baseEnv,
    // binDir first: an `openclaw ...` run by anything here is the pinned install with its Node.
    PATH: `${install.binDir}:${baseEnv.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    LANG: 'C.UTF-8',
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    ...QUIET_OPENCLAW,
  };
  return { name, dir, stateDir, configPath, port, healthUrl: healthUrl(port), env };
}

/** The gateway's arguments after the CLI: foreground, the world's port, loopback only. */
export const gatewayArgs = (world) => ['gateway', 'run', '--port', String(world.port), '--bind', 'loopback'];

/** The gateway as a shell command: the pinned Node running the OpenClaw CLI. */
export function gatewayShell(install, world) {
  return [install.node, install.openclaw, ...gatewayArgs(world)].map(shellQuote).join(' ');
}

/** Fields of /proc/<pid>/stat after the command name: 0 state, 1 ppid, 2 pgrp, 3 session. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export const leadsGroup = (pid) => Number(statFields(pid)?.[2]) === pid;

/** Milliseconds since boot now (/proc/uptime, 10 ms resolution): the clock of `startedAtMs`. */
export function uptimeMs() {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

/**
 * When `pid` was forked, in milliseconds since boot (/proc/<pid>/stat starttime, in clock
 * ticks; an exec keeps it), or null when it is gone.
 */
export function startedAtMs(pid) {
  const ticks = Number(statFields(pid)?.[19]);
  return Number.isFinite(ticks) ? (ticks / clockTicksPerSecond()) * 1000 : null;
}

/** How often `text` occurs in the world's OpenClaw log files (logging.file, in its state dir). */
export function countInLogs(world, text) {
  let n = 0;
  try {
    for (const name of readdirSync(join(world.stateDir, 'logs'))) {
      if (!name.includes('.log')) continue;
      n += readFileSync(join(world.stateDir, 'logs', name), 'utf8').split(text).length - 1;
    }
  } catch {
    // No logs.
  }
  return n;
}

/** Whether `pid` runs the pinned Node (the gateway's process, whatever its title). */
export function runsNode(pid, install) {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === install.nodeReal;
  } catch {
    return false;
  }
}

/** The live direct children of `pid`. */
export function childrenOf(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = Number(entry);
    if (parentPid(child) === pid && isAlive(child)) out.push(child);
  }
  return out;
}

/** Every live process of a world: its environment holds its state dir. */
export const worldProcesses = (world) => processesWithEnv('OPENCLAW_STATE_DIR', world.stateDir);

/**
 * SIGKILL (and SIGCONT) each pid, its process group too when it leads one (the spawn broker
 * leads its own); never this process or its group. Waits until they are gone; resolves with
 * those still alive after `timeoutMs` (none, normally).
 */
export async function killPids(pids, timeoutMs = 10_000) {
  const ownGroup = Number(statFields(process.pid)?.[2]);
  const targets = pids.filter((pid) => pid !== process.pid && isAlive(pid));
  for (const pid of targets) {
    const group = leadsGroup(pid) && pid !== ownGroup ? [-pid, pid] : [pid];
    for (const target of group) {
      for (const signal of ['SIGKILL', 'SIGCONT']) {
        try {
          process.kill(target, signal);
        } catch {
          // Already gone.
        }
      }
    }
  }
  await waitFor(() => targets.every((pid) => !isAlive(pid)), { timeoutMs, what: 'killed processes to be gone' }).catch(() => {});
  return targets.filter(isAlive);
}

/**
 * Waits (up to `timeoutMs`) until nothing of `world` runs any more, as after a gateway stopped
 * (its helpers follow it); then kills what is left. Resolves with the pids it had to kill.
 */
export async function drainWorld(world, timeoutMs = 15_000) {
  const gone = await waitFor(() => worldProcesses(world).length === 0, { timeoutMs, intervalMs: 100 }).catch(() => false);
  if (gone) return [];
  const left = worldProcesses(world);
  await killPids(left);
  return left;
}

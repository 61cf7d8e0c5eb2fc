/**
 * The two supervisors the bench runs the fixture gateway under: clawmedic as a child
 * process (`node bin/clawmedic.js run`) and PM2 with its own PM2_HOME. Each is started
 * and stopped by pid; a bench run's context (`ctx`) remembers them for the cleanup.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { descendants, freePort, getJson, httpGet, isAlive, killHard, shellQuote, sleep, spawnLogged, waitFor } from './lib.mjs';

const execFileAsync = promisify(execFile);

export const Paths = {
  root: new URL('..', import.meta.url).pathname,
  pm2: new URL('../node_modules/.bin/pm2', import.meta.url).pathname,
  pm2Package: new URL('../node_modules/pm2/package.json', import.meta.url).pathname,
};

export const healthUrl = (port) => `http://127.0.0.1:${port}/healthz`;

/**
 * Copies the built medic (bin/, dist/, package.json) and the fixture gateway (demo/) into `dir`
 * and links node_modules, so a run uses one build throughout even when dist/ is rebuilt while
 * it runs. Resolves with the paths of the copy's medic, two of its modules and the gateway.
 */
export async function snapshotBuild(dir) {
  await mkdir(dir, { recursive: true });
  for (const part of ['bin', 'dist', 'demo', 'package.json']) await cp(join(Paths.root, part), join(dir, part), { recursive: true });
  await symlink(join(Paths.root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return {
    bin: join(dir, 'bin', 'clawmedic.js'),
    config: join(dir, 'dist', 'config.js'),
    supervisor: join(dir, 'dist', 'recovery', 'supervisor.js'),
    gateway: join(dir, 'demo', 'gateway.mjs'),
  };
}

/** The fixture gateway's arguments (after the script path). */
export function gatewayArgs(port, { mode = 'ok', startDelayMs, afterMs, restartMs, freeze } = {}) {
  const args = ['--port', String(port), '--mode', mode];
  if (freeze !== undefined) args.push('--freeze', freeze);
  if (startDelayMs !== undefined) args.push('--start-delay-ms', String(startDelayMs));
  if (afterMs !== undefined) args.push('--after-ms', String(afterMs));
  if (restartMs !== undefined) args.push('--restart-ms', String(restartMs));
  return args;
}

/**
 * The fixture gateway as a GATEWAY_COMMAND, as a user writes it: a plain command line, no `exec`
 * (`/bin/sh -c` stays as its parent; the medic reports and acts on the process serving the port).
 */
export function gatewayCommand(ctx, port, options) {
  return [process.execPath, ctx.build.gateway, ...gatewayArgs(port, options)].map(shellQuote).join(' ');
}

function tail(path, lines = 30) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `node bin/clawmedic.js run` in its own directory (so no .env is read) with the
 * bench's base environment plus `env`, and waits for its API.
 */
export async function startMedic(ctx, name, env) {
  const dir = join(ctx.root, name);
  await mkdir(dir, { recursive: true });
  const apiPort = await freePort();
  const logPath = join(dir, 'medic.log');
  const child = await spawnLogged(ctx.janitor, process.execPath, [ctx.build.bin, 'run'], {
    logPath,
    cwd: dir,
    env: {
      ...ctx.baseEnv,
      MEDIC_DATA_DIR: join(dir, 'data'),
      MEDIC_HTTP_PORT: String(apiPort),
      GATEWAY_CONFIG_KIND: 'json',
      GATEWAY_CONFIG_PATH: ctx.gatewayConfig,
      ...env,
    },
  });
  const medic = {
    name,
    pid: child.pid,
    child,
    logPath,
    statusUrl: `http://127.0.0.1:${apiPort}/status`,
    status: () => getJson(`http://127.0.0.1:${apiPort}/status`, 5_000),
    tail: () => tail(logPath),
  };
  ctx.medics.push(medic);
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`medic ${name} exited at start-up:\n${medic.tail()}`);
      return (await httpGet(medic.statusUrl, 1000)).status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `medic ${name}'s API` }, // slow to load on a busy machine
  );
  return medic;
}

/** Waits until every target of `medic` is up with no open incident; resolves with the status. */
export function waitMedicSettled(medic, { timeoutMs = 30_000, unlessPid = null } = {}) {
  return waitFor(
    async () => {
      // A slow answer (a medic busy starting 50 gateways on a loaded machine) is a "not yet".
      const status = await medic.status().catch(() => null);
      const settled = status?.targets.every((t) => t.health === 'up' && t.incident === null && t.pid !== null && t.pid !== unlessPid);
      return settled ? status : null;
    },
    { timeoutMs, intervalMs: 100, what: `medic ${medic.name}'s targets to be healthy with no open incident` },
  ).catch((err) => {
    throw new Error(`${err.message}\n--- ${medic.name} log ---\n${medic.tail()}`);
  });
}

/** SIGTERM (the medic then stops its gateways), SIGKILL after `timeoutMs`; then anything it left. */
export async function stopMedic(ctx, medic, timeoutMs = 25_000) {
  if (!isAlive(medic.pid)) return;
  const family = descendants(medic.pid);
  for (const pid of family) ctx.janitor.track(pid);
  try {
    process.kill(medic.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  const timer = new AbortController();
  const stopped = await Promise.race([
    medic.child.exited.then(() => true),
    sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  if (!stopped) {
    console.error(`medic ${medic.name} (pid ${medic.pid}) did not stop within ${timeoutMs} ms: killing it\n${medic.tail()}`);
    killHard(medic.pid);
  }
  for (const pid of family) if (isAlive(pid)) killHard(pid);
}

// ---- PM2 ----------------------------------------------------------------------

export function pm2Version() {
  return JSON.parse(readFileSync(Paths.pm2Package, 'utf8')).version;
}

async function pm2(ctx, args) {
  const { stdout } = await execFileAsync(Paths.pm2, args, {
    cwd: ctx.pm2.home,
    env: { ...ctx.baseEnv, PM2_HOME: ctx.pm2.home },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Starts a PM2 daemon in `ctx.root/pm2` and the fixture gateway under it, as a PM2 user would
 * (an ecosystem file: fork mode, autorestart, restart_delay 0).
 */
export async function startPm2(ctx, port, gatewayOptions) {
  const home = join(ctx.root, 'pm2');
  await mkdir(home, { recursive: true });
  ctx.pm2 = { home, daemonPid: null, running: true };
  const ecosystem = join(home, 'ecosystem.json');
  const app = {
    name: 'gateway',
    script: ctx.build.gateway,
    args: gatewayArgs(port, gatewayOptions),
    interpreter: process.execPath,
    exec_mode: 'fork',
    autorestart: true,
    restart_delay: 0,
  };
  await writeFile(ecosystem, JSON.stringify({ apps: [app] }, null, 2));
  await pm2(ctx, ['start', ecosystem]);
  const pidFile = join(home, 'pm2.pid');
  if (existsSync(pidFile)) ctx.pm2.daemonPid = ctx.janitor.track(Number(readFileSync(pidFile, 'utf8').trim()));
  const gw = await pm2Gateway(ctx);
  ctx.janitor.track(gw.pid);
  return app;
}

/** The gateway as `pm2 jlist` shows it: pid, status, restarts, and since when it runs (ms). */
export async function pm2Gateway(ctx) {
  const out = await pm2(ctx, ['jlist']);
  const list = JSON.parse(out.slice(out.indexOf('[')));
  const app = list.find((a) => a.name === 'gateway');
  if (!app) throw new Error(`pm2 jlist has no 'gateway' app: ${out.slice(0, 500)}`);
  return { pid: app.pid, status: app.pm2_env.status, restarts: app.pm2_env.restart_time, upSince: app.pm2_env.pm_uptime };
}

/** `pm2 kill` with this run's PM2_HOME (stops its apps and the daemon); SIGKILL what survives. */
export async function stopPm2(ctx) {
  if (!ctx.pm2?.running) return;
  ctx.pm2.running = false;
  const { daemonPid } = ctx.pm2;
  if (daemonPid === null || isAlive(daemonPid)) {
    await pm2(ctx, ['kill']).catch((err) => console.error(`pm2 kill failed: ${err.message}`));
  }
  if (daemonPid !== null && isAlive(daemonPid)) killHard(daemonPid);
}

/**
 * Helpers for bench/run.mjs: free ports, HTTP polls, /proc readings, statistics, and a
 * janitor that stops by pid every process the bench started (and finds any it missed
 * by a marker in their environment), so a failed run leaves nothing behind. Linux only.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** A port nothing listens on right now (bound then released on 127.0.0.1). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(() => ok()));
  return port;
}

export function shellQuote(value) {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/**
 * One GET on a fresh connection (no keep-alive: a pooled socket would hide a restart).
 * Resolves with `{ status, body }`, or `{ status: null, error }`; never rejects.
 */
export function httpGet(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ status: null, error: 'timeout' }), timeoutMs);
    const req = http.get(url, { agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => finish({ status: null, error: err.code ?? err.message }));
    });
    req.on('error', (err) => finish({ status: null, error: err.code ?? err.message }));
  });
}

export async function getJson(url, timeoutMs = 2000) {
  const r = await httpGet(url, timeoutMs);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status ?? r.error}`);
  return JSON.parse(r.body);
}

/**
 * Polls `url` on a fixed cadence (an attempt every `everyMs`, or right after the previous one
 * when that took longer) until it answers 200; resolves with `now()` at the moment the 200 arrived.
 */
export async function pollUntil200(url, { everyMs = 20, timeoutMs = 30_000, requestTimeoutMs = 250, now = () => performance.now(), what } = {}) {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const r = await httpGet(url, requestTimeoutMs);
    if (r.status === 200) return now();
    const elapsed = performance.now() - started;
    if (elapsed > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? url} to answer 200 (last: ${r.status ?? r.error})`);
    const next = (attempt + 1) * everyMs;
    if (next > elapsed) await sleep(next - elapsed);
  }
}

/** Polls `condition` until it returns a truthy value, which it resolves with. */
export async function waitFor(condition, { timeoutMs = 10_000, intervalMs = 50, what = 'a condition' } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---- /proc ----------------------------------------------------------------

/** Fields of /proc/<pid>/stat after the command name: index 0 is field 3 (state). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Whether `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid) {
  try {
    return !/^[ZX]/.test(statFields(pid)[0]);
  } catch {
    return false;
  }
}

export function parentPid(pid) {
  try {
    return Number(statFields(pid)[1]);
  } catch {
    return null;
  }
}

let clockTicks = null;
/** Clock ticks per second (utime and stime are counted in them). */
export function clockTicksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system, all threads) used by `pid` so far, in seconds. */
export function cpuSeconds(pid) {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / clockTicksPerSecond();
}

/** Resident set size now and its peak, in MiB. */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Every process under `root` (children, grandchildren...), by scanning /proc. */
export function descendants(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentPid(Number(name));
    if (ppid === null) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Processes (other than this one) whose environment holds `NAME=value`: everything a run started. */
export function processesWithEnv(name, value) {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = Buffer.concat([Buffer.from('\0'), readFileSync(`/proc/${entry}/environ`), Buffer.from('\0')]);
      if (env.includes(needle) && isAlive(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();
  } catch {
    return '?';
  }
}

// ---- processes --------------------------------------------------------------

/**
 * Spawns a process with its output appended to `logPath` and remembers its pid for
 * `killAll()`. Resolves once it runs.
 */
export async function spawnLogged(janitor, command, args, { logPath, env, cwd, detached = false }) {
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn(command, args, { env, cwd, detached, stdio: ['ignore', fd, fd] });
    await new Promise((ok, fail) => child.once('spawn', ok).once('error', fail));
    janitor.track(child.pid);
    child.exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Remembers the pids the bench started; `killAll()` SIGKILLs those still running. */
export class Janitor {
  pids = new Set();

  track(pid) {
    if (pid) this.pids.add(pid);
    return pid;
  }

  /** SIGKILL (and SIGCONT, so a stopped process can die) every tracked pid still alive. */
  async killAll() {
    const alive = [...this.pids].filter(isAlive);
    for (const pid of alive) killHard(pid);
    await waitFor(() => alive.every((pid) => !isAlive(pid)), { timeoutMs: 5_000, what: 'processes to die' }).catch(() => {});
    return alive;
  }
}

export function killHard(pid) {
  for (const signal of ['SIGKILL', 'SIGCONT']) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Sends SIGKILL and waits (busily: this is on a timed path) until the process is gone. */
export async function killAndWaitGone(pid, timeoutMs = 2_000) {
  process.kill(pid, 'SIGKILL');
  const deadline = performance.now() + timeoutMs;
  while (isAlive(pid)) {
    if (performance.now() > deadline) throw new Error(`pid ${pid} survived SIGKILL for ${timeoutMs} ms`);
    await new Promise((ok) => setImmediate(ok));
  }
}

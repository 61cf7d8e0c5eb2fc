#!/usr/bin/env node
/**
 * Installs one version of the Claude Code CLI (`@anthropic-ai/claude-code`, a native binary per
 * platform) outside the repository, for the real-CLI tests and the agent benchmark:
 * `${CLAWMEDIC_CLAUDE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/clawmedic}/claude-code-<version>`.
 *
 * The versions clawmedic is tested with are recorded here and nowhere else:
 * - `pinned`: the optional dependency in package.json (what `npm install` brings on Node 20);
 * - `newest`: NEWEST_TESTED below, the newest release the suite was run against;
 * - `latest`: whatever the registry's `latest` tag says today (`npm run test:claude-latest`).
 * Newer releases declare `engines.node >= 22` but ship the same native binary, so they are installed
 * with `--engine-strict=false` (npm on Node 20 would otherwise never pick them).
 *
 * Idempotent: a complete install (marker `.complete.json`, written last) is reused. The install goes
 * into a private temp directory renamed into place, so two runs at once cost a second download at
 * worst, never a half-installed cache. `pinned` is the copy in node_modules when it is there.
 *
 * Usage: node scripts/install-claude-code.mjs [pinned|newest|latest|<version>]...   (default: pinned newest)
 * stdout: one JSON line per version, {"version": "2.1.332", "bin": ".../claude", "source": "cache"|"node_modules"}.
 * Exit 1 with a one-line message on stderr when anything fails.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE = '@anthropic-ai/claude-code';
/** The newest Claude Code release the real-CLI suite passed against (see README, "Claude Code versions"). */
export const NEWEST_TESTED = '2.1.332';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MARKER = '.complete.json';
const NPM_TIMEOUT_MS = 15 * 60_000;

class InstallError extends Error {}

const say = (msg) => process.stderr.write(`[install-claude-code] ${msg}\n`);

/** The optional dependency's exact version in package.json. */
export function pinnedVersion() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const version = pkg.optionalDependencies?.[PACKAGE];
  if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) throw new InstallError(`package.json does not pin ${PACKAGE} to an exact version`);
  return version;
}

/** Where `version` is installed: `CLAWMEDIC_CLAUDE_CACHE`, else under `XDG_CACHE_HOME` or `~/.cache`. */
export function cacheDir(version, env = process.env) {
  const base = env.CLAWMEDIC_CLAUDE_CACHE
    ? resolve(env.CLAWMEDIC_CLAUDE_CACHE)
    : join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(env.HOME || homedir(), '.cache'), 'clawmedic');
  return join(base, `claude-code-${version}`);
}

const binIn = (dir) => join(dir, 'node_modules', '.bin', 'claude');

/** Runs a command; resolves with its stdout, rejects with a one-line InstallError. */
function run(command, args, { cwd, timeoutMs = NPM_TIMEOUT_MS, quiet = false }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', quiet ? 'pipe' : process.stderr] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr?.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new InstallError(`cannot run ${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolvePromise(out);
      const last = err.trim().split('\n').pop() ?? '';
      reject(new InstallError(`${command} ${args.join(' ')} failed (${code !== null ? `exit ${code}` : signal})${last ? `: ${last}` : ''}`));
    });
  });
}

/** `claude --version` must name `version` (it prints "2.1.332 (Claude Code)"). */
async function checkVersion(bin, version) {
  const printed = (await run(bin, ['--version'], { cwd: ROOT, timeoutMs: 60_000, quiet: true })).trim();
  if (!printed.startsWith(`${version} `)) throw new InstallError(`${bin} --version printed '${printed}', expected ${version}`);
}

/** The registry's `latest` version of the CLI. */
export async function latestVersion() {
  const out = (await run('npm', ['view', PACKAGE, 'version'], { cwd: ROOT, timeoutMs: 120_000, quiet: true })).trim();
  if (!/^\d+\.\d+\.\d+$/.test(out)) throw new InstallError(`npm view ${PACKAGE} version printed '${out}'`);
  return out;
}

function readComplete(dir, version) {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER), 'utf8'));
    return marker.version === version && existsSync(binIn(dir)) ? { version, bin: binIn(dir), source: 'cache' } : null;
  } catch {
    return null;
  }
}

/** Installs `version` into its cache dir unless it is there; resolves with {version, bin, source}. */
export async function install(version) {
  const dir = cacheDir(version);
  const done = readComplete(dir, version);
  if (done) return done;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const started = Date.now();
    say(`installing ${PACKAGE}@${version} into ${dir} (about 400 MB)`);
    const manifest = { name: 'clawmedic-claude-code-cache', private: true, allowScripts: { [PACKAGE]: true } };
    writeFileSync(join(tmp, 'package.json'), JSON.stringify(manifest, null, 2));
    // Its postinstall links the platform's binary into bin/claude.exe: scripts must run.
    await run('npm', ['install', `${PACKAGE}@${version}`, '--engine-strict=false', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp }).catch((err) => {
      throw new InstallError(`${err.message} (it needs the npm registry: npm config, proxies and NODE_EXTRA_CA_CERTS come from the environment)`);
    });
    await checkVersion(binIn(tmp), version);
    writeFileSync(join(tmp, MARKER), JSON.stringify({ version, at: new Date().toISOString() }));
    rmSync(dir, { recursive: true, force: true }); // an incomplete one
    try {
      renameSync(tmp, dir);
    } catch (err) {
      const theirs = readComplete(dir, version); // another run finished first: as good as ours
      if (!theirs) throw new InstallError(`cannot move ${tmp} to ${dir}: ${err.message}`);
      return theirs;
    }
    say(`${PACKAGE}@${version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const ready = readComplete(dir, version);
    if (!ready) throw new InstallError(`${dir} is incomplete right after the install`);
    return ready;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `pinned`, `newest`, `latest` or an exact version, installed (pinned: node_modules' copy when it is the right one). */
export async function resolveCli(which) {
  if (which === 'pinned') {
    const version = pinnedVersion();
    const local = join(ROOT, 'node_modules', '.bin', 'claude');
    if (existsSync(local)) {
      try {
        await checkVersion(local, version);
        return { version, bin: local, source: 'node_modules' };
      } catch {
        // a copy of another version (npm install without the lock file): use the cache
      }
    }
    return install(version);
  }
  const version = which === 'newest' ? NEWEST_TESTED : which === 'latest' ? await latestVersion() : which;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new InstallError(`'${which}' is not pinned, newest, latest or a version like 2.1.332`);
  return install(version);
}

async function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: node scripts/install-claude-code.mjs [pinned|newest|latest|<version>]...\n');
    return 0;
  }
  try {
    for (const which of argv.length ? argv : ['pinned', 'newest']) process.stdout.write(`${JSON.stringify(await resolveCli(which))}\n`);
    return 0;
  } catch (err) {
    const msg = err instanceof InstallError ? err.message : String(err?.message ?? err);
    process.stderr.write(`[install-claude-code] FAILED: ${msg}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

/**
 * The real OpenClaw for the chaos suite: `scripts/install-openclaw.mjs` installs (or finds)
 * the pinned Node 24 and OpenClaw in a cache outside the repository and prints their paths.
 * The chaos project's globalSetup calls `installOpenClaw()` once per run and hands the
 * paths to the tests with `provide('openclaw', ...)`.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OpenClawInstall {
  /** Node 24, which OpenClaw needs (the medic itself runs on the tests' Node). */
  node: string;
  /** OpenClaw's CLI entry (`openclaw.mjs`), to run with `node`. */
  openclaw: string;
  /** Holds `node` and `openclaw`: first on PATH, `openclaw doctor ...` runs this install. */
  binDir: string;
  cacheDir: string;
  nodeVersion: string;
  openclawVersion: string;
}

export const InstallerPath = resolve(fileURLToPath(new URL('../../scripts/install-openclaw.mjs', import.meta.url)));

/** Runs the installer (progress on stderr); throws with its message when it fails. */
export function installOpenClaw(env: NodeJS.ProcessEnv = process.env): OpenClawInstall & { installMs: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [InstallerPath], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (r.error) throw new Error(`could not run ${InstallerPath}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${InstallerPath} failed (exit ${String(r.status ?? r.signal)}); see its messages above`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let paths: OpenClawInstall;
  try {
    paths = JSON.parse(last) as OpenClawInstall;
  } catch {
    throw new Error(`${InstallerPath} printed no JSON on its last line: '${last}'`);
  }
  for (const key of ['node', 'openclaw', 'binDir'] as const) {
    if (typeof paths[key] !== 'string') throw new Error(`${InstallerPath}: '${key}' is missing from '${last}'`);
  }
  return { ...paths, installMs: Date.now() - started };
}

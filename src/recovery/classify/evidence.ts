/**
 * The adapter side of exit classification: gathers what the gateway left behind (its last
 * lines, the newest stability bundle OpenClaw wrote under `$OPENCLAW_STATE_DIR/logs/stability/`
 * just before it died) and hands it to the pure `classifyExit`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FailureClass } from '../types.js';
import { classifyExit, type ExitEvidence } from './exit.js';

/** A bundle written this long before the exit belongs to it. */
const BUNDLE_WINDOW_MS = 30_000;
/** Bundles are small; a larger file is not read. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

/** The stability bundles in `stateDir` now (their names); [] when there are none. */
export function bundleNames(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'logs', 'stability')).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
}

/**
 * The newest stability bundle written within `BUNDLE_WINDOW_MS` of `exitAt` and not in `seen` (a bundle already there
 * at an earlier look belongs to an earlier outage), parsed; null when none.
 */
export function newestBundle(stateDir: string, exitAt: number, seen?: ReadonlySet<string>): { name: string; json: unknown } | null {
  const dir = join(stateDir, 'logs', 'stability');
  let newest: { name: string; mtime: number; size: number } | null = null;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json') || seen?.has(name)) continue;
      const st = statSync(join(dir, name));
      if (st.mtimeMs < exitAt - BUNDLE_WINDOW_MS) continue;
      if (!newest || st.mtimeMs > newest.mtime) newest = { name, mtime: st.mtimeMs, size: st.size };
    }
    if (!newest || newest.size > MAX_BUNDLE_BYTES) return null;
    return { name: newest.name, json: JSON.parse(readFileSync(join(dir, newest.name), 'utf8')) as unknown };
  } catch {
    return null;
  }
}

/** Classifies an exit of the gateway from its lines and (OpenClaw) its state dir. Never throws. */
export function classifyGatewayExit(
  exit: { code: number | null; signal: string | null; at: number },
  lines: string[],
  stateDir: string | null,
  seen?: ReadonlySet<string>,
): FailureClass | null {
  try {
    const bundle = stateDir ? newestBundle(stateDir, exit.at, seen) : null;
    return classifyExit({ code: exit.code, signal: exit.signal, lines, bundle });
  } catch {
    return null;
  }
}

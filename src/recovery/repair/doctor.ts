/**
 * Runs the gateway's own doctor (`openclaw doctor --fix --non-interactive`) and judges
 * the result itself: OpenClaw's doctor exits 0 while leaving a missing `gateway.mode`
 * or a non-numeric port unfixed, so its exit code alone is no verdict.
 */
import { describeResult, runCommand } from '../../lib/run-command.js';
import type { ConfigGuard } from './config-guard.js';

export interface DoctorOptions {
  /** Shell command, e.g. `openclaw doctor --fix --non-interactive`. */
  command: string;
  timeoutMs: number;
  /** Environment for the doctor (OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR...). Default: the medic's. */
  env?: NodeJS.ProcessEnv;
  /** Validates the config after the doctor ran. */
  guard: ConfigGuard;
}

/** ok only when the doctor exited 0 and the config validates afterwards. Never throws. */
export async function runDoctor(o: DoctorOptions): Promise<{ ok: boolean; detail: string }> {
  const result = await runCommand(o.command, { timeoutMs: o.timeoutMs, ...(o.env ? { env: o.env } : {}) });
  const check = await o.guard.validate();
  const exitedClean = result.code === 0 && !result.timedOut && !result.spawnError;
  const parts = [`doctor ${describeResult(result)}`];
  const last = lastMeaningfulLine(result.output);
  if (last) parts.push(`last output: "${last}"`);
  if (check.ok) parts.push('config validates');
  else parts.push(`${exitedClean ? 'exit 0 but the config is still invalid' : 'config invalid'}: ${check.error}`);
  return { ok: exitedClean && check.ok, detail: parts.join('; ') };
}

/** The last output line with letters or digits in it (not a box border or a spinner), ANSI codes removed. */
export function lastMeaningfulLine(output: string, maxChars = 200): string | null {
  const plain = output.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\r(?!\n)/g, '\n');
  const lines = plain
    .split('\n')
    .map((l) => l.replace(/^[\s\u2500-\u25FF•*>|-]+|[\s\u2500-\u257F|]+$/gu, '').trim())
    .filter((l) => /[\p{L}\p{N}]/u.test(l));
  const line = lines.at(-1);
  if (line === undefined) return null;
  return line.length > maxChars ? `${line.slice(0, maxChars - 3)}...` : line;
}

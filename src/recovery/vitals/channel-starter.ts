/**
 * `channels.start` for one channel of the running gateway: OpenClaw's own RPC through its CLI,
 * `openclaw gateway call channels.start --params '{"channel":"telegram"}' --json` (rc 0 in about
 * 1 s, `{"started":true,…}`). It also brings back channels OpenClaw's crash-loop breaker suppressed.
 */
import { runCommand } from '../../lib/run-command.js';
import { shellQuote } from './shell.js';

export interface ChannelStarterOptions {
  /** The command without its params, e.g. `openclaw gateway call channels.start --json`. */
  command: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function startChannel(channel: string, o: ChannelStarterOptions): Promise<{ ok: boolean; detail: string }> {
  const params = JSON.stringify({ channel });
  const r = await runCommand(`${o.command} --params ${shellQuote(params)}`, { timeoutMs: o.timeoutMs, env: o.env, ...(o.cwd ? { cwd: o.cwd } : {}) });
  const secs = (r.durationMs / 1000).toFixed(1);
  if (r.timedOut) return { ok: false, detail: `timed out after ${secs} s` };
  if (r.spawnError) return { ok: false, detail: r.spawnError };
  const last = lastJson(r.output);
  if (r.code === 0 && (last === null || (last as { started?: unknown }).started !== false)) return { ok: true, detail: `rc 0 in ${secs} s` };
  const line = r.output.trim().split('\n').at(-1) ?? '';
  return { ok: false, detail: `rc ${r.code ?? r.signal} in ${secs} s: ${line.slice(0, 200)}` };
}

/** The last JSON object the command printed, if any. */
export function lastJson(output: string): unknown {
  const start = output.indexOf('{');
  if (start < 0) return null;
  try {
    return JSON.parse(output.slice(start));
  } catch {
    return null;
  }
}

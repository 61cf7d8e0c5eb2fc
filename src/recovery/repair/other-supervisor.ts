/**
 * Is the gateway also managed elsewhere? Two supervisors restarting one gateway fight for its
 * port and state (users report tens of thousands of restarts). Evidence: a gateway on the port
 * that the medic did not start (its parent named), or OpenClaw's own systemd user service
 * active while the medic spawns the gateway itself.
 */
import { readFile } from 'node:fs/promises';
import { runCommand } from '../../lib/run-command.js';
import type { PortListener } from './port-holder.js';
import { commandLineOf, looksLikeGateway } from './state-lock.js';

/** OpenClaw's Linux unit (`openclaw gateway install`). */
export const OPENCLAW_UNIT = 'openclaw-gateway';

export async function parentOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** A gateway on the port that is not ours: who it is and who started it. */
export async function foreignGateway(holder: PortListener): Promise<string | null> {
  if (holder.pid <= 0 || !looksLikeGateway(holder.command)) return null;
  const ppid = await parentOf(holder.pid);
  const parent = ppid !== null && ppid > 1 ? await commandLineOf(ppid) : null;
  const by = ppid === null ? '' : ppid <= 1 ? ', started by init or a service manager' : `, started by pid ${ppid} (${trim(parent ?? '?')})`;
  return `a gateway clawmedic did not start: pid ${holder.pid} (${trim(holder.command)}) on the gateway's port${by}`;
}

/** OpenClaw's systemd user service, when it is active. */
export async function activeOpenClawService(env?: NodeJS.ProcessEnv): Promise<string | null> {
  const r = await runCommand(`systemctl --user is-active ${OPENCLAW_UNIT}`, { timeoutMs: 5_000, ...(env ? { env } : {}) });
  return r.code === 0 && r.output.trim() === 'active' ? `OpenClaw's systemd user service ${OPENCLAW_UNIT} (active)` : null;
}

function trim(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

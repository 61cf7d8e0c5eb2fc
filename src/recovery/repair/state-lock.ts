/**
 * OpenClaw's gateway locks (`$OPENCLAW_STATE_DIR/tmp/openclaw-<uid>/gateway.<hash>.lock` and
 * `gateway.state.lock`, JSON with `pid`, `startTime` = field 22 of /proc/<pid>/stat, `port`).
 * After a reboot a lock can name a pid that now belongs to an unrelated live process with the
 * same start time (pid reuse): OpenClaw then refuses to start (exit 78). This removes such a
 * lock only after verifying that its pid is not a gateway; it never signals that pid.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readProcessStartTime } from '../pid-record.js';
import { isPortListening, listPortHolders } from './port-holder.js';

export interface GatewayLock {
  path: string;
  pid: number;
  startTime: string | null;
  port: number | null;
}

/** The owner of a lock, as verified now. */
export type LockOwner =
  | { kind: 'gone'; detail: string }
  | { kind: 'not-gateway'; detail: string }
  | { kind: 'gateway'; detail: string };

/** `$OPENCLAW_STATE_DIR`, else `~/.openclaw`, from the gateway's environment. */
export function stateDirOf(env: NodeJS.ProcessEnv): string {
  return env.OPENCLAW_STATE_DIR || join(env.HOME || homedir(), '.openclaw');
}

export function lockDirOf(stateDir: string): string {
  const uid = process.getuid?.();
  return join(stateDir, 'tmp', uid !== undefined ? `openclaw-${uid}` : 'openclaw');
}

/** The gateway locks in the state dir (the zero-byte `*.lock.sqlite` files are not locks of this kind). */
export async function readGatewayLocks(stateDir: string): Promise<GatewayLock[]> {
  const dir = lockDirOf(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const locks: GatewayLock[] = [];
  for (const name of names.filter((n) => /^gateway\.[\w.-]+\.lock$/.test(n))) {
    const path = join(dir, name);
    try {
      const json = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; startTime?: unknown; port?: unknown };
      if (typeof json.pid !== 'number' || !Number.isInteger(json.pid) || json.pid <= 1) continue;
      const startTime = typeof json.startTime === 'number' || typeof json.startTime === 'string' ? String(json.startTime) : null;
      const port = typeof json.port === 'number' ? json.port : null;
      locks.push({ path, pid: json.pid, startTime, port });
    } catch {
      // Being written or not JSON: not ours to judge.
    }
  }
  return locks;
}

/** Whether a command line (NUL-separated argv joined by spaces) is an OpenClaw gateway's. */
export function looksLikeGateway(command: string): boolean {
  const argv = command.trim().split(/\s+/);
  if (argv[0]?.startsWith('openclaw-gateway') || argv[0]?.endsWith('/openclaw-gateway')) return true;
  return argv.some((a) => /(^|\/)openclaw(\.mjs)?$/.test(a)) && argv.includes('gateway');
}

export async function commandLineOf(pid: number): Promise<string | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ');
  } catch {
    return null;
  }
}

/** Who owns a lock now: gone (dead or another start time), a live process that is not a gateway, or a gateway. */
export async function verifyLockOwner(lock: GatewayLock): Promise<LockOwner> {
  const started = await readProcessStartTime(lock.pid);
  if (started === null) return { kind: 'gone', detail: `pid ${lock.pid} is not running` };
  if (lock.startTime !== null && started !== lock.startTime) {
    return { kind: 'gone', detail: `pid ${lock.pid} started at another time (${started}, the lock says ${lock.startTime}): another process` };
  }
  const command = await commandLineOf(lock.pid);
  if (command === null) return { kind: 'gateway', detail: `pid ${lock.pid}'s command line is not readable: it may be a gateway` };
  if (looksLikeGateway(command)) return { kind: 'gateway', detail: `pid ${lock.pid} is a gateway (${short(command)})` };
  if (lock.port !== null && (await isPortListening(lock.port))) {
    const holder = (await listPortHolders(lock.port).catch(() => []))[0];
    return { kind: 'gateway', detail: `something answers on the lock's port ${lock.port}${holder ? ` (pid ${holder.pid} ${short(holder.command)})` : ''}` };
  }
  const port = lock.port !== null ? `, nothing listens on the lock's port ${lock.port}` : '';
  return { kind: 'not-gateway', detail: `pid ${lock.pid} is \`${short(command)}\`, not a gateway${port}` };
}

/**
 * Removes the locks that name `pid` once each is verified stale. Never signals `pid`.
 * ok false (nothing removed) when a lock's owner is, or may be, a gateway.
 */
export async function removeStaleLocks(stateDir: string, pid: number | null): Promise<{ ok: boolean; detail: string }> {
  const locks = (await readGatewayLocks(stateDir)).filter((l) => pid === null || l.pid === pid);
  if (locks.length === 0) return { ok: true, detail: `no gateway lock names pid ${pid ?? '?'} any more in ${lockDirOf(stateDir)}` };
  const verdicts = await Promise.all(locks.map(async (l) => ({ lock: l, owner: await verifyLockOwner(l) })));
  const live = verdicts.find((v) => v.owner.kind === 'gateway');
  if (live) return { ok: false, detail: `not removing ${live.lock.path}: ${live.owner.detail}` };
  for (const { lock } of verdicts) await rm(lock.path, { force: true });
  const names = verdicts.map((v) => v.lock.path.split('/').at(-1)).join(', ');
  return { ok: true, detail: `removed ${names} (${verdicts[0]!.owner.detail}; pid ${verdicts[0]!.lock.pid} was not signalled)` };
}

/** A lock naming a live gateway that is not `ours`: the other supervisor's, described; null when none. */
export async function otherLockOwner(stateDir: string, ours: (pid: number) => boolean): Promise<string | null> {
  for (const lock of await readGatewayLocks(stateDir)) {
    if (ours(lock.pid)) continue;
    const owner = await verifyLockOwner(lock);
    if (owner.kind === 'gateway' && (await commandLineOf(lock.pid)) !== null) return `${owner.detail}, which holds this state directory's lock`;
  }
  return null;
}

function short(command: string): string {
  return command.length > 120 ? `${command.slice(0, 117)}...` : command;
}

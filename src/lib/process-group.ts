/**
 * A shell command as the leader of its own process group, with its output going
 * to a file: signalling the group reaches the helpers it started, and a file
 * (unlike a pipe) keeps working after the medic that spawned it is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnGroupOptions {
  /** stdout and stderr are appended here. */
  logPath: string;
  cwd?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Called with the pid in the same turn as the spawn, before any event: what the caller records of the process
   * then is on disk before anything (a kill -9 of the caller) can come between the spawn and the record.
   */
  onSpawned?: ((pid: number) => void) | undefined;
}

/** Spawns `/bin/sh -c command` as a group leader; resolves once it runs, rejects when it cannot be spawned. */
export async function spawnGroupLeader(command: string, options: SpawnGroupOptions): Promise<ChildProcess> {
  const fd = openSync(options.logPath, 'a');
  try {
    const child = spawn('/bin/sh', ['-c', command], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    if (child.pid !== undefined) options.onSpawned?.(child.pid);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => {
        // Node blames /bin/sh when it is the working directory that is missing.
        if (err.code === 'ENOENT' && options.cwd !== undefined) err.message += ` (does the working directory ${options.cwd} exist?)`;
        reject(err);
      });
    });
    return child;
  } finally {
    // The child holds its own copy of the fd.
    closeSync(fd);
  }
}

/**
 * The signal that `sh -c`'s exit code 128+N stands for: a shell reports a command killed by
 * signal N that way. Null for other codes.
 */
export function signalOfShellCode(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const number = code - 128;
  const found = Object.entries(osConstants.signals).find(([, n]) => n === number);
  return found ? (found[0] as NodeJS.Signals) : null;
}

/** Signals the process group led by `pid`; a group already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // kill(-1) is every process this user may signal; the medic's own group is never a gateway's.
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Whether any process has this pid (EPERM: yes, someone else's). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `promise` settles within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const timeout = sleep(ms, false, { signal: timer.signal }).catch(() => false);
  const settled = await Promise.race([promise.then(() => true), timeout]);
  timer.abort();
  return settled;
}

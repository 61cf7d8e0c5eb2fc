/**
 * The record a supervisor leaves beside a gateway it spawned, so the next medic
 * (after a crash or kill -9 of this one) can adopt the gateway instead of starting
 * a second one that fights it for the port. A pid alone is not an identity: pids
 * are recycled, so the record also holds the process's start time.
 *
 * It names two processes: the one the medic spawned (`/bin/sh -c …`, or a wrapper that
 * re-launched the gateway as its child) and, once found, the one serving the port.
 */
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** One process instance: a pid and when it started (a recycled pid has another start time). */
export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22 on Linux, `ps -o lstart=` elsewhere. */
  startTime: string;
}

export interface PidRecord extends ProcessIdentity {
  /** `pid` is the process the medic spawned. */
  command: string;
  /** The process listening on the gateway's port, once found (the spawned one or a descendant). */
  serving?: ProcessIdentity;
  /** Processes of the gateway outside the spawned one's group and session (setsid()'d helpers). */
  outsiders?: ProcessIdentity[];
}

/** Every pid a record names: the spawned process and the one serving the port. */
export function recordedPids(record: PidRecord | null): number[] {
  if (!record) return [];
  return record.serving && record.serving.pid !== record.pid ? [record.pid, record.serving.pid] : [record.pid];
}

/** Where the record of the gateway spawned for this data directory lives. */
export function pidRecordPath(dataDir: string): string {
  return join(dataDir, 'gateway.pid.json');
}

/** The record in `dataDir`, or null when there is none or it is unreadable. Synchronous: it is one small file. */
export function readPidRecord(dataDir: string): PidRecord | null {
  try {
    return parsePidRecord(readFileSync(pidRecordPath(dataDir), 'utf8'));
  } catch {
    return null;
  }
}

/** Writes the record atomically (temp file + rename): a medic killed mid-write leaves the old one or the new one. */
export function writePidRecord(dataDir: string, record: PidRecord): void {
  const path = pidRecordPath(dataDir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/**
 * Removes the record; with `pid`, only when it names that process. Synchronous, so the
 * record is gone before exit listeners run. Never throws.
 */
export function removePidRecord(dataDir: string, pid?: number): void {
  const path = pidRecordPath(dataDir);
  try {
    if (pid !== undefined && parsePidRecord(readFileSync(path, 'utf8'))?.pid !== pid) return;
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** The start time in a `/proc/<pid>/stat` line; null for a zombie. */
function startTimeOfStat(stat: string): string | null {
  // Field 2 (comm) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return null;
  return fields[19] ?? null;
}

/**
 * The start time of a running process, read at once (Linux; null elsewhere, or when it is gone): for the record
 * written in the same turn as the spawn, before anything (a kill -9 of the medic) can come between.
 */
export function readProcessStartTimeSync(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return startTimeOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The start time of a running process, or null when it is gone (or a zombie, which is as good as gone). */
export async function readProcessStartTime(pid: number): Promise<string | null> {
  if (process.platform === 'linux') {
    try {
      return startTimeOfStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return null;
    }
  }
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'stat=,lstart=', '-p', String(pid)]);
    const line = stdout.trim();
    if (line === '' || line.startsWith('Z')) return null;
    return line.slice(line.indexOf(' ') + 1).trim();
  } catch {
    return null;
  }
}

/** Whether `pid` is still the process instance that started at `startTime`. */
export async function isSameProcess(pid: number, startTime: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else; the start time settles whose it is.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return (await readProcessStartTime(pid)) === startTime;
}

function parsePidRecord(text: string): PidRecord | null {
  const value = JSON.parse(text) as Partial<PidRecord> | null;
  if (value === null || typeof value !== 'object') return null;
  const leader = parseIdentity(value);
  if (!leader) return null;
  const serving = parseIdentity(value.serving);
  const outsiders = Array.isArray(value.outsiders) ? value.outsiders.map(parseIdentity).filter((p) => p !== null) : [];
  return {
    ...leader,
    command: typeof value.command === 'string' ? value.command : '',
    ...(serving ? { serving } : {}),
    ...(outsiders.length > 0 ? { outsiders } : {}),
  };
}

function parseIdentity(value: unknown): ProcessIdentity | null {
  if (value === null || typeof value !== 'object') return null;
  const { pid, startTime } = value as Partial<ProcessIdentity>;
  // pid 1 is init, never a gateway (and -1 would be every process as a group).
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return null;
  if (typeof startTime !== 'string' || startTime === '') return null;
  return { pid, startTime };
}

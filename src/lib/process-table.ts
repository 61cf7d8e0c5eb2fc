/**
 * The process table, read from /proc (Linux): every process's parent, group, session and
 * start time, and the descendants of a set of processes. Shared by the agent's PTY session
 * and the gateway supervisor, which both must reach every process a child left behind.
 *
 * /proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN, which is not always built in,
 * so the tree is built from the ppid field of every /proc/<pid>/stat. Processes come and go
 * while /proc is read: a process that vanished between readdir and read is simply skipped.
 * Elsewhere (no /proc) the table is empty.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie), T, X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Session id (the pid of the session leader). */
  session: number;
  /** Clock ticks since boot at which the process started: with the pid, identifies a process across pid reuse. */
  startTime: number;
  /** CPU time used so far (user + system, all threads), in clock ticks (`CLOCK_TICKS_PER_SECOND`). */
  cpuTicks: number;
}

/** USER_HZ: /proc reports CPU times in these; 100 on every Linux the medic runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Parses /proc/<pid>/stat; null when the process is gone (or is not readable). */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseStat(pid, text);
}

/** `pid (comm) S ppid pgrp ...`: comm may hold spaces and parentheses, so fields are taken after the LAST ')'. */
export function parseStat(pid: number, text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5); starttime is field 22.
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const session = Number(fields[3]);
  const startTime = Number(fields[19]);
  // utime and stime are fields 14 and 15.
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  if (state === undefined || !Number.isFinite(ppid) || !Number.isFinite(startTime)) return null;
  return { pid, state, ppid, pgrp, session, startTime, cpuTicks: Number.isFinite(cpuTicks) ? cpuTicks : 0 };
}

/** The last snapshot taken, and when (performance.now()). */
let last: { at: number; procs: ReadonlyMap<number, ProcStat> } | null = null;

/**
 * A snapshot at most `maxAgeMs` old: taken now unless one as recent exists. A medic watching many gateways looks
 * for new members of each every few seconds; one scan of /proc (about 20 µs per process) then serves them all.
 * The map is shared: callers must not change it.
 */
export function recentSnapshot(maxAgeMs: number): ReadonlyMap<number, ProcStat> {
  if (last !== null && performance.now() - last.at <= maxAgeMs) return last.procs;
  return snapshot();
}

/** A snapshot of every process: pid -> stat. */
export function snapshot(): Map<number, ProcStat> {
  const procs = new Map<number, ProcStat>();
  const at = performance.now();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    last = { at, procs };
    return procs;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid directory
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) procs.set(pid, stat);
  }
  last = { at, procs };
  return procs;
}

/** Descendants of any of `roots` in `procs` (the roots themselves excluded), parents before children. */
export function descendantsIn(procs: ReadonlyMap<number, ProcStat>, roots: Iterable<number>): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const rootSet = new Set(roots);
  const seen = new Set<number>(rootSet);
  const out: number[] = [];
  const queue = [...rootSet];
  for (let i = 0; i < queue.length; i++) {
    for (const child of children.get(queue[i]!) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Every process below `pid` (children, grandchildren, ...), parents before children; [] when none or gone. */
export function descendants(pid: number): number[] {
  return descendantsIn(snapshot(), [pid]);
}

/** Whether a process in the table still runs: a zombie (or a dead entry) is as good as gone. */
export function isRunning(p: ProcStat | undefined): p is ProcStat {
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

/** A reading of a process's main thread (tid = pid: Node's event loop); see `readMainThread`. */
export interface MainThreadReading {
  /**
   * How much it has wanted the CPU so far, in nanoseconds: the time it ran plus the time it waited for
   * a CPU while runnable (schedstat). A thread spinning in a loop wants the CPU all the time, however
   * many others share it; an idle event loop sleeps in epoll_wait and wants none. Without schedstat (a
   * kernel built without it), only the CPU time it used (utime + stime), which a loaded machine shares out.
   */
  demandNs: number;
  /**
   * How often it has given up the CPU by itself so far (voluntary_ctxt_switches: it waited for I/O, a
   * timer, a lock), or null when unknown. An event loop that waits switches; one that spins never does,
   * where a start-up starved of CPU on a loaded machine still does now and then.
   */
  voluntarySwitches: number | null;
}

/** Reads a process's main thread from /proc/<pid>/task/<pid>; null when it is gone or /proc cannot say. */
export function readMainThread(pid: number): MainThreadReading | null {
  const task = `/proc/${pid}/task/${pid}`;
  let demandNs: number | null = null;
  try {
    const [ran, waited] = readFileSync(`${task}/schedstat`, 'utf8').split(' ').map(Number);
    if (Number.isFinite(ran) && Number.isFinite(waited)) demandNs = ran! + waited!;
  } catch {
    // No schedstat: the thread's own CPU time below.
  }
  if (demandNs === null) {
    let text: string;
    try {
      text = readFileSync(`${task}/stat`, 'utf8');
    } catch {
      return null;
    }
    const p = parseStat(pid, text);
    if (p === null) return null;
    demandNs = (p.cpuTicks * 1e9) / CLOCK_TICKS_PER_SECOND;
  }
  let voluntarySwitches: number | null = null;
  try {
    const m = /^voluntary_ctxt_switches:\s*(\d+)/m.exec(readFileSync(`${task}/status`, 'utf8'));
    if (m) voluntarySwitches = Number(m[1]);
  } catch {
    // Unknown: the demand alone says it.
  }
  return { demandNs, voluntarySwitches };
}

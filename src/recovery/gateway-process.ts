/**
 * Which process of a run is the gateway before anything listens on its port. The medic spawns
 * `/bin/sh -c <command>`; for a plain command line (`openclaw gateway run`) Debian's sh forks the
 * gateway and waits for it, and OpenClaw under a Node it cannot use re-launches itself under
 * another Node and stays as its child's wrapper. The gateway is found by going down from the
 * spawned shell through processes with exactly one running child, while that is a re-launch:
 * out of a shell or into one (`sh -c`, a wrapper script, `npx` running `sh -c openclaw …`), or
 * into a child that runs the same program (node -> node). A gateway's own helpers (a `git`, a
 * `sh -c` it runs) are not taken for it: once the gateway runs a different program, the descent stops
 * there. Once the port is served, the listener is the gateway (gateway-tree.ts `serving`).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { isRunning, type ProcStat } from '../lib/process-table.js';

/** Programs that run a command line rather than being the gateway. */
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh', 'busybox']);

/** The program a process runs: its executable's name, or its command name when /proc/<pid>/exe is unreadable. */
export function programOf(pid: number): string | null {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  } catch {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return null;
    }
  }
}

export const isShell = (program: string | null): boolean => program !== null && SHELLS.has(program);

/**
 * The gateway process below `leader` in `procs` (see the file's comment): the leader itself when it
 * is not a shell (an `exec`'d command) or has no single child yet; null when the leader is gone.
 * `program` reads what a process runs (programOf; injectable for tests).
 */
export function findGatewayProcess(procs: ReadonlyMap<number, ProcStat>, leader: number, program: (pid: number) => string | null = programOf): ProcStat | null {
  const first = procs.get(leader);
  if (!isRunning(first)) return null;
  let current: ProcStat = first;
  const children = new Map<number, ProcStat[]>();
  for (const p of procs.values()) {
    if (!isRunning(p)) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  let currentProgram = program(current.pid);
  for (let depth = 0; depth < 16; depth++) {
    const below: ProcStat[] = children.get(current.pid) ?? [];
    if (below.length !== 1) break;
    const child: ProcStat = below[0]!;
    const childProgram = program(child.pid);
    const relaunch = isShell(currentProgram) || isShell(childProgram) || (childProgram !== null && childProgram === currentProgram);
    if (!relaunch) break;
    current = child;
    currentProgram = childProgram;
  }
  return current;
}

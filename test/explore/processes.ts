/**
 * The fault explorer's view of the processes of one gateway target, read from `/proc` (Linux): the demo
 * gateways started for a port, the shells and wrappers around them, and a process's ancestors. Zombies
 * do not count (nothing reaps orphans in some containers).
 */
import { readdir, readFile } from 'node:fs/promises';
import { DemoGatewayPath } from '../fixtures/gateways.js';

export interface Proc {
  pid: number;
  ppid: number;
  /** `gateway`: the demo gateway itself; `around`: a shell or wrapper whose command line starts it. */
  role: 'gateway' | 'around';
  command: string;
}

async function readProc(pid: number): Promise<{ ppid: number; argv: string[] } | null> {
  const [stat, cmdline] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null),
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null),
  ]);
  if (stat === null || cmdline === null) return null;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (/^[ZX]/.test(rest[0] ?? '')) return null;
  return { ppid: Number(rest[1]), argv: cmdline.split('\0').filter(Boolean) };
}

/** Every live process that is, or starts, the demo gateway on `port`. */
export async function processesOf(port: number): Promise<Proc[]> {
  const portArg = new RegExp(`--port'? '?${port}(?:\\D|$)`);
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const found = await Promise.all(
    pids.map(async (pid): Promise<Proc | null> => {
      const p = await readProc(pid);
      if (!p) return null;
      const command = p.argv.join(' ');
      if (!command.includes(DemoGatewayPath) || !portArg.test(command)) return null;
      return { pid, ppid: p.ppid, role: p.argv[1] === DemoGatewayPath ? 'gateway' : 'around', command: command.slice(0, 160) };
    }),
  );
  return found.filter((p): p is Proc => p !== null);
}

/**
 * The shells and wrappers around the gateway `pid`: its ancestors, nearest first, as long as their own
 * command line starts the gateway on `port` (so an orphan's new parent, init or a subreaper, is never one).
 */
export async function wrappersOf(pid: number, port: number): Promise<number[]> {
  const around = new Set((await processesOf(port)).filter((p) => p.role === 'around').map((p) => p.pid));
  const out: number[] = [];
  let at = pid;
  for (let i = 0; i < 10; i++) {
    const p = await readProc(at);
    if (!p || !around.has(p.ppid)) break;
    out.push(p.ppid);
    at = p.ppid;
  }
  return out;
}

/** A process of ours that outlived its medic (a violation already reported): stopped, so no seed leaves one behind. */
export function killLeftover(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}

/**
 * Who holds the gateway's port, and stopping it. A holder is this target's own stale gateway only on
 * evidence (a known pid or process group, the medic's spawn marker, our gateway's own program and no
 * other keeper) and is then stopped without asking; any other holder is stopped only when a person
 * approved it by its pid. The holder is verified again right before each signal.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { findInPath } from '../../lib/executable.js';
import { carriesMarker } from '../../lib/gateway-marker.js';
import type { Logger } from '../ports.js';
import type { PortHolder } from '../types.js';
import { foreignGateway, parentOf } from './other-supervisor.js';
import { isPortListening, listPortHolders, processGroupOf, uidOf, type PortListener } from './port-holder.js';

export interface PortHoldersOptions {
  /** The gateway's port. */
  port: number;
  /** Pids this target's gateway had (e.g. from the supervisor's pid file). */
  knownPids: () => number[];
  /** GATEWAY_COMMAND, when the medic spawns the gateway; its main program identifies a stale one. */
  gatewayCommand: string | null;
  /** The value of the marker the medic's supervisor puts in its gateways' environment (gateway-marker.ts); null: none. */
  gatewayMarker?: string | null;
  /** The OpenClaw CLI; null: not an OpenClaw gateway (no other supervisor of it is looked for). */
  openclawCli?: string | null;
  /** The gateway's environment (its PATH finds GATEWAY_COMMAND's program). Default: the medic's. */
  env?: NodeJS.ProcessEnv;
  /** The gateway's working directory. Default: the medic's. */
  cwd?: string;
  log: Logger;
  /** How long a stale holder gets after SIGTERM before SIGKILL. Default 5000 ms. */
  stopGraceMs?: number;
}

type Result = { ok: boolean; detail: string };
type Verified = { kind: 'free' } | { kind: 'refuse'; detail: string } | { kind: 'stale'; holder: PortListener };

const INTERPRETERS = /^(node|nodejs|bun|deno|tsx|python[\d.]*|ruby|perl)$/;

export class PortHolders {
  constructor(private readonly o: PortHoldersOptions) {}

  /** A gateway on the port that another supervisor keeps (a live parent that is not the medic, or OpenClaw's service marker). */
  async managedElsewhere(h: PortHolder): Promise<boolean> {
    if (h.pid <= 1) return false;
    const known = this.o.knownPids();
    if (known.includes(h.pid)) return false;
    const group = await processGroupOf(h.pid);
    if (group !== null && known.includes(group)) return false;
    if (!(await foreignGateway(h))) return false;
    if (await hasServiceMarker(h.pid)) return true;
    const ppid = await parentOf(h.pid);
    return ppid !== null && ppid > 1 && ppid !== process.pid;
  }

  /** Who holds the port: a stale gateway of this target first (`stale`), else the first holder; null when free. */
  async holder(): Promise<PortHolder | null> {
    let holders: PortListener[];
    try {
      holders = await listPortHolders(this.o.port);
    } catch (err) {
      this.o.log.warn('could not find who holds the gateway port', { port: this.o.port, err });
      return null;
    }
    for (const h of holders) if (await this.isStale(h)) return { ...h, stale: true };
    const first = holders[0];
    return first ? { ...first, stale: false } : null;
  }

  /** Ours only on evidence: a known pid, a known process group, our spawn marker, or our gateway's own main program (and no other keeper). */
  private async isStale(h: PortListener): Promise<boolean> {
    if (h.pid <= 1 || h.pid === process.pid) return false;
    const known = this.o.knownPids();
    if (known.includes(h.pid)) return true;
    const group = await processGroupOf(h.pid);
    if (group !== null && group > 1 && known.includes(group)) return true;
    // Spawned by this target's medic (now or before a restart), whatever became of its wrapper and records.
    if (this.o.gatewayMarker && (await carriesMarker(h.pid, this.o.gatewayMarker))) return true;
    // A gateway another supervisor keeps is not a stale one of ours: stopping it starts a fight.
    if (this.o.gatewayCommand !== null && this.o.openclawCli && (await this.managedElsewhere({ ...h, stale: false }))) return false;
    return this.runsOurProgram(h);
  }

  /**
   * The holder runs GATEWAY_COMMAND's program: its path (as PATH found it, or the file it
   * links to, which a re-launch names) is in the holder's command line, or the holder renamed
   * its process title to the program's name (OpenClaw: `openclaw-gateway`) and runs as our
   * user (a bare name alone would match another user's gateway as well).
   */
  private async runsOurProgram(h: PortListener): Promise<boolean> {
    const command = this.o.gatewayCommand;
    if (command === null) return false;
    // Looked up at each diagnosis, in the gateway's PATH and cwd: the program may be installed or moved meanwhile.
    const main = mainProgramOf(command, (name) => findInPath(name, this.o.cwd ?? process.cwd(), this.o.env ?? process.env));
    if (main === null) return false;
    const tokens = h.command.split(' ');
    if (tokens.includes(main) || tokens.includes(realPath(main))) return true;
    const name = basename(main);
    if (tokens[0] !== name && tokens[0] !== `${name}-gateway`) return false;
    const uid = await uidOf(h.pid);
    return uid !== null && uid === process.getuid?.();
  }

  /**
   * Stops the process holding the port: a stale gateway of this target, or (`approved`) any
   * process a person approved stopping by its pid. Re-verified right before each signal.
   */
  async stop(pid: number | null, approved: boolean): Promise<Result> {
    if (pid === null || !Number.isInteger(pid) || pid <= 1) {
      return { ok: false, detail: `stopping the port holder needs a process id, got ${String(pid)}` };
    }
    const first = await this.verify(pid, approved);
    if (first.kind === 'free') return { ok: true, detail: `port ${this.o.port} is already free; nothing stopped` };
    if (first.kind === 'refuse') return { ok: false, detail: first.detail };
    const who = describeHolder(first.holder);
    const target = approved ? pid : await this.killTarget(pid);
    const what = approved ? 'stopping the process a person approved stopping' : 'stopping a stale gateway that holds the port';
    this.o.log.warn(what, { pid, target, port: this.o.port });
    signal(target, 'SIGTERM');
    const grace = this.o.stopGraceMs ?? 5000;
    if (await this.waitFree(grace)) return { ok: true, detail: `stopped ${who} with SIGTERM; port ${this.o.port} is free` };
    // Right before the SIGKILL, make sure the pid is still the stale holder (not a reused pid).
    const again = await this.verify(pid, approved);
    if (again.kind === 'free') return { ok: true, detail: `stopped ${who} with SIGTERM; port ${this.o.port} is free` };
    if (again.kind === 'refuse') return { ok: false, detail: `sent SIGTERM to ${who}; then ${again.detail}` };
    signal(target, 'SIGKILL');
    const waited = `${who} ignored SIGTERM for ${(grace / 1000).toFixed(1)} s; sent SIGKILL`;
    if (await this.waitFree(2000)) return { ok: true, detail: `${waited}; port ${this.o.port} is free` };
    const still = (await listPortHolders(this.o.port))[0];
    return { ok: false, detail: `${waited}; port ${this.o.port} is still held${still ? ` by ${describeHolder(still)}` : ''}` };
  }

  /** Whether `pid` holds the port right now and is still this target's gateway (or was approved by a person). */
  private async verify(pid: number, approved: boolean): Promise<Verified> {
    const holders = await listPortHolders(this.o.port);
    if (holders.length === 0) return { kind: 'free' };
    const holder = holders.find((h) => h.pid === pid);
    if (!holder) {
      return { kind: 'refuse', detail: `pid ${pid} does not hold port ${this.o.port}; ${describeHolder(holders[0]!)} does; nothing stopped` };
    }
    if (holder.pid === process.pid) return { kind: 'refuse', detail: `refusing to stop clawmedic itself (pid ${pid})` };
    if (!approved && !(await this.isStale(holder))) {
      const why = "it is not a gateway this target started; stopping a foreign process is a person's decision";
      return { kind: 'refuse', detail: `refusing to stop ${describeHolder(holder)}: ${why}` };
    }
    return { kind: 'stale', holder };
  }

  /** The whole group when `pid` leads it or it is our gateway's group (a negative pid), else the pid alone. */
  private async killTarget(pid: number): Promise<number> {
    const group = await processGroupOf(pid);
    if (group === pid || (group !== null && group > 1 && this.o.knownPids().includes(group))) return -group;
    return pid;
  }

  private async waitFree(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if (!(await isPortListening(this.o.port))) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The path that identifies the gateway's process in a command line: the program itself,
 * or an interpreter's script. Only absolute paths count: a bare name such as `openclaw`
 * would match another user's gateway as well, so a bare program name is resolved with
 * `find` (the gateway's PATH) and counts only when found; an interpreter's script must be
 * absolute (a relative one shows as typed in the command line).
 */
export function mainProgramOf(command: string, find: (name: string) => string | null = () => null): string | null {
  const tokens = wordsOf(command);
  let i = 0;
  while (i < tokens.length && (/^(exec|env|nohup)$/.test(tokens[i]!) || /^\w+=/.test(tokens[i]!))) i += 1;
  const program = tokens[i];
  if (program === undefined) return null;
  if (INTERPRETERS.test(program.split('/').at(-1)!)) {
    const script = tokens.slice(i + 1).find((t) => !t.startsWith('-'));
    return script !== undefined && isAbsolute(script) ? script : null;
  }
  if (isAbsolute(program)) return program;
  return program.includes('/') ? null : find(program);
}

/** A command line's words, a quoted one with its quotes taken off (a rough split: no escapes, no expansions). */
function wordsOf(command: string): string[] {
  return (command.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((t) => t.replace(/^(["'])(.*)\1$/, '$2'));
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The program a shell command line runs first (after `VAR=value` assignments, `env`, `exec`), or null. */
export function programOf(command: string): string | null {
  return wordsOf(command).find((t) => !/^(exec|env|nohup)$/.test(t) && !/^\w+=/.test(t)) ?? null;
}

/** OpenClaw's service units set OPENCLAW_SERVICE_MARKER=openclaw in the gateway's environment. */
async function hasServiceMarker(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes('OPENCLAW_SERVICE_MARKER=openclaw');
  } catch {
    return false;
  }
}

export function describeHolder(h: PortListener): string {
  return h.pid > 0 ? `pid ${h.pid} (${h.command})` : h.command;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone.
  }
}

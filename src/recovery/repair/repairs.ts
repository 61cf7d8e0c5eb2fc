/**
 * The default `GatewayRepairs` adapter: diagnoses a stopped gateway (its config, the
 * medic's known-good copy, who holds its port) and runs the level-2 repairs. It never
 * stops a process it cannot show is this target's own gateway: a foreign process on the
 * port is a person's decision.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { findInPath } from '../../lib/executable.js';
import { carriesMarker } from '../../lib/gateway-marker.js';
import type { GatewayRepairs, Logger, RepairResult } from '../ports.js';
import type { Diagnosis, PortHolder, RepairStep } from '../types.js';
import type { ConfigGuard } from './config-guard.js';
import { describeResult, runCommand } from '../../lib/run-command.js';
import { lastMeaningfulLine, runDoctor } from './doctor.js';
import { activeOpenClawService, foreignGateway, parentOf } from './other-supervisor.js';
import { disablePlugin, enablePlugin, startChannels } from './plugins.js';
import { holdsSocket, isPortListening, listenerInodes, listPortHolders, portFromUrl, processGroupOf, uidOf, type PortListener } from './port-holder.js';
import { otherLockOwner, removeStaleLocks, stateDirOf } from './state-lock.js';

export interface GatewayRepairKitOptions {
  guard: ConfigGuard;
  /** The health URL; its port is the gateway's. */
  healthUrl: string;
  doctorCommand: string;
  doctorTimeoutMs: number;
  /** Environment for the doctor, and the gateway's (its PATH finds GATEWAY_COMMAND's program). Default: the medic's. */
  env?: NodeJS.ProcessEnv;
  /** The gateway's working directory (TARGET cwd). Default: the medic's. */
  cwd?: string;
  /** Pids this target's gateway had (e.g. from the supervisor's pid file). */
  knownPids: () => number[];
  /** GATEWAY_COMMAND, when the medic spawns the gateway; its main program identifies a stale one. */
  gatewayCommand: string | null;
  /** The value of the marker the medic's supervisor puts in its gateways' environment (gateway-marker.ts); null: none. */
  gatewayMarker?: string | null;
  log: Logger;
  /** How long a stale holder gets after SIGTERM before SIGKILL. Default 5000 ms. */
  stopGraceMs?: number;
  /** OpenClaw's `config set gateway.mode local`; null: the step is refused. */
  setModeCommand?: string | null;
  /** OpenClaw's `config validate`, run after a restore (a missing CLI is skipped); null: not run. */
  validateCommand?: string | null;
  /**
   * The OpenClaw CLI (`openclaw`) for `plugins disable` and `gateway call channels.start`, and its state dir
   * is the gateway env's OPENCLAW_STATE_DIR (locks); null: not an OpenClaw gateway, those repairs are refused.
   */
  openclawCli?: string | null;
}

type Result = { ok: boolean; detail: string };
type Verified = { kind: 'free' } | { kind: 'refuse'; detail: string } | { kind: 'stale'; holder: PortListener };

const INTERPRETERS = /^(node|nodejs|bun|deno|tsx|python[\d.]*|ruby|perl)$/;

export class GatewayRepairKit implements GatewayRepairs {
  private readonly port: number;

  constructor(private readonly o: GatewayRepairKitOptions) {
    this.port = portFromUrl(o.healthUrl);
  }

  async diagnose(): Promise<Diagnosis> {
    const config = await this.o.guard.validate();
    const available = (await this.o.guard.latestGood()) !== undefined;
    const differs = available && (await this.o.guard.differsFromDisk());
    const portHolder = await this.portHolder();
    const otherSupervisor = await this.otherSupervisor(portHolder).catch((err: unknown) => {
      this.o.log.warn('could not check for another supervisor', { err });
      return null;
    });
    return { config, lastKnownGood: { available, differs }, portHolder, ...(otherSupervisor ? { otherSupervisor } : {}) };
  }

  /** After a crash loop: the channels OpenClaw's breaker suppressed are started; null when there are none. */
  async startChannels(): Promise<string | null> {
    if (!this.o.openclawCli) return null;
    return startChannels(this.o.guard.configPath, this.openclaw());
  }

  /** An operator's undo of `disable-plugin` (the Discord button): `openclaw plugins enable <id>`. */
  async enablePlugin(id: string): Promise<{ ok: boolean; detail: string }> {
    if (!this.o.openclawCli) return { ok: false, detail: 'not an OpenClaw gateway: no plugin to enable' };
    return enablePlugin(id, this.openclaw());
  }

  private openclaw() {
    // Measured 4.4 s idle, over 60 s on a loaded machine: bounded like the doctor (DOCTOR_TIMEOUT_MS), at least 2 minutes.
    return { cli: this.o.openclawCli ?? 'openclaw', timeoutMs: Math.max(this.o.doctorTimeoutMs, 120_000), ...(this.o.env ? { env: this.o.env } : {}), ...(this.o.cwd ? { cwd: this.o.cwd } : {}) };
  }

  /**
   * Another supervisor of the same gateway, only when the medic spawns it (GATEWAY_COMMAND): a
   * gateway on the port it did not start and that another process keeps (a live parent that is
   * not the medic, or OpenClaw's service marker), a live gateway holding the state lock, or
   * OpenClaw's systemd user service active.
   */
  private async otherSupervisor(holder: PortHolder | null): Promise<string | null> {
    if (this.o.gatewayCommand === null || !this.o.openclawCli) return null;
    if (holder && (await this.managedElsewhere(holder))) return foreignGateway(holder);
    if (!holder) {
      const known = this.o.knownPids();
      const lock = await otherLockOwner(stateDirOf(this.o.env ?? process.env), (pid) => known.includes(pid));
      if (lock) return lock;
    }
    return activeOpenClawService(this.o.env);
  }

  private async managedElsewhere(h: PortHolder): Promise<boolean> {
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

  async doctorInstalled(): Promise<boolean> {
    const program = programOf(this.o.doctorCommand);
    return program !== null && findInPath(program, this.o.cwd ?? process.cwd(), this.o.env ?? process.env) !== null;
  }

  async run(step: RepairStep, pid: number | null, subject?: string): Promise<RepairResult> {
    try {
      switch (step) {
        case 'disable-plugin':
          if (!this.o.openclawCli) return { ok: false, detail: 'not an OpenClaw gateway: no plugin to disable' };
          return await disablePlugin(subject, this.openclaw());
        case 'remove-stale-lock':
          if (!this.o.openclawCli) return { ok: false, detail: 'not an OpenClaw gateway: no state lock to remove' };
          return await removeStaleLocks(stateDirOf(this.o.env ?? process.env), pid);
        case 'restore-config':
          return await this.restore();
        case 'doctor':
          return await this.doctor();
        case 'stop-stale':
          return await this.stopHolder(pid, false);
        case 'stop-port-holder':
          return await this.stopHolder(pid, true);
        case 'set-gateway-mode':
          return await this.setGatewayMode();
      }
    } catch (err) {
      return { ok: false, detail: `${step} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /**
   * The known-good copy back in place (clawmedic's own checks passed on it), at once: OpenClaw's
   * `config validate` (5-9 s on the real gateway) runs beside the verifying start as the result's
   * `check`, not before it; the start is itself the gateway's own check of the file.
   */
  private async restore(): Promise<RepairResult> {
    const restored = await this.o.guard.restore();
    const command = this.o.validateCommand;
    if (!restored.ok || !command) return restored;
    const check = runCommand(command, { timeoutMs: 60_000, ...(this.o.env ? { env: this.o.env } : {}) }).then((r) => {
      if (r.code === 127) return { ok: true, detail: `${command}: not installed here (clawmedic's own checks passed)` };
      if (r.code === 0) return { ok: true, detail: `${command}: ok` };
      return { ok: false, detail: `${command} says no (${describeResult(r)}): ${lastMeaningfulLine(r.output)}` };
    });
    return { ...restored, detail: `${restored.detail}; ${command} runs beside the verifying start`, check };
  }

  private async setGatewayMode(): Promise<Result> {
    const command = this.o.setModeCommand;
    if (!command) return { ok: false, detail: 'no command to set gateway.mode (CONFIG_SET_MODE_COMMAND)' };
    const r = await runCommand(command, { timeoutMs: 60_000, ...(this.o.env ? { env: this.o.env } : {}) });
    const check = await this.o.guard.validate();
    const what = `${command}: ${describeResult(r)}`;
    if (r.code !== 0) return { ok: false, detail: `${what}: ${lastMeaningfulLine(r.output)}` };
    return check.ok ? { ok: true, detail: `${what}; the config validates` } : { ok: false, detail: `${what}; still invalid: ${check.error}` };
  }

  async holdsPort(pid: number): Promise<boolean> {
    const inodes = await listenerInodes(this.port);
    if (inodes === null) return (await listPortHolders(this.port)).some((h) => h.pid === pid);
    return inodes.size > 0 && (await holdsSocket(pid, inodes));
  }

  async configDrift(answering: boolean): Promise<{ ok: boolean; error: string | null; lastKnownGood: boolean } | null> {
    const check = await this.o.guard.drift(answering);
    if (!check) return null;
    return { ok: check.ok, error: check.error, lastKnownGood: check.ok ? false : (await this.o.guard.latestGood()) !== undefined };
  }

  async captureConfig(): Promise<string | null> {
    return this.o.guard.capture().catch((err: unknown) => {
      this.o.log.error('could not read the gateway config', { err });
      return null;
    });
  }

  async snapshotConfig(config: string | null): Promise<boolean> {
    return this.o.guard.snapshot(config).catch((err: unknown) => {
      this.o.log.error('could not keep a known-good config', { err });
      return false;
    });
  }

  private async portHolder(): Promise<PortHolder | null> {
    let holders: PortListener[];
    try {
      holders = await listPortHolders(this.port);
    } catch (err) {
      this.o.log.warn('could not find who holds the gateway port', { port: this.port, err });
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

  private async doctor(): Promise<Result> {
    // OpenClaw's doctor refuses to run beside a live gateway (it cannot enter maintenance).
    const holder = (await listPortHolders(this.port).catch(() => []))[0];
    if (holder) {
      return { ok: false, detail: `not running doctor: port ${this.port} is held by ${describe(holder)}` };
    }
    const { doctorCommand: command, doctorTimeoutMs: timeoutMs, guard, env } = this.o;
    return runDoctor({ command, timeoutMs, guard, ...(env ? { env } : {}) });
  }

  /**
   * Stops the process holding the port: a stale gateway of this target, or (`approved`) any
   * process a person approved stopping by its pid. Re-verified right before each signal.
   */
  private async stopHolder(pid: number | null, approved: boolean): Promise<Result> {
    if (pid === null || !Number.isInteger(pid) || pid <= 1) {
      return { ok: false, detail: `stopping the port holder needs a process id, got ${String(pid)}` };
    }
    const first = await this.verify(pid, approved);
    if (first.kind === 'free') return { ok: true, detail: `port ${this.port} is already free; nothing stopped` };
    if (first.kind === 'refuse') return { ok: false, detail: first.detail };
    const who = describe(first.holder);
    const target = approved ? pid : await this.killTarget(pid);
    const what = approved ? 'stopping the process a person approved stopping' : 'stopping a stale gateway that holds the port';
    this.o.log.warn(what, { pid, target, port: this.port });
    signal(target, 'SIGTERM');
    const grace = this.o.stopGraceMs ?? 5000;
    if (await this.waitFree(grace)) return { ok: true, detail: `stopped ${who} with SIGTERM; port ${this.port} is free` };
    // Right before the SIGKILL, make sure the pid is still the stale holder (not a reused pid).
    const again = await this.verify(pid, approved);
    if (again.kind === 'free') return { ok: true, detail: `stopped ${who} with SIGTERM; port ${this.port} is free` };
    if (again.kind === 'refuse') return { ok: false, detail: `sent SIGTERM to ${who}; then ${again.detail}` };
    signal(target, 'SIGKILL');
    const waited = `${who} ignored SIGTERM for ${(grace / 1000).toFixed(1)} s; sent SIGKILL`;
    if (await this.waitFree(2000)) return { ok: true, detail: `${waited}; port ${this.port} is free` };
    const still = (await listPortHolders(this.port))[0];
    return { ok: false, detail: `${waited}; port ${this.port} is still held${still ? ` by ${describe(still)}` : ''}` };
  }

  /** Whether `pid` holds the port right now and is still this target's gateway (or was approved by a person). */
  private async verify(pid: number, approved: boolean): Promise<Verified> {
    const holders = await listPortHolders(this.port);
    if (holders.length === 0) return { kind: 'free' };
    const holder = holders.find((h) => h.pid === pid);
    if (!holder) {
      return { kind: 'refuse', detail: `pid ${pid} does not hold port ${this.port}; ${describe(holders[0]!)} does; nothing stopped` };
    }
    if (holder.pid === process.pid) return { kind: 'refuse', detail: `refusing to stop clawmedic itself (pid ${pid})` };
    if (!approved && !(await this.isStale(holder))) {
      const why = "it is not a gateway this target started; stopping a foreign process is a person's decision";
      return { kind: 'refuse', detail: `refusing to stop ${describe(holder)}: ${why}` };
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
      if (!(await isPortListening(this.port))) return true;
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
  const tokens = (command.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((t) => t.replace(/^(["'])(.*)\1$/, '$2'));
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

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The program a shell command line runs first (after `VAR=value` assignments, `env`, `exec`), or null. */
export function programOf(command: string): string | null {
  const tokens = (command.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((t) => t.replace(/^(["'])(.*)\1$/, '$2'));
  return tokens.find((t) => !/^(exec|env|nohup)$/.test(t) && !/^\w+=/.test(t)) ?? null;
}

/** OpenClaw's service units set OPENCLAW_SERVICE_MARKER=openclaw in the gateway's environment. */
async function hasServiceMarker(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes('OPENCLAW_SERVICE_MARKER=openclaw');
  } catch {
    return false;
  }
}

function describe(h: PortListener): string {
  return h.pid > 0 ? `pid ${h.pid} (${h.command})` : h.command;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone.
  }
}

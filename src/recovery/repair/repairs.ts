/**
 * The default `GatewayRepairs` adapter: diagnoses a stopped gateway (its config, the
 * medic's known-good copy, who holds its port) and runs the level-2 repairs. It never
 * stops a process it cannot show is this target's own gateway: a foreign process on the
 * port is a person's decision.
 */
import { findInPath } from '../../lib/executable.js';
import type { GatewayRepairs, RepairResult } from '../ports.js';
import type { Diagnosis, PortHolder, RepairStep } from '../types.js';
import type { ConfigGuard } from './config-guard.js';
import { describeResult, runCommand } from '../../lib/run-command.js';
import { lastMeaningfulLine, runDoctor } from './doctor.js';
import { activeOpenClawService, foreignGateway } from './other-supervisor.js';
import { disablePlugin, enablePlugin, startChannels } from './plugins.js';
import { holdsSocket, listenerInodes, listPortHolders, portFromUrl } from './port-holder.js';
import { describeHolder, PortHolders, programOf, type PortHoldersOptions } from './stale-holder.js';
import { otherLockOwner, removeStaleLocks, stateDirOf } from './state-lock.js';

/** The port holder's options (stale-holder.ts; the port is the health URL's) and the repairs'. */
export interface GatewayRepairKitOptions extends Omit<PortHoldersOptions, 'port'> {
  guard: ConfigGuard;
  /** The health URL; its port is the gateway's. */
  healthUrl: string;
  doctorCommand: string;
  doctorTimeoutMs: number;
  /** Environment for the doctor, and the gateway's (its PATH finds GATEWAY_COMMAND's program). Default: the medic's. */
  env?: NodeJS.ProcessEnv;
  /** The gateway's working directory (TARGET cwd). Default: the medic's. */
  cwd?: string;
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

export class GatewayRepairKit implements GatewayRepairs {
  private readonly port: number;
  private readonly holders: PortHolders;

  constructor(private readonly o: GatewayRepairKitOptions) {
    this.port = portFromUrl(o.healthUrl);
    this.holders = new PortHolders({ ...o, port: this.port });
  }

  async diagnose(): Promise<Diagnosis> {
    const config = await this.o.guard.validate();
    const available = (await this.o.guard.latestGood()) !== undefined;
    const differs = available && (await this.o.guard.differsFromDisk());
    const portHolder = await this.holders.holder();
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
    if (holder && (await this.holders.managedElsewhere(holder))) return foreignGateway(holder);
    if (!holder) {
      const known = this.o.knownPids();
      const lock = await otherLockOwner(stateDirOf(this.o.env ?? process.env), (pid) => known.includes(pid));
      if (lock) return lock;
    }
    return activeOpenClawService(this.o.env);
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
          return await this.holders.stop(pid, false);
        case 'stop-port-holder':
          return await this.holders.stop(pid, true);
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

  private async doctor(): Promise<Result> {
    // OpenClaw's doctor refuses to run beside a live gateway (it cannot enter maintenance).
    const holder = (await listPortHolders(this.port).catch(() => []))[0];
    if (holder) {
      return { ok: false, detail: `not running doctor: port ${this.port} is held by ${describeHolder(holder)}` };
    }
    const { doctorCommand: command, doctorTimeoutMs: timeoutMs, guard, env } = this.o;
    return runDoctor({ command, timeoutMs, guard, ...(env ? { env } : {}) });
  }
}

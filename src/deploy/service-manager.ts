/**
 * The service manager as the installer and the guardian use it: one port, two adapters
 * (`systemctl --user`, `launchctl`), both through `runCommand`.
 */
import { describeResult, runCommand, type CommandResult, type RunCommandOptions } from '../lib/run-command.js';
import { shellQuote } from './escape.js';
import type { Platform, UnitRef } from './options.js';

/** What can be asked of a service manager, for `describe` (dry runs, reports). */
export type ServiceAction = { op: 'reload-definitions' } | { op: 'is-loaded' | 'load' | 'unload' | 'restart'; unit: UnitRef };

export interface ServiceManager {
  readonly platform: Platform;
  /** Registered with the manager (systemd: enabled; launchd: bootstrapped in the user's domain). */
  isLoaded(unit: UnitRef): Promise<boolean>;
  /** Registers the unit as its file now reads and (re)starts it. */
  load(unit: UnitRef): Promise<void>;
  /** Stops the unit and unregisters it. */
  unload(unit: UnitRef): Promise<void>;
  /** Restarts a registered unit (starts it when it is stopped). */
  restart(unit: UnitRef): Promise<void>;
  /** Makes the manager re-read the unit files (systemd `daemon-reload`; nothing on launchd). */
  reloadDefinitions(): Promise<void>;
  /** The shell command an action runs, for dry runs and reports. */
  describe(action: ServiceAction): string;
}

/** A service manager command failed; `result` holds how it ended and its output. */
export class ServiceManagerError extends Error {
  override readonly name = 'ServiceManagerError';
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    const last = result.output.trim().split('\n').pop()?.trim();
    super(`${command}: ${describeResult(result)}${last ? `: ${last}` : ''}`);
  }
}

export type CommandRunner = (command: string, options: RunCommandOptions) => Promise<CommandResult>;

export interface CommandServiceManagerOptions {
  platform: Platform;
  /** launchd's per-user domain is `gui/<uid>`. */
  uid: number;
  /** Default `runCommand`; tests pass a fake. */
  run?: CommandRunner;
  /** Bound on each command. Default 60 000 ms: a restart waits for the unit to stop and start. */
  timeoutMs?: number;
}

export const DefaultCommandServiceManagerOptions = {
  /** Default 60 s. */
  timeoutMs: 60_000,
} as const;

/** `systemctl --user is-enabled` answers with a word; these mean "registered". */
const SYSTEMD_ENABLED = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'alias']);
const SYSTEMD_NOT_ENABLED = new Set(['disabled', 'masked', 'masked-runtime', 'static', 'indirect', 'generated', 'transient', 'bad', 'not-found']);

/** The default adapter for both platforms: shell commands through `runCommand`. */
export class CommandServiceManager implements ServiceManager {
  readonly platform: Platform;
  private readonly options: CommandServiceManagerOptions;

  constructor(options: CommandServiceManagerOptions) {
    this.platform = options.platform;
    this.options = options;
  }

  describe(action: ServiceAction): string {
    const systemctl = 'systemctl --user';
    if (this.platform === 'systemd') {
      if (action.op === 'reload-definitions') return `${systemctl} daemon-reload`;
      const name = shellQuote(action.unit.name);
      switch (action.op) {
        case 'is-loaded':
          return `${systemctl} is-enabled ${name}`;
        case 'load':
          return `${systemctl} enable ${name} && ${systemctl} restart ${name}`;
        case 'unload':
          return `${systemctl} disable --now ${name}`;
        case 'restart':
          return `${systemctl} restart ${name}`;
      }
    }
    const domain = `gui/${this.options.uid}`;
    if (action.op === 'reload-definitions') return '';
    const target = shellQuote(`${domain}/${action.unit.name}`);
    switch (action.op) {
      case 'is-loaded':
        return `launchctl print ${target}`;
      case 'load':
        // A service disabled with `launchctl disable` refuses bootstrap: enable it first.
        return `launchctl enable ${target} && launchctl bootstrap ${domain} ${shellQuote(action.unit.path)}`;
      case 'unload':
        return `launchctl bootout ${target}`;
      case 'restart':
        return `launchctl kickstart -k ${target}`;
    }
  }

  async isLoaded(unit: UnitRef): Promise<boolean> {
    const command = this.describe({ op: 'is-loaded', unit });
    const result = await this.run(command);
    // 126/127: the shell could not run the tool at all, which says nothing about the unit.
    if (result.spawnError !== null || result.timedOut || result.code === 126 || result.code === 127) throw new ServiceManagerError(command, result);
    if (this.platform === 'launchd') return result.code === 0;
    // The answer is a word on stdout; anything else (no user bus...) is an error, not a "no".
    const word = result.output.trim().split(/\s+/)[0] ?? '';
    if (SYSTEMD_ENABLED.has(word)) return true;
    if (SYSTEMD_NOT_ENABLED.has(word)) return false;
    throw new ServiceManagerError(command, result);
  }

  load(unit: UnitRef): Promise<void> {
    return this.runOrThrow(this.describe({ op: 'load', unit }));
  }

  unload(unit: UnitRef): Promise<void> {
    return this.runOrThrow(this.describe({ op: 'unload', unit }));
  }

  restart(unit: UnitRef): Promise<void> {
    return this.runOrThrow(this.describe({ op: 'restart', unit }));
  }

  async reloadDefinitions(): Promise<void> {
    const command = this.describe({ op: 'reload-definitions' });
    if (command) await this.runOrThrow(command);
  }

  private run(command: string): Promise<CommandResult> {
    const run = this.options.run ?? runCommand;
    return run(command, { timeoutMs: this.options.timeoutMs ?? DefaultCommandServiceManagerOptions.timeoutMs });
  }

  private async runOrThrow(command: string): Promise<void> {
    const result = await this.run(command);
    if (result.spawnError !== null || result.timedOut || result.code !== 0) throw new ServiceManagerError(command, result);
  }
}

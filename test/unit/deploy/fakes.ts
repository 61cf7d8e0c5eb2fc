/** Fakes for the deploy tests: a service manager that records every call, and options. */
import { fileURLToPath } from 'node:url';
import type { DeployOptions, Platform, UnitRef } from '../../../src/deploy/options.js';
import type { ServiceAction, ServiceManager } from '../../../src/deploy/service-manager.js';

export const CLAWMEDIC_BIN = fileURLToPath(new URL('../../../bin/clawmedic.js', import.meta.url));

export function deployOptions(overrides: Partial<DeployOptions> = {}): DeployOptions {
  return {
    platform: 'systemd',
    nodePath: process.execPath,
    clawmedicBin: CLAWMEDIC_BIN,
    workingDir: '/srv/clawmedic',
    envFile: '/srv/clawmedic/.env',
    dataDir: '/home/ada/.clawmedic',
    logDir: '/home/ada/.clawmedic/logs',
    gatewayCommand: 'openclaw gateway run',
    home: '/home/ada',
    uid: 501,
    path: '/usr/local/bin:/usr/bin:/bin',
    ...overrides,
  };
}

/**
 * A service manager in memory: `loaded` is what is registered; every call is recorded as
 * `op name`; `failOn` makes calls fail (`op name` or `op` for every unit).
 */
export class FakeServiceManager implements ServiceManager {
  readonly calls: string[] = [];
  readonly loaded = new Set<string>();
  readonly failOn = new Set<string>();

  constructor(readonly platform: Platform = 'systemd') {}

  private record(op: string, unit?: UnitRef): void {
    const call = unit ? `${op} ${unit.name}` : op;
    this.calls.push(call);
    if (this.failOn.has(call) || this.failOn.has(op)) throw new Error(`${call} failed: Failed to connect to bus`);
  }

  async isLoaded(unit: UnitRef): Promise<boolean> {
    this.record('is-loaded', unit);
    return this.loaded.has(unit.name);
  }

  async load(unit: UnitRef): Promise<void> {
    this.record('load', unit);
    this.loaded.add(unit.name);
  }

  async unload(unit: UnitRef): Promise<void> {
    this.record('unload', unit);
    this.loaded.delete(unit.name);
  }

  async restart(unit: UnitRef): Promise<void> {
    this.record('restart', unit);
  }

  async reloadDefinitions(): Promise<void> {
    this.record('reload-definitions');
  }

  describe(action: ServiceAction): string {
    return action.op === 'reload-definitions' ? 'fakectl reload' : `fakectl ${action.op} ${action.unit.name}`;
  }
}

/**
 * An in-process medic (the real composition root, real adapters) supervising the demo
 * gateway as a real child process, with fast test settings. Everything it starts is
 * stopped by `cleanup()`, by pid.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runMedic, type RunningMedic } from '../../src/main.js';
import type { MedicStatus } from '../../src/medic.js';
import type { IncidentWithTimeline } from '../../src/recovery/ports.js';
import type { Incident } from '../../src/recovery/types.js';
import {
  captureLogger,
  demoGatewayCommand,
  freePort,
  ProcessJanitor,
  TempDirs,
  waitFor,
  type DemoGatewayArgs,
} from '../fixtures/gateways.js';

export const FAST_SETTINGS = {
  PROBE_INTERVAL_MS: '200',
  PROBE_TIMEOUT_MS: '150',
  PROBE_FAILURE_THRESHOLD: '3',
  PROBE_RECOVERY_THRESHOLD: '2',
  STARTUP_GRACE_MS: '5000',
  RESTART_BACKOFF_INITIAL_MS: '100',
  RESTART_BACKOFF_MAX_MS: '800',
  STOP_TIMEOUT_MS: '1000',
  SNAPSHOT_AFTER_MS: '300',
  HUMAN_RETRY_MS: '600000',
  DOCTOR_TIMEOUT_MS: '5000',
  DOCTOR_COMMAND: 'true',
  LOG_LEVEL: 'debug',
  // Level 3 only where a test turns it on (and points it at the local Messages API).
  AGENT_ENABLED: 'false',
};

export interface MedicUnderTest {
  running: RunningMedic;
  env: NodeJS.ProcessEnv;
  gatewayPort: number;
  apiPort: number;
  dataDir: string;
  configPath: string;
  log: ReturnType<typeof captureLogger>;
  status(): MedicStatus['targets'][number];
  waitStatus(what: string, pred: (t: MedicStatus['targets'][number]) => boolean, timeoutMs?: number): Promise<MedicStatus['targets'][number]>;
  incidents(): Promise<Incident[]>;
  incident(id: string): Promise<IncidentWithTimeline>;
}

export class E2eWorld {
  readonly dirs = new TempDirs();
  readonly janitor = new ProcessJanitor();
  private readonly medics: RunningMedic[] = [];

  /** Writes an OpenClaw-style config for the gateway and returns its path. */
  async writeConfig(dir: string, port: number, doc?: unknown): Promise<string> {
    const path = join(dir, 'openclaw.json');
    await writeFile(path, JSON.stringify(doc ?? { gateway: { mode: 'local', port } }, null, 2));
    return path;
  }

  async envFor(gateway: Omit<DemoGatewayArgs, 'port' | 'config'>, extra: Record<string, string> = {}) {
    const dataDir = await this.dirs.make('clawmedic-e2e-');
    const gatewayPort = await freePort();
    // Two ports asked for one after the other can be the same one (each is released before the next is asked):
    // seen by the fault explorer, the medic's API took the gateway's port.
    let apiPort = await freePort();
    while (apiPort === gatewayPort) apiPort = await freePort();
    const configPath = await this.writeConfig(dataDir, gatewayPort);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dataDir,
      ...FAST_SETTINGS,
      GATEWAY_NAME: 'gw',
      GATEWAY_COMMAND: demoGatewayCommand({ ...gateway, port: gatewayPort, config: configPath }),
      GATEWAY_HEALTH_URL: `http://127.0.0.1:${gatewayPort}/healthz`,
      GATEWAY_CONFIG_PATH: configPath,
      MEDIC_DATA_DIR: join(dataDir, 'medic'),
      MEDIC_HTTP_PORT: String(apiPort),
      ...extra,
    };
    return { env, dataDir, gatewayPort, apiPort, configPath };
  }

  async start(gateway: Omit<DemoGatewayArgs, 'port' | 'config'>, extra: Record<string, string> = {}): Promise<MedicUnderTest> {
    return this.startWith(await this.envFor(gateway, extra));
  }

  async startWith(setup: Awaited<ReturnType<E2eWorld['envFor']>>): Promise<MedicUnderTest> {
    const log = captureLogger();
    const running = await runMedic({ env: setup.env, log });
    this.medics.push(running);
    const status = () => {
      const t = running.medic.status().targets[0]!;
      if (t.pid !== null) this.janitor.track(t.pid);
      return t;
    };
    return {
      ...setup,
      running,
      log,
      status,
      waitStatus: (what, pred, timeoutMs = 20_000) => waitFor(() => (pred(status()) ? status() : null), { timeoutMs, what }),
      incidents: () => running.store.listIncidents({ limit: 100 }),
      incident: async (id) => {
        const found = await running.store.getIncident(id);
        if (!found) throw new Error(`no incident ${id}`);
        return found;
      },
    };
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.medics.splice(0).map((m) => m.stop()));
    await this.janitor.killAll();
    await this.dirs.removeAll();
  }
}

export const healthyAndCalm = (t: MedicStatus['targets'][number]) => t.health === 'up' && t.incident === null && t.pid !== null;

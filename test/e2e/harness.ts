/**
 * An in-process medic (the real composition root, real adapters) supervising the demo
 * gateway as a real child process (configured as users write GATEWAY_COMMAND: a plain
 * command line), with fast test settings. Everything it starts is stopped by `cleanup()`,
 * by pid, even after a test timed out.
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runMedic, type RunningMedic } from '../../src/main.js';
import type { MedicStatus } from '../../src/medic.js';
import type { IncidentWithTimeline } from '../../src/recovery/ports.js';
import type { Incident } from '../../src/recovery/types.js';
import { readPidRecord } from '../../src/recovery/pid-record.js';
import {
  captureLogger,
  demoGatewayCommand,
  descendantsOfThisProcess,
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

/** How long `cleanup()` waits for a medic's own stop before it kills what the medic ran, by pid. */
const MEDIC_STOP_WAIT_MS = 20_000;

export interface E2eWorldOptions {
  /** How long `cleanup()` waits for each medic's own stop. Default 20 000 ms. */
  medicStopWaitMs?: number;
}

export class E2eWorld {
  readonly dirs = new TempDirs();
  readonly janitor = new ProcessJanitor();
  private readonly medics: RunningMedic[] = [];
  /** MEDIC_DATA_DIR of every setup made since the last cleanup: their pid records name the gateways, orphans included. */
  private readonly medicDataDirs: string[] = [];
  /** The processes below this worker before this test's first medic: not the test's to stop. */
  private baseline: Set<number> | null = null;
  /** Bumped by every cleanup: a medic whose start straddles one belongs to a test that already ended. */
  private generation = 0;
  private readonly medicStopWaitMs: number;

  constructor(options: E2eWorldOptions = {}) {
    this.medicStopWaitMs = options.medicStopWaitMs ?? MEDIC_STOP_WAIT_MS;
  }

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
    this.noteStart();
    this.medicDataDirs.push(join(dataDir, 'medic'));
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
    const generation = this.generation;
    return this.startWith(await this.envFor(gateway, extra), generation);
  }

  /** `generation`: the world's when the test asked for this medic (the default: now). */
  async startWith(setup: Awaited<ReturnType<E2eWorld['envFor']>>, generation = this.generation): Promise<MedicUnderTest> {
    const log = captureLogger();
    this.noteStart();
    const running = await runMedic({ env: setup.env, log });
    if (generation !== this.generation) {
      // The test timed out while this medic was starting, and its cleanup has run: stop it now.
      const dataDir = setup.env.MEDIC_DATA_DIR;
      await this.stopAndKill([running], dataDir ? [dataDir] : [], null);
      throw new Error('the test ended (timed out?) while its medic was starting; the medic and its gateway were stopped');
    }
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

  /**
   * Stops every medic of the test and kills, by pid, every process the test started: what the
   * status showed, each pid record's processes (the spawned shell's group, the listener, any
   * outsider), and every new process below this worker. Safe after a timeout: a medic whose stop
   * hangs is given up on after a while, and the processes are killed all the same.
   */
  async cleanup(): Promise<void> {
    this.generation++;
    const baseline = this.baseline;
    this.baseline = null;
    await this.stopAndKill(this.medics.splice(0), this.medicDataDirs.splice(0), baseline);
    await this.dirs.removeAll();
  }

  /** Remembers what ran before the test's first medic (or CLI medic) started. */
  private noteStart(): void {
    this.baseline ??= new Set(descendantsOfThisProcess());
  }

  private async stopAndKill(medics: RunningMedic[], medicDataDirs: string[], baseline: Set<number> | null): Promise<void> {
    // Before the stop too: a stop that hangs must not hide what was running.
    this.trackLeftovers(medicDataDirs, baseline);
    await Promise.allSettled(medics.map((m) => within(m.stop(), this.medicStopWaitMs)));
    this.trackLeftovers(medicDataDirs, baseline);
    await this.janitor.killAll();
  }

  private trackLeftovers(medicDataDirs: string[], baseline: Set<number> | null): void {
    for (const dir of medicDataDirs) for (const pid of recordedGatewayPids(dir)) this.janitor.track(pid);
    if (baseline) for (const pid of descendantsOfThisProcess()) if (!baseline.has(pid)) this.janitor.track(pid);
  }
}

/** Every process the pid records under a medic's data dir name (targets/<name>/gateway.pid.json). */
export function recordedGatewayPids(medicDataDir: string): number[] {
  let targets: string[];
  try {
    targets = readdirSync(join(medicDataDir, 'targets'));
  } catch {
    return [];
  }
  return targets.flatMap((target) => {
    const record = readPidRecord(join(medicDataDir, 'targets', target));
    if (!record) return [];
    return [record.pid, ...(record.serving ? [record.serving.pid] : []), ...(record.outsiders ?? []).map((p) => p.pid)];
  });
}

/** `promise`, or undefined after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), ms).unref()));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const healthyAndCalm = (t: MedicStatus['targets'][number]) => t.health === 'up' && t.incident === null && t.pid !== null;

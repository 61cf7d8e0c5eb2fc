/**
 * The chaos world: the real medic (in-process through `runMedic`, or the real `clawmedic run`
 * command as a child) supervising the real OpenClaw gateway, isolated in a temp dir (HOME,
 * state dir, config, the medic's data), bound to 127.0.0.1 only. Everything a test starts is
 * stopped at the end, by pid (see `TreeJanitor`), and the temp dirs are removed.
 *
 * Waits are on conditions with generous limits (a real gateway takes 10-25 s to answer, more
 * on a loaded machine); times are measured and reported, never asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { runMedic, type RunningMedic } from '../../src/main.js';
import type { MedicStatus } from '../../src/medic.js';
import type { IncidentWithTimeline } from '../../src/recovery/ports.js';
import type { Incident, LadderRecord } from '../../src/recovery/types.js';
import type { TargetWatchdog } from '../../src/recovery/watchdog/index.js';
import { captureLogger, freePort, TempDirs, waitFor } from '../fixtures/gateways.js';
import type { OpenClawInstall } from './openclaw.js';
import { firstOk, getJson, HealthTrace, TreeJanitor } from './processes.js';
import { appendMeasurement, type ClassRow, type Measurement } from './report.js';

declare module 'vitest' {
  export interface ProvidedContext {
    openclaw: OpenClawInstall;
    /** The run's JSON-lines report file. */
    chaosReport: string;
  }
}

/**
 * Whether the chaos project's globalSetup ran (`vitest run --config vitest.chaos.config.ts`).
 * Under another config (plain `vitest run` picks up test/**) the chaos suites are skipped.
 */
export const chaosConfigured = inject('openclaw') !== undefined;

export const RepoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const TARGET = 'openclaw';
/** The gateway's auth token in the test config (a test value, not a secret). */
export const GATEWAY_TOKEN = 'chaos-test-token-not-a-secret';

/** The medic's settings for a real gateway, as the issue asks. */
export const CHAOS_SETTINGS = {
  PROBE_INTERVAL_MS: '1000',
  PROBE_TIMEOUT_MS: '800',
  STARTUP_GRACE_MS: '60000',
  SNAPSHOT_AFTER_MS: '2000',
  DOCTOR_TIMEOUT_MS: '120000',
  LOG_LEVEL: 'debug',
} as const;

/** Telemetry, the update check and mDNS off (see /work/shared/reference/openclaw.md). */
export const QUIET_OPENCLAW = {
  DO_NOT_TRACK: '1',
  OPENCLAW_NO_AUTO_UPDATE: '1',
  OPENCLAW_DISABLE_BONJOUR: '1',
  NO_COLOR: '1',
} as const;

/** How long one recovery may take: start-up is 10-25 s, a doctor run 20 s, EADDRINUSE 27 s; slack for load. */
export const RECOVERY_TIMEOUT_MS = 240_000;

export type TargetView = MedicStatus['targets'][number];

export interface ChaosSetup {
  dir: string;
  /** OPENCLAW_STATE_DIR. */
  stateDir: string;
  /** OPENCLAW_CONFIG_PATH = GATEWAY_CONFIG_PATH. */
  configPath: string;
  /** MEDIC_DATA_DIR. */
  dataDir: string;
  /** The medic's files for the target: gateway.log, known-good/. */
  targetDir: string;
  gatewayPort: number;
  apiPort: number;
  healthUrl: string;
  env: NodeJS.ProcessEnv;
}

/** The medic as a test reads it, whether in-process or a child process. */
export interface MedicView {
  readonly setup: ChaosSetup;
  status(): Promise<TargetView>;
  incidents(): Promise<Incident[]>;
  incident(id: string): Promise<IncidentWithTimeline>;
}

/** The minimal isolated config of the reference: token auth, loopback, its log file in the state dir. */
export function minimalConfig(stateDir: string, port: number): Record<string, unknown> {
  return {
    gateway: { mode: 'local', port, bind: 'loopback', auth: { mode: 'token', token: GATEWAY_TOKEN } },
    logging: { file: join(stateDir, 'logs', 'gateway.log') },
    update: { checkOnStart: false },
    telemetry: { enabled: false },
  };
}

export const healthyAndCalm = (t: TargetView) => t.health === 'up' && t.incident === null && t.pid !== null && t.process === 'running';
/** The same for a gateway a service manager runs: its pid is the manager's to know (null). */
export const serviceCalm = (t: TargetView) => t.health === 'up' && t.incident === null && t.process === 'running';

export class InProcessMedic implements MedicView {
  constructor(
    readonly setup: ChaosSetup,
    readonly running: RunningMedic,
    readonly log: ReturnType<typeof captureLogger>,
    private readonly janitor: TreeJanitor,
  ) {}

  target(): TargetWatchdog {
    return this.running.medic.target(TARGET);
  }

  now(): TargetView {
    const t = this.running.medic.status().targets[0]!;
    if (t.pid !== null) this.janitor.track(t.pid);
    return t;
  }

  async status(): Promise<TargetView> {
    return this.now();
  }

  incidents(): Promise<Incident[]> {
    return this.running.store.listIncidents({ limit: 200 });
  }

  async incident(id: string): Promise<IncidentWithTimeline> {
    const found = await this.running.store.getIncident(id);
    if (!found) throw new Error(`no incident ${id}`);
    return found;
  }
}

/** `clawmedic run` as a child process (its own process group), read through its local API. */
export class MedicProcess implements MedicView {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly api: string;

  constructor(
    readonly setup: ChaosSetup,
    readonly child: ChildProcess,
    readonly logPath: string,
    private readonly janitor: TreeJanitor,
  ) {
    this.api = `http://127.0.0.1:${setup.apiPort}`;
    this.exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async status(): Promise<TargetView> {
    const s = await getJson<MedicStatus>(`${this.api}/status`);
    const t = s.targets[0]!;
    if (t.pid !== null) this.janitor.track(t.pid);
    return t;
  }

  async incidents(): Promise<Incident[]> {
    return (await getJson<{ incidents: Incident[] }>(`${this.api}/incidents?limit=200`)).incidents;
  }

  incident(id: string): Promise<IncidentWithTimeline> {
    return getJson<IncidentWithTimeline>(`${this.api}/incidents/${encodeURIComponent(id)}`);
  }

  /** Whether its API answers (it may be starting, or dead). */
  async answers(): Promise<boolean> {
    return getJson(`${this.api}/healthz`).then(
      () => true,
      () => false,
    );
  }
}

export interface Recovery {
  /** Incidents opened since the fault, oldest first. */
  incidents: Incident[];
  /** Their timelines, in order. */
  records: LadderRecord[];
  texts: string[];
  healthyAt: number;
  calm: TargetView;
  measurement: Measurement;
}

/**
 * A crashing plugin's end: one incident, or two when a start-up under heavy load outlasts FLAP_RUN_MS (the kill's
 * closes before the plugin's first crash, which opens its own); every one resolved, the last by disabling only
 * plugin `id`, named from the evidence (its stack path). Returns that last incident.
 */
export function expectPluginDisabled(r: Recovery, id: string): Incident {
  expect(r.incidents.length).toBeLessThanOrEqual(2);
  expect(r.incidents.every((i) => i.state === 'resolved')).toBe(true);
  const inc = r.incidents.at(-1)!;
  expect(inc).toMatchObject({ outcome: 'fixed by disable-plugin', maxLevel: 2, disabledPlugins: [id] });
  expect(inc.failure).toMatchObject({ class: 'plugin-crash', culprit: id });
  expect(inc.failure!.evidence.join('\n')).toContain(`/node_modules/${id}/`);
  return inc;
}

/** The fault opened exactly one incident, and it closed: resolved, with `expected`'s fields. */
export function expectResolved(r: Recovery, expected: Partial<Incident>): Incident {
  expect(r.incidents).toHaveLength(1);
  expect(r.incidents[0]).toMatchObject({ state: 'resolved', ...expected });
  return r.incidents[0]!;
}

export class ChaosWorld {
  readonly install: OpenClawInstall = inject('openclaw');
  readonly reportFile: string = inject('chaosReport');
  readonly dirs = new TempDirs();
  readonly janitor = new TreeJanitor();
  private readonly medics: InProcessMedic[] = [];
  private readonly processes: MedicProcess[] = [];
  private readonly views: MedicView[] = [];
  private readonly traces: HealthTrace[] = [];

  /**
   * `GATEWAY_COMMAND` as a user writes it: a plain command line, no `exec`, `openclaw` found on
   * PATH (the env puts the installed OpenClaw and its Node first), on `port`, loopback only.
   */
  gatewayCommand(port: number): string {
    return `openclaw gateway run --port ${port} --bind loopback`;
  }

  /** A fresh isolated world: temp dir, ports, the minimal config, and the medic's env. */
  async setup(options: { command?: (s: { gatewayPort: number; dir: string }) => string; env?: Record<string, string> } = {}): Promise<ChaosSetup> {
    const dir = await this.dirs.make('clawmedic-chaos-');
    const stateDir = join(dir, 'state');
    mkdirSync(join(stateDir, 'logs'), { recursive: true });
    const configPath = join(stateDir, 'openclaw.json');
    const gatewayPort = await freePort();
    let apiPort = await freePort();
    while (apiPort === gatewayPort) apiPort = await freePort();
    writeFileSync(configPath, `${JSON.stringify(minimalConfig(stateDir, gatewayPort), null, 2)}\n`);
    const dataDir = join(dir, 'medic');
    const healthUrl = `http://127.0.0.1:${gatewayPort}/healthz`;
    const env: NodeJS.ProcessEnv = {
      // binDir first: `openclaw doctor`, `openclaw config ...` run the installed OpenClaw with its Node.
      PATH: `${this.install.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: dir,
      LANG: 'C.UTF-8',
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_CONFIG_PATH: configPath,
      ...QUIET_OPENCLAW,
      ...CHAOS_SETTINGS,
      GATEWAY_NAME: TARGET,
      GATEWAY_COMMAND: options.command ? options.command({ gatewayPort, dir }) : this.gatewayCommand(gatewayPort),
      GATEWAY_HEALTH_URL: healthUrl,
      GATEWAY_CONFIG_PATH: configPath,
      MEDIC_DATA_DIR: dataDir,
      MEDIC_HTTP_PORT: String(apiPort),
      // A .env in the repository must not leak into the medic under test.
      MEDIC_ENV_FILE: join(dir, 'no-such.env'),
      ...options.env,
    };
    // Everything started with this env (gateway, helpers, doctor, a child medic) is ours to stop.
    this.janitor.trackEnv('OPENCLAW_STATE_DIR', stateDir);
    return { dir, stateDir, configPath, dataDir, targetDir: join(dataDir, 'targets', TARGET), gatewayPort, apiPort, healthUrl, env };
  }

  async startMedic(setup: ChaosSetup): Promise<InProcessMedic> {
    const log = captureLogger();
    const running = await runMedic({ env: setup.env, log });
    const m = new InProcessMedic(setup, running, log, this.janitor);
    this.medics.push(m);
    this.views.push(m);
    return m;
  }

  /** Stops an in-process medic as its supervisor would (SIGTERM): its gateway stops with it. */
  async stopMedic(m: InProcessMedic): Promise<void> {
    const i = this.medics.indexOf(m);
    if (i >= 0) this.medics.splice(i, 1);
    await m.running.stop();
  }

  /** `node bin/clawmedic.js run` in its own process group; output to a file in the temp dir. */
  async spawnMedicProcess(setup: ChaosSetup, name: string): Promise<MedicProcess> {
    const logPath = join(setup.dir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [join(RepoRoot, 'bin', 'clawmedic.js'), 'run'], {
        cwd: setup.dir,
        env: { ...setup.env, LOG_FORMAT: 'pretty' },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.janitor.track(child.pid);
    const m = new MedicProcess(setup, child, logPath, this.janitor);
    this.processes.push(m);
    this.views.push(m);
    await waitFor(async () => (await m.answers()) || child.exitCode !== null, { timeoutMs: 60_000, what: `${name}'s API` });
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${readFileSync(logPath, 'utf8')}`);
    return m;
  }

  async waitStatus(m: MedicView, what: string, pred: (t: TargetView) => boolean, timeoutMs = RECOVERY_TIMEOUT_MS): Promise<TargetView> {
    return waitFor(async () => {
      const t = await m.status();
      return pred(t) ? t : null;
    }, { timeoutMs, intervalMs: 200, what });
  }

  waitCalm(m: MedicView, what: string, timeoutMs = RECOVERY_TIMEOUT_MS): Promise<TargetView> {
    return this.waitStatus(m, what, healthyAndCalm, timeoutMs);
  }

  /** The first start of a medic's gateway, to healthy and a known-good snapshot; reported as the floor. */
  async firstStart(m: MedicView, scenario: string, since: number): Promise<TargetView & { floorMs: number }> {
    const healthyAt = await firstOk(m.setup.healthUrl, RECOVERY_TIMEOUT_MS, `${scenario}: the gateway's first 200`);
    const calm = await this.waitCalm(m, `${scenario}: healthy`);
    await this.waitKnownGood(m.setup);
    this.record({
      scenario,
      faultToHealthyMs: healthyAt - since,
      faultToResolvedMs: null,
      floorMs: healthyAt - (calm.startedAt ?? since),
      incidents: [],
      timeline: [],
      note: 'medic start to the first 200',
    });
    return { ...calm, floorMs: healthyAt - (calm.startedAt ?? since) };
  }

  async waitKnownGood(setup: ChaosSetup): Promise<string[]> {
    const dir = join(setup.targetDir, 'known-good');
    return waitFor(() => (existsSync(dir) && readdirSync(dir).length > 0 ? readdirSync(dir) : null), {
      timeoutMs: 30_000,
      what: 'a known-good config snapshot',
    });
  }

  /** Starts watching the gateway's /healthz (every 100 ms) before a fault. */
  trace(m: MedicView): HealthTrace {
    const trace = new HealthTrace(m.setup.healthUrl);
    this.traces.push(trace);
    return trace;
  }

  /**
   * After a fault at `faultAt`: the medic healthy with no incident open, the incidents opened
   * since `before` (ids) with their timelines, and when /healthz answered again (from `trace`,
   * started before the fault). Records the measurement.
   */
  async recovered(
    m: MedicView,
    scenario: string,
    o: { faultAt: number; before: Set<string>; trace: HealthTrace; note?: string; timeoutMs?: number; defer?: boolean; calm?: (t: TargetView) => boolean },
  ): Promise<Recovery> {
    // Right after a fault the medic may not have seen it yet (its status still says healthy):
    // first the incident the fault opens, then the calm after it.
    await waitFor(async () => (await m.incidents()).some((i) => !o.before.has(i.id)), {
      timeoutMs: o.timeoutMs ?? RECOVERY_TIMEOUT_MS,
      intervalMs: 200,
      what: `${scenario}: an incident for the fault`,
    });
    const calm = await this.waitStatus(m, `${scenario}: healthy with no incident open`, o.calm ?? healthyAndCalm, o.timeoutMs);
    const healthyAt = await waitFor(() => o.trace.upAgainAfter(o.faultAt), { timeoutMs: 30_000, what: `${scenario}: /healthz answering` });
    const downMs = o.trace.downMsAfter(o.faultAt);
    await o.trace.stop();
    const incidents = (await m.incidents()).filter((i) => !o.before.has(i.id)).reverse();
    const records: LadderRecord[] = [];
    for (const inc of incidents) records.push(...(await m.incident(inc.id)).timeline);
    const texts = records.map((r) => r.text);
    const closed = incidents.map((i) => i.closedAt).filter((t): t is number => t !== null);
    // The floor: the start-up of the run that came back (none when the gateway never restarted).
    const restarted = calm.startedAt !== null && calm.startedAt >= o.faultAt && calm.startedAt <= healthyAt;
    const note = [o.note, downMs === 0 ? 'never stopped answering' : `down ${(downMs / 1000).toFixed(1)} s`].filter(Boolean).join('; ');
    const measurement: Measurement = {
      scenario,
      faultToHealthyMs: Math.max(0, healthyAt - o.faultAt),
      faultToResolvedMs: closed.length ? Math.max(...closed) - o.faultAt : null,
      floorMs: restarted ? healthyAt - calm.startedAt! : 0,
      incidents: incidents.map((i) => ({ id: i.id, outcome: i.outcome, maxLevel: i.maxLevel })),
      timeline: records.map((r) => `+${((r.at - o.faultAt) / 1000).toFixed(1)}s ${r.incidentId ?? '-'} [${r.kind}] ${r.text}`),
      note,
    };
    // Deferred: the test records it (with its per-class row) once its assertions passed.
    if (!o.defer) this.record(measurement);
    return { incidents, records, texts, healthyAt, calm, measurement };
  }

  async incidentIds(m: MedicView): Promise<Set<string>> {
    return new Set((await m.incidents()).map((i) => i.id));
  }

  /** Appends `m` to the run's report, with when, the load average then and the OpenClaw version. */
  record(m: Measurement): void {
    appendMeasurement(this.reportFile, {
      ...m,
      at: new Date().toISOString(),
      load: loadavg().map((l) => Math.round(l * 100) / 100),
      openclaw: this.install.openclawVersion,
    });
  }

  /**
   * The gateway's first start under a just-started medic: healthy and calm, and the floor of this test (exec to
   * its first 200, the gateway's own start-up), for the per-class table.
   */
  async startUp(m: MedicView, what: string): Promise<{ calm: TargetView; floorMs: number }> {
    const { floorMs } = await this.firstAnswer(m, what);
    return { calm: await this.waitCalm(m, `${what}: healthy`), floorMs };
  }

  /** The first 200 of a just-started medic's gateway (calm or not: a fault may open an incident at once), and its floor. */
  async firstAnswer(m: MedicView, what: string): Promise<{ healthyAt: number; floorMs: number }> {
    const healthyAt = await firstOk(m.setup.healthUrl, RECOVERY_TIMEOUT_MS, `${what}: the gateway's first 200`);
    const { startedAt } = await m.status();
    return { healthyAt, floorMs: healthyAt - (startedAt ?? healthyAt) };
  }

  /** For a failed test: timelines, the medic's warnings and the gateway's last lines. */
  async dump(): Promise<void> {
    const out: string[] = [];
    for (const m of this.views) {
      out.push(`--- medic on port ${m.setup.gatewayPort} (${m.setup.dir})`);
      try {
        out.push(`status: ${JSON.stringify(await m.status())}`);
        for (const inc of (await m.incidents()).slice(0, 5)) {
          const { timeline } = await m.incident(inc.id);
          out.push(`${inc.id} ${inc.state} L${inc.maxLevel} ${inc.outcome ?? ''}`);
          for (const r of timeline) out.push(`  ${new Date(r.at).toISOString()} [${r.kind}] ${r.text}`);
        }
      } catch (err) {
        out.push(`(medic unreadable: ${(err as Error).message})`);
      }
      if (m instanceof InProcessMedic) {
        for (const e of m.log.entries.filter((e) => e.level === 'warn' || e.level === 'error').slice(-20)) out.push(`log ${e.level}: ${e.msg}`);
      }
      if (m instanceof MedicProcess) out.push(`medic output:\n${tail(m.logPath, 40)}`);
      out.push(`gateway output:\n${tail(join(m.setup.targetDir, 'gateway.log'), 40)}`);
    }
    process.stderr.write(`${out.join('\n')}\n`);
  }

  /** Stops every medic (and so its gateway), then kills whatever is left, then removes the temp dirs. */
  async cleanup(): Promise<void> {
    await Promise.allSettled(this.traces.splice(0).map((t) => t.stop()));
    await Promise.allSettled(this.medics.splice(0).map((m) => m.running.stop()));
    for (const p of this.processes.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        await Promise.race([p.exited, new Promise((r) => setTimeout(r, 15_000))]);
      }
    }
    this.views.length = 0;
    const left = await this.janitor.killAll();
    if (left.length) process.stderr.write(`[chaos] killed ${left.length} leftover process(es): ${left.join(', ')}\n`);
    await this.dirs.removeAll();
  }
}

/**
 * The per-class row of a test's incident: its class, culprit and what it said (from `inc.failure`), its restarts,
 * and the end state: `healthy` when it resolved with no person asked, or level 4 with the person's step (its
 * level-4 line's fix) in `person`. `o` gives the fault, the times and, when the gateway healed but a person still got a finding, that;
 * `o.restarts` when the fault took more than this incident.
 */
export function classRow(
  inc: Incident,
  records: LadderRecord[],
  o: { fault: string; test: string; ms: number; floorMs: number | null; finding?: string; note?: string; restarts?: number },
): ClassRow {
  const f = inc.failure;
  if (!f) throw new Error(`incident ${inc.id} names no failure class`);
  const asked = records.find((r) => r.text.startsWith('level 4: human needed: '))?.text.slice('level 4: human needed: '.length) ?? null;
  const step = asked === null ? null : `level 4: ${asked.includes('. Fix: ') ? asked.slice(asked.indexOf('. Fix: ') + 7) : asked}`;
  const healed = step === null && inc.state === 'resolved';
  return {
    class: f.class,
    fault: o.fault,
    test: o.test,
    culprit: f.culprit,
    endState: healed ? 'healthy' : step !== null ? "level 4: a person's step (the fix in the next column)" : `${inc.state} at level ${inc.level}`,
    healed,
    person: step ?? o.finding ?? null,
    ms: o.ms,
    restarts: o.restarts ?? inc.restarts,
    floorMs: o.floorMs,
    said: [f.summary, f.evidence[0]].filter(Boolean).join(' · '),
    ...(o.note === undefined ? {} : { note: o.note }),
  };
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path})`;
  }
}

/** Replaces the config with `text` the way an editor or a deploy does (temp file + rename), so no reader sees half of it. */
export function writeConfig(setup: ChaosSetup, text: string): void {
  const temp = `${setup.configPath}.chaos-${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, setup.configPath);
}

/** The current config as JSON (the tests' configs are plain JSON). */
export function readConfigJson(setup: ChaosSetup): Record<string, unknown> {
  return JSON.parse(readFileSync(setup.configPath, 'utf8')) as Record<string, unknown>;
}

/** `<config>.broken.*` files the medic kept aside. */
export function brokenCopies(setup: ChaosSetup): string[] {
  const dir = dirname(setup.configPath);
  const base = `${setup.configPath.slice(dir.length + 1)}.broken.`;
  return readdirSync(dir)
    .filter((f) => f.startsWith(base))
    .map((f) => join(dir, f));
}

/**
 * A fleet under test: a real etcd (one member or three), the fake Discord, and medics as real
 * `clawmedic run` processes (built dist/), each with its own data dir, API port and a demo
 * gateway it supervises, the way a user configures one. Every process is stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeDiscord, discordEnvFor } from '../fixtures/fake-discord/index.js';
import { freePort, isAlive, plainGatewayCommand, ProcessJanitor, TempDirs, waitFor } from '../fixtures/gateways.js';
import { FAST_SETTINGS } from '../e2e/harness.js';
import { EtcdCluster, type EtcdTls } from './etcd.js';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));

export interface FleetMedic {
  host: string;
  target: string;
  env: NodeJS.ProcessEnv;
  apiPort: number;
  child: ChildProcess | null;
  output: string[];
}

/** What a medic's GET /status answers (the parts the tests read). */
export interface FleetMedicStatus {
  targets: { name: string; pid: number | null; health: string; incident: { id: string; state: string } | null }[];
  discord: { state: string };
  fleet: { host: string; connected: boolean; leader: boolean; epoch: number; queued: number; hosts?: { host: string }[]; lost?: string[] };
}

export class FleetWorld {
  readonly dirs = new TempDirs();
  readonly janitor = new ProcessJanitor();
  readonly medics: FleetMedic[] = [];

  private constructor(
    readonly etcd: EtcdCluster,
    readonly fake: FakeDiscord,
    readonly ttlS: number,
  ) {}

  static async start(options: { members?: number; ttlS?: number; tls?: EtcdTls } = {}): Promise<FleetWorld> {
    const etcd = await EtcdCluster.start(options.members ?? 1, options.tls ?? null);
    const fake = await FakeDiscord.start();
    return new FleetWorld(etcd, fake, options.ttlS ?? 4);
  }

  /** A medic for host `host` (target `gw-<host>`), started; with `crash-on-start` its gateway never comes up. */
  async addMedic(host: string, extra: Record<string, string> = {}, mode: 'ok' | 'crash-on-start' = 'ok'): Promise<FleetMedic> {
    const dir = await this.dirs.make(`clawmedic-fleet-${host}-`);
    const gatewayPort = await freePort();
    const apiPort = await freePort();
    const configPath = join(dir, 'openclaw.json');
    await writeFile(configPath, JSON.stringify({ gateway: { mode: 'local', port: gatewayPort } }));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      ...FAST_SETTINGS,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      GATEWAY_NAME: `gw-${host}`,
      GATEWAY_COMMAND: plainGatewayCommand({ port: gatewayPort, config: configPath, ...(mode === 'ok' ? {} : { mode }) }),
      GATEWAY_HEALTH_URL: `http://127.0.0.1:${gatewayPort}/healthz`,
      GATEWAY_CONFIG_PATH: configPath,
      MEDIC_DATA_DIR: join(dir, 'medic'),
      MEDIC_HTTP_PORT: String(apiPort),
      ...discordEnvFor(this.fake),
      FLEET_ETCD_ENDPOINTS: this.etcd.endpoints,
      FLEET_NAME: 'test',
      FLEET_HOST: host,
      FLEET_LEASE_TTL_S: String(this.ttlS),
      ...extra,
    };
    const medic: FleetMedic = { host, target: `gw-${host}`, env, apiPort, child: null, output: [] };
    this.medics.push(medic);
    this.spawn(medic);
    await waitFor(
      async () => {
        const s = await this.status(medic).catch(() => null);
        return mode === 'ok' ? s?.targets[0]?.health === 'up' : s?.fleet.connected;
      },
      { timeoutMs: 30_000, what: `medic ${host} up (${medic.output.slice(-5).join(' | ')})` },
    );
    return medic;
  }

  private spawn(m: FleetMedic): void {
    const child = spawn(process.execPath, [BIN, 'run'], { env: m.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.janitor.track(child.pid);
    const keep = (b: Buffer) => {
      m.output.push(...b.toString().split('\n').filter(Boolean));
      if (m.output.length > 400) m.output.splice(0, m.output.length - 400);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    m.child = child;
  }

  async status(m: FleetMedic): Promise<FleetMedicStatus> {
    const res = await fetch(`http://127.0.0.1:${m.apiPort}/status`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as FleetMedicStatus;
    const pid = body.targets[0]?.pid;
    if (pid) this.janitor.track(pid);
    return body;
  }

  /** The medics that say they lead now (unreachable ones count as not). */
  async leaders(): Promise<FleetMedic[]> {
    const out: FleetMedic[] = [];
    for (const m of this.medics) {
      if (!m.child) continue;
      const s = await this.status(m).catch(() => null);
      if (s?.fleet.leader) out.push(m);
    }
    return out;
  }

  async waitLeader(timeoutMs = 30_000): Promise<FleetMedic> {
    return waitFor(async () => {
      const l = await this.leaders();
      return l.length === 1 && l[0]!.child ? l[0] : null;
    }, { timeoutMs, what: 'exactly one leader' });
  }

  /** `kill -9` a medic, by pid (its gateway lives on, as after a real crash; the janitor stops it). */
  async killMedic(m: FleetMedic): Promise<void> {
    const pid = m.child!.pid!;
    m.child = null;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => (isAlive(pid) ? null : true), { what: `medic ${m.host} gone` });
  }

  /** Stops a medic cleanly (SIGTERM, by pid): it stops its gateway too. */
  async stopMedic(m: FleetMedic): Promise<void> {
    const pid = m.child?.pid;
    m.child = null;
    if (!pid || !isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await waitFor(() => (isAlive(pid) ? null : true), { timeoutMs: 20_000, what: `medic ${m.host} stopped` });
  }

  async restartMedic(m: FleetMedic): Promise<void> {
    this.spawn(m);
    await waitFor(async () => (await this.status(m).catch(() => null))?.fleet.connected === true, {
      timeoutMs: 30_000,
      what: `medic ${m.host} back in the fleet`,
    });
  }

  /** The gateway a medic supervises, `kill -9`'d by pid; resolves with the old pid. */
  async killGateway(m: FleetMedic): Promise<number> {
    const pid = (await this.status(m)).targets[0]!.pid!;
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** The cards (channel messages with an embed) whose title names `incidentId`. */
  cards(incidentId: string) {
    return this.fake.channelMessages(this.fake.channelId).filter((msg) => msg.embeds?.some((e) => e.title?.includes(` ${incidentId} `)));
  }

  /** Bot sessions opened so far (identify payloads the fake gateway received). */
  identifies(): number {
    return this.fake.gatewayPayloads.filter((p) => (p as { op?: number }).op === 2).length;
  }

  /** Writes to Discord (POST/PATCH/PUT on channels and threads) after request number `from`. */
  writesSince(from: number) {
    return this.fake.requests.slice(from).filter((r) => r.method !== 'GET' && r.route.startsWith('/channels/'));
  }

  logs(): string {
    return this.medics.map((m) => `--- ${m.host}\n${m.output.slice(-60).join('\n')}`).join('\n');
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.medics.map((m) => this.stopMedic(m)));
    await this.janitor.killAll();
    await this.fake.stop();
    await this.etcd.stop();
    await this.dirs.removeAll();
  }
}

/**
 * A real etcd for the fleet suite: one member or a 3-member cluster on 127.0.0.1, each with its
 * own data dir under a temp dir and its own ports, started as child processes and stopped by pid.
 * etcd comes from scripts/install-etcd.sh (Debian's etcd-server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isAlive, waitFor } from '../fixtures/gateways.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  child: ChildProcess | null;
  output: string[];
}

/** Whether `etcd` can run here (CI installs it with scripts/install-etcd.sh). */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Client TLS for the members (PEM files): the server's certificate, and the CA client certificates must chain to. */
export interface EtcdTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** What etcdctl presents: a client certificate and key; and a user, once auth is on. */
  client: { certFile: string; keyFile: string };
}

export class EtcdCluster {
  /** etcdctl's user ('name:password') once authentication is on. */
  user: string | null = null;

  private constructor(
    readonly dir: string,
    readonly members: EtcdMember[],
    private readonly token: string,
    readonly tls: EtcdTls | null,
  ) {}

  /** Starts `size` members and waits until the cluster answers. */
  static async start(size = 1, tls: EtcdTls | null = null): Promise<EtcdCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'clawmedic-etcd-'));
    const members: EtcdMember[] = [];
    for (let i = 0; i < size; i++) {
      members.push({
        name: `m${i}`,
        clientUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${await freePort()}`,
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        dataDir: join(dir, `m${i}`),
        child: null,
        output: [],
      });
    }
    const cluster = new EtcdCluster(dir, members, `t${process.pid}-${Date.now()}`, tls);
    for (const m of members) cluster.spawnMember(m);
    await cluster.waitHealthy();
    return cluster;
  }

  /** The client URLs, as FLEET_ETCD_ENDPOINTS takes them. */
  get endpoints(): string {
    return this.members.map((m) => m.clientUrl).join(',');
  }

  private spawnMember(m: EtcdMember): void {
    const cluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const child = spawn(
      'etcd',
      [
        '--name', m.name,
        '--data-dir', m.dataDir,
        '--listen-client-urls', m.clientUrl,
        '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl,
        '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', cluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', this.token,
        // Fast elections on a loaded test machine, still well above the heartbeat.
        '--heartbeat-interval', '100',
        '--election-timeout', '1000',
        '--log-level', 'warn',
        ...(this.tls ? ['--cert-file', this.tls.certFile, '--key-file', this.tls.keyFile, '--client-cert-auth', '--trusted-ca-file', this.tls.caFile] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (b: Buffer) => {
      m.output.push(...b.toString().split('\n').filter(Boolean));
      if (m.output.length > 200) m.output.splice(0, m.output.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    m.child = child;
  }

  /** Runs etcdctl against the running members (with the client certificate and user when set). */
  etcdctl(args: string[], members = this.members.filter((m) => m.child)): { status: number | null; stdout: string; stderr: string } {
    const tls = this.tls ? ['--cacert', this.tls.caFile, '--cert', this.tls.client.certFile, '--key', this.tls.client.keyFile] : [];
    const user = this.user ? ['--user', this.user] : [];
    const r = spawnSync('etcdctl', ['--endpoints', members.map((m) => m.clientUrl).join(','), '--command-timeout=3s', ...tls, ...user, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** True when `etcdctl endpoint health` says every running member is healthy. */
  health(members = this.members.filter((m) => m.child)): boolean {
    if (!members.length) return false;
    return this.etcdctl(['endpoint', 'health'], members).status === 0;
  }

  /** Every key and value under `prefix`, as etcdctl prints them (key line, value line). */
  dump(prefix = 'clawmedic/'): string {
    const r = this.etcdctl(['get', '--prefix', prefix]);
    if (r.status !== 0) throw new Error(`etcdctl get failed: ${r.stderr}`);
    return r.stdout;
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(() => (this.health() ? true : null), {
      timeoutMs,
      what: `etcd healthy (${this.members.map((m) => m.output.slice(-3).join(' | ')).join(' ;; ')})`,
    });
  }

  /** `kill -9` one member, by pid. */
  async kill(i: number): Promise<void> {
    const m = this.members[i]!;
    const pid = m.child?.pid;
    m.child = null;
    if (pid && isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      await waitFor(() => (isAlive(pid) ? null : true), { timeoutMs: 10_000, what: `etcd ${m.name} (pid ${pid}) gone` });
    }
  }

  /** Starts a member again on its data dir and ports. */
  restart(i: number): void {
    const m = this.members[i]!;
    if (!m.child) this.spawnMember(m);
  }

  /** Stops every member by pid (SIGTERM, then SIGKILL) and removes the data dirs. */
  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        const pid = m.child?.pid;
        m.child = null;
        if (!pid || !isAlive(pid)) return;
        process.kill(pid, 'SIGTERM');
        try {
          await waitFor(() => (isAlive(pid) ? null : true), { timeoutMs: 5000, what: `etcd ${m.name} stopped` });
        } catch {
          if (isAlive(pid)) process.kill(pid, 'SIGKILL');
        }
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}

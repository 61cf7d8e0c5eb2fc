/**
 * The coordination port over etcd v3 through the `etcd3` client (leases, transactions,
 * watches). Loaded only in fleet mode: a single medic never imports it.
 */
import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions, type Lease as EtcdLease } from 'etcd3';
import type { FleetConfig } from '../config/fleet.js';
import type { Coordination, Lease, WatchHandle } from './coordination.js';

/** Client options from the fleet settings: TLS files and user/password when set. */
export function etcdOptions(c: FleetConfig): IOptions {
  const options: IOptions = {
    hosts: c.endpoints,
    // A call to an unreachable etcd fails in seconds, not after gRPC's default of forever.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5000 }),
    dialTimeout: 3000,
  };
  if (c.caFile || c.certFile) {
    options.credentials = {
      rootCertificate: c.caFile ? readFileSync(c.caFile) : Buffer.alloc(0),
      ...(c.certFile && c.keyFile ? { certChain: readFileSync(c.certFile), privateKey: readFileSync(c.keyFile) } : {}),
    };
  }
  if (c.username && c.password) options.auth = { username: c.username, password: c.password };
  return options;
}

class EtcdLeaseHandle implements Lease {
  id = '';
  constructor(private readonly lease: EtcdLease) {}
  async granted(): Promise<string> {
    this.id = await this.lease.grant();
    return this.id;
  }
  onKeepalive(fn: () => void): void {
    this.lease.on('keepaliveSucceeded', () => fn());
  }
  onLost(fn: (err: Error) => void): void {
    this.lease.on('lost', (err) => fn(err));
  }
  async revoke(): Promise<void> {
    await this.lease.revoke();
  }
  raw(): EtcdLease {
    return this.lease;
  }
}

export class EtcdCoordination implements Coordination {
  private readonly client: Etcd3;

  constructor(options: IOptions) {
    this.client = new Etcd3(options);
  }

  grantLease(ttlS: number): Lease {
    // autoKeepAlive: etcd3 renews at a third of the TTL; `lost` fires when etcd says it expired.
    return new EtcdLeaseHandle(this.client.lease(ttlS, { autoKeepAlive: true }));
  }

  async put(key: string, value: string, lease?: Lease): Promise<void> {
    if (lease) await (lease as EtcdLeaseHandle).raw().put(key).value(value);
    else await this.client.put(key).value(value);
  }

  async create(key: string, value: string, lease?: Lease): Promise<boolean> {
    const put = lease ? (lease as EtcdLeaseHandle).raw().put(key).value(value) : this.client.put(key).value(value);
    const res = await this.client.if(key, 'Create', '==', 0).then(put).commit();
    return res.succeeded;
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key).string();
  }

  async getPrefix(prefix: string): Promise<Map<string, string>> {
    const all = await this.client.getAll().prefix(prefix).sort('Key', 'Ascend').strings();
    return new Map(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async delete(key: string): Promise<void> {
    await this.client.delete().key(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.client.delete().prefix(prefix);
  }

  async watchPrefix(prefix: string, on: { put: (key: string, value: string) => void; delete: (key: string) => void }): Promise<WatchHandle> {
    const watcher = await this.client.watch().prefix(prefix).create();
    watcher.on('put', (kv) => on.put(kv.key.toString(), kv.value.toString()));
    watcher.on('delete', (kv) => on.delete(kv.key.toString()));
    // Disconnects are retried by etcd3 itself (it resumes from the last revision it saw).
    watcher.on('error', () => {});
    return { cancel: () => watcher.cancel() };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

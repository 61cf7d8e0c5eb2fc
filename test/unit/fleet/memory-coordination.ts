/**
 * An in-memory stand-in for the coordination port, for unit tests of the fleet's logic: keys,
 * create-if-absent, prefix reads and watches, and leases a test keeps alive or lets expire by hand.
 */
import type { Coordination, Lease, WatchHandle } from '../../../src/fleet/coordination.js';

type Watcher = { prefix: string; put: (k: string, v: string) => void; delete: (k: string) => void };

export class MemoryLease implements Lease {
  id: string;
  private readonly keepalives: (() => void)[] = [];
  private readonly losses: ((err: Error) => void)[] = [];
  constructor(private readonly coord: MemoryCoordination, n: number) {
    this.id = String(n);
  }
  async granted(): Promise<string> {
    if (this.coord.down) throw new Error('etcd is down');
    return this.id;
  }
  onKeepalive(fn: () => void): void {
    this.keepalives.push(fn);
  }
  onLost(fn: (err: Error) => void): void {
    this.losses.push(fn);
  }
  async revoke(): Promise<void> {
    this.coord.expire(this);
  }
  /** A renewal etcd answered. */
  keepalive(): void {
    for (const fn of this.keepalives) fn();
  }
  lose(): void {
    this.coord.expire(this);
    for (const fn of this.losses) fn(new Error('lease expired'));
  }
}

export class MemoryCoordination implements Coordination {
  readonly data = new Map<string, { value: string; lease: MemoryLease | null }>();
  readonly leases: MemoryLease[] = [];
  private watchers: Watcher[] = [];
  down = false;

  private check(): void {
    if (this.down) throw new Error('etcd is down');
  }
  grantLease(_ttlS?: number): Lease {
    const lease = new MemoryLease(this, this.leases.length + 1);
    this.leases.push(lease);
    return lease;
  }
  expire(lease: MemoryLease): void {
    for (const [k, v] of [...this.data]) if (v.lease === lease) void this.delete(k);
  }
  async put(key: string, value: string, lease?: Lease): Promise<void> {
    this.check();
    this.data.set(key, { value, lease: (lease as MemoryLease | undefined) ?? null });
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.put(key, value);
  }
  async create(key: string, value: string, lease?: Lease): Promise<boolean> {
    this.check();
    if (this.data.has(key)) return false;
    await this.put(key, value, lease);
    return true;
  }
  async get(key: string): Promise<string | null> {
    this.check();
    return this.data.get(key)?.value ?? null;
  }
  async getPrefix(prefix: string): Promise<Map<string, string>> {
    this.check();
    return new Map([...this.data].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.value]));
  }
  async delete(key: string): Promise<void> {
    if (!this.data.delete(key)) return;
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.delete(key);
  }
  async deletePrefix(prefix: string): Promise<void> {
    for (const k of [...this.data.keys()]) if (k.startsWith(prefix)) await this.delete(k);
  }
  async watchPrefix(prefix: string, on: { put: (k: string, v: string) => void; delete: (k: string) => void }): Promise<WatchHandle> {
    this.check();
    const w = { prefix, ...on };
    this.watchers.push(w);
    return { cancel: async () => void (this.watchers = this.watchers.filter((x) => x !== w)) };
  }
  async close(): Promise<void> {}
}

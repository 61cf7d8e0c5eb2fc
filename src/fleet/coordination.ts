/**
 * The coordination port: the few things the fleet asks of its coordination engine (etcd by
 * default, `etcd-coordination.ts`). Keys and values are strings; values are JSON written by the
 * fleet, already redacted. Nothing here is awaited by a ladder.
 */

/** A lease held by this medic: its keys vanish when it is not kept alive for `ttlS` seconds. */
export interface Lease {
  /** The lease's id once granted ('' before). */
  readonly id: string;
  /** Resolves when the lease is granted (rejects when it cannot be). */
  granted(): Promise<string>;
  /** Called after each successful keep-alive: the time etcd last heard from us, by our clock. */
  onKeepalive(fn: () => void): void;
  /** Called once when etcd says the lease is gone (expired or revoked), or it could not be granted. */
  onLost(fn: (err: Error) => void): void;
  revoke(): Promise<void>;
}

export interface WatchHandle {
  cancel(): Promise<void>;
}

export interface Coordination {
  grantLease(ttlS: number): Lease;
  put(key: string, value: string, lease?: Lease): Promise<void>;
  /** Writes `key` only when it does not exist; true when this call created it (an election's step). */
  create(key: string, value: string, lease?: Lease): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Every key under `prefix` with its value, in key order. */
  getPrefix(prefix: string): Promise<Map<string, string>>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  /** Puts and deletes under `prefix` from now on; reconnects by itself. */
  watchPrefix(prefix: string, on: { put: (key: string, value: string) => void; delete: (key: string) => void }): Promise<WatchHandle>;
  close(): Promise<void>;
}

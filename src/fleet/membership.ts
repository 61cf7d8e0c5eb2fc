/**
 * Membership: this medic holds a lease and publishes its targets' status (redacted) on it. When
 * the lease is lost (etcd away longer than the TTL), a new one is asked for until etcd answers
 * again. Nothing here is awaited by the ladder: a status change only marks the record dirty.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../recovery/ports.js';
import type { TargetStatus } from '../recovery/types.js';
import type { Coordination, Lease } from './coordination.js';
import type { FleetKeys } from './keys.js';
import { wakeableSleep } from './wait.js';

/** The part of the TTL without a renewal after which a leader stops writing (and a follower counts as cut off). */
export const FENCE_FRACTION = 0.75;

/** What a host publishes about itself. */
export interface HostRecord {
  host: string;
  pid: number;
  version: string;
  at: number;
  targets: TargetStatus[];
}

/** A target name of this host is already another host's in the fleet: this host stays out of the fleet. */
export class TargetClashError extends Error {
  override readonly name = 'TargetClashError';
  constructor(
    readonly target: string,
    readonly owner: string,
    readonly host: string,
    fleet: string,
  ) {
    super(
      `target ${target} is already in fleet ${fleet} on host ${owner}; host ${host} stays out of the fleet and heals on its own: ` +
        `give one of them another GATEWAY_NAME (target names are unique in a fleet), or run clawmedic fleet forget ${owner} if ${owner} is retired`,
    );
  }
}

export interface MembershipOptions {
  coord: Coordination;
  keys: FleetKeys;
  host: string;
  ttlS: number;
  clock: Clock;
  log: Logger;
  version: string;
  /** The targets' status now, redacted. */
  targets: () => TargetStatus[];
  /** A new lease is held (after start, or after the last one was lost). */
  onLease?: (lease: Lease) => void;
  /** The lease is gone: leadership ends at once. */
  onLeaseLost?: () => void;
}

export class Membership {
  private lease_: Lease | null = null;
  private lastKeepalive = 0;
  private dirty = true;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  /** Why this host stays out of the fleet (a target name clash), said once; null: it may join. */
  private refused_: string | null = null;
  private claimed_ = false;
  /** Null until etcd first answered or failed: the first failure is said too. */
  private connected: boolean | null = null;
  private wake: (() => void) | null = null;
  /** What the last record said that matters to the fleet, and when it was written. */
  private published: { material: string; at: number } | null = null;

  constructor(private readonly o: MembershipOptions) {}

  get lease(): Lease | null {
    return this.lease_;
  }

  /** When etcd last renewed our lease, by our clock (0: never). */
  get lastKeepaliveAt(): number {
    return this.lastKeepalive;
  }

  /**
   * True while etcd renews our lease: it answered within the fence (three quarters of the TTL), as the
   * leader's own check. A follower cut off from etcd counts as such from then on, even before a write of
   * its own fails (the alert fallback reads this: such a follower cannot count on the leader's bot).
   */
  /** Why this host is not in the fleet though etcd answers (a target name another host holds); null: none. */
  get refused(): string | null {
    return this.refused_;
  }

  /** True once this host's target names are known to be its own in the fleet: its events may go to etcd. */
  get claimed(): boolean {
    return this.claimed_;
  }

  get isConnected(): boolean {
    return this.connected === true && this.lease_ !== null && this.o.clock.now() - this.lastKeepalive < FENCE_FRACTION * this.o.ttlS * 1000;
  }

  start(): void {
    this.loop = this.run();
  }

  /** The status changed: published on the next turn of the loop (at most about four times a second). */
  markDirty(): void {
    this.dirty = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    // A clean stop lets the host record go now rather than after the TTL: other hosts see it lost at once.
    await this.lease_?.revoke().catch(() => {});
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (!this.stopping.signal.aborted) {
      if (!this.lease_) {
        try {
          await this.acquire();
          backoff = 500;
        } catch (err) {
          if (err instanceof TargetClashError) {
            this.claimed_ = false;
            if (this.refused_ !== err.message) this.o.log.error(`fleet: ${err.message}`);
            this.refused_ = err.message;
            // Looked at again now and then: the other host may be forgotten, or renamed.
            await this.o.clock.sleep(10_000, this.stopping.signal);
            continue;
          }
          this.setConnected(false, (err as Error).message);
          await this.o.clock.sleep(backoff, this.stopping.signal);
          backoff = Math.min(backoff * 2, 5000);
          continue;
        }
      }
      if (this.dirty) {
        this.dirty = false;
        await this.publish().catch((err: Error) => {
          this.dirty = true;
          this.setConnected(false, err.message);
        });
      } else if (this.stale) {
        await this.publish().catch((err: Error) => this.setConnected(false, err.message));
      }
      // A short pause between publications, then wait for a change (or a second, to notice a lost lease's re-grant).
      await this.o.clock.sleep(250, this.stopping.signal);
      if (!this.dirty) {
        const wait = wakeableSleep(this.o.clock, 1000, this.stopping.signal);
        this.wake = wait.wake;
        await wait.done;
        this.wake = null;
      }
    }
  }

  /** Claims this host's target names (in one transaction each): a name another host holds is refused. */
  private async claimTargets(): Promise<void> {
    for (const { name } of this.o.targets()) {
      const key = this.o.keys.targetName(name);
      if (await this.o.coord.create(key, this.o.host)) continue;
      const owner = await this.o.coord.get(key);
      if (owner === null) {
        if (await this.o.coord.create(key, this.o.host)) continue;
        throw new Error(`the claim of target ${name} changed under us; trying again`);
      }
      if (owner !== this.o.host) throw new TargetClashError(name, owner, this.o.host, this.o.keys.fleet);
    }
    if (this.refused_) this.o.log.info(`fleet: host ${this.o.host}'s target names are free now; it joins the fleet`);
    this.refused_ = null;
    this.claimed_ = true;
  }

  private async acquire(): Promise<void> {
    await this.claimTargets();
    const lease = this.o.coord.grantLease(this.o.ttlS);
    lease.onKeepalive(() => {
      this.lastKeepalive = this.o.clock.now();
      this.setConnected(true, null);
    });
    lease.onLost((err) => {
      if (this.lease_ !== lease) return;
      this.lease_ = null;
      this.lastKeepalive = 0;
      this.o.log.warn(`fleet: lease lost (${err.message}); this host keeps healing on its own and rejoins when etcd answers`);
      this.o.onLeaseLost?.();
    });
    try {
      await lease.granted();
    } catch (err) {
      await lease.revoke().catch(() => {});
      throw err;
    }
    this.lastKeepalive = this.o.clock.now();
    this.lease_ = lease;
    this.dirty = true;
    // A new lease holds no record yet: written whatever the last one said.
    this.published = null;
    await this.publish();
    await this.o.coord.put(this.o.keys.knownHost(this.o.host), JSON.stringify({ host: this.o.host }));
    this.setConnected(true, null);
    this.o.onLease?.(lease);
  }

  /** Only readings changed since the last record (probe times, memory samples): refreshed once per TTL. */
  private stale = false;

  /**
   * Writes the host record when what matters to the fleet changed (health, process, incident, pause...) at
   * once; when only readings changed (every probe changes `lastProbe`), at most once per TTL: an idle host
   * then costs etcd one write per TTL, not one per probe.
   */
  private async publish(): Promise<void> {
    const lease = this.lease_;
    if (!lease) return;
    const targets = this.o.targets();
    const now = this.o.clock.now();
    const material = materialOf(targets);
    if (this.published && this.published.material === material && now - this.published.at < this.o.ttlS * 1000) {
      this.stale = true;
      return;
    }
    const record: HostRecord = { host: this.o.host, pid: process.pid, version: this.o.version, at: now, targets };
    await this.o.coord.put(this.o.keys.host(this.o.host), JSON.stringify(record), lease);
    this.published = { material, at: now };
    this.stale = false;
  }

  private setConnected(up: boolean, why: string | null): void {
    if (up === this.connected) return;
    this.connected = up;
    if (up) this.o.log.info(`fleet: joined as host ${this.o.host}`);
    else this.o.log.warn(`fleet: etcd unreachable (${why ?? 'no answer'}); this host keeps healing, its events wait in the local queue`);
  }
}

/** A target's status without its readings (probe times and latencies, memory samples, check times). */
function materialOf(targets: TargetStatus[]): string {
  return JSON.stringify(
    targets.map(({ lastProbe, memory: _memory, readiness, ...rest }) => ({
      ...rest,
      probe: lastProbe ? { ok: lastProbe.ok, status: lastProbe.status, error: lastProbe.error } : null,
      readiness: readiness ? { ...readiness, checkedAt: 0 } : (readiness ?? null),
    })),
  );
}

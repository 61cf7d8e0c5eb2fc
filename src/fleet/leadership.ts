/**
 * One leader for the fleet: the medic whose lease holds the leader key (created only when absent,
 * in one etcd transaction). It alone runs the Discord bot.
 *
 * Fencing: a leader counts itself deposed as soon as etcd has not renewed its lease for three
 * quarters of the TTL, or the lease is lost, or the key is gone; it then stops the bot before writing
 * again. etcd frees the key only a whole TTL after the last renewal it granted (which is before our
 * answer arrived), so the old bot has stopped writing before a new leader can even be elected. Three
 * quarters, not a half: etcd3 renews every third of the TTL, and one renewal lost to an etcd member's
 * death (a raft election) must not depose a healthy leader. Each term carries an epoch (the count of terms) for the log and /status.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../recovery/ports.js';
import type { Coordination, Lease, WatchHandle } from './coordination.js';
import type { FleetKeys } from './keys.js';
import { wakeableSleep } from './wait.js';

import { FENCE_FRACTION } from './membership.js';

export { FENCE_FRACTION };

export interface LeadershipOptions {
  coord: Coordination;
  keys: FleetKeys;
  host: string;
  ttlS: number;
  clock: Clock;
  log: Logger;
  /** The lease this medic holds now (null: none: it cannot lead). */
  lease: () => Lease | null;
  /** When etcd last renewed that lease, by our clock. */
  lastKeepaliveAt: () => number;
  /** Became leader: start the bot. */
  onElected: (term: { epoch: number }) => void;
  /** No longer leader: stop the bot now (it must not write to Discord again). */
  onDeposed: (why: string) => void;
}

export class Leadership {
  private leading = false;
  private epoch = 0;
  private watch: WatchHandle | null = null;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly o: LeadershipOptions) {}

  /** True while this medic may write to Discord. Checked before every write. */
  isLeader(): boolean {
    return this.leading && this.fresh();
  }

  leaderEpoch(): number {
    return this.epoch;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Something changed (a new lease, the leader key deleted): look again now. */
  nudge(): void {
    this.wake?.();
  }

  /** The lease is gone: deposed at once. */
  leaseLost(): void {
    this.depose('the lease was lost');
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.nudge();
    await this.loop;
    await this.watch?.cancel().catch(() => {});
    if (this.leading) {
      this.depose('stopping');
      // A clean stop frees the key now: the next leader need not wait for the TTL.
      await this.o.coord.delete(this.o.keys.leader).catch(() => {});
    }
  }

  private fresh(): boolean {
    return this.o.lease() !== null && this.o.clock.now() - this.o.lastKeepaliveAt() < FENCE_FRACTION * this.o.ttlS * 1000;
  }

  private depose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.o.log.warn(`fleet: no longer the leader (${why}); the Discord bot stops here`);
    this.o.onDeposed(why);
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      if (this.leading && !this.fresh()) this.depose(`etcd has not renewed the lease for ${FENCE_FRACTION * this.o.ttlS} s`);
      if (!this.leading) await this.campaign().catch((err: Error) => this.o.log.debug(`fleet: campaign: ${err.message}`));
      // Short turns while leading (the fence), longer ones while following (the watch wakes us).
      const wait = wakeableSleep(this.o.clock, this.leading ? 250 : 1000, this.stopping.signal);
      this.wake = wait.wake;
      await wait.done;
      this.wake = null;
    }
  }

  private async campaign(): Promise<void> {
    const lease = this.o.lease();
    if (!lease || !this.fresh()) return;
    this.watch ??= await this.o.coord.watchPrefix(this.o.keys.leader, {
      put: () => {},
      delete: () => {
        if (this.leading) this.depose('the leader key was deleted');
        this.nudge();
      },
    });
    const term = { host: this.o.host, lease: lease.id, at: this.o.clock.now() };
    if (await this.o.coord.create(this.o.keys.leader, JSON.stringify(term), lease)) {
      this.epoch = Number((await this.o.coord.get(`${this.o.keys.leader}-epoch`)) ?? '0') + 1;
      await this.o.coord.put(`${this.o.keys.leader}-epoch`, String(this.epoch));
      this.leading = true;
      this.o.log.info(`fleet: ${this.o.host} is the leader (term ${this.epoch}): it runs the Discord bot`);
      this.o.onElected({ epoch: this.epoch });
      return;
    }
    // Our own key from a lease we still hold (a restart of the loop): we are the leader.
    const current = await this.o.coord.get(this.o.keys.leader);
    if (current && (JSON.parse(current) as { lease?: string }).lease === lease.id && lease.id) {
      this.leading = true;
      this.o.onElected({ epoch: this.epoch });
    }
  }
}

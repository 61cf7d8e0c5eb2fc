/**
 * The leader's side of the event log: every host's events, from what the last leader saw
 * delivered onwards, in each host's order, handed to the bot once each (dedup by host and
 * sequence number). The cursor moves when the bot's queue to Discord has drained, so a new
 * leader resumes after what was delivered: nothing lost, at most the last undelivered few again.
 */
import type { Clock } from '../lib/clock.js';
import type { MedicEvents } from '../recovery/events.js';
import type { Logger } from '../recovery/ports.js';
import type { Incident } from '../recovery/types.js';
import type { Coordination, WatchHandle } from './coordination.js';
import { parseEventKey, type FleetKeys } from './keys.js';
import type { FleetEvent } from './outbox.js';

export interface FleetFeedOptions {
  coord: Coordination;
  keys: FleetKeys;
  clock: Clock;
  log: Logger;
  /** Where the bot listens. */
  out: MedicEvents;
  /** True when the bot has nothing waiting for Discord: what was handed to it is delivered. */
  drained: () => boolean;
  /** False once deposed: nothing more is handed on. */
  leading: () => boolean;
}

export class FleetFeed {
  /** Last sequence number handed to the bot, per host. */
  private readonly handed = new Map<string, number>();
  /** Last sequence number written as delivered, per host. */
  private readonly acked = new Map<string, number>();
  /** Events that arrived ahead of a gap (a host's writes seen out of order), per host. */
  private readonly pending = new Map<string, Map<number, FleetEvent>>();
  private readonly incidents = new Map<string, Incident>();
  private watch: WatchHandle | null = null;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private handedTotal = 0;

  constructor(private readonly o: FleetFeedOptions) {}

  /** The fleet's incidents as the events carried them, newest first (the bot's catch-up). */
  listIncidents(limit = 50): Incident[] {
    return [...this.incidents.values()].sort((a, b) => b.openedAt - a.openedAt).slice(0, limit);
  }

  /** The newest incident of `target` the events carried (open or closed). */
  latestIncident(target: string): Incident | undefined {
    let best: Incident | undefined;
    for (const i of this.incidents.values()) if (i.target === target && (!best || i.openedAt >= best.openedAt)) best = i;
    return best;
  }

  get handedCount(): number {
    return this.handedTotal;
  }

  async start(): Promise<void> {
    // Watch first, then read: an event written in between is seen twice and handed on once.
    this.watch = await this.o.coord.watchPrefix(this.o.keys.events, {
      put: (key, value) => this.arrived(key, value),
      delete: () => {},
    });
    const delivered = await this.o.coord.getPrefix(this.o.keys.root + 'delivered/');
    for (const [key, value] of delivered) {
      const host = key.slice((this.o.keys.root + 'delivered/').length);
      this.handed.set(host, Number(value));
      this.acked.set(host, Number(value));
    }
    for (const [key, value] of await this.o.coord.getPrefix(this.o.keys.events)) this.arrived(key, value);
    this.loop = this.ackLoop();
  }

  /** A host forgotten for good: a new machine of that name starts its events from 1. */
  forget(host: string): void {
    this.handed.delete(host);
    this.acked.delete(host);
    this.pending.delete(host);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.watch?.cancel().catch(() => {});
    await this.loop;
  }

  private arrived(key: string, value: string): void {
    const at = parseEventKey(this.o.keys, key);
    if (!at) return;
    let event: FleetEvent;
    try {
      event = JSON.parse(value) as FleetEvent;
    } catch {
      this.o.log.warn(`fleet: event ${key} is not JSON; skipped`);
      return;
    }
    const queue = this.pending.get(at.host) ?? new Map<number, FleetEvent>();
    this.pending.set(at.host, queue);
    if (at.seq > (this.handed.get(at.host) ?? 0)) queue.set(at.seq, event);
    this.drain(at.host);
  }

  /** Hands on a host's events in order, as long as the next one is there. */
  private drain(host: string): void {
    const queue = this.pending.get(host)!;
    for (;;) {
      if (!this.o.leading()) return;
      const last = this.handed.get(host) ?? 0;
      // A host's first event seen by this fleet may not be 1 (its events before were delivered and deleted).
      const next = queue.get(last + 1) ?? (this.handed.has(host) ? undefined : this.lowest(queue));
      if (!next) return;
      queue.delete(next.seq);
      this.handed.set(host, next.seq);
      this.handedTotal += 1;
      this.emit(next);
    }
  }

  private lowest(queue: Map<number, FleetEvent>): FleetEvent | undefined {
    const seqs = [...queue.keys()].sort((a, b) => a - b);
    return seqs.length ? queue.get(seqs[0]!) : undefined;
  }

  private emit(e: FleetEvent): void {
    const out = this.o.out as unknown as { emit: (type: string, ...args: unknown[]) => boolean };
    if (e.type === 'incident') this.incidents.set((e.args[0] as Incident).id, e.args[0] as Incident);
    try {
      out.emit(e.type, ...e.args);
    } catch (err) {
      this.o.log.error(`fleet: handing ${e.host}#${e.seq} to the bot failed: ${(err as Error).message}`);
    }
  }

  /** Moves each host's delivered cursor once the bot has drained, and clears the delivered events out of etcd. */
  private async ackLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await this.o.clock.sleep(500, this.stopping.signal);
      if (!this.o.leading() || !this.o.drained()) continue;
      for (const [host, seq] of this.handed) {
        const from = this.acked.get(host) ?? 0;
        if (seq <= from) continue;
        try {
          await this.o.coord.put(this.o.keys.delivered(host), String(seq));
          this.acked.set(host, seq);
          for (let n = from + 1; n <= seq; n++) await this.o.coord.delete(this.o.keys.event(host, n));
        } catch (err) {
          this.o.log.debug(`fleet: delivered cursor of ${host}: ${(err as Error).message}`);
        }
      }
    }
  }
}

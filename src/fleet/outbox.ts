/**
 * Every host's events on their way to the leader: each event the medic emits (already redacted
 * by the watchdog's outbox) gets this host's next sequence number, waits in a local queue (kept
 * in the host's store, so a restart loses nothing) and is written to etcd when etcd answers.
 * A host cut off from etcd keeps queueing; the leader dedups by (host, seq).
 */
import type { Clock } from '../lib/clock.js';
import type { MedicEventMap, MedicEvents } from '../recovery/events.js';
import type { Logger, Store } from '../recovery/ports.js';
import type { Coordination } from './coordination.js';
import type { FleetKeys } from './keys.js';
import { wakeableSleep } from './wait.js';

/** The events the leader's bot draws from; the agent's live screen stays on its host (its transcript comes with `agent-ended`). */
export const CARRIED = ['incident', 'record', 'human', 'approval', 'approval-closed', 'agent-ended'] as const;
export type CarriedType = (typeof CARRIED)[number];

export interface FleetEvent {
  host: string;
  seq: number;
  type: CarriedType;
  args: unknown[];
}

interface Saved {
  seq: number;
  queue: FleetEvent[];
}

const STORE_KEY = 'fleet:outbox';

export interface FleetOutboxOptions {
  coord: Coordination;
  keys: FleetKeys;
  host: string;
  store: Pick<Store, 'getValue' | 'setValue'>;
  events: MedicEvents;
  clock: Clock;
  log: Logger;
  /** False while this host is not in the fleet (its target names clash): its events wait here. Default: always. */
  canPush?: () => boolean;
}

export class FleetOutbox {
  private seq = 0;
  private queue: FleetEvent[] = [];
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private saving: Promise<void> = Promise.resolve();
  private pushed = 0;

  constructor(private readonly o: FleetOutboxOptions) {}

  /** Loads the queue kept from the last run, then subscribes and starts pushing. */
  async start(): Promise<void> {
    const saved = await this.o.store.getValue<Saved>(STORE_KEY);
    if (saved) {
      this.seq = saved.seq;
      this.queue = saved.queue;
    }
    for (const type of CARRIED) {
      this.o.events.on(type, (...args: MedicEventMap[typeof type]) => this.enqueue(type, args));
    }
    this.loop = this.run();
  }

  /** Events waiting for etcd. */
  get queued(): number {
    return this.queue.length;
  }

  get delivered(): number {
    return this.pushed;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await this.saving;
  }

  private enqueue(type: CarriedType, args: unknown[]): void {
    // Discord-only details are dropped here; everything else is as the medic emitted it (redacted).
    this.queue.push({ host: this.o.host, seq: ++this.seq, type, args });
    this.save();
    this.wake?.();
  }

  private save(): void {
    const snapshot: Saved = { seq: this.seq, queue: [...this.queue] };
    this.saving = this.saving
      .then(() => this.o.store.setValue(STORE_KEY, snapshot))
      .catch((err: Error) => this.o.log.error(`fleet: could not keep the event queue: ${err.message}`));
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopping.signal.aborted) {
      const next = this.queue[0];
      if (!next || this.o.canPush?.() === false) {
        const wait = wakeableSleep(this.o.clock, 1000, this.stopping.signal);
        this.wake = wait.wake;
        await wait.done;
        this.wake = null;
        continue;
      }
      try {
        await this.o.coord.put(this.o.keys.event(this.o.host, next.seq), JSON.stringify(next));
        this.queue.shift();
        this.pushed += 1;
        this.save();
        backoff = 250;
      } catch {
        await this.o.clock.sleep(backoff, this.stopping.signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

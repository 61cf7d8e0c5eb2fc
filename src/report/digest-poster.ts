/**
 * Posts the digest (digest.ts) on its schedule (schedule.ts) to each output: the Discord incident
 * channel, the alert channels. The store keeps the last slot and the outputs that still owe it, so a
 * medic that restarts neither posts a slot twice nor skips one it slept through (it posts that one
 * late, once: the latest slot, not every missed one). The first start only sets the baseline. A
 * single-flight loop on the injected clock: a failed output is retried, the others are not repeated.
 */
import type { Clock, Logger, Store } from '../recovery/ports.js';
import { digest, type Digest } from './digest.js';
import { describeSchedule, nextSlot, periodStart, previousSlot, type DigestSchedule } from './schedule.js';

/** A digest for one slot: what an output posts. `slot` names it (an output's dedup key). */
export interface ScheduledDigest extends Digest {
  slot: number;
}

export interface DigestOutput {
  /** As logs and the store name it: `discord`, `alerts`. */
  readonly name: string;
  post(d: ScheduledDigest): Promise<void>;
}

export interface DigestPosterOptions {
  schedule: DigestSchedule;
  clock: Clock;
  store: Pick<Store, 'getValue' | 'setValue' | 'listIncidents'>;
  log: Logger;
  outputs: DigestOutput[];
  /** Masks secrets in the digest before any output sees it (one door out). */
  redact: (text: string) => string;
  /** Wait before trying a failed output again. Default 5 min. */
  retryMs?: number;
}

/** The store's record: the latest slot seen, and the outputs that have not posted it yet. */
export interface DigestRecord {
  slot: number;
  pending: string[];
}

export const DIGEST_RECORD_KEY = 'digest:last';
/** Incidents a digest reads at most (newest first), as the API's `/digest`. */
const DIGEST_INCIDENTS = 5_000;
const MAX_SLEEP_MS = 3_600_000;

/** `work`, or a rejection as soon as `signal` aborts (an output waiting on Discord must not hold up a stop). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopping'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class DigestPoster {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly o: DigestPosterOptions) {}

  start(): void {
    if (this.o.schedule.kind === 'off' || !this.o.outputs.length) {
      this.o.log.info(`digest: ${this.o.schedule.kind === 'off' ? 'DIGEST_SCHEDULE is off' : 'no Discord and no alert channel to post it to'}; \`clawmedic digest\` prints one`);
      return;
    }
    this.loop = this.run().catch((err: Error) => this.o.log.error(`digest: the schedule stopped: ${err.message}`));
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { clock, schedule, store, log } = this.o;
    const names = this.o.outputs.map((out) => out.name);
    let record = await store.getValue<DigestRecord>(DIGEST_RECORD_KEY);
    if (!record) {
      // The first start posts nothing: last week's digest of a medic that just arrived says little.
      record = { slot: previousSlot(schedule, clock.now())!, pending: [] };
      await store.setValue(DIGEST_RECORD_KEY, record);
    }
    log.info(`digest: ${describeSchedule(schedule)} to ${names.join(' and ')}; next at ${new Date(nextSlot(schedule, clock.now())!).toISOString()}`);
    while (!this.stopping.signal.aborted) {
      const slot = previousSlot(schedule, clock.now())!;
      if (slot > record.slot) {
        record = { slot, pending: names };
        await store.setValue(DIGEST_RECORD_KEY, record);
      }
      const owed = this.o.outputs.filter((out) => record!.pending.includes(out.name));
      let failed = false;
      if (owed.length) {
        const made = digest(await store.listIncidents({ limit: DIGEST_INCIDENTS }), periodStart(schedule, slot), slot);
        const d: ScheduledDigest = { ...made, markdown: this.o.redact(made.markdown), slot };
        for (const out of owed) {
          try {
            await untilAborted(out.post(d), this.stopping.signal);
            record = { slot: record.slot, pending: record.pending.filter((n) => n !== out.name) };
            await store.setValue(DIGEST_RECORD_KEY, record);
            log.info(`digest: posted the digest of ${new Date(slot).toISOString()} to ${out.name} (${d.incidents} incidents)`);
          } catch (err) {
            if (this.stopping.signal.aborted) return;
            failed = true;
            log.warn(`digest: could not post to ${out.name} (${(err as Error).message}); trying again later`);
          }
        }
      }
      const untilNext = nextSlot(schedule, clock.now())! - clock.now();
      // At most an hour at a time: a host that slept (a laptop) or changed its clock is noticed soon.
      const wait = Math.min(failed ? (this.o.retryMs ?? 300_000) : untilNext, untilNext, MAX_SLEEP_MS);
      await clock.sleep(Math.max(1, wait), this.stopping.signal);
    }
  }
}

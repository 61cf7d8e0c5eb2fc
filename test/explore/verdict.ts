/**
 * The fault explorer's rule "a config-only break never waits for a human", as a pure verdict (unit-tested
 * in verdict.test.ts with synthetic incidents, so it is known to fail when it should).
 *
 * "Only the config is broken" is judged from the sequence: the explorer broke the config, and nothing else
 * of the world is broken (no squatter, no freeze, no pause, no question a person denied, for a calm 3 s),
 * and the incident has not been hit twice by a fault of the gateway's own (a kill -9 of it or of its
 * wrapper, a freeze the medic ends, a squatter's kill, each death of a flap). One such hit is a crash the
 * medic recovers from with the known-good config; a second is the gateway dying again after it came back,
 * with a valid config: a crash loop, which the medic may give to a person (the explorer's seed 342: config
 * truncated, then a gateway that exits by itself after each comeback; the medic restored the config, ran
 * the doctor twice, saw it die 0.1-0.5 s after every comeback and asked a person, correctly).
 */
import type { Flags } from './faults.js';

/** A calm this long after the last fault that is not the config's, and a wait for a human this long, before the rule holds. */
export const HUMAN_GRACE_MS = 3_000;
/** A hit while no incident is open belongs to the incident the medic opens (or reopens) within this long. */
export const HIT_LEAD_MS = 5_000;
/** Hits after which the incident is a crash loop, not a config break. */
export const HITS_FOR_CRASH_LOOP = 2;

/** The faults of the gateway's own that hit an incident, by incident id. */
export class HitLedger {
  private readonly pending: number[] = [];
  private readonly byIncident = new Map<string, number>();

  /** A fault killed (or froze, or squatted) the gateway at `at`, while `incident` was open (null: none open). */
  record(at: number, incident: string | null): void {
    if (incident === null) this.pending.push(at);
    else this.byIncident.set(incident, (this.byIncident.get(incident) ?? 0) + 1);
  }

  /** The hits counted for an incident so far (read only, for the report). */
  counted(incident: string): number {
    return this.byIncident.get(incident) ?? 0;
  }

  /** The hits of the incident open at `now`; hits made while none was open in the last HIT_LEAD_MS become its own. */
  of(incident: string, now: number): number {
    const claimed = this.pending.filter((at) => now - at <= HIT_LEAD_MS).length;
    this.pending.length = 0;
    const n = (this.byIncident.get(incident) ?? 0) + claimed;
    this.byIncident.set(incident, n);
    return n;
  }
}

export interface HumanWaitFacts {
  now: number;
  /** From /status. */
  incident: { id: string; state: string } | null;
  health: string;
  medicPaused: boolean;
  flags: Pick<Flags, 'configBroken' | 'squatter' | 'frozen' | 'paused' | 'denied' | 'calmSince'>;
  /** The hits of the gateway's own this incident has taken (HitLedger.of). */
  hits: number;
  knownGood: boolean;
}

/** True while the incident waits for a human although a known-good config exists and only the config is broken. */
export function wrongHumanWait(f: HumanWaitFacts): boolean {
  const { flags } = f;
  const inc = f.incident;
  if (inc?.state !== 'waiting_human' || flags.denied.has(inc.id) || f.health === 'up') return false;
  const configOnly =
    flags.configBroken &&
    !flags.squatter &&
    !flags.frozen &&
    !flags.paused &&
    !f.medicPaused &&
    f.now - flags.calmSince > HUMAN_GRACE_MS &&
    f.hits < HITS_FOR_CRASH_LOOP;
  return configOnly && f.knownGood;
}

/**
 * The fault explorer's invariants that hold at every moment, sampled every 250 ms while the faults run:
 * - never two gateway processes for one target (two samples in a row: a kill -9 is not instant);
 * - the pid /status shows is the gateway process whenever health is up (within 1.5 s and 8 of the medic's
 *   200 ms probes: the gateway behind a shell or wrapper is found by the supervisor's 500 ms watch, which
 *   can come after the first good probes; counting probes keeps the bound in the medic's own time, which a
 *   machine loaded to 25 on 2 cores stretches several times);
 * - when a known-good config exists and the gateway is down only because of its config (nothing else
 *   broken for 3 s: no squatter, no freeze, no pause, no question a person denied, and the gateway not hit
 *   twice in the incident: verdict.ts), the incident does not wait for a human (for more than 3 s: a new
 *   fact is seen at the next 200 ms probe).
 * It also reports how long each pid mismatch lasted (`mismatches`), for the summary of `npm run explore`.
 */
import type { MedicUnderTest } from '../e2e/harness.js';
import type { Flags } from './faults.js';
import { processesOf } from './processes.js';
import { HUMAN_GRACE_MS, wrongHumanWait } from './verdict.js';

export interface MonitorOptions {
  m: MedicUnderTest;
  port: number;
  flags: Flags;
  hasKnownGood: () => Promise<boolean>;
  violate: (what: string) => void;
}

const EVERY_MS = 250;
const PID_GRACE_MS = 1_500;
/** And that many of the medic's probes (200 ms apart): its 500 ms watch has had three turns, however loaded the machine. */
const PID_GRACE_PROBES = 8;

/** One stretch during which /status named another pid than the gateway's, health up: how long, and the medic's probes in it. */
export interface Mismatch {
  ms: number;
  probes: number;
}

export function startMonitor(o: MonitorOptions): { stop(): Promise<void>; mismatches: Mismatch[] } {
  const mismatches: Mismatch[] = [];
  let stopping = false;
  const seen = new Set<string>();
  const once = (kind: string, what: string) => {
    if (seen.has(kind)) return;
    seen.add(kind);
    o.violate(what);
  };
  let twoBefore = false;
  let mismatchSince: number | null = null;
  /** The medic's probes seen during a mismatch: its own clock, which a loaded machine slows with its watch. */
  const mismatchProbes = new Set<number>();
  let humanSince: number | null = null;
  const sample = async () => {
    const t = o.m.status();
    const procs = await processesOf(o.port);
    const gateways = procs.filter((p) => p.role === 'gateway');
    const now = Date.now();
    const two = gateways.length > 1;
    if (two && twoBefore) once('two', `${gateways.length} gateway processes for one target: ${gateways.map((p) => `${p.pid} (parent ${p.ppid})`).join(', ')}`);
    twoBefore = two;

    const mismatch = t.health === 'up' && t.process === 'running' && t.pid !== null && gateways.length === 1 && gateways[0]!.pid !== t.pid;
    if (!mismatch && mismatchSince !== null) mismatches.push({ ms: now - mismatchSince, probes: mismatchProbes.size });
    mismatchSince = mismatch ? (mismatchSince ?? now) : null;
    if (!mismatch) mismatchProbes.clear();
    else if (t.lastProbe) mismatchProbes.add(t.lastProbe.at);
    if (mismatchSince !== null && now - mismatchSince > PID_GRACE_MS && mismatchProbes.size >= PID_GRACE_PROBES) {
      const tree = procs.map((p) => `${p.pid}<-${p.ppid} ${p.role}`).join(', ');
      once('pid', `/status shows pid ${t.pid} while the gateway is pid ${gateways[0]!.pid} (for ${PID_GRACE_MS / 1000} s, health up; processes ${tree})`);
    }

    const inc = t.incident;
    // Every sample with an incident open: the ledger gives it the hits made just before it opened.
    const hits = inc ? o.flags.hits.of(inc.id, now) : 0;
    const knownGood = inc?.state === 'waiting_human' && (await o.hasKnownGood());
    const waiting = wrongHumanWait({ now, incident: inc, health: t.health, medicPaused: t.paused, flags: o.flags, hits, knownGood });
    humanSince = waiting ? (humanSince ?? now) : null;
    if (humanSince !== null && now - humanSince > HUMAN_GRACE_MS) {
      once('human', `incident ${inc!.id} waits for a human (level ${inc!.level}, ${inc!.cause}) while a known-good config exists and only the config is broken (hit ${hits} time(s) by a fault of the gateway's own)`);
    }
  };
  const loop = (async () => {
    while (!stopping) {
      await sample().catch(() => {});
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
  })();
  return {
    mismatches,
    async stop() {
      stopping = true;
      await loop;
      if (mismatchSince !== null) mismatches.push({ ms: Date.now() - mismatchSince, probes: mismatchProbes.size });
      mismatchSince = null;
    },
  };
}

/**
 * The fault explorer's invariants that hold at every moment, sampled every 250 ms while the faults run:
 * - never two gateway processes for one target (two samples in a row: a kill -9 is not instant);
 * - the pid /status shows is the gateway process whenever health is up (within 1.5 s and 8 of the medic's
 *   200 ms probes: the gateway behind a shell or wrapper is found by the supervisor's 500 ms watch, which
 *   can come after the first good probes; counting probes keeps the bound in the medic's own time, which a
 *   machine loaded to 25 on 2 cores stretches several times);
 * - when a known-good config exists and the gateway is down only because of its config (nothing else
 *   broken for 3 s: no squatter, no freeze, no pause, no question a person denied), the incident does not
 *   wait for a human (for more than 3 s: a new fact is seen at the next 200 ms probe).
 */
import type { MedicUnderTest } from '../e2e/harness.js';
import type { Flags } from './faults.js';
import { processesOf } from './processes.js';

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
const HUMAN_GRACE_MS = 3_000;

export function startMonitor(o: MonitorOptions): { stop(): Promise<void> } {
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
    mismatchSince = mismatch ? (mismatchSince ?? now) : null;
    if (!mismatch) mismatchProbes.clear();
    else if (t.lastProbe) mismatchProbes.add(t.lastProbe.at);
    if (mismatchSince !== null && now - mismatchSince > PID_GRACE_MS && mismatchProbes.size >= PID_GRACE_PROBES) {
      const tree = procs.map((p) => `${p.pid}<-${p.ppid} ${p.role}`).join(', ');
      once('pid', `/status shows pid ${t.pid} while the gateway is pid ${gateways[0]!.pid} (for ${PID_GRACE_MS / 1000} s, health up; processes ${tree})`);
    }

    const f = o.flags;
    const inc = t.incident;
    const configOnly = f.configBroken && !f.squatter && !f.frozen && !f.paused && !t.paused && now - f.calmSince > HUMAN_GRACE_MS;
    const waiting = inc?.state === 'waiting_human' && !f.denied.has(inc.id) && t.health !== 'up' && configOnly && (await o.hasKnownGood());
    humanSince = waiting ? (humanSince ?? now) : null;
    if (humanSince !== null && now - humanSince > HUMAN_GRACE_MS) {
      once('human', `incident ${inc!.id} waits for a human (level ${inc!.level}, ${inc!.cause}) while a known-good config exists and only the config is broken`);
    }
  };
  const loop = (async () => {
    while (!stopping) {
      await sample().catch(() => {});
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

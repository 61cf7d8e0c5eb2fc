/**
 * A randomized fault explorer (issue 10): the real medic (in-process, real adapters) against the
 * demo gateway started as a user writes it (a plain command line, no `exec`; by seed, directly, through
 * a wrapper that stays as its parent, or one that setsid's it away), with faults drawn from a seed at
 * random times (faults.ts): kill -9 of the gateway or of a wrapper around it, a flapping gateway,
 * SIGSTOP/SIGCONT, the config corrupted in each known way, deleted and restored, the port squatted and
 * freed, an operator's pause/resume, recover, abort and answer. A monitor checks the invariants all along
 * (monitor.ts); after the faults the explorer heals the world (good config back, squatter gone, resumed)
 * and checks the end state. A failing seed throws with the whole sequence; the same seed replays it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { plainGatewayCommand, waitFor, type CommandShape } from '../fixtures/gateways.js';
import { E2eWorld } from '../e2e/harness.js';
import { applyFault, GOOD, type FaultWorld } from './faults.js';
import { startMonitor } from './monitor.js';
import { killLeftover, processesOf } from './processes.js';
import { plan, type Step } from './plan.js';
import { HitLedger } from './verdict.js';
import type { Mismatch } from './monitor.js';

export { plan, prng, type Fault, type Step } from './plan.js';

/** How the gateway's command line is written, by seed: plain, through a wrapper that stays, or one that setsid's the gateway away. */
const SHAPES: CommandShape[] = ['plain', 'wrapper', 'setsid'];
export const shapeOf = (seed: number): CommandShape => SHAPES[seed % SHAPES.length]!;

export interface Outcome {
  seed: number;
  steps: Step[];
  violations: string[];
  /** What happened, for a failing seed's report. */
  trace: string[];
  /** How long each pid mismatch of /status lasted (health up, another pid than the gateway's). */
  mismatches: Mismatch[];
  /** How many steps of `steps` were applied (all of them unless the run threw). */
  applied: number;
  /** The run threw: the error in one line (the seed failed, like one whose invariant fails). */
  error: string | null;
}

/** An error in one line: its name and message, never a stack. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/\s*\n\s*/g, ' | ').slice(0, 500);
}

export async function explore(seed: number, steps = 4): Promise<Outcome> {
  const world = new E2eWorld();
  const sequence = plan(seed, steps);
  const trace: string[] = [`command shape: ${shapeOf(seed)}`];
  const violations: string[] = [];
  let mismatches: Mismatch[] = [];
  let applied = 0;
  let error: string | null = null;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let fw: FaultWorld | null = null;
  let monitor: ReturnType<typeof startMonitor> | null = null;
  try {
    const setup = await world.envFor({ mode: 'ok' });
    setup.env.GATEWAY_COMMAND = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath }, shapeOf(seed));
    const m = await world.startWith(setup);
    const t0 = Date.now();
    const note = (what: string) => trace.push(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    const knownGoodDir = join(setup.env.MEDIC_DATA_DIR!, 'targets', 'gw', 'known-good');
    fw = {
      m,
      dog: m.running.medic.target('gw'),
      port: setup.gatewayPort,
      configPath: setup.configPath,
      janitor: world.janitor,
      note,
      flags: { configBroken: false, squatter: null, frozen: false, paused: false, denied: new Set(), calmSince: Date.now(), hits: new HitLedger() },
    };
    await m.waitStatus('healthy at first', (t) => t.health === 'up' && t.incident === null);
    monitor = startMonitor({
      m,
      port: setup.gatewayPort,
      flags: fw.flags,
      hasKnownGood: async () => (await readdir(knownGoodDir).catch(() => [])).length > 0,
      violate: (what) => {
        note(`VIOLATION ${what}`);
        violations.push(what);
        trace.push('  medic log then (last 15 entries):');
        for (const e of m.log.entries.slice(-15)) trace.push(`    ${e.level} ${e.msg}${e.fields ? ` ${JSON.stringify(e.fields).slice(0, 200)}` : ''}`);
      },
    });
    for (const s of sequence) {
      await sleep(s.afterMs);
      await applyFault(fw, s);
      applied += 1;
    }
    // Heal the world: everything a person would put right.
    note('heal: good config back, squatter gone, resumed');
    fw.flags.squatter?.kill('SIGKILL');
    fw.flags.squatter = null;
    await GOOD.write(fw);
    if (m.status().paused) await fw.dog.resume('explorer').catch(() => {});
    fw.flags.paused = false;
    // A config restored by hand is a new fact: the medic must come back without a person acting in Discord.
    // Settled: healthy, the pid /status shows is the one gateway process, no incident open (in /status or the
    // store), the same twice 1 s apart. Waited for, not sampled: on a loaded machine the medic's reaction to
    // the last fault (a freeze's failed probes, a wrapper's death) can come a few seconds late.
    const consistent = async () => {
      const t = m.status();
      if (t.health !== 'up' || t.incident !== null || t.process !== 'running') return null;
      const gws = (await processesOf(setup.gatewayPort)).filter((p) => p.role === 'gateway');
      if (gws.length !== 1 || gws[0]!.pid !== t.pid) return null;
      const incidents = await m.incidents();
      return incidents.some((i) => i.state !== 'resolved' && i.state !== 'aborted') ? null : { ...t, incidents };
    };
    const settled = await waitFor(async () => {
      const a = await consistent();
      if (!a) return null;
      await sleep(1_000);
      const b = await consistent();
      return b?.pid === a.pid ? b : null;
    }, { timeoutMs: 60_000, what: 'healthy, its pid the gateway process, no incident open, after the world healed' }).catch(async (err: Error) => {
      const gws = (await processesOf(setup.gatewayPort)).map((p) => `${p.pid}<-${p.ppid} ${p.role}`).join(', ') || 'none';
      violations.push(`${err.message}; processes: ${gws}; status: ${JSON.stringify({ ...m.status(), lastProbe: undefined, recentOutput: undefined })}`);
      return null;
    });
    note(settled ? `settled healthy (pid ${settled.pid})` : 'never settled');
    await monitor.stop();
    mismatches = monitor.mismatches;
    monitor = null;
    // The incidents of the sequence: as they stood when the medic settled (settled or not, every one). A
    // machine loaded to 30 can time out a probe of the healthy gateway afterwards (150 ms), and the medic's
    // level 1 restart for it is not part of the sequence.
    for (const incident of settled?.incidents ?? (await m.incidents())) {
      const { timeline } = await m.incident(incident.id);
      if (incident.state !== 'resolved' && incident.state !== 'aborted') violations.push(`incident ${incident.id} ended ${incident.state}`);
      else if (!incident.outcome?.trim()) violations.push(`incident ${incident.id} ended ${incident.state} with no stated reason`);
      const lines = timeline.map((r) => r.text);
      lines.forEach((l, k) => {
        if (k > 0 && lines[k - 1] === l) violations.push(`incident ${incident.id}: repeated timeline line "${l}"`);
      });
      trace.push(`  ${incident.id}: ${incident.state} at level ${incident.maxLevel} (${incident.outcome ?? ''}); ${lines.length} lines; hit ${fw.flags.hits.counted(incident.id)} time(s) by a fault of the gateway's own`);
    }
    await m.running.stop();
    // Nothing of ours once the medic has stopped: no gateway, no shell or wrapper that starts one.
    const left = await waitFor(async () => ((await processesOf(setup.gatewayPort)).length === 0 ? 'none' : null), { timeoutMs: 5_000 }).catch(() => null);
    if (!left) {
      for (const p of await processesOf(setup.gatewayPort)) {
        violations.push(`after the medic stopped, pid ${p.pid} is still alive: ${p.command}`);
        killLeftover(p.pid);
      }
    }
    if (violations.length) {
      // The medic's own account of the last moments, for the report.
      trace.push('medic log (last 40 entries):');
      for (const e of m.log.entries.slice(-40)) trace.push(`    ${e.level} ${e.msg}${e.fields ? ` ${JSON.stringify(e.fields).slice(0, 200)}` : ''}`);
    }
  } catch (err) {
    // A run that throws (a fault that could not be applied, a medic that did not start) fails its seed with
    // what it did so far, not with a bare stack.
    error = oneLine(err);
    violations.push(`the run threw after ${applied} of ${sequence.length} steps: ${error}`);
  } finally {
    await monitor?.stop();
    fw?.flags.squatter?.kill('SIGKILL');
    await world.cleanup();
  }
  return { seed, steps: sequence, violations, trace, mismatches, applied, error };
}

/** The report of a failing seed: its sequence, what happened, and how to replay it. */
export function report(o: Outcome): string {
  return [
    `in-process seed ${o.seed} failed (replay: npm run explore -- --world inproc --seed ${o.seed})`,
    ...describeSteps(o.steps, o.error === null ? o.steps.length : o.applied),
    ...o.trace,
    ...o.violations.map((v) => `  VIOLATION: ${v}`),
  ].join('\n');
}

/** The sequence, each step marked when the run threw before it was applied (`applied` of them were). */
export function describeSteps(steps: Step[], applied: number): string[] {
  return steps.map(
    (s, i) => `  step ${i + 1}: wait ${s.afterMs} ms, ${s.fault} (hold ${s.holdMs} ms, pick ${s.pick})${i < applied ? '' : i === applied ? ' <- the run threw during or before this step' : ' (not reached)'}`,
  );
}

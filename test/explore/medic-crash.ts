/**
 * The fault explorer's second world (issue 10): the medic itself is killed with -9 at random moments.
 * The real `clawmedic run` as a child process (built dist/), the demo gateway started by a plain command
 * line (shape by seed), faults from a seed: kill -9 of the gateway, kill -9 of the medic (then a new medic
 * on the same data dir), the config corrupted and restored. Invariants: whatever the API reported as
 * stored before a kill -9 (incidents, their timelines, audit entries) is still there after it; never two
 * gateways on the port; the pid the medic reports is the listener; every incident ends resolved or
 * aborted once the world is healed; nothing of the gateway's is left after the last medic stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isAlive, plainGatewayCommand, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from '../e2e/harness.js';
import { prng, shapeOf } from './explorer.js';
import { CORRUPTIONS } from './faults.js';
import { variant } from './plan.js';
import { killLeftover, processesOf, wrappersOf } from './processes.js';

export type CrashFault = 'kill-gateway' | 'kill-wrapper' | 'kill-medic' | 'kill-both' | 'corrupt-config' | 'restore-config';
const FAULTS: CrashFault[] = ['kill-gateway', 'kill-wrapper', 'kill-medic', 'kill-both', 'corrupt-config', 'restore-config'];

export interface CrashStep {
  afterMs: number;
  fault: CrashFault;
  /** 0-999: which variant (the corruption, the wrapper). */
  pick: number;
}

export function crashPlan(seed: number, steps = 4): CrashStep[] {
  const r = prng(seed ^ 0x5eed);
  // At least one kill -9 of the medic in every sequence: it is what this world is for.
  const out = Array.from({ length: steps }, () => ({ afterMs: 200 + Math.floor(r() * 2_000), fault: FAULTS[Math.floor(r() * FAULTS.length)]!, pick: Math.floor(r() * 1_000) }));
  if (!out.some((s) => s.fault === 'kill-medic' || s.fault === 'kill-both')) out[Math.floor(r() * steps)]!.fault = 'kill-medic';
  return out;
}

/** How long a medic may take to start and answer: a bound for a machine loaded far past its cores, not a goal. */
const MEDIC_START_MS = 90_000;
const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
const GOOD = (port: number) => JSON.stringify({ gateway: { mode: 'local', port } }, null, 2);

interface Stored {
  incidents: Map<string, string[]>;
  audit: string[];
}

export interface CrashOutcome {
  seed: number;
  steps: CrashStep[];
  violations: string[];
  trace: string[];
}

export async function exploreMedicCrash(seed: number, steps = 4): Promise<CrashOutcome> {
  const world = new E2eWorld();
  const sequence = crashPlan(seed, steps);
  const trace: string[] = [`command shape: ${shapeOf(seed)}`];
  const violations: string[] = [];
  const violate = (what: string) => violations.push(what);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const seen = new Set<number>();
  let medic: ChildProcess | null = null;
  let output = '';
  try {
    const setup = await world.envFor({ mode: 'ok' });
    setup.env.GATEWAY_COMMAND = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath }, shapeOf(seed));
    const t0 = Date.now();
    const note = (what: string) => trace.push(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    const startMedic = () => {
      const child = spawn(process.execPath, [BIN, 'run'], { env: setup.env, stdio: ['ignore', 'pipe', 'pipe'] });
      world.janitor.track(child.pid);
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      note(`medic started (pid ${child.pid})`);
      return child;
    };
    const api = async (path: string): Promise<any> => {
      const res = await fetch(`http://127.0.0.1:${setup.apiPort}${path}`);
      return res.json();
    };
    const status = async (): Promise<any | null> => {
      const body = await api('/status').catch(() => null);
      const t = body?.targets?.[0] ?? null;
      if (t?.pid) {
        seen.add(t.pid);
        world.janitor.track(t.pid);
      }
      return t;
    };
    /** What the API reports as stored: every incident's timeline and the audit log. */
    const stored = async (): Promise<Stored | null> => {
      try {
        const list = (await api('/incidents?limit=500')).incidents as { id: string }[];
        const incidents = new Map<string, string[]>();
        for (const inc of list) incidents.set(inc.id, ((await api(`/incidents/${encodeURIComponent(inc.id)}`)).timeline as { text: string }[]).map((r) => r.text));
        const audit = ((await api('/audit?limit=1000')).audit as { at: number; text?: string; action?: string }[]).map((a) => JSON.stringify(a));
        return { incidents, audit };
      } catch {
        return null; // the medic is between lives
      }
    };
    /** Never two gateway processes for one target (twice 250 ms apart: a kill -9 is not instant). */
    const checkListeners = async (when: string) => {
      const two = async () => {
        const gws = (await processesOf(setup.gatewayPort)).filter((p) => p.role === 'gateway');
        return gws.length > 1 ? gws : null;
      };
      if (!(await two())) return;
      await sleep(250);
      const still = await two();
      if (still) violate(`${when}: ${still.length} gateway processes for one target (${still.map((p) => `${p.pid}, parent ${p.ppid}`).join('; ')})`);
    };
    /** Kill -9 of the medic, then a new one on the same data dir: what was stored before is still there. */
    const killMedic = async (alsoGateway: boolean) => {
      const before = await stored();
      const gw = (await status())?.pid ?? null;
      if (alsoGateway && gw !== null && isAlive(gw)) process.kill(gw, 'SIGKILL');
      medic!.kill('SIGKILL');
      await waitFor(() => !isAlive(medic!.pid!), { what: 'the medic to die' });
      note(`medic killed -9${alsoGateway ? ` with the gateway (pid ${gw ?? '-'})` : ''}`);
      medic = startMedic();
      // A medic's start (Node, dist/, sqlite) took over 30 s at load 36-38 on 2 cores (seeds 366, 380 of a 500-seed run).
      const after = await waitFor(stored, { timeoutMs: MEDIC_START_MS, what: 'the new medic to answer' });
      for (const [id, lines] of before?.incidents ?? []) {
        const now = after.incidents.get(id);
        if (!now) violate(`incident ${id} reported before the medic's kill -9 is gone after it`);
        else if (lines.some((l, k) => now[k] !== l)) violate(`incident ${id}: its timeline before the kill -9 is not a prefix of the one after`);
      }
      const audit = new Set(after.audit);
      for (const a of before?.audit ?? []) if (!audit.has(a)) violate(`audit entry ${a} reported before the medic's kill -9 is gone after it`);
    };

    medic = startMedic();
    await waitFor(async () => ((await status())?.health === 'up' ? true : null), { timeoutMs: MEDIC_START_MS, what: 'healthy at first' });
    for (const [i, s] of sequence.entries()) {
      await sleep(s.afterMs);
      await checkListeners(`before step ${i + 1}`);
      const pid = (await status())?.pid ?? null;
      note(`${s.fault} (gateway pid ${pid ?? '-'})`);
      switch (s.fault) {
        case 'kill-gateway':
          if (pid !== null && isAlive(pid)) process.kill(pid, 'SIGKILL');
          break;
        case 'kill-wrapper': {
          // The shell or wrapper between the medic and the gateway.
          const around = pid === null ? [] : await wrappersOf(pid, setup.gatewayPort);
          const victim = around[variant(s.pick, Math.max(1, around.length))];
          note(`  wrappers ${around.join(', ') || 'none'}; killing ${victim ?? 'none'}`);
          if (victim !== undefined && isAlive(victim)) process.kill(victim, 'SIGKILL');
          break;
        }
        case 'kill-medic':
        case 'kill-both':
          await killMedic(s.fault === 'kill-both');
          break;
        case 'corrupt-config': {
          const c = CORRUPTIONS[variant(s.pick, CORRUPTIONS.length)]!;
          note(`  ${c.name}`);
          await writeFile(setup.configPath, c.text(setup.gatewayPort));
          break;
        }
        case 'restore-config':
          await writeFile(setup.configPath, GOOD(setup.gatewayPort));
          break;
      }
      await checkListeners(`after step ${i + 1}`);
    }
    note('heal: good config back');
    await writeFile(setup.configPath, GOOD(setup.gatewayPort));
    // Settled: healthy, the pid the API shows is the one gateway process, no incident open, the same twice 1 s
    // apart. Waited for, not sampled: a loaded machine can make the medic's reaction come a few seconds late.
    const consistent = async () => {
      const t = await status();
      if (t?.health !== 'up' || t.incident !== null || t.process !== 'running') return null;
      const gws = (await processesOf(setup.gatewayPort)).filter((p) => p.role === 'gateway');
      if (gws.length !== 1 || gws[0]!.pid !== t.pid) return null;
      const list = ((await api('/incidents?limit=500').catch(() => null))?.incidents ?? null) as { state: string }[] | null;
      return list && list.every((i) => i.state === 'resolved' || i.state === 'aborted') ? t : null;
    };
    const settled = await waitFor(async () => {
      const a = await consistent();
      if (!a) return null;
      await sleep(1_000);
      const b = await consistent();
      return b?.pid === a.pid ? b : null;
    }, { timeoutMs: 60_000, what: 'healthy, its pid the gateway process, no incident open, after the world healed' }).catch(async (err: Error) => {
      const procs = (await processesOf(setup.gatewayPort)).map((p) => `${p.pid}<-${p.ppid} ${p.role}`).join(', ') || 'none';
      violate(`${err.message}; processes: ${procs}; status: ${JSON.stringify(await status())}`);
      return null;
    });
    note(settled ? `settled healthy (pid ${settled.pid})` : 'never settled');
    for (const inc of ((await api('/incidents?limit=500').catch(() => ({ incidents: [] }))).incidents as { id: string; state: string; maxLevel: number }[])) {
      if (inc.state !== 'resolved' && inc.state !== 'aborted') violate(`incident ${inc.id} ended ${inc.state}`);
      trace.push(`  ${inc.id}: ${inc.state} at level ${inc.maxLevel}`);
    }
    medic.kill('SIGTERM');
    await waitFor(() => !isAlive(medic!.pid!), { timeoutMs: 15_000, what: 'the medic to stop' }).catch(() => violate('the medic did not stop on SIGTERM'));
    // Nothing of ours once the last medic has stopped: no gateway, no shell or wrapper that starts one.
    const gone = await waitFor(async () => ((await processesOf(setup.gatewayPort)).length === 0 ? 'none' : null), { timeoutMs: 5_000 }).catch(() => null);
    if (!gone) {
      for (const p of await processesOf(setup.gatewayPort)) {
        violate(`after the medic stopped, pid ${p.pid} is still alive: ${p.command}`);
        killLeftover(p.pid);
      }
    }
    for (const pid of seen) if (isAlive(pid)) violate(`pid ${pid} of a gateway run is still alive after the medic stopped`);
  } finally {
    if (violations.length) trace.push('medic output (last 3000 chars):', output.slice(-3000));
    await world.cleanup();
  }
  return { seed, steps: sequence, violations, trace };
}

export function crashReport(o: CrashOutcome): string {
  return [
    `medic-crash seed ${o.seed} failed (replay: npm run explore -- --world crash --seed ${o.seed})`,
    ...o.steps.map((s, i) => `  step ${i + 1}: wait ${s.afterMs} ms, ${s.fault} (pick ${s.pick})`),
    ...o.trace,
    ...o.violations.map((v) => `  VIOLATION: ${v}`),
  ].join('\n');
}

/**
 * The watchdog around the ladder, with a simulated clock and fakes typed as the ports: the
 * queue, the probe loop, the effects, the outbox (redacted once, stored, emitted) and the
 * operators' requests taking their turn in the queue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestRejectedError } from '../../../src/errors.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import { DefaultLadderOptions } from '../../../src/recovery/ladder/index.js';
import type { Clock, GatewayProcess, GatewayRepairs, HealthProbe, IncidentWithTimeline, Logger, Store } from '../../../src/recovery/ports.js';
import { Redactor } from '../../../src/lib/redact.js';
import type { Diagnosis, ExitInfo, Incident, LadderRecord, ProbeResult, RepairStep, TargetState } from '../../../src/recovery/types.js';
import { TargetWatchdog } from '../../../src/recovery/watchdog/index.js';
import { settle, SimClock } from '../../fixtures/sim-clock.js';

const T0 = 1_700_000_000_000;
const SECRET = 'sk-ant-api03-secret-value-0123456789';

class FakeGateway implements GatewayProcess {
  readonly supervised = true;
  running = false;
  starts = 0;
  /** Each start exits at once with this code (a gateway that cannot stay up). */
  crashOnStart: ExitInfo['hint'] | 'plain' | null = null;
  output: string[] = ['gateway listening on 127.0.0.1:18789'];
  private listener: ((exit: ExitInfo) => void) | null = null;

  constructor(private readonly clock: Clock) {}

  async adoptOrClear(): Promise<number | null> {
    return null;
  }

  async start(): Promise<number | null> {
    this.starts += 1;
    const hint = this.crashOnStart;
    // One that crashes at once never answers a probe.
    this.running = !hint;
    if (hint) setImmediate(() => this.crash(hint === 'config' ? 78 : 1, hint === 'plain' ? null : hint));
    return 100 + this.starts;
  }

  async stop(): Promise<boolean> {
    if (!this.running) return false;
    this.crash(null, null, 'SIGTERM');
    return true;
  }

  crash(code: number | null, hint: ExitInfo['hint'] = null, signal: string | null = null): void {
    this.running = false;
    this.listener?.({ code, signal, at: this.clock.now(), hint });
  }

  onExit(listener: (exit: ExitInfo) => void): void {
    this.listener = listener;
  }

  onServing(): void {}

  recentOutput(lines = 30): string[] {
    return this.output.slice(-lines);
  }

  async close(): Promise<void> {}
}

class FakeProbe implements HealthProbe {
  constructor(
    private readonly gateway: FakeGateway,
    private readonly clock: Clock,
  ) {}

  async check(): Promise<ProbeResult> {
    const ok = this.gateway.running;
    return { ok, at: this.clock.now(), latencyMs: 5, status: ok ? 200 : null, error: ok ? null : 'ECONNREFUSED' };
  }
}

class FakeRepairs implements GatewayRepairs {
  readonly runs: RepairStep[] = [];
  diagnosis: Diagnosis = { config: { ok: false, error: 'gateway.mode: missing' }, lastKnownGood: { available: false, differs: false }, portHolder: null };

  async diagnose(): Promise<Diagnosis> {
    return this.diagnosis;
  }
  async run(step: RepairStep): Promise<{ ok: boolean; detail: string }> {
    this.runs.push(step);
    return { ok: false, detail: 'exit 1' };
  }
  async captureConfig(): Promise<string | null> {
    return null;
  }
  async doctorInstalled(): Promise<boolean> {
    return true;
  }
  async snapshotConfig(): Promise<boolean> {
    return false;
  }
  async configDrift(): Promise<null> {
    return null;
  }
}

class FakeStore implements Store {
  target: TargetState | undefined;
  readonly incidents = new Map<string, Incident>();
  readonly records: LadderRecord[] = [];

  async loadTarget(): Promise<TargetState | undefined> {
    return this.target;
  }
  async saveTarget(state: TargetState): Promise<void> {
    this.target = structuredClone(state);
  }
  async saveIncident(incident: Incident): Promise<void> {
    this.incidents.set(incident.id, structuredClone(incident));
  }
  async appendRecord(record: LadderRecord): Promise<void> {
    this.records.push(record);
  }
  async getIncident(id: string): Promise<IncidentWithTimeline | undefined> {
    const incident = this.incidents.get(id);
    return incident && { incident, timeline: this.records.filter((r) => r.incidentId === id) };
  }
  async listIncidents(): Promise<Incident[]> {
    return [...this.incidents.values()].reverse();
  }
  async listAudit(): Promise<LadderRecord[]> {
    return this.records.filter((r) => r.kind === 'operator').reverse();
  }
  async getValue<T>(): Promise<T | undefined> {
    return undefined;
  }
  async setValue(): Promise<void> {}
  async close(): Promise<void> {}
}

class CapturedLog implements Logger {
  readonly lines: { level: string; msg: string }[] = [];
  debug = (msg: string) => void this.lines.push({ level: 'debug', msg });
  info = (msg: string) => void this.lines.push({ level: 'info', msg });
  warn = (msg: string) => void this.lines.push({ level: 'warn', msg });
  error = (msg: string) => void this.lines.push({ level: 'error', msg });
}

function world() {
  const clock = new SimClock(T0);
  const gateway = new FakeGateway(clock);
  const repairs = new FakeRepairs();
  const store = new FakeStore();
  const log = new CapturedLog();
  const events = new MedicEvents();
  const emitted: { name: string; payload: unknown }[] = [];
  for (const name of ['record', 'incident', 'human', 'approval', 'approval-closed'] as const) {
    events.on(name, (payload: unknown) => emitted.push({ name, payload }));
  }
  const dog = new TargetWatchdog({
    name: 'gw',
    ladder: DefaultLadderOptions,
    probeIntervalMs: 1_000,
    probe: new FakeProbe(gateway, clock),
    gateway,
    repairs,
    store,
    clock,
    log,
    events,
    redactor: new Redactor([SECRET]),
    random: () => 0.5,
  });
  running.push(dog);
  return { clock, gateway, repairs, store, log, events, emitted, dog };
}

const running: TargetWatchdog[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dog) => dog.stop(true)));
});

async function healthy() {
  const w = world();
  await w.dog.start();
  await w.clock.advance(3_000);
  expect(w.dog.status()).toMatchObject({ phase: 'healthy', health: 'up', process: 'running', pid: 101 });
  return w;
}

describe('TargetWatchdog', () => {
  it('the pid shown once health is up is the listener, not the wrapper shell: the first good probe looks for it first', async () => {
    // A plain GATEWAY_COMMAND: the spawned pid (101) is /bin/sh; the gateway listening is its child (5001). The
    // periodic look for the listener comes every 500 ms; the first good probe may come before it.
    class WrappedGateway extends FakeGateway {
      looks = 0;
      private servingListener: ((pid: number, listens: boolean) => void) | null = null;
      override onServing(listener?: (pid: number, listens: boolean) => void): void {
        this.servingListener = listener ?? null;
      }
      async lookForServing(): Promise<void> {
        this.looks += 1;
        this.servingListener?.(5001, true);
      }
    }
    const w = world();
    const gateway = new WrappedGateway(w.clock);
    const saved: { health: string; pid: number | null }[] = [];
    const store = new FakeStore();
    const save = store.saveTarget.bind(store);
    store.saveTarget = async (state) => {
      saved.push({ health: state.health, pid: state.process.pid });
      await save(state);
    };
    const dog = new TargetWatchdog({
      name: 'gw',
      ladder: DefaultLadderOptions,
      probeIntervalMs: 1_000,
      probe: new FakeProbe(gateway, w.clock),
      gateway,
      repairs: w.repairs,
      store,
      clock: w.clock,
      log: w.log,
      events: w.events,
      redactor: new Redactor([]),
      random: () => 0.5,
    });
    running.push(dog);
    await dog.start();
    await w.clock.advance(3_000);
    expect(dog.status()).toMatchObject({ health: 'up', pid: 5001 });
    expect(saved.filter((x) => x.health === 'up').map((x) => x.pid)).not.toContain(101);
    expect(gateway.looks).toBe(1); // only the first answer of the run looks; the periodic watch does the rest
  });

  it('starts the gateway at boot and calls it healthy after two good probes', async () => {
    const w = await healthy();
    expect(w.gateway.starts).toBe(1);
    expect(w.store.target?.health).toBe('up');
    expect(w.store.incidents.size).toBe(0);
  });

  it('restarts a gateway that died and closes the incident; the store has it before anyone hears of it', async () => {
    const w = await healthy();
    w.gateway.crash(1);
    await w.clock.advance(3_000);
    expect(w.gateway.starts).toBe(2);
    expect(w.dog.status()).toMatchObject({ phase: 'healthy', pid: 102, incident: null });
    expect([...w.store.incidents.values()]).toMatchObject([{ id: 'gw-1', state: 'resolved', outcome: '1 restart' }]);
    const stored = w.store.records.map((r) => r.text);
    const heard = w.emitted.filter((e) => e.name === 'record').map((e) => (e.payload as LadderRecord).text);
    expect(heard).toEqual(stored);
    expect(stored).toEqual([
      'gateway down',
      'gateway exited with code 1',
      'gateway started (pid 102)',
      'healthy again (5 ms)',
      'resolved after 2.0 s at level 0 (1 restart)', // two good probes, 1 s apart
    ]);
  });

  it('waits out the restart backoff on the clock, not in a loop', async () => {
    const w = world();
    w.gateway.crashOnStart = 'plain';
    await w.dog.start();
    await w.clock.advance(0);
    // Never healthy: the first exit restarts at once, the second waits 1 s (backoff attempt 1).
    expect(w.gateway.starts).toBe(2);
    expect(w.dog.status().restartAt).toBe(T0 + 1_000);
    await w.clock.advance(999);
    expect(w.gateway.starts).toBe(2);
    await w.clock.advance(1);
    expect(w.gateway.starts).toBe(3);
    expect(w.dog.status()).toMatchObject({ phase: 'restarting', restartAt: T0 + 1_000 + 2_000 });
  });

  it('goes to a human when level 2 has nothing left; the gateway output goes out redacted, once', async () => {
    const w = world();
    w.gateway.output = ['loading config', `auth failed for token ${SECRET}`];
    w.gateway.crashOnStart = 'config';
    await w.dog.start();
    await w.clock.advance(0);
    expect(w.repairs.runs).toEqual(['doctor', 'doctor']);
    expect(w.dog.status()).toMatchObject({ phase: 'waiting-for-human', incident: { level: 4, state: 'waiting_human' } });
    const last = w.store.records.find((r) => r.text.startsWith('last gateway output'));
    expect(last?.text).toBe('last gateway output:\nloading config\nauth failed for token [REDACTED]');
    const human = w.emitted.find((e) => e.name === 'human')?.payload as { output: string[] };
    expect(human.output).toEqual(['loading config', 'auth failed for token [REDACTED]']);
    const everything = JSON.stringify({ records: w.store.records, incidents: [...w.store.incidents.values()], emitted: w.emitted, log: w.log.lines });
    expect(everything).not.toContain(SECRET);
    expect(w.dog.recentOutput()).toEqual(['loading config', 'auth failed for token [REDACTED]']);
  });

  describe('operator requests take their turn in the queue', () => {
    it('a resume sent right behind a pause sees the pause', async () => {
      const w = await healthy();
      await Promise.all([w.dog.pause('alice', null), w.dog.resume('alice')]);
      expect(w.store.records.filter((r) => r.kind === 'operator').map((r) => r.text)).toEqual([
        'alice paused automatic actions until resumed',
        'alice resumed automatic actions',
      ]);
      expect(w.dog.status()).toMatchObject({ phase: 'healthy', paused: false });
    });

    it('a recovery behind an exit that started a restart is refused as busy', async () => {
      const w = await healthy();
      w.gateway.running = false;
      const exit = w.dog.dispatch({ type: 'ProcessExited', exit: { code: 1, signal: null, at: w.clock.now(), hint: null } });
      const recover = w.dog.recover(1, 'alice', null);
      await exit;
      await expect(recover).rejects.toThrow(new RequestRejectedError('busy: start is in progress; try again when it finishes'));
      await w.clock.advance(3_000);
      expect(w.dog.status().phase).toBe('healthy');
    });

    it('refuses what cannot be done, says why, and changes nothing', async () => {
      const w = await healthy();
      const before = w.store.records.length;
      await expect(w.dog.resume('bob')).rejects.toThrow('gw is not paused');
      await expect(w.dog.abort('bob', null)).rejects.toThrow('gw has no open incident to abort');
      await expect(w.dog.decide(null, true, 'bob')).rejects.toThrow('gw has no question waiting for an answer');
      await expect(w.dog.recover(3, 'bob', null)).rejects.toThrow(/^level 3 \(AI agent\) is off/);
      expect(w.store.records.length).toBe(before);
      expect(w.log.lines.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('an abort ends the incident and pauses; it resolves with the incident id', async () => {
      const w = await healthy();
      w.gateway.crashOnStart = 'plain';
      w.gateway.crash(1);
      await w.clock.advance(0);
      expect(await w.dog.abort('alice', 'working on it')).toBe('gw-1');
      expect(w.dog.status()).toMatchObject({ phase: 'paused', paused: true, incident: null });
      expect(w.store.incidents.get('gw-1')).toMatchObject({ state: 'aborted', outcome: 'aborted by alice' });
    });
  });
});

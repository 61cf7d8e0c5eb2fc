/**
 * A tiny driver for the pure ladder: it holds the state, a simulated `now`, a fixed
 * `random` and the options, feeds one event at a time and keeps what came out.
 * Every state handed to `step` is deep-frozen first, so any test that drives the
 * ladder through the harness also checks that `step` never mutates its input.
 */
import { DefaultLadderOptions, initialState, nextWakeAt, step, type LadderOptions } from '../../../src/recovery/ladder/index.js';
import type {
  Diagnosis,
  ExitInfo,
  Incident,
  LadderAction,
  LadderEvent,
  LadderRecord,
  Level,
  PortHolder,
  ProbeResult,
  RecordKind,
  RepairStep,
  TargetState,
} from '../../../src/recovery/types.js';

export const TARGET = 'gw';
/** The simulated clock starts here, far from 0 so that `now - 0` bugs show. */
export const T0 = 1_700_000_000_000;

export interface HarnessInit {
  target?: string;
  now?: number;
  /** Jitter source; 0.5 makes the default backoff exact (factor 1.0). */
  random?: number;
  options?: Partial<LadderOptions>;
  state?: TargetState;
}

export class LadderHarness {
  state: TargetState;
  now: number;
  random: number;
  readonly options: LadderOptions;
  /** Every action the ladder emitted since the harness was made, in order. */
  readonly log: LadderAction[] = [];

  constructor(init: HarnessInit = {}) {
    this.state = init.state ?? initialState(init.target ?? TARGET);
    this.now = init.now ?? T0;
    this.random = init.random ?? 0.5;
    this.options = { ...DefaultLadderOptions, ...init.options };
  }

  /** Applies one event at the current time; returns its actions and keeps the new state. */
  send(event: LadderEvent): LadderAction[] {
    const input = deepFreeze(this.state);
    const { state, actions } = step(input, event, { now: this.now, random: this.random, options: this.options });
    this.state = state;
    this.log.push(...actions);
    return actions;
  }

  /** Applies events in order; returns all their actions. */
  sendAll(...events: LadderEvent[]): LadderAction[] {
    return events.flatMap((e) => this.send(e));
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  /** Moves the clock to an absolute time (never backwards). */
  advanceTo(at: number): this {
    if (at < this.now) throw new Error(`advanceTo(${at}) is before now (${this.now})`);
    this.now = at;
    return this;
  }

  /** Advances then sends, the usual rhythm of a probe loop. */
  after(ms: number, event: LadderEvent): LadderAction[] {
    this.advance(ms);
    return this.send(event);
  }

  /** `count` probes, one every `everyMs` (the first after `everyMs`); returns all actions. */
  probes(count: number, event: LadderEvent, everyMs = 5_000): LadderAction[] {
    const out: LadderAction[] = [];
    for (let i = 0; i < count; i++) out.push(...this.after(everyMs, event));
    return out;
  }

  get incident(): Incident | null {
    return this.state.incident;
  }

  /** The open incident; fails the test when there is none. */
  get openIncident(): Incident {
    const inc = this.state.incident;
    if (!inc) throw new Error('expected an open incident');
    return inc;
  }

  nextWakeAt(): number | null {
    return nextWakeAt(this.state);
  }

  /** Boot, start and answer `recoveryThreshold` probes: a healthy supervised gateway with `pid`. */
  bootHealthy(pid = 100): LadderAction[] {
    const out = this.send(boot());
    out.push(...this.send(started(pid)));
    out.push(...this.probes(this.options.recoveryThreshold, probeOk()));
    return out;
  }
}

// ---- scenarios ---------------------------------------------------------------

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`scenario went off course: ${what}`);
}

/** A gateway that exits 78 one second after its start: level 2, Diagnose in flight. */
export function badConfig(h = new LadderHarness()): LadderHarness {
  h.send(boot());
  h.send(started(100));
  h.after(1_000, exited({ code: 78, hint: 'config' }));
  must(h.state.pending?.work === 'diagnose', 'exit 78 should diagnose');
  return h;
}

/** From `badConfig`, two failed doctors, then level 4 ("nothing left to try"); the gateway is stopped. */
export function exhausted(h = new LadderHarness()): LadderHarness {
  badConfig(h);
  for (let i = 0; i < h.options.maxDoctorRuns; i++) {
    h.send(diagnosed(diagnosis({ configOk: false })));
    h.send(repairFinished('doctor', false, 'exit 1'));
  }
  h.send(diagnosed(diagnosis({ configOk: false })));
  must(h.state.incident?.state === 'waiting_human', 'should wait for a human');
  return h;
}

// ---- events ----------------------------------------------------------------

export const boot = (adoptedPid: number | null = null): LadderEvent => ({ type: 'Boot', adoptedPid });
export const tick = (): LadderEvent => ({ type: 'Tick' });

export function probeOk(init: { latencyMs?: number; at?: number; status?: number } = {}): LadderEvent {
  const result: ProbeResult = {
    ok: true,
    at: init.at ?? 0,
    latencyMs: init.latencyMs ?? 12,
    status: init.status ?? 200,
    error: null,
  };
  return { type: 'ProbeSucceeded', result };
}

export function probeFail(error = 'timeout after 3000 ms', init: { at?: number; status?: number | null } = {}): LadderEvent {
  const result: ProbeResult = { ok: false, at: init.at ?? 0, latencyMs: 3_000, status: init.status ?? null, error };
  return { type: 'ProbeFailed', result };
}

/** `config`: the fingerprint of the config file the gateway was started with (absent: unknown). */
export const started = (pid: number | null = 100, config?: string | null): LadderEvent =>
  config === undefined ? { type: 'GatewayStarted', pid } : { type: 'GatewayStarted', pid, config };
export const startFailed = (error = 'spawn openclaw ENOENT'): LadderEvent => ({ type: 'GatewayStartFailed', error, permanent: false });
export const stopped = (): LadderEvent => ({ type: 'GatewayStopped' });

export function exited(init: Partial<ExitInfo> = {}): LadderEvent {
  return {
    type: 'ProcessExited',
    exit: {
      code: init.code === undefined ? 1 : init.code,
      signal: init.signal ?? null,
      at: init.at ?? 0,
      hint: init.hint ?? null,
      ...(init.failure ? { failure: init.failure } : {}),
    },
  };
}

/** kill -9 as the supervisor sees it. */
export const killed = (signal = 'SIGKILL'): LadderEvent => exited({ code: null, signal });

export function diagnosis(init: {
  configOk?: boolean;
  configError?: string | null;
  lkg?: boolean;
  differs?: boolean;
  portHolder?: PortHolder | null;
} = {}): Diagnosis {
  const configOk = init.configOk ?? true;
  return {
    config: { ok: configOk, error: configOk ? null : (init.configError ?? 'gateway.mode is missing') },
    lastKnownGood: { available: init.lkg ?? false, differs: init.differs ?? false },
    portHolder: init.portHolder ?? null,
  };
}

export const diagnosed = (d: Diagnosis = diagnosis()): LadderEvent => ({ type: 'Diagnosed', diagnosis: d });

export const repairFinished = (repairStep: RepairStep, ok = true, detail = 'done'): LadderEvent => ({
  type: 'RepairFinished',
  step: repairStep,
  ok,
  detail,
});

export const recover = (level: Level, by = 'alice', note: string | null = null): LadderEvent => ({
  type: 'RecoverRequested',
  level,
  by,
  note,
});
export const abort = (by = 'alice', reason: string | null = null): LadderEvent => ({ type: 'AbortRequested', by, reason });
export const pause = (by = 'alice', until: number | null = null): LadderEvent => ({ type: 'PauseRequested', by, until });
export const resume = (by = 'alice'): LadderEvent => ({ type: 'ResumeRequested', by });

// ---- actions ---------------------------------------------------------------

export function actionTypes(actions: readonly LadderAction[]): LadderAction['type'][] {
  return actions.map((a) => a.type);
}

/** Action types without the bookkeeping ones (`Record`, `SaveIncident`): the work the ladder asked for. */
export function workTypes(actions: readonly LadderAction[]): LadderAction['type'][] {
  return actionTypes(actions).filter((t) => t !== 'Record' && t !== 'SaveIncident');
}

export function recordsOf(actions: readonly LadderAction[], kind?: RecordKind): LadderRecord[] {
  return actions.flatMap((a) => (a.type === 'Record' && (kind === undefined || a.record.kind === kind) ? [a.record] : []));
}

/** The timeline texts, optionally of one kind. */
export function records(actions: readonly LadderAction[], kind?: RecordKind): string[] {
  return recordsOf(actions, kind).map((r) => r.text);
}

export function recordKinds(actions: readonly LadderAction[]): RecordKind[] {
  return recordsOf(actions).map((r) => r.kind);
}

/** The incidents carried by `SaveIncident` actions, in order. */
export function savedIncidents(actions: readonly LadderAction[]): Incident[] {
  return actions.flatMap((a) => (a.type === 'SaveIncident' ? [a.incident] : []));
}

export function ofType<T extends LadderAction['type']>(
  actions: readonly LadderAction[],
  type: T,
): Extract<LadderAction, { type: T }>[] {
  return actions.filter((a): a is Extract<LadderAction, { type: T }> => a.type === type);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

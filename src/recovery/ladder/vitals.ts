/**
 * The running gateway beyond liveness: memory, readiness (channels, the event loop) and the model
 * provider. Facts come from the vitals adapters (`recovery/vitals/`); the rules here decide:
 * - memory: the RSS trend (least squares, `vitals/trend.ts`) and when it reaches the limit; a planned
 *   restart at MEMORY_RESTART_MB or when the out-of-memory is predicted soon; repeated, a finding for a person;
 * - a channel failing `/readyz`: `channels.start` for it, bounded, with backoff; refused credentials
 *   (a revoked token) are a person's step with the channel's own error and the fix, never a restart;
 * - OpenClaw's event loop degraded for long: an incident with its own figures, acted on as configured;
 * - the provider probe: 401 is a person's step, 429 means wait (never a restart).
 */
import type { ChannelError, FailureClass, FailureClassName, LadderEvent, ReadinessReading, Vitals } from '../types.js';
import { failingChannels, channelFix } from '../vitals/readiness.js';
import { predictCrossing } from '../vitals/trend.js';
import { record, type Step } from './context.js';
import { openIncident, resolve, setLevel } from './incident.js';
import { restart } from './supervise.js';
import { DefaultVitalsOptions, type VitalsOptions } from './vitals-options.js';

/** `channels.start` answers in about 1 s; with no answer after this long it is taken as lost. */
const CHANNEL_START_LOST_MS = 60_000;

/** The share of an idle gateway's RSS that is not heap (see `vitalsSampled`). */
const NON_HEAP_SHARE = 0.6;

const VITAL_CLASSES: FailureClassName[] = ['out-of-memory', 'channel', 'channel-auth', 'event-loop', 'provider-auth'];

function opts(c: Step): VitalsOptions {
  return c.o.vitals ?? DefaultVitalsOptions;
}

function vitalsOf(c: Step): Vitals {
  c.s.vitals ??= { samples: [], memory: null, warnedPid: null, baselineRss: null, plugins: null, readiness: null, channels: {}, provider: null, memoryRestarts: [] };
  return c.s.vitals;
}

/** The open incident is one of these rules' (of `cls`, when given). */
function ours(c: Step, cls?: FailureClassName): boolean {
  const f = c.s.incident?.failure?.class;
  return f !== undefined && (cls ? f === cls : VITAL_CLASSES.includes(f));
}

/** The gateway runs, answers, and nothing else is in flight: a vital sign may be acted on. */
function running(c: Step): boolean {
  const s = c.s;
  return s.process.status === 'running' && s.health === 'up';
}

function mayAct(c: Step): boolean {
  return running(c) && !c.s.paused && c.s.pending === null;
}

/** A person's step while the gateway itself runs: level 4 with the fix, and no half-open restart (it would not help). */
function personStep(c: Step, cause: string, failure: FailureClass, why: string): void {
  const inc = openIncident(c, cause, null);
  inc.failure = failure;
  if (inc.state === 'waiting_human' && inc.humanNotified === why) return;
  setLevel(c, 4, `human needed: ${why}`);
  inc.retryAt = null;
  inc.humanNotified = why;
  c.actions.push({ type: 'NotifyHuman', incidentId: inc.id, summary: why });
}

// ---- memory --------------------------------------------------------------------

export function vitalsSampled(c: Step, e: Extract<LadderEvent, { type: 'VitalsSampled' }>): void {
  const s = c.s;
  const o = opts(c);
  const v = vitalsOf(c);
  if (e.plugins) v.plugins = e.plugins;
  if (s.process.status !== 'running' || (s.process.pid !== null && s.process.pid !== e.pid)) return; // late news of another run
  if (v.memory?.pid !== e.pid) {
    v.samples = [];
    v.warnedPid = null;
    v.baselineRss = null;
  }
  // Start-up growth is not a leak: only samples of a gateway healthy for `settleMs` make the trend.
  const settled = s.health === 'up' && s.healthySince !== null && c.now - s.healthySince >= o.settleMs;
  if (settled) {
    v.samples = [...v.samples.filter((p) => c.now - p.at < o.trendWindowMs), { at: c.now, rssBytes: e.rssBytes }];
    v.baselineRss ??= e.rssBytes;
  }
  // The heap dies at its limit; RSS holds more (code, stacks, native memory): measured on the real gateway
  // as RSS minus heap 0.52 GiB of a 0.8 GiB idle RSS (and 0.66 GiB in the reference), so 60% of the first
  // settled sample unless OpenClaw said it itself.
  const nonHeap = e.nonHeapBytes ?? (v.baselineRss ? Math.round(v.baselineRss * NON_HEAP_SHARE) : 0);
  const limit = e.limitBytes === null ? null : e.limitBytes + nonHeap;
  const trend = predictCrossing(v.samples.map((p) => ({ at: p.at, value: p.rssBytes })), limit, c.now, {
    minSamples: o.trendMinSamples,
    minSpanMs: o.trendMinSpanMs,
    minGrowthPerMin: o.trendMinGrowthPerMin,
    minR2: o.trendMinR2,
  });
  v.memory = {
    pid: e.pid,
    sampledAt: c.now,
    rssBytes: e.rssBytes,
    limitBytes: limit,
    heapLimitBytes: e.limitBytes,
    growthBytesPerMin: trend ? Math.round(trend.growthPerMin) : null,
    oomAt: trend?.reachesAt ?? null,
  };
  if (!mayAct(c) || s.incident) return;
  const oomIn = v.memory.oomAt === null ? null : v.memory.oomAt - c.now;
  if (o.memoryRestartBytes !== null && e.rssBytes >= o.memoryRestartBytes) {
    return plannedRestart(c, `RSS ${size(e.rssBytes)} reached MEMORY_RESTART_MB (${size(o.memoryRestartBytes)})`);
  }
  if (oomIn !== null && o.memoryPredictMs !== null && oomIn <= o.memoryPredictMs) {
    return plannedRestart(c, `out of memory predicted in ~${duration(oomIn)} (${growth(v)})`);
  }
  if (oomIn !== null && oomIn <= o.memoryWarnMs && v.warnedPid !== e.pid) {
    v.warnedPid = e.pid;
    const acts = o.memoryPredictMs === null ? 'MEMORY_PREDICT_MINUTES is off: no planned restart' : `a planned restart ~${duration(o.memoryPredictMs)} before`;
    record(c, 'health', `memory grows ${growth(v)}: out of memory in ~${duration(oomIn)} (${acts})`);
  }
}

function plannedRestart(c: Step, why: string): void {
  const o = opts(c);
  const v = vitalsOf(c);
  const evidence = memoryEvidence(c);
  const failure: FailureClass = { class: 'out-of-memory', culprit: null, evidence, summary: `planned restart before out of memory: ${why}` };
  if (!c.o.canRestart) {
    return personStep(c, `gateway memory: ${why}`, failure, `${why}; clawmedic cannot restart it (watch-only): restart it before it runs out of memory`);
  }
  v.memoryRestarts = [...v.memoryRestarts.filter((t) => c.now - t < o.memoryRepeatWindowMs), c.now];
  const inc = openIncident(c, `gateway memory: ${why}`, null);
  inc.failure = failure;
  setLevel(c, 1, `planned restart before out of memory: ${why}`);
  restart(c, `planned restart before out of memory: ${why}`);
  if (v.memoryRestarts.length >= o.memoryRepeatRestarts) {
    // The restart keeps it up; the leak itself is a person's (or the agent's) to find.
    const hours = (o.memoryRepeatWindowMs / 3_600_000).toFixed(1).replace(/\.0$/, '');
    const summary = `memory grew to a planned restart ${v.memoryRestarts.length} times within ${hours} h: a leak to look at (${evidence.join('; ')})`;
    record(c, 'step', summary);
    c.actions.push({ type: 'NotifyHuman', incidentId: inc.id, summary });
  }
}

/**
 * The run that served as `pid` died out of memory (exit 134, `JavaScript heap out of memory`): the incident's
 * evidence gets what the medic saw of its memory (RSS, growth, uptime, plugins loaded), and the death counts with
 * the planned memory restarts: `memoryRepeatRestarts` of them within the window are a finding for a person (or
 * the agent), once per incident. The restart itself is the usual rung's.
 */
export function memoryExited(c: Step, pid: number | null): void {
  const inc = c.s.incident;
  const f = inc?.failure;
  if (!inc || f?.class !== 'out-of-memory') return;
  const o = opts(c);
  const v = vitalsOf(c);
  // Samples of another run (this one died before it settled) say nothing of this death.
  const evidence = memoryEvidence(c, v.memory !== null && pid !== null && v.memory.pid === pid);
  inc.failure = { ...f, evidence: [...f.evidence, ...evidence.filter((l) => !f.evidence.includes(l))] };
  v.memoryRestarts = [...v.memoryRestarts.filter((t) => c.now - t < o.memoryRepeatWindowMs), c.now];
  if (v.memoryRestarts.length < o.memoryRepeatRestarts || inc.humanNotified?.includes('a leak to look at')) return;
  const hours = (o.memoryRepeatWindowMs / 3_600_000).toFixed(1).replace(/\.0$/, '');
  const summary = `memory grew to out of memory (or a planned restart) ${v.memoryRestarts.length} times within ${hours} h: a leak to look at (${evidence.join('; ')})`;
  record(c, 'step', summary);
  inc.humanNotified = summary;
  c.actions.push({ type: 'NotifyHuman', incidentId: inc.id, summary });
}

function memoryEvidence(c: Step, sampled = true): string[] {
  const v = vitalsOf(c);
  const m = sampled ? v.memory : null;
  const out: string[] = [];
  if (m) {
    const heap = m.heapLimitBytes === null ? '' : ` (heap limit ${size(m.heapLimitBytes)})`;
    out.push(`RSS ${size(m.rssBytes)} of a ${m.limitBytes === null ? 'unknown' : size(m.limitBytes)} limit${heap} (pid ${m.pid})`);
  }
  if (m?.growthBytesPerMin != null) out.push(`growth ${growth(v)} over ${duration(spanOf(v))} (${v.samples.length} samples)`);
  const started = c.s.process.startedAt;
  if (started !== null) out.push(`uptime ${duration(c.now - started)}`);
  out.push(`plugins loaded: ${v.plugins?.length ? v.plugins.join(', ') : 'unknown'}`);
  return out;
}

const spanOf = (v: Vitals) => (v.samples.length ? v.samples.at(-1)!.at - v.samples[0]!.at : 0);
const growth = (v: Vitals) => `${size(v.memory?.growthBytesPerMin ?? 0)}/min`;

// ---- readiness: channels and the event loop --------------------------------------

export function readinessChecked(c: Step, reading: ReadinessReading, errors: ChannelError[]): void {
  const s = c.s;
  const o = opts(c);
  const v = vitalsOf(c);
  v.readiness = { ...reading, checkedAt: c.now };
  if (!running(c) || reading.error !== null) return; // liveness speaks for a gateway that does not answer
  eventLoop(c, reading);
  const channels = [...new Set([...failingChannels(reading), ...reading.suppressed])];
  if (channels.length === 0) {
    if (ours(c, 'channel') || ours(c, 'channel-auth')) resolve(c, `channel ${s.incident!.failure!.culprit ?? ''} ready again`.replace('  ', ' '));
    if (!s.incident) v.channels = {};
    return;
  }
  const inGrace = s.healthySince === null || c.now - s.healthySince < o.readinessGraceMs;
  if (inGrace || !mayAct(c) || (s.incident && !ours(c, 'channel') && !ours(c, 'channel-auth'))) return;
  const evidenceOf = (ch: string) => [
    `/readyz ${reading.status ?? '-'}: failing [${reading.failing.join(', ')}]${reading.suppressed.length ? `, suppressed [${reading.suppressed.join(', ')}]` : ''}`,
    ...errors.filter((x) => x.channel === ch).map((x) => x.error),
  ];
  const terminal = errors.find((x) => x.terminal && channels.includes(x.channel));
  if (terminal) {
    const ch = terminal.channel;
    const summary = `channel ${ch} refuses its credentials: ${terminal.error}`;
    return personStep(c, `channel ${ch} not ready: its credentials were refused`, { class: 'channel-auth', culprit: ch, evidence: evidenceOf(ch), summary }, `${channelFix(ch)}. The channel says: ${terminal.error}`);
  }
  for (const ch of channels) {
    const st = (v.channels[ch] ??= { attempts: 0, nextAt: null, inFlight: false });
    // A start whose answer never came (the medic restarted meanwhile) counts as done after a minute.
    const inFlight = st.inFlight && c.now - (st.since ?? 0) < CHANNEL_START_LOST_MS;
    if (inFlight || (st.nextAt !== null && c.now < st.nextAt)) continue;
    const suppressed = reading.suppressed.includes(ch) && !reading.failing.includes(ch);
    const what = suppressed ? `channel ${ch} suppressed by OpenClaw's crash-loop breaker` : `channel ${ch} not ready`;
    const failure: FailureClass = { class: 'channel', culprit: ch, evidence: evidenceOf(ch), summary: `${what} (/readyz)` };
    if (st.attempts >= o.channelRestartMax) {
      const own = errors.find((x) => x.channel === ch)?.error;
      const why = `${what} after ${st.attempts} channels.start: look at the channel's own error (${own ?? 'none in the gateway output'}) and \`openclaw channels status --json\``;
      return personStep(c, `${what} (/readyz)`, failure, why);
    }
    const inc = openIncident(c, `${what} (/readyz)`, null);
    inc.failure ??= failure;
    st.attempts += 1;
    st.inFlight = true;
    st.since = c.now;
    const text = `${what}: channels.start ${ch} (attempt ${st.attempts} of ${o.channelRestartMax}); the gateway itself is not restarted`;
    if (inc.level < 1) setLevel(c, 1, text);
    else record(c, 'step', text);
    c.actions.push({ type: 'StartChannel', channel: ch });
  }
}

export function channelStartFinished(c: Step, channel: string, ok: boolean, detail: string): void {
  const v = vitalsOf(c);
  const st = v.channels[channel];
  if (!st) return;
  st.inFlight = false;
  const delay = opts(c).channelBackoff(st.attempts, c.random);
  st.nextAt = delay === null ? null : c.now + delay;
  if (delay === null) st.attempts = opts(c).channelRestartMax; // the backoff gave up
  if (c.s.incident) record(c, 'step', `channels.start ${channel}: ${ok ? 'started' : 'failed'} (${detail})`);
}

function eventLoop(c: Step, reading: ReadinessReading): void {
  const o = opts(c);
  const el = reading.eventLoop;
  if (ours(c, 'event-loop') && !el?.degraded) return resolve(c, 'the event loop is healthy again');
  if (!el?.degraded || (el.degradedSinceMs ?? 0) < o.eventLoopDegradedMs || o.eventLoopAction === 'off') return;
  if (c.s.incident || !mayAct(c)) return;
  const util = el.utilization === null ? '-' : `${Math.round(el.utilization * 100)}%`;
  const ms = (v: number | null) => (v === null ? '-' : String(Math.round(v))); // OpenClaw gives fractions (1202.7)
  const figures = `delay p99 ${ms(el.delayP99Ms)} ms, max ${ms(el.delayMaxMs)} ms, utilisation ${util}, degraded for ${duration(el.degradedSinceMs ?? 0)} (${el.reasons.join(', ') || 'no reason given'})`;
  const failure: FailureClass = { class: 'event-loop', culprit: null, evidence: [`OpenClaw /readyz eventLoop: ${figures}`], summary: `the gateway's event loop is degraded: ${figures}` };
  const cause = `event loop degraded for ${duration(el.degradedSinceMs ?? 0)}`;
  if (o.eventLoopAction === 'restart' && c.o.canRestart) {
    const inc = openIncident(c, cause, null);
    inc.failure = failure;
    setLevel(c, 1, `event loop degraded (${figures}): planned restart (EVENT_LOOP_ACTION=restart)`);
    return restart(c, 'event loop degraded');
  }
  personStep(c, cause, failure, `the gateway's event loop is degraded (${figures}); a plugin or a task may block it: look at \`openclaw health\` and the plugins loaded (EVENT_LOOP_ACTION=restart would restart it)`);
}

// ---- the model provider ------------------------------------------------------------

export function providerProbed(c: Step, e: Extract<LadderEvent, { type: 'ProviderProbed' }>): void {
  const v = vitalsOf(c);
  const was = v.provider?.state ?? null;
  const state = e.outcome === 'rate-limit' ? 'rate-limited' : e.outcome;
  v.provider = { checkedAt: c.now, state, detail: e.detail, latencyMs: e.latencyMs };
  if (e.outcome === 'ok') {
    if (ours(c, 'provider-auth')) resolve(c, 'the model provider accepts the credentials again');
    else if (was !== null && was !== 'ok') record(c, 'health', 'model provider answers again');
    return;
  }
  if (e.outcome === 'rate-limit') {
    // A restart does not reset a provider's rate limit: wait, and say so once.
    if (was !== 'rate-limited') record(c, 'health', `model provider rate-limited (429): waiting, not restarting (${e.detail})`);
    return;
  }
  if (e.outcome === 'error') {
    if (was !== 'error') record(c, 'health', `model provider probe failed: ${e.detail}`);
    return;
  }
  if (c.s.paused || (c.s.incident && !ours(c, 'provider-auth'))) return;
  // `provider` is what `openclaw models status` names: a provider, or the auth profile that holds its key.
  const who = e.provider ? `the model provider (${e.provider})` : 'the model provider';
  const failure: FailureClass = { class: 'provider-auth', culprit: e.provider, evidence: [e.detail, ...e.evidence], summary: `${who} refuses the credentials (401)` };
  personStep(
    c,
    `${who} refuses the credentials (401)`,
    failure,
    `${who} refuses the gateway's credentials (401: expired or revoked): renew the key or token (models.providers.<id>.apiKey in the gateway config, or its auth profile), then check with \`openclaw models status --json\`; restarting the gateway would not help`,
  );
}

/** A config change while a person is asked about a vital sign: the gateway applies it itself (a channel hot-restarts); no restart. */
export function vitalsConfigChanged(c: Step): boolean {
  if (!ours(c) || !running(c) || c.s.incident?.state !== 'waiting_human') return false;
  record(c, 'step', 'the config on disk changed: the gateway applies it itself; the next check tells whether it helped');
  return true;
}

// ---- wording ----------------------------------------------------------------------

export function size(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${Math.round(mib)} MiB`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${(min / 60).toFixed(1)} h`;
}

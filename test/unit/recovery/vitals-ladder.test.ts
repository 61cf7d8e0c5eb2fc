/**
 * The vitals rules of the ladder (ladder/vitals.ts) with plain data: the memory trend and the
 * planned restart, readiness (channels, bounded channels.start), refused credentials (a person's
 * step, never a restart), the event loop, and the provider probe.
 */
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../../src/recovery/watchdog/status.js';
import { DefaultVitalsOptions } from '../../../src/recovery/ladder/vitals-options.js';
import type { LadderAction } from '../../../src/recovery/types.js';
import { LadderHarness, exited, ofType, probeOk, records, started, tick, workTypes } from './ladder-harness.js';
import { MiB, TOKEN_REFUSED, degradedLoop, leak, provider, ready, sample, telegramFailing } from './vitals-events.js';

const marks = new WeakMap<LadderHarness, number>();

/** Healthy for 60 s (past the settle time and the readiness grace); `all(h)` is what came after. */
function healthy(options: ConstructorParameters<typeof LadderHarness>[0] = {}): LadderHarness {
  const h = new LadderHarness(options);
  h.bootHealthy(100);
  h.advance(60_000);
  marks.set(h, h.log.length);
  return h;
}

const all = (h: LadderHarness) => h.log.slice(marks.get(h) ?? 0);
const restartsOf = (actions: readonly LadderAction[]) => workTypes(actions).filter((t) => t === 'StopGateway' || t === 'StartGateway');

describe('memory', () => {
  it('shows RSS, the limit, the growth and the predicted out-of-memory time in the status', () => {
    const h = healthy({ options: { vitals: { ...DefaultVitalsOptions, memoryPredictMs: null } } });
    leak(h, 4, 1000, 10); // 120 MiB/min, 3258 MiB to go at 1030 MiB: ~27 min
    const status = statusOf(h.state, true, false);
    expect(status.memory).toMatchObject({ pid: 100, rssBytes: 1030 * MiB, limitBytes: 4288 * MiB, heapLimitBytes: 4288 * MiB, growthBytesPerMin: 120 * MiB });
    expect(Math.round((status.memory!.oomAt! - h.now) / 60_000)).toBe(27);
    // Told once per run (within 30 minutes), never acted on with MEMORY_PREDICT_MINUTES off.
    expect(records(all(h), 'health')).toEqual(['memory grows 120 MiB/min: out of memory in ~27 min (MEMORY_PREDICT_MINUTES is off: no planned restart)']);
    leak(h, 20, 1040, 10);
    expect(records(all(h), 'health')).toHaveLength(1);
    expect(restartsOf(all(h))).toEqual([]);
  });

  it("the RSS line is the heap limit plus the non-heap part: OpenClaw's own figure, else 60% of the first settled sample", () => {
    const measured = healthy();
    measured.after(5_000, sample(1300, { limitMb: 2048, nonHeapMb: 520 }));
    expect(measured.state.vitals!.memory).toMatchObject({ limitBytes: 2568 * MiB, heapLimitBytes: 2048 * MiB });
    const estimated = healthy();
    leak(estimated, 1, 800, 0, 5_000, 2048); // the first settled sample: 800 MiB, 480 MiB of it taken as not heap
    estimated.after(5_000, sample(900, { limitMb: 2048, nonHeapMb: null }));
    expect(estimated.state.vitals!.memory).toMatchObject({ limitBytes: 2528 * MiB, heapLimitBytes: 2048 * MiB });
  });

  it("start-up growth is not a trend: samples within the settle time after healthy are not fitted", () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const before = h.log.length;
    leak(h, 3, 200, 200, 5_000); // 2.4 GiB/min right after start
    expect(h.state.vitals!.samples).toEqual([]);
    expect(h.state.vitals!.memory).toMatchObject({ rssBytes: 600 * MiB, oomAt: null });
    expect(restartsOf(h.log.slice(before))).toEqual([]);
  });

  it('restarts in a planned way before the predicted crash, and the incident says why with the evidence', () => {
    const h = healthy();
    leak(h, 4, 2800, 100); // 1.2 GiB/min, 1188 MiB to go: ~59 s
    const inc = h.openIncident;
    expect(inc.failure).toEqual({
      class: 'out-of-memory',
      culprit: null,
      evidence: ['RSS 3.03 GiB of a 4.19 GiB limit (heap limit 4.19 GiB) (pid 100)', 'growth 1.17 GiB/min over 15 s (4 samples)', 'uptime 90 s', 'plugins loaded: memory-core, leaky'],
      summary: 'planned restart before out of memory: out of memory predicted in ~59 s (1.17 GiB/min)',
    });
    expect(records(all(h), 'level')).toEqual(['level 1: planned restart before out of memory: out of memory predicted in ~59 s (1.17 GiB/min)']);
    expect(ofType(all(h), 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'planned restart before out of memory: out of memory predicted in ~59 s (1.17 GiB/min)', urgent: false }]);
    // The planned stop, the start, two good probes: resolved by one restart.
    h.after(1_000, exited({ code: 0, signal: null }));
    h.after(1_000, started(101));
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    expect(h.state.resolved).toMatchObject({ state: 'resolved', outcome: '1 restart', restarts: 1, failure: { class: 'out-of-memory' } });
  });

  it('MEMORY_RESTART_MB: a planned restart at the fixed limit, whatever the trend', () => {
    const h = healthy({ options: { vitals: { ...DefaultVitalsOptions, memoryRestartBytes: 1500 * MiB } } });
    h.after(5_000, sample(1400));
    expect(h.incident).toBeNull();
    h.after(5_000, sample(1500));
    expect(h.openIncident.cause).toBe('gateway memory: RSS 1.46 GiB reached MEMORY_RESTART_MB (1.46 GiB)');
    expect(workTypes(all(h))).toContain('StopGateway');
  });

  it('repeated growth is a finding for a person, with growth, plugins and uptime (the restart still happens)', () => {
    const h = healthy({ options: { vitals: { ...DefaultVitalsOptions, memoryRestartBytes: 1500 * MiB, memoryRepeatRestarts: 2 } } });
    let pid = 100;
    const leakOnce = () => {
      h.after(5_000, sample(1600, { pid }));
      h.after(1_000, exited({ code: 0 }));
      h.after(1_000, started(++pid));
      h.probes(2, probeOk());
      h.advance(60_000);
    };
    leakOnce();
    expect(ofType(all(h), 'NotifyHuman')).toEqual([]);
    leakOnce();
    const [notice] = ofType(all(h), 'NotifyHuman');
    expect(notice!.summary).toBe(
      'memory grew to a planned restart 2 times within 6 h: a leak to look at (RSS 1.56 GiB of a 4.19 GiB limit (heap limit 4.19 GiB) (pid 101); uptime 75 s; plugins loaded: memory-core, leaky)',
    );
    expect(restartsOf(all(h)).filter((t) => t === 'StopGateway')).toHaveLength(2);
  });

  it('an out-of-memory exit (134) says so with what was seen of its memory, restarts, and repeated it is a finding', () => {
    const h = healthy({ options: { vitals: { ...DefaultVitalsOptions, memoryPredictMs: null, memoryRepeatRestarts: 2 } } });
    const heap = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
    const oom = exited({ code: 134, failure: { class: 'out-of-memory', culprit: null, evidence: [heap], summary: 'ran out of memory (JavaScript heap out of memory)' } });
    let pid = 100;
    const leakToDeath = () => {
      for (let i = 0; i < 4; i++) h.after(5_000, sample(1000 + i * 100, { pid }));
      return h.after(2_000, oom);
    };
    const first = leakToDeath();
    const inc = h.openIncident;
    expect(inc.cause).toBe('gateway ran out of memory (JavaScript heap out of memory)');
    expect(inc.failure).toEqual({
      class: 'out-of-memory',
      culprit: null,
      evidence: [heap, 'RSS 1.27 GiB of a 4.19 GiB limit (heap limit 4.19 GiB) (pid 100)', 'growth 1.17 GiB/min over 15 s (4 samples)', 'uptime 92 s', 'plugins loaded: memory-core, leaky'],
      summary: 'ran out of memory (JavaScript heap out of memory)',
    });
    expect(workTypes(first)).toContain('StartGateway'); // restarted as usual
    expect(ofType(first, 'NotifyHuman')).toEqual([]);
    h.after(1_000, started(++pid));
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    h.advance(60_000);
    const second = leakToDeath();
    const [notice] = ofType(second, 'NotifyHuman');
    expect(notice!.summary).toBe(
      'memory grew to out of memory (or a planned restart) 2 times within 6 h: a leak to look at (RSS 1.27 GiB of a 4.19 GiB limit (heap limit 4.19 GiB) (pid 101); growth 1.17 GiB/min over 15 s (4 samples); uptime 92 s; plugins loaded: memory-core, leaky)',
    );
    expect(workTypes(second)).toContain('StartGateway'); // the finding does not stop the restarts
    expect(h.openIncident.failure!.evidence[0]).toBe(heap);
  });

  it('an out-of-memory exit before any settled sample of its run: no figures of another run in the evidence', () => {
    const h = healthy();
    for (let i = 0; i < 4; i++) h.after(5_000, sample(1000 + i * 100, { pid: 100 }));
    h.after(1_000, exited({ code: 1 })); // a crash, restarted
    h.after(1_000, started(101));
    h.after(2_000, exited({ code: 134, failure: { class: 'out-of-memory', culprit: null, evidence: [], summary: 'ran out of memory (exit 134, aborted)' } }));
    expect(h.openIncident.failure!.evidence).toEqual(['uptime 2 s', 'plugins loaded: memory-core, leaky']);
  });

  it('watch-only: no restart pretended, a person is asked', () => {
    const h = healthy({ options: { supervised: false, canRestart: false, vitals: { ...DefaultVitalsOptions, memoryRestartBytes: 1000 * MiB } } });
    h.after(5_000, sample(1100));
    expect(h.openIncident).toMatchObject({ state: 'waiting_human', level: 4, retryAt: null, failure: { class: 'out-of-memory' } });
    expect(restartsOf(all(h))).toEqual([]);
  });

  it("another run's sample is late news", () => {
    const h = healthy();
    h.after(5_000, sample(900, { pid: 999 }));
    expect(h.state.vitals?.memory ?? null).toBeNull();
  });
});

describe('readiness: channels', () => {
  it('a failing channel gets channels.start, bounded, with backoff, then a person; the gateway is never restarted', () => {
    const h = healthy();
    const started: number[] = [];
    const check = () => {
      const out = h.after(5_000, telegramFailing());
      if (workTypes(out).includes('StartChannel')) {
        started.push(h.now);
        h.after(1_000, { type: 'ChannelStartFinished', channel: 'telegram', ok: true, detail: 'rc 0 in 0.9 s' });
      }
    };
    for (let i = 0; i < 20; i++) check();
    expect(ofType(all(h), 'StartChannel')).toEqual(Array(3).fill({ type: 'StartChannel', channel: 'telegram' }));
    // at once, then 10 s and 20 s after the previous one finished (1 s after its start)
    expect(started.slice(1).map((t, i) => t - started[i]!)).toEqual([11_000, 21_000]);
    expect(h.openIncident).toMatchObject({ state: 'waiting_human', retryAt: null, failure: { class: 'channel', culprit: 'telegram' } });
    expect(ofType(all(h), 'NotifyHuman')[0]!.summary).toBe(
      "channel telegram not ready after 3 channels.start: look at the channel's own error (none in the gateway output) and `openclaw channels status --json`",
    );
    expect(restartsOf(all(h))).toEqual([]);
  });

  it('channels.start brings /readyz back: resolved, and the next episode starts counting again', () => {
    const h = healthy();
    h.after(5_000, telegramFailing());
    h.after(1_000, { type: 'ChannelStartFinished', channel: 'telegram', ok: true, detail: 'rc 0 in 0.9 s' });
    h.after(4_000, ready());
    expect(h.state.resolved).toMatchObject({ outcome: 'channel telegram ready again', failure: { class: 'channel' }, restarts: 0 });
    expect(h.state.vitals!.channels).toEqual({});
  });

  it("a channel suppressed by OpenClaw's crash-loop breaker is started too", () => {
    const h = healthy();
    const out = h.after(5_000, ready({ suppressed: ['telegram'] }));
    expect(ofType(out, 'StartChannel')).toEqual([{ type: 'StartChannel', channel: 'telegram' }]);
    expect(h.openIncident.cause).toBe("channel telegram suppressed by OpenClaw's crash-loop breaker (/readyz)");
  });

  it('a revoked token: the channel\'s own error and the fix to a person, never a restart (not even half-open)', () => {
    const h = healthy();
    h.after(5_000, telegramFailing([TOKEN_REFUSED]));
    const inc = h.openIncident;
    expect(inc).toMatchObject({ level: 4, state: 'waiting_human', retryAt: null, failure: { class: 'channel-auth', culprit: 'telegram' } });
    expect(inc.failure!.evidence).toEqual(['/readyz 503: failing [telegram]', TOKEN_REFUSED.error]);
    const [notice] = ofType(all(h), 'NotifyHuman');
    expect(notice!.summary).toMatch(/^the Telegram bot token was revoked or is wrong: set a new one from @BotFather with `openclaw config set channels\.telegram\.botToken <new token>`/);
    expect(notice!.summary).toContain('The channel says: Telegram bot token unauthorized for account "default"');
    // Probes go on, an hour passes, the readiness keeps failing: one notice, no restart, no channels.start.
    for (let i = 0; i < 720; i++) {
      h.after(5_000, probeOk());
      if (i % 12 === 0) h.send(telegramFailing([TOKEN_REFUSED]));
      h.send(tick());
    }
    expect(workTypes(all(h)).filter((t) => t !== 'SnapshotConfig')).toEqual(['NotifyHuman']);
    // The person sets a new token: the gateway restarts the channel itself; ready again resolves.
    h.after(5_000, ready());
    expect(h.state.resolved).toMatchObject({ outcome: 'channel telegram ready again' });
  });

  it('nothing is done during the grace after the gateway became healthy, nor for start-up states', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(workTypes(h.after(5_000, telegramFailing([TOKEN_REFUSED])))).toEqual([]);
    h.advance(60_000);
    expect(workTypes(h.send(ready({ status: 503, ready: false, failing: ['startup-sidecars'] })))).toEqual([]);
    expect(h.incident).toBeNull();
  });
});

describe('the event loop', () => {
  it('degraded for less than EVENT_LOOP_DEGRADED_MS: nothing; longer: an incident with OpenClaw\'s figures', () => {
    const h = healthy();
    expect(workTypes(h.after(5_000, degradedLoop(60_000)))).toEqual([]);
    h.after(5_000, degradedLoop(125_000));
    expect(h.openIncident.failure).toEqual({
      class: 'event-loop',
      culprit: null,
      evidence: ['OpenClaw /readyz eventLoop: delay p99 3005 ms, max 3010 ms, utilisation 76%, degraded for 2 min (event_loop_delay)'],
      summary: "the gateway's event loop is degraded: delay p99 3005 ms, max 3010 ms, utilisation 76%, degraded for 2 min (event_loop_delay)",
    });
    expect(restartsOf(all(h))).toEqual([]);
    h.after(5_000, ready());
    expect(h.state.resolved).toMatchObject({ outcome: 'the event loop is healthy again' });
  });

  it('EVENT_LOOP_ACTION=restart: a planned restart; off: nothing', () => {
    const r = healthy({ options: { vitals: { ...DefaultVitalsOptions, eventLoopAction: 'restart' } } });
    expect(workTypes(r.after(5_000, degradedLoop(125_000)))).toEqual(['StopGateway']);
    const off = healthy({ options: { vitals: { ...DefaultVitalsOptions, eventLoopAction: 'off' } } });
    expect(workTypes(off.after(5_000, degradedLoop(600_000)))).toEqual([]);
  });
});

describe('the model provider', () => {
  it('401: a person\'s step with the models status evidence; resolved when it answers again', () => {
    const h = healthy();
    h.after(5_000, provider('auth'));
    expect(h.openIncident).toMatchObject({ level: 4, retryAt: null, failure: { class: 'provider-auth', culprit: 'fake' } });
    expect(h.openIncident.failure!.evidence).toContain('openclaw models status: unusable profile fake:default (kind cooldown, reason auth)');
    expect(statusOf(h.state, true, false).provider).toMatchObject({ state: 'auth' });
    h.after(60_000, provider('ok'));
    expect(h.state.resolved).toMatchObject({ outcome: 'the model provider accepts the credentials again' });
    expect(restartsOf(all(h))).toEqual([]);
  });

  it('429: shown, said once, waited out; never a restart', () => {
    const h = healthy();
    for (let i = 0; i < 5; i++) h.after(60_000, provider('rate-limit'));
    expect(statusOf(h.state, true, false).provider).toMatchObject({ state: 'rate-limited' });
    expect(records(all(h), 'health')).toEqual(['model provider rate-limited (429): waiting, not restarting (transient same-model retry 4/9 reason=rate_limit)']);
    h.after(60_000, provider('ok'));
    expect(records(all(h), 'health').at(-1)).toBe('model provider answers again');
    expect(h.incident).toBeNull();
    expect(restartsOf(all(h))).toEqual([]);
  });
});

/**
 * Level 1 liveness rules (ladder/liveness.ts): a stopped process is not answering at its first
 * failed probe; a gateway restarting in process (port closed, process working) is given the
 * start-up grace again; the grace is extended while a start keeps working, up to its cap; and a
 * failed probe of a gateway that was answering is followed by quick re-probes.
 */
import { describe, expect, it } from 'vitest';
import { nextProbeDelayMs } from '../../../src/recovery/ladder/index.js';
import type { LadderEvent, ProbeResult } from '../../../src/recovery/types.js';
import { LadderHarness, T0, boot, ofType, probeOk, records, started } from './ladder-harness.js';

function failed(kind: ProbeResult['kind'], process?: ProbeResult['process'], error = kind === 'refused' ? 'connection refused' : 'timeout after 3000 ms'): LadderEvent {
  const result: ProbeResult = { ok: false, at: 0, latencyMs: 3_000, status: null, error, ...(kind ? { kind } : {}), ...(process ? { process } : {}) };
  return { type: 'ProbeFailed', result };
}

const cadence = { intervalMs: 5_000, retryMs: 500 };

describe('a frozen gateway', () => {
  it('is not answering at its first failed probe when its process is stopped (state T)', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.after(5_000, failed('timeout', 'stopped', 'no answer: its process is stopped (state T)'));
    expect(records(actions)).toEqual([
      'gateway down',
      'gateway not answering: its process is stopped (state T: SIGSTOP or a debugger)',
      'level 1: alive but not answering: restarting it',
    ]);
    expect(ofType(actions, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'not answering', urgent: true }]);
    expect(h.openIncident.failure?.class).toBe('hang');
  });

  it('is stopped even inside the start-up grace: waiting cannot help a stopped process', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    const actions = h.after(2_000, failed('timeout', 'stopped'));
    expect(ofType(actions, 'StopGateway')).toHaveLength(1);
  });

  it('still needs failureThreshold failed probes when its process is running', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(h.after(5_000, failed('timeout', 'working'))).toEqual([]);
    expect(h.after(3_500, failed('timeout', 'working'))).toEqual([]);
    expect(ofType(h.after(3_500, failed('timeout', 'working')), 'StopGateway')).toHaveLength(1);
  });
});

function timedOut(pinnedMs: number | undefined, latencyMs = 3_000, process: ProbeResult['process'] = 'working'): LadderEvent {
  const result: ProbeResult = {
    ok: false,
    at: 0,
    latencyMs,
    status: null,
    error: `timeout after ${latencyMs} ms`,
    kind: 'timeout',
    process,
    ...(pinnedMs === undefined ? {} : { pinnedMs }),
  };
  return { type: 'ProbeFailed', result };
}

describe('a blocked event loop (a busy loop: main thread pinned, state R)', () => {
  it('is not answering at the first probe that timed out while its main thread was pinned through the wait', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.after(5_000, timedOut(3_400));
    expect(records(actions)).toEqual([
      'gateway down',
      'gateway not answering: its event loop is blocked (main thread at 100% CPU for 3.4 s)',
      'level 1: alive but not answering: restarting it',
    ]);
    expect(ofType(actions, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'not answering', urgent: true }]);
    expect(h.openIncident.failure).toMatchObject({
      class: 'hang',
      evidence: ['timeout after 3000 ms', 'main thread pinned (100% of a core) for 3.4 s'],
      summary: 'the gateway is not answering: its event loop is blocked (main thread at 100% CPU for 3.4 s)',
    });
  });

  it('needs blockedLoopMs of pinning: a short probe timeout on a brief stall counts as one failure', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(h.after(5_000, timedOut(1_300, 800))).toEqual([]);
    expect(h.state.probe.failures).toBe(1);
    // The stall goes on: pinned 2.6 s at the next timeout, over the 2 s default.
    expect(records(h.after(1_300, timedOut(2_600, 800)))).toContain('gateway not answering: its event loop is blocked (main thread at 100% CPU for 2.6 s)');
  });

  it('follows blockedLoopMs when it is set', () => {
    const h = new LadderHarness({ options: { blockedLoopMs: 5_000 } });
    h.bootHealthy(100);
    expect(h.after(5_000, timedOut(3_400))).toEqual([]);
    expect(ofType(h.after(3_500, timedOut(6_900)), 'StopGateway')).toHaveLength(1);
  });

  it('is no verdict for a gateway merely slow (not pinned): failureThreshold probes, as before', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(h.after(5_000, timedOut(undefined))).toEqual([]);
    expect(h.after(3_500, timedOut(undefined))).toEqual([]);
    const actions = h.after(3_500, timedOut(undefined));
    expect(records(actions)).toContain('gateway not answering: timeout after 3000 ms (3 failed probes)');
    expect(ofType(actions, 'StopGateway')).toHaveLength(1);
  });

  it('says the pinned main thread when the count reaches the threshold first', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(5_000, timedOut(undefined, 800));
    h.after(1_300, timedOut(undefined, 800));
    expect(records(h.after(1_300, timedOut(1_200, 800)))).toContain('gateway not answering: timeout after 800 ms (3 failed probes; main thread at 100% CPU for 1.2 s)');
  });

  it('is no verdict inside the start-up grace: a start works hard before it answers', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    expect(h.after(5_000, timedOut(4_000))).toEqual([]);
    expect(h.after(5_000, timedOut(9_000))).toEqual([]);
    expect(h.incident).toBeNull();
  });

  it('is no verdict while OpenClaw restarts in process (its port refused, pinned or not): the grace again', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const refused: ProbeResult = { ok: false, at: 0, latencyMs: 1, status: null, error: 'connection refused', kind: 'refused', process: 'working', pinnedMs: 4_000 };
    const actions = h.after(5_000, { type: 'ProbeFailed', result: refused });
    expect(records(actions, 'health')).toEqual(['the gateway closed its port while it works: restarting in process, given the start-up grace again']);
    expect(ofType(actions, 'StopGateway')).toEqual([]);
    // Listening again but busy before its first answer: still its start, not a blocked loop.
    expect(h.after(5_000, timedOut(4_000))).toEqual([]);
    expect(h.incident).toBeNull();
  });
});

describe('quick re-probes', () => {
  it('follow a failed probe of a gateway that was answering, at PROBE_RETRY_MS', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(nextProbeDelayMs(h.state, cadence)).toBe(5_000);
    h.after(5_000, failed('timeout', 'idle'));
    expect(nextProbeDelayMs(h.state, cadence)).toBe(500);
    h.after(3_500, probeOk());
    expect(nextProbeDelayMs(h.state, cadence)).toBe(5_000);
  });

  it('do not follow a refused probe (the port closed: its process and its exit speak), nor a start in its grace', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(5_000, failed('refused', 'idle'));
    expect(nextProbeDelayMs(h.state, cadence)).toBe(5_000);

    const s = new LadderHarness();
    s.send(boot());
    s.send(started(100));
    s.after(5_000, failed('timeout'));
    expect(nextProbeDelayMs(s.state, cadence)).toBe(5_000);
  });

  it('are never later than the interval', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(5_000, failed('timeout'));
    expect(nextProbeDelayMs(h.state, { intervalMs: 200, retryMs: 500 })).toBe(200);
  });
});

describe('a gateway restarting in process (OpenClaw closes its port for ~8 s and works)', () => {
  it('is given the start-up grace again, not restarted, and keeps its health', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const t = h.now + 5_000;
    const actions = h.after(5_000, failed('refused', 'working'));
    expect(records(actions, 'health')).toEqual(['the gateway closed its port while it works: restarting in process, given the start-up grace again']);
    expect(h.state.process).toMatchObject({ status: 'running', pid: 100, startedAt: t, becameHealthy: false });
    // Refused probes for longer than three intervals: still inside the grace, nothing happens.
    for (let i = 0; i < 5; i++) expect(h.after(5_000, failed('refused', i % 2 ? 'idle' : 'working'))).toEqual([]);
    expect(h.incident).toBeNull();
    expect(h.state.health).toBe('up');
    h.after(1_000, probeOk());
    expect(h.state.process.becameHealthy).toBe(true);
  });

  it('is told apart from a gateway whose port closed while it idles: that one is down after failureThreshold probes', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(5_000, failed('refused', 'idle'));
    h.after(5_000, failed('refused', 'idle'));
    const actions = h.after(5_000, failed('refused', 'idle'));
    expect(ofType(actions, 'StopGateway')).toHaveLength(1);
  });

  it('is not read from a timeout: a frozen gateway keeps its port open', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(5_000, failed('timeout', 'working'));
    expect(h.state.process.becameHealthy).toBe(true);
    expect(h.state.probe.failures).toBe(1);
  });
});

describe('the start-up grace, extended while the start works', () => {
  it('goes on past startupGraceMs while the failed probes find the process working, up to startupGraceMaxMs', () => {
    const h = new LadderHarness({ options: { startupGraceMs: 60_000, startupGraceMaxMs: 180_000 } });
    h.send(boot());
    h.send(started(100));
    h.advanceTo(T0 + 60_000);
    const first = h.send(failed('refused', 'working'));
    expect(records(first, 'health')).toEqual(['still starting after 60 s and still working: waiting for it up to 180 s from its start']);
    // Said once per run.
    for (let at = T0 + 65_000; at < T0 + 180_000; at += 5_000) expect(h.advanceTo(at).send(failed('refused', 'working'))).toEqual([]);
    expect(h.incident).toBeNull();
    // At the cap, failures count.
    h.advanceTo(T0 + 180_000);
    h.send(failed('refused', 'working'));
    h.after(5_000, failed('refused', 'working'));
    expect(ofType(h.after(5_000, failed('refused', 'working')), 'StopGateway')).toHaveLength(1);
  });

  it('is not extended for a start that idles, nor for one whose process is not known', () => {
    for (const process of ['idle', undefined] as const) {
      const h = new LadderHarness({ options: { startupGraceMs: 60_000, startupGraceMaxMs: 180_000 } });
      h.send(boot());
      h.send(started(100));
      h.advanceTo(T0 + 60_000);
      h.send(failed('refused', process));
      h.after(5_000, failed('refused', process));
      expect(ofType(h.after(5_000, failed('refused', process)), 'StopGateway')).toHaveLength(1);
    }
  });

  it('starts again with each start: a new run is not told it was extended', () => {
    const h = new LadderHarness({ options: { startupGraceMs: 60_000, startupGraceMaxMs: 180_000 } });
    h.send(boot());
    h.send(started(100));
    h.advanceTo(T0 + 61_000).send(failed('refused', 'working'));
    expect(h.state.process.graceExtended).toBe(true);
    h.send(started(101));
    expect(h.state.process.graceExtended).toBeUndefined();
  });
});

/**
 * Issue 10, item 4: noise. A watch-only medic (no GATEWAY_COMMAND, no restart command) does not
 * pretend to restart; a doctor that is not installed is not run; the timeline records transitions,
 * not repetitions; a gateway that flaps is one incident, and the breaker counts deaths after short
 * healthy runs, so a gateway that dies 5 s after each start cannot cause a restart storm.
 */
import { describe, expect, it } from 'vitest';
import { phaseOf } from '../../../src/recovery/ladder/index.js';
import type { LadderAction } from '../../../src/recovery/types.js';
import {
  LadderHarness,
  badConfig,
  boot,
  diagnosed,
  diagnosis,
  exited,
  killed,
  ofType,
  probeFail,
  probeOk,
  records,
  savedIncidents,
  started,
  workTypes,
} from './ladder-harness.js';

const watchOnly = () => new LadderHarness({ options: { supervised: false, canRestart: false } });

describe('watch-only: nothing listening, no command to start or restart the gateway', () => {
  it('one incident, a human told once, no restart pretended or counted, one line for a day of failed probes', () => {
    const h = watchOnly();
    const out: LadderAction[] = [...h.send(boot())];
    out.push(...h.probes(17_280, probeFail('ECONNREFUSED'))); // a day at 5 s
    expect(workTypes(out).filter((t) => t !== 'NotifyHuman')).toEqual(['ClassifyOutage']); // never a StartGateway; its log read once
    expect(ofType(out, 'NotifyHuman')).toHaveLength(1);
    expect(h.state.restarts).toBe(0);
    expect(h.openIncident.restarts).toBe(0);
    const lines = records(out);
    expect(lines.filter((l) => l.includes('not answering'))).toHaveLength(1); // the incident opened
    expect(lines.some((l) => /restarting/.test(l))).toBe(false);
    expect(lines.length).toBeLessThan(6);
    expect(phaseOf(h.state)).toBe('waiting-for-human');
    // It comes back: the incident resolves.
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
  });

  it('a config change on disk while it waits starts nothing (it cannot), and a gateway that answers again resolves it', () => {
    const h = watchOnly();
    h.send(boot());
    h.probes(3, probeFail('ECONNREFUSED'));
    expect(h.openIncident.state).toBe('waiting_human');
    const changed = [
      ...h.after(5_000, { type: 'ConfigChanged', ok: true, error: null, lastKnownGood: false }),
      ...h.after(5_000, { type: 'ConfigChanged', ok: false, error: 'broken', lastKnownGood: true }),
    ];
    expect(workTypes(changed)).toEqual([]);
    expect(h.openIncident.state).toBe('waiting_human');
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
  });

  it('says at start-up what it can and cannot do', () => {
    const h = watchOnly();
    const lines = records(h.send({ type: 'Boot', adoptedPid: null, doctor: false }));
    expect(lines).toEqual(['watch-only: clawmedic probes the gateway and reports; it cannot start or restart it (no GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND), so an outage goes to a person']);
    expect(records(h.send({ type: 'Boot', adoptedPid: null, doctor: false }))).toHaveLength(1); // once per medic start
  });
});

describe('a doctor that is not installed is not run', () => {
  it('level 2 skips it and says why once', () => {
    const h = new LadderHarness();
    h.send({ type: 'Boot', adoptedPid: null, doctor: false });
    h.send(started(100));
    h.after(1_000, { type: 'ProcessExited', exit: { code: 78, signal: null, at: 0, hint: 'config' } });
    const next = h.send(diagnosed(diagnosis({ configOk: false })));
    expect(ofType(next, 'RunRepair')).toEqual([]);
    expect(h.openIncident.state).toBe('waiting_human');
    expect(h.openIncident.doctorRuns).toBe(0);
  });

  it('an installed doctor still runs', () => {
    const h = badConfig();
    expect(ofType(h.send(diagnosed(diagnosis({ configOk: false }))), 'RunRepair')[0]?.step).toBe('doctor');
  });
});

describe('the timeline records transitions, not repetitions', () => {
  it('a frozen gateway under a broken config waiting for a human: no line per 3 failed probes', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send({ type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: false });
    const out = h.probes(600, probeFail()); // 50 minutes
    expect(records(out).filter((l) => l.includes('not answering')).length).toBeLessThanOrEqual(1);
  });
});

describe('a gateway that flaps (healthy a few seconds, dies, again and again)', () => {
  /** Starts, answers twice (healthy), exits 1 by itself 12 s after its start (a plugin throws); returns the actions. */
  function flap(h: LadderHarness, pid: number): LadderAction[] {
    const out = h.after(500, started(pid));
    out.push(...h.probes(2, probeOk()));
    out.push(...h.after(2_000, exited({ code: 1 })));
    return out;
  }

  it('is one incident with a count and a flapping phase, and the breaker sends it to level 2', () => {
    const h = new LadderHarness();
    h.send(boot());
    const out: LadderAction[] = [];
    let sawFlapping = false;
    let pid = 100;
    for (let i = 0; i < 8 && h.state.pending?.work !== 'diagnose'; i++) {
      out.push(...flap(h, pid++));
      if (phaseOf(h.state) === 'flapping') sawFlapping = true;
    }
    const ids = new Set(savedIncidents(out).map((i) => i.id));
    expect([...ids]).toEqual(['gw-1']);
    expect(sawFlapping).toBe(true);
    expect(h.openIncident.flaps).toBeGreaterThanOrEqual(3);
    expect(h.openIncident.level).toBe(2); // the breaker opened: a crash loop, not a restart storm
    expect(ofType(out, 'StartGateway').length).toBeLessThanOrEqual(h.options.breakerMaxExits);
  });

  it('kill -9s by a person soon after each recovery stay one incident each (a signal is not the gateway crashing)', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    for (let i = 1; i <= 6; i++) {
      h.after(2_000, killed());
      expect(h.openIncident).toMatchObject({ id: `gw-${i}`, level: 0 });
      h.after(500, started(100 + i));
      h.probes(2, probeOk());
      expect(h.incident).toBeNull();
    }
  });

  it('FLAP_RUN_MS counts from the first good probe: a slow start-up (longer than FLAP_RUN_MS) then a crash soon after it answered is the same incident', () => {
    // Measured on a loaded machine: a start-up of 150 s, the kill's incident resolved, the plugin threw seconds later.
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(killed());
    expect(h.openIncident.id).toBe('gw-1');
    h.after(500, started(101));
    h.advance(h.options.flapRunMs + 90_000); // the start-up alone outlasts FLAP_RUN_MS
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    const out = h.after(5_000, exited({ code: 1 }));
    expect(h.openIncident).toMatchObject({ id: 'gw-1', flaps: 1 });
    expect(records(out).some((l) => /flapping \(death 2 of this incident\)/.test(l))).toBe(true);
    expect(h.state.unstableExits).toHaveLength(1); // a short run after it answered counts for the breaker
  });

  it('a run that answered for longer than FLAP_RUN_MS and then exits is a new incident, however fast it started', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(killed());
    h.after(500, started(101));
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    h.advance(h.options.flapRunMs + 1_000);
    h.send(exited({ code: 1 }));
    expect(h.openIncident.id).toBe('gw-2');
    expect(h.openIncident.flaps ?? 0).toBe(0);
    expect(h.state.unstableExits).toHaveLength(0);
  });

  it('a death long after a recovery is a new incident', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(killed());
    h.after(500, started(101));
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    h.probes(60, probeOk()); // 5 minutes healthy
    h.send(killed());
    expect(h.openIncident.id).toBe('gw-2');
    expect(h.openIncident.flaps ?? 0).toBe(0);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchMedicProbe, renderGuardianResult, runGuardianOnce, type GuardianOptions, type MedicProbe } from '../../../src/deploy/guardian.js';
import { unitRef } from '../../../src/deploy/options.js';
import { memoryLogger } from '../../../src/logger.js';
import { FakeServiceManager } from './fakes.js';

const medic = unitRef('systemd', '/home/ada', 'medic');
const gateway = unitRef('systemd', '/home/ada', 'gateway');
const URL = 'http://127.0.0.1:18790/healthz';

/** A probe that answers from a script, one answer per call (the last one repeats). */
function scriptedProbe(...answers: boolean[]): MedicProbe & { calls: number } {
  const probe = Object.assign(
    async () => {
      const ok = answers[Math.min(probe.calls++, answers.length - 1)]!;
      return ok ? { ok, detail: 'HTTP 200' } : { ok, detail: 'connect ECONNREFUSED 127.0.0.1:18790' };
    },
    { calls: 0 },
  );
  return probe;
}

function setup(probe: MedicProbe, loaded: string[] = [medic.name, gateway.name]) {
  const sm = new FakeServiceManager();
  for (const name of loaded) sm.loaded.add(name);
  const log = memoryLogger();
  const sleeps: number[] = [];
  const options: GuardianOptions = {
    serviceManager: sm,
    units: { medic, gateway },
    medicHealthUrl: URL,
    log,
    probe,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { sm, log, sleeps, options };
}

describe('runGuardianOnce', () => {
  it('leaves a healthy medic and loaded units alone, and says nothing above debug', async () => {
    const { sm, log, options } = setup(scriptedProbe(true));
    const result = await runGuardianOnce(options);
    expect(result).toEqual({ medicHealthy: true, probeDetail: 'HTTP 200', steps: [], ok: true });
    expect(sm.calls).toEqual(['is-loaded clawmedic.service', 'is-loaded openclaw-gateway.service']);
    expect(log.lines).toEqual([{ level: 'debug', msg: 'guardian: all well (clawmedic.service answers, both units loaded)' }]);
    expect(renderGuardianResult(result, medic.name)).toEqual(['medic clawmedic.service: healthy (HTTP 200)', 'nothing to do']);
  });

  it('restarts a loaded medic whose /healthz fails twice in a row, 5 s apart', async () => {
    const probe = scriptedProbe(false);
    const { sm, log, sleeps, options } = setup(probe);
    const result = await runGuardianOnce(options);
    expect(probe.calls).toBe(2);
    expect(sleeps).toEqual([5000]);
    expect(sm.calls).toContain('restart clawmedic.service');
    expect(result.medicHealthy).toBe(false);
    expect(result.ok).toBe(true);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        msg: 'guardian: restarted clawmedic.service: its /healthz did not answer 200 (connect ECONNREFUSED 127.0.0.1:18790, 2 times in a row)',
      },
    ]);
  });

  it('does not restart a medic that answers on the second probe (it was still starting)', async () => {
    const { sm, options } = setup(scriptedProbe(false, true));
    const result = await runGuardianOnce(options);
    expect(result.medicHealthy).toBe(true);
    expect(sm.calls.filter((c) => !c.startsWith('is-loaded'))).toEqual([]);
  });

  it('loads an unloaded medic again (probed once; not restarted on top)', async () => {
    const probe = scriptedProbe(false);
    const { sm, log, options } = setup(probe, [gateway.name]);
    const result = await runGuardianOnce(options);
    expect(probe.calls).toBe(1);
    expect(sm.calls).toEqual(['is-loaded clawmedic.service', 'is-loaded openclaw-gateway.service', 'load clawmedic.service']);
    expect(sm.loaded.has(medic.name)).toBe(true);
    expect(result.steps).toEqual([{ unit: 'clawmedic.service', action: 'load', reason: 'it was not loaded', error: null }]);
    expect(log.lines.map((l) => l.msg)).toEqual(['guardian: loaded clawmedic.service: it was not loaded']);
  });

  it('the nuclear test: both unloaded, both loaded again in one pass', async () => {
    const { sm, options } = setup(scriptedProbe(false), []);
    const result = await runGuardianOnce(options);
    expect(sm.calls.filter((c) => c.startsWith('load'))).toEqual(['load clawmedic.service', 'load openclaw-gateway.service']);
    expect([...sm.loaded].sort()).toEqual(['clawmedic.service', 'openclaw-gateway.service']);
    expect(renderGuardianResult(result, medic.name)).toEqual([
      'medic clawmedic.service: not answering (connect ECONNREFUSED 127.0.0.1:18790)',
      'clawmedic.service: loaded again: it was not loaded',
      'openclaw-gateway.service: loaded again: it was not loaded and the medic is not answering',
    ]);
  });

  it('with a medic that stops the gateway by unloading it (launchd), leaves an unloaded gateway to a healthy medic', async () => {
    const { sm, log, options } = setup(scriptedProbe(true), [medic.name]);
    const result = await runGuardianOnce(options);
    expect(sm.calls.filter((c) => !c.startsWith('is-loaded'))).toEqual([]);
    expect(result.steps).toEqual([
      { unit: 'openclaw-gateway.service', action: 'leave', reason: 'not loaded, but the medic is healthy and owns it (it may be stopped for a repair)', error: null },
    ]);
    expect(log.lines).toEqual([
      { level: 'info', msg: 'guardian: openclaw-gateway.service is not loaded; the medic is healthy and restarts it when it should run' },
    ]);
  });

  it('with a medic that only stops the gateway (systemd), loads an unloaded gateway even beside a healthy medic', async () => {
    const { sm, log, options } = setup(scriptedProbe(true), [medic.name]);
    const result = await runGuardianOnce({ ...options, medicUnloadsGateway: false });
    expect(sm.calls.filter((c) => !c.startsWith('is-loaded'))).toEqual(['load openclaw-gateway.service']);
    expect(result.steps).toEqual([{ unit: 'openclaw-gateway.service', action: 'load', reason: 'it was not loaded', error: null }]);
    expect(log.lines.map((l) => l.msg)).toEqual(['guardian: loaded openclaw-gateway.service: it was not loaded']);
  });

  it('loads an unloaded gateway when the medic is not answering (and restarts the medic)', async () => {
    const { sm, options } = setup(scriptedProbe(false), [medic.name]);
    await runGuardianOnce(options);
    expect(sm.calls.filter((c) => !c.startsWith('is-loaded'))).toEqual(['restart clawmedic.service', 'load openclaw-gateway.service']);
  });

  it('reports a failing service manager call instead of throwing, and goes on with the rest', async () => {
    const { sm, log, options } = setup(scriptedProbe(false), []);
    sm.failOn.add('load clawmedic.service');
    const result = await runGuardianOnce(options);
    expect(result.ok).toBe(false);
    expect(result.steps).toEqual([
      { unit: 'clawmedic.service', action: 'load', reason: 'it was not loaded', error: 'load clawmedic.service failed: Failed to connect to bus' },
      { unit: 'openclaw-gateway.service', action: 'load', reason: 'it was not loaded and the medic is not answering', error: null },
    ]);
    expect(log.lines[0]).toEqual({
      level: 'error',
      msg: 'guardian: could not load clawmedic.service (it was not loaded): load clawmedic.service failed: Failed to connect to bus',
    });
    expect(renderGuardianResult(result, medic.name)[1]).toBe(
      'clawmedic.service: could not load it (it was not loaded): load clawmedic.service failed: Failed to connect to bus',
    );
  });

  it('when the manager cannot say what is loaded, still restarts a medic that does not answer', async () => {
    const { sm, options } = setup(scriptedProbe(false));
    sm.failOn.add('is-loaded');
    const result = await runGuardianOnce(options);
    expect(result.ok).toBe(false);
    expect(result.steps.map((s) => [s.unit, s.action, s.error])).toEqual([
      ['clawmedic.service', 'leave', 'is-loaded clawmedic.service failed: Failed to connect to bus'],
      ['openclaw-gateway.service', 'leave', 'is-loaded openclaw-gateway.service failed: Failed to connect to bus'],
      ['clawmedic.service', 'restart', null],
    ]);
  });
});

describe('fetchMedicProbe (the default probe) against a real server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
  }

  it('is ok on 200 only', async () => {
    const ok = await serve((_req, res) => res.writeHead(200).end('{"ok":true}'));
    expect(await fetchMedicProbe(ok, 1000)).toEqual({ ok: true, detail: 'HTTP 200' });
    server!.removeAllListeners('request');
    server!.on('request', (_req, res) => res.writeHead(503).end());
    expect(await fetchMedicProbe(ok, 1000)).toEqual({ ok: false, detail: 'HTTP 503' });
  });

  it('a medic that accepts but never answers fails within the timeout', async () => {
    const url = await serve(() => {
      // never answers: a frozen event loop looks like this from outside
    });
    const started = Date.now();
    expect(await fetchMedicProbe(url, 300)).toEqual({ ok: false, detail: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('nothing listening is a failure with the reason', async () => {
    const url = await serve(() => {});
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const result = await fetchMedicProbe(url, 1000);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/ECONNREFUSED/);
  });

  it('drives a real pass: a medic that never answers is restarted', async () => {
    const url = await serve(() => {});
    const sm = new FakeServiceManager();
    sm.loaded.add(medic.name).add(gateway.name);
    const result = await runGuardianOnce({ serviceManager: sm, units: { medic, gateway }, medicHealthUrl: url, log: memoryLogger(), timeoutMs: 200, retryDelayMs: 10 });
    expect(result.probeDetail).toBe('no answer within 200 ms, 2 times in a row');
    expect(sm.calls).toContain('restart clawmedic.service');
  });
});

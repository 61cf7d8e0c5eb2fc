/**
 * The dead-man's switch: when the medic calls itself unhealthy, what each URL style receives
 * (a real local receiver), the ping loop, and the guardian's own ping after its pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runGuardianOnce } from '../../../src/deploy/guardian.js';
import { unitRef } from '../../../src/deploy/options.js';
import { systemClock } from '../../../src/lib/clock.js';
import { memoryLogger } from '../../../src/logger.js';
import { Heartbeat, heartbeatRequest, medicHealth, pingHeartbeat, type Verdict } from '../../../src/observe/heartbeat.js';
import { waitFor } from '../../fixtures/gateways.js';
import { FakeServiceManager } from '../deploy/fakes.js';
import { FakeReceiver } from '../notify/receiver.js';

const receivers: FakeReceiver[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
async function receiver(): Promise<FakeReceiver> {
  const r = await new FakeReceiver().start();
  receivers.push(r);
  return r;
}

const target = (phase: string, incident: { id: string; cause: string } | null = null) => ({ name: 'gw', phase, incident }) as Parameters<typeof medicHealth>[0][number];

describe('medicHealth', () => {
  it('is unhealthy when a target waits for a person or Discord cannot be reached; recovering and paused are normal work', () => {
    expect(medicHealth([target('healthy')], 'connected')).toEqual({ ok: true, reason: 'ok' });
    expect(medicHealth([target('restarting'), target('paused'), target('agent')], null)).toEqual({ ok: true, reason: 'ok' });
    expect(medicHealth([target('healthy')], 'reconnecting').ok).toBe(true);
    expect(medicHealth([target('waiting-for-human', { id: 'gw-3', cause: 'gateway exited with code 1' })], 'connected')).toEqual({
      ok: false,
      reason: 'gw waits for a person (incident gw-3: gateway exited with code 1)',
    });
    expect(medicHealth([target('healthy')], 'unreachable')).toEqual({ ok: false, reason: 'Discord is unreachable' });
    expect(medicHealth([target('healthy')], 'auth-failed')).toEqual({ ok: false, reason: 'Discord refuses the bot token' });
  });
});

describe('heartbeat URL styles', () => {
  const bad: Verdict = { ok: false, reason: 'gw waits for a person' };
  it('Healthchecks: POST the reason, to <url>/fail when unhealthy', () => {
    expect(heartbeatRequest('https://hc-ping.com/uuid-1', { ok: true, reason: 'ok' })).toEqual({ method: 'POST', url: 'https://hc-ping.com/uuid-1', body: 'ok' });
    expect(heartbeatRequest('https://hc-ping.com/uuid-1', bad)).toEqual({ method: 'POST', url: 'https://hc-ping.com/uuid-1/fail', body: 'gw waits for a person' });
  });
  it('Uptime Kuma push: GET with status=up, or status=down and the reason in msg', () => {
    expect(heartbeatRequest('https://kuma.example/api/push/Tok3n?status=up&msg=OK&ping=', { ok: true, reason: 'ok' }).url).toBe(
      'https://kuma.example/api/push/Tok3n?status=up&msg=ok&ping=',
    );
    expect(heartbeatRequest('https://kuma.example/api/push/Tok3n?status=up&msg=OK&ping=', bad)).toEqual({
      method: 'GET',
      url: 'https://kuma.example/api/push/Tok3n?status=down&msg=gw+waits+for+a+person&ping=',
      body: null,
    });
  });
  it('a ping never throws: a dead watcher is a detail', async () => {
    const r = await receiver();
    expect(await pingHeartbeat(r.url('/ping/abc'), { ok: true, reason: 'ok' })).toEqual({ ok: true, detail: 'HTTP 200' });
    r.down = true;
    expect((await pingHeartbeat(r.url('/ping/abc'), { ok: true, reason: 'ok' })).ok).toBe(false);
  });
});

describe('Heartbeat loop', () => {
  it('pings every interval, and says /fail while the medic knows it is unhealthy', async () => {
    const r = await receiver();
    let verdict: Verdict = { ok: true, reason: 'ok' };
    const log = memoryLogger();
    const sent: boolean[] = [];
    const hb = new Heartbeat({ url: r.url('/ping/abc'), intervalMs: 30, clock: systemClock, log, health: () => verdict, onPing: (_v, ok) => sent.push(ok) });
    hb.start();
    stops.push(() => hb.stop());
    await waitFor(() => r.received.length >= 2, { what: 'two pings' });
    verdict = { ok: false, reason: 'Discord is unreachable' };
    await waitFor(() => r.received.some((x) => x.path === '/ping/abc/fail'), { what: 'a /fail ping' });
    const fail = r.received.find((x) => x.path === '/ping/abc/fail')!;
    expect(fail).toMatchObject({ method: 'POST', body: 'Discord is unreachable' });
    expect(r.received[0]).toMatchObject({ method: 'POST', path: '/ping/abc', body: 'ok' });
    expect(log.lines.map((l) => l.msg)).toContain('heartbeat: telling the watcher the medic is unhealthy: Discord is unreachable');
    await hb.stop();
    const count = r.received.length;
    await new Promise((ok) => setTimeout(ok, 150));
    expect(r.received.length).toBe(count); // stopped: no more pings
    expect(sent.every(Boolean)).toBe(true);
  });
});

describe('the guardian pings its own check', () => {
  const medic = unitRef('systemd', '/home/ada', 'medic');
  const gateway = unitRef('systemd', '/home/ada', 'gateway');
  const run = (r: FakeReceiver, ok: boolean) => {
    const sm = new FakeServiceManager();
    sm.loaded.add(medic.name);
    sm.loaded.add(gateway.name);
    return runGuardianOnce({
      serviceManager: sm,
      units: { medic, gateway },
      medicHealthUrl: 'http://127.0.0.1:1/healthz',
      log: memoryLogger(),
      probe: async () => (ok ? { ok, detail: 'HTTP 200' } : { ok, detail: 'connect ECONNREFUSED' }),
      sleep: async () => {},
      attempts: 1,
      heartbeatUrl: r.url('/guardian-check'),
    });
  };
  it('ok after a pass that found the medic answering; /fail with the reason when it did not', async () => {
    const r = await receiver();
    await run(r, true);
    await run(r, false);
    expect(r.received.map((x) => [x.path, x.body])).toEqual([
      ['/guardian-check', 'ok'],
      ['/guardian-check/fail', 'medic not answering (connect ECONNREFUSED)'],
    ]);
  });
});

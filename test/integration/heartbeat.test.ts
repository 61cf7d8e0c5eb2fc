/**
 * The dead-man's switch end to end: the real `clawmedic run` process pings a local fake watcher;
 * `kill -9` of the medic stops the pings, a new medic resumes them; a target waiting for a
 * person turns them into /fail (in-process medic, Uptime Kuma style too).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { E2eWorld } from '../e2e/harness.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { FakeReceiver } from '../unit/notify/receiver.js';
import { scrape } from '../unit/observe/prom-text.js';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
const world = new E2eWorld();
const receivers: FakeReceiver[] = [];
afterEach(async () => {
  await world.cleanup();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(): Promise<FakeReceiver> {
  const r = await new FakeReceiver().start();
  receivers.push(r);
  return r;
}

function startMedic(env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(process.execPath, [BIN, 'run'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  world.janitor.track(child.pid);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

/** Tracks the gateway's pid (it outlives a medic killed with -9). */
async function trackGateway(apiPort: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/status`).catch(() => null);
  const body = (await res?.json().catch(() => null)) as { targets?: { pid: number | null }[] } | null;
  for (const t of body?.targets ?? []) if (t.pid) world.janitor.track(t.pid);
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe("the medic's heartbeat", () => {
  it('stops when the medic is kill -9ed and resumes when a medic runs again', async () => {
    const watcher = await receiver();
    const { env, apiPort, dataDir } = await world.envFor({ mode: 'ok' }, { MEDIC_HEARTBEAT_URL: watcher.url('/ping/5d1c'), MEDIC_HEARTBEAT_INTERVAL_S: '1' });
    const a = startMedic(env, dataDir);
    await waitFor(() => watcher.received.length >= 2, { timeoutMs: 30_000, what: `two pings from the first medic\n${a.output()}` });
    expect(watcher.received[0]).toMatchObject({ method: 'POST', path: '/ping/5d1c', body: 'ok' });
    await trackGateway(apiPort);

    a.kill('SIGKILL');
    await waitFor(() => !isAlive(a.pid!), { what: 'the medic to die' });
    const atDeath = watcher.received.length;
    await sleep(3_000); // three intervals
    expect(watcher.received.length).toBe(atDeath);

    const b = startMedic(env, dataDir);
    await waitFor(() => watcher.received.length >= atDeath + 2, { timeoutMs: 30_000, what: `pings from the second medic\n${b.output()}` });
    await trackGateway(apiPort);
    expect(watcher.received.slice(atDeath).every((r) => r.path === '/ping/5d1c' && r.body === 'ok')).toBe(true);
    b.kill('SIGTERM');
    await waitFor(() => !isAlive(b.pid!), { what: 'the second medic to stop', timeoutMs: 20_000 });
  });

  it('says /fail while a target waits for a person (Healthchecks style), status=down in the Uptime Kuma style', async () => {
    const hc = await receiver();
    const m = await world.start({ mode: 'crash-on-start' }, { MEDIC_HEARTBEAT_URL: hc.url('/ping/5d1c'), MEDIC_HEARTBEAT_INTERVAL_S: '1' });
    await m.waitStatus('waiting for a person', (t) => t.incident?.state === 'waiting_human');
    const fail = await waitFor(() => hc.received.find((r) => r.path === '/ping/5d1c/fail'), { what: 'a /fail ping' });
    expect(fail.body).toMatch(/^gw waits for a person \(incident gw-1: /);
    const s = await scrape(`http://127.0.0.1:${m.apiPort}/metrics`);
    expect(s.value('clawmedic_heartbeat_pings_total', { kind: 'fail', result: 'sent' })).toBeGreaterThanOrEqual(1);

    const kuma = await receiver();
    const k = await world.start({ mode: 'crash-on-start' }, { MEDIC_HEARTBEAT_URL: kuma.url('/api/push/Tok3n?status=up&msg=OK&ping='), MEDIC_HEARTBEAT_INTERVAL_S: '1' });
    await k.waitStatus('waiting for a person', (t) => t.incident?.state === 'waiting_human');
    const down = await waitFor(() => kuma.received.find((r) => r.path.includes('status=down')), { what: 'a status=down push' });
    expect(down.method).toBe('GET');
    expect(new URL(down.path, 'http://x').searchParams.get('msg')).toMatch(/^gw waits for a person/);
    expect(kuma.received[0]!.path).toBe('/api/push/Tok3n?status=up&msg=ok&ping=');
  });
});

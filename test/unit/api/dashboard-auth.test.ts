/** Signing in to the dashboard over real HTTP: the API token, one-time links (single use, expiry), sessions. */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.js';
import { bearer, call, signInAs, startDashboard, TOKEN, type Harness } from './dashboard-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function link(port: number, name = 'alice'): Promise<string> {
  const res = await call(port, '/dashboard/api/link', { method: 'POST', headers: bearer(TOKEN), body: { name } });
  expect(res.status).toBe(201);
  const url = new URL(res.json.url as string);
  expect(url.origin).toBe(`http://127.0.0.1:${port}`);
  expect(url.pathname).toBe('/');
  // The secret rides in the fragment: a browser never sends it to a server, a log never records it.
  expect(url.search).toBe('');
  return /^#login=([A-Za-z0-9_-]{43})$/.exec(url.hash)![1]!;
}

const redeem = (port: number, code: string) => call(port, '/dashboard/api/session', { method: 'POST', body: { link: code } });

describe('dashboard sign-in: API token', () => {
  it('a wrong token is refused and audited; the right one opens a session as dashboard:<name>', async () => {
    h = await startDashboard();
    const wrong = await call(h.port, '/dashboard/api/session', { method: 'POST', body: { token: `${TOKEN}x`, name: 'mallory' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: 'wrong API token (it is MEDIC_API_TOKEN, or the file <MEDIC_DATA_DIR>/api-token)' });
    const ok = await call(h.port, '/dashboard/api/session', { method: 'POST', body: { token: TOKEN, name: 'alice' } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ operator: 'dashboard:alice' });
    expect(ok.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const status = await call(h.port, '/dashboard/api/status', { headers: bearer(ok.json.token) });
    expect(status.status).toBe(200);
    expect(status.json.operator).toBe('dashboard:alice');
    expect(status.json.targets.map((t: { name: string }) => t.name)).toEqual(['gw']);
    const audit = (await h.store.listAudit({ limit: 10 })).map((r) => [r.by, r.text]);
    expect(audit).toEqual([
      ['dashboard:alice', 'dashboard:alice: signed in to the dashboard with the API token'],
      ['dashboard', 'dashboard: refused sign-in with the API token: wrong API token (it is MEDIC_API_TOKEN, or the file <MEDIC_DATA_DIR>/api-token)'],
    ]);
  });

  it('a name that is not a plain name is refused', async () => {
    h = await startDashboard();
    const res = await call(h.port, '/dashboard/api/session', { method: 'POST', body: { token: TOKEN, name: 'discord:alice <@1>' } });
    expect(res.status).toBe(400);
    expect(res.json.token).toBeUndefined();
  });

  it('a session ends when it expires and when its operator signs out', async () => {
    h = await startDashboard();
    const a = await signInAs(h.port, 'alice');
    const b = await signInAs(h.port, 'bob');
    expect((await call(h.port, '/dashboard/api/sign-out', { method: 'POST', headers: bearer(b), body: {} })).status).toBe(200);
    expect((await call(h.port, '/dashboard/api/status', { headers: bearer(b) })).status).toBe(401);
    expect((await call(h.port, '/dashboard/api/status', { headers: bearer(a) })).status).toBe(200);
    await h.clock.advance(12 * 60 * 60_000);
    expect((await call(h.port, '/dashboard/api/status', { headers: bearer(a) })).status).toBe(401);
  });
});

describe('dashboard sign-in: too many wrong tries', () => {
  const wrongToken = (port: number) => call(port, '/dashboard/api/session', { method: 'POST', body: { token: `${TOKEN}x`, name: 'mallory' } });
  const rightToken = (port: number) => call(port, '/dashboard/api/session', { method: 'POST', body: { token: TOKEN, name: 'alice' } });

  it('after 5 wrong tries every try (even the right token, even for a link) waits: 429 with Retry-After, audited once per burst', async () => {
    h = await startDashboard();
    for (let i = 0; i < 5; i++) expect((await wrongToken(h.port)).status).toBe(401);
    const answers = [await rightToken(h.port), await wrongToken(h.port), await call(h.port, '/dashboard/api/link', { method: 'POST', headers: bearer(TOKEN), body: {} })];
    for (const a of answers) {
      expect(a.status).toBe(429);
      expect(a.headers['retry-after']).toBe('2');
      expect(a.json).toEqual({ error: 'too many wrong sign-in attempts from 127.0.0.1: try again in 2 s', retryAfterS: 2 });
      expect(a.json.token).toBeUndefined();
    }
    const audit = (await h.store.listAudit({ limit: 50 })).map((r) => r.text);
    expect(audit.filter((t) => t.includes('refused sign-in'))).toHaveLength(5);
    expect(audit.filter((t) => t.includes('sign-in attempts'))).toEqual([
      'dashboard: sign-in attempts from 127.0.0.1 refused for 2 s (5 wrong in a row from 127.0.0.1); further refusals until then are not recorded one by one',
    ]);
    // The wait over, the right token works and starts the count afresh.
    await h.clock.advance(2_000);
    expect((await rightToken(h.port)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await wrongToken(h.port)).status).toBe(401);
    expect((await rightToken(h.port)).status).toBe(200);
  });

  it('wrong tries go on after a wait: the next wait is twice as long, and a new burst is audited again', async () => {
    h = await startDashboard();
    for (let i = 0; i < 5; i++) await wrongToken(h.port);
    expect((await wrongToken(h.port)).status).toBe(429);
    await h.clock.advance(2_000);
    expect((await wrongToken(h.port)).status).toBe(401);
    const held = await rightToken(h.port);
    expect(held.status).toBe(429);
    expect(held.headers['retry-after']).toBe('4');
    await rightToken(h.port);
    const bursts = (await h.store.listAudit({ limit: 50 })).filter((r) => r.text.includes('sign-in attempts')).map((r) => r.text);
    expect(bursts).toHaveLength(2);
    expect(bursts[0]).toContain('refused for 4 s (6 wrong in a row');
  });

  it('wrong API tokens asking for a one-time link count too', async () => {
    h = await startDashboard();
    for (let i = 0; i < 5; i++) {
      expect((await call(h.port, '/dashboard/api/link', { method: 'POST', headers: bearer(`${TOKEN}x`), body: {} })).status).toBe(401);
    }
    expect((await rightToken(h.port)).status).toBe(429);
  });
});

describe('dashboard sign-in: one-time link', () => {
  it('needs the API token to be made', async () => {
    h = await startDashboard();
    expect((await call(h.port, '/dashboard/api/link', { method: 'POST', body: { name: 'alice' } })).status).toBe(401);
    expect((await call(h.port, '/dashboard/api/link', { method: 'POST', headers: bearer('not-the-token-at-all-000000'), body: {} })).status).toBe(401);
  });

  it('signs in once; the second use is refused', async () => {
    h = await startDashboard();
    const code = await link(h.port);
    const first = await redeem(h.port, code);
    expect(first.status).toBe(200);
    expect(first.json.operator).toBe('dashboard:alice');
    const second = await redeem(h.port, code);
    expect(second.status).toBe(401);
    expect(second.json.error).toContain('this sign-in link is not valid (already used');
    expect(second.json.token).toBeUndefined();
    // The first session is still good.
    expect((await call(h.port, '/dashboard/api/status', { headers: bearer(first.json.token) })).status).toBe(200);
  });

  it('expires after 5 minutes, and a late try spends it', async () => {
    h = await startDashboard();
    const fresh = await link(h.port);
    const late = await link(h.port);
    await h.clock.advance(4 * 60_000);
    expect((await redeem(h.port, fresh)).status).toBe(200);
    await h.clock.advance(60_000);
    const res = await redeem(h.port, late);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('this sign-in link has expired: run clawmedic dashboard for a new one');
    expect((await redeem(h.port, late)).json.error).toContain('not valid');
  });

  it('a guessed link is refused', async () => {
    h = await startDashboard();
    await link(h.port);
    const res = await redeem(h.port, 'A'.repeat(43));
    expect(res.status).toBe(401);
  });

  it('clawmedic dashboard prints a link that signs in once as dashboard:<name>', async () => {
    h = await startDashboard();
    const out: string[] = [];
    const err: string[] = [];
    const env = { HOME: h.transcriptDir, PATH: process.env.PATH, MEDIC_API_TOKEN: TOKEN };
    const code = await main(['dashboard', '--url', `http://127.0.0.1:${h.port}`, '--name', 'carol'], env, { out: (t) => out.push(t), err: (t) => err.push(t), width: undefined });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const printed = /http:\/\/127\.0\.0\.1:\d+\/#login=([A-Za-z0-9_-]+)/.exec(out.join('\n'));
    expect(out.join('\n')).toContain('Open this link to sign in to the dashboard (once, within 5 min):');
    const res = await redeem(h.port, printed![1]!);
    expect(res.json.operator).toBe('dashboard:carol');
    expect((await redeem(h.port, printed![1]!)).status).toBe(401);
  });
});

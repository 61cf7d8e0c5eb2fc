/**
 * The dashboard against the attacks a page on 127.0.0.1 faces, over real HTTP: DNS rebinding
 * (Host), cross-origin requests (Origin, Sec-Fetch-Site), CSRF (a cookie alone is nothing, the
 * session travels in a header; JSON only), framing and inline script (headers, the page itself).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_DIR } from '../../../src/api/dashboard/static-files.js';
import { bearer, call, signInAs, startDashboard, TOKEN, type Harness } from './dashboard-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('dashboard: DNS rebinding', () => {
  it('serves the page and its API only to its own Host names', async () => {
    h = await startDashboard();
    const port = h.port;
    expect((await call(port, '/')).status).toBe(200);
    expect((await call(port, '/', { headers: { host: `localhost:${port}` } })).status).toBe(200);
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
      const page = await call(port, '/', { headers: { host } });
      expect(page.status).toBe(421);
      expect(page.text).not.toContain('<script');
      const api = await call(port, '/dashboard/api/session', { method: 'POST', headers: { host }, body: { token: TOKEN } });
      expect(api.status).toBe(421);
      expect(api.json.token).toBeUndefined();
    }
  });
});

describe('dashboard: behind a proxy under an allowed name (DASHBOARD_ALLOWED_HOSTS)', () => {
  it('the page and a sign-in from that name, over http or an https proxy; another origin is still refused', async () => {
    h = await startDashboard({ allowedHostNames: ['medic.lan'] });
    const port = h.port;
    expect((await call(port, '/', { headers: { host: 'medic.lan' } })).status).toBe(200);
    for (const origin of ['https://medic.lan', 'http://medic.lan']) {
      const ok = await call(port, '/dashboard/api/session', { method: 'POST', headers: { host: 'medic.lan', origin }, body: { token: TOKEN, name: 'proxy' } });
      expect(ok.status, origin).toBe(200);
    }
    for (const origin of ['https://evil.example', `http://127.0.0.1:${port}`, 'https://medic.lan.evil.example']) {
      const refused = await call(port, '/dashboard/api/session', { method: 'POST', headers: { host: 'medic.lan', origin }, body: { token: TOKEN, name: 'x' } });
      expect(refused.status, origin).toBe(403);
      expect(refused.json.token).toBeUndefined();
    }
  });
});

describe('dashboard: cross-origin requests and CSRF', () => {
  it('refuses a sign-in or an action sent from another origin, even with the right secrets', async () => {
    h = await startDashboard();
    const port = h.port;
    const session = await signInAs(port, 'alice');
    for (const headers of [
      { origin: 'http://evil.example' },
      { origin: `http://localhost:${port + 1}` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ]) {
      const signIn = await call(port, '/dashboard/api/session', { method: 'POST', headers, body: { token: TOKEN } });
      expect(signIn.status).toBe(403);
      expect(signIn.json.token).toBeUndefined();
      const act = await call(port, '/dashboard/api/pause', { method: 'POST', headers: { ...headers, ...bearer(session) }, body: { target: 'gw' } });
      expect(act.status).toBe(403);
      const read = await call(port, '/dashboard/api/status', { headers: { ...headers, ...bearer(session) } });
      expect(read.status).toBe(403);
    }
    expect(h.calls).toEqual([]);
    // The same request from the page's own origin goes through.
    const ok = await call(port, '/dashboard/api/pause', {
      method: 'POST',
      headers: { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin', ...bearer(session) },
      body: { target: 'gw' },
    });
    expect(ok.status).toBe(200);
    expect(h.calls).toEqual([{ op: 'pause', args: ['dashboard:alice', null] }]);
  });

  it('a session token in a cookie alone is nothing; a form post (not JSON) is refused', async () => {
    h = await startDashboard();
    const port = h.port;
    const session = await signInAs(port, 'alice');
    const cookieOnly = await call(port, '/dashboard/api/abort', { method: 'POST', headers: { cookie: `session=${session}; token=${session}` }, body: { target: 'gw' } });
    expect(cookieOnly.status).toBe(401);
    const form = await call(port, '/dashboard/api/abort', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...bearer(session) },
      body: 'target=gw',
    });
    expect(form.status).toBe(415);
    const textPlain = await call(port, '/dashboard/api/session', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ token: TOKEN }) });
    expect(textPlain.status).toBe(415);
    expect(h.calls).toEqual([]);
    const audit = await h.store.listAudit({ limit: 10 });
    expect(audit.map((r) => r.text)).toContain('dashboard: refused abort: not signed in (no session, or it expired)');
  });

  it('never sets a cookie, and answers every read only with a session', async () => {
    h = await startDashboard();
    const port = h.port;
    const signIn = await call(port, '/dashboard/api/session', { method: 'POST', body: { token: TOKEN, name: 'alice' } });
    expect(signIn.headers['set-cookie']).toBeUndefined();
    for (const path of ['/dashboard/api/status', '/dashboard/api/incidents', '/dashboard/api/incidents/gw-1', '/dashboard/api/audit', '/dashboard/api/events']) {
      const res = await call(port, path);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'not signed in, or the session expired: sign in again' });
    }
  });
});

describe('dashboard: the page', () => {
  it('is sent with a strict CSP, no framing, no sniffing, no referrer', async () => {
    h = await startDashboard();
    for (const path of ['/', '/assets/app.js', '/assets/style.css', '/dashboard/api/status']) {
      const res = await call(h.port, path);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await call(h.port, '/assets/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('holds no inline script, inline style, event attribute or secret; assets are served only by name', async () => {
    h = await startDashboard();
    const page = (await call(h.port, '/')).text;
    expect(page).toMatch(/<script type="module" src="\/assets\/app.js"><\/script>/);
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/\son[a-z]+=|\sstyle=/i);
    for (const name of readdirSync(PUBLIC_DIR)) {
      const text = readFileSync(join(PUBLIC_DIR, name), 'utf8');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
    for (const path of ['/assets/../index.ts', '/assets/%2e%2e/index.ts', '/assets/sessions.ts', '/index.html', '/assets/']) {
      expect((await call(h.port, path)).status).toBe(404);
    }
  });
});

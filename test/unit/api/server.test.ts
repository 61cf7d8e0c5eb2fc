/** The local API's edges: which Host it answers, malformed URLs, who a token holder may claim to be. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import type { Medic } from '../../../src/medic.js';
import { KeyvStore } from '../../../src/store/keyv-store.js';
import { captureLogger } from '../../fixtures/gateways.js';

const TOKEN = 'api-token-for-tests-0123456789';
let server: ApiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A medic whose one target records what it was asked. */
function fakeMedic() {
  const calls: { op: string; args: unknown[] }[] = [];
  const dog = {
    name: 'gw',
    recover: async (...args: unknown[]) => (calls.push({ op: 'recover', args }), 'gw-1'),
    decide: async (...args: unknown[]) => (calls.push({ op: 'decide', args }), String(args[0])),
  };
  const medic = {
    about: () => ({ version: 'test' }),
    status: () => ({ medic: { version: 'test' }, targets: [] }),
    target: (name: string) => {
      if (name !== 'gw') throw new Error('unknown');
      return dog;
    },
  } as unknown as Medic;
  return { medic, calls };
}

async function start(allowedHostNames?: string[]) {
  const { medic, calls } = fakeMedic();
  server = await startApiServer({
    medic,
    store: await KeyvStore.inMemory(),
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    log: captureLogger(),
    ...(allowedHostNames ? { allowedHostNames } : {}),
  });
  return { port: server.port, calls };
}

function call(port: number, path: string, init: { host?: string; method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: init.host ?? `127.0.0.1:${port}`, 'content-type': 'application/json' };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(init.body === undefined ? undefined : JSON.stringify(init.body));
  });
}

describe('local API: Host header (DNS rebinding)', () => {
  it('answers 127.0.0.1, localhost and [::1] on its own port', async () => {
    const { port } = await start();
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await call(port, '/status', { host })).status).toBe(200);
    }
  });

  it('refuses any other name, or the right name on another port, with 421 and reads nothing', async () => {
    const { port } = await start();
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`, '127.0.0.1']) {
      const res = await call(port, '/incidents', { host });
      expect(res.status).toBe(421);
      expect(res.body.error).toContain(`this API answers only to 127.0.0.1:${port}`);
      expect(res.body.incidents).toBeUndefined();
    }
  });
});

describe('local API: extra Host names (DASHBOARD_ALLOWED_HOSTS)', () => {
  it('a bare name is answered on the medic\'s port and without a port (a proxy on 80/443); name:port only on that port', async () => {
    const { port } = await start(['medic.lan', 'proxy.example.ts.net:8443']);
    for (const host of [`medic.lan:${port}`, 'MEDIC.LAN', 'medic.lan', 'proxy.example.ts.net:8443', `127.0.0.1:${port}`]) {
      expect((await call(port, '/status', { host })).status, host).toBe(200);
    }
    for (const host of [`medic.lan:${port + 1}`, 'proxy.example.ts.net', `proxy.example.ts.net:${port}`, 'evil.medic.lan', `medic.lan.evil.example:${port}`, '127.0.0.1']) {
      expect((await call(port, '/incidents', { host })).status, host).toBe(421);
    }
  });

  it('without the setting, the same names are refused', async () => {
    const { port } = await start();
    for (const host of [`medic.lan:${port}`, 'medic.lan']) expect((await call(port, '/status', { host })).status).toBe(421);
  });
});

describe('local API: malformed requests', () => {
  it('a malformed percent-encoding is a 400, not a 500', async () => {
    const { port } = await start();
    const res = await call(port, '/incidents/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/malformed URL/);
  });

  it('/approve without the id of the question it answers is a 400 that says where to find it', async () => {
    const { port, calls } = await start();
    const res = await call(port, '/approve', { method: 'POST', token: TOKEN, body: { target: 'gw', approved: true } });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('approval is required: the id of the question you answer (GET /status shows it as incident.approval.id)');
    expect(calls).toEqual([]);
  });
});

describe('local API: who acts', () => {
  it('records a token holder as api:<by>, whatever name it gives (it cannot pass for a Discord operator)', async () => {
    const { port, calls } = await start();
    await call(port, '/recover', { method: 'POST', token: TOKEN, body: { target: 'gw', level: 1, by: 'discord:alice (1234)' } });
    await call(port, '/recover', { method: 'POST', token: TOKEN, body: { target: 'gw', level: 1 } });
    await call(port, '/approve', { method: 'POST', token: TOKEN, body: { target: 'gw', approval: 'gw-1-t1', approved: true, by: 'bob' } });
    expect(calls).toEqual([
      { op: 'recover', args: [1, 'api:discord:alice (1234)', null] },
      { op: 'recover', args: [1, 'api', null] },
      { op: 'decide', args: ['gw-1-t1', true, 'api:bob', 'once'] },
    ]);
  });
});

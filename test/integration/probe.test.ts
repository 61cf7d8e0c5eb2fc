import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/lib/clock.js';
import { HttpProbe } from '../../src/recovery/probe.js';
import { DemoGatewayPath, ProcessJanitor, freePort, waitFor } from '../fixtures/gateways.js';

const janitor = new ProcessJanitor();
const servers: http.Server[] = [];

afterEach(async () => {
  await janitor.killAll();
  await Promise.all(servers.splice(0).map((s) => new Promise((ok) => s.close(ok))));
});

function probeAt(port: number, timeoutMs = 3_000, path = '/healthz'): HttpProbe {
  return new HttpProbe({ url: `http://127.0.0.1:${port}${path}`, timeoutMs, clock: systemClock });
}

/** Starts the demo gateway directly (no supervisor) and waits for its first 200. */
async function startDemoGateway(): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [DemoGatewayPath, '--port', String(port)], { stdio: 'ignore' });
  const pid = janitor.track(child.pid);
  await waitFor(async () => (await probeAt(port).check()).ok, { timeoutMs: 15_000, what: 'the demo gateway' });
  return { pid, port };
}

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return (server.address() as net.AddressInfo).port;
}

describe('HttpProbe', () => {
  it('reports a healthy gateway as ok with its status, timed by the injected clock', async () => {
    const { port } = await startDemoGateway();
    const readings = [1_000_000, 1_000_042]; // the start of the request, then its answer
    const clock = { now: () => readings.shift() ?? 1_000_042, sleep: systemClock.sleep };
    const probe = new HttpProbe({ url: `http://127.0.0.1:${port}/healthz`, timeoutMs: 3_000, clock });
    expect(await probe.check()).toEqual({ ok: true, at: 1_000_000, latencyMs: 42, status: 200, error: null });
  });

  it('reports a non-2xx answer as "HTTP <status>"', async () => {
    const port = await serve((_req, res) => {
      res.statusCode = 503;
      res.end('{"ok":false,"status":"draining"}');
    });
    await expect(probeAt(port).check()).resolves.toMatchObject({ ok: false, status: 503, error: 'HTTP 503' });
  });

  it('reports a closed port as "connection refused"', async () => {
    const port = await freePort();
    await expect(probeAt(port).check()).resolves.toMatchObject({ ok: false, status: null, error: 'connection refused' });
  });

  it('times out against a frozen (SIGSTOPped) gateway', async () => {
    const { pid, port } = await startDemoGateway();
    process.kill(pid, 'SIGSTOP');
    try {
      const result = await probeAt(port, 500).check();
      expect(result).toMatchObject({ ok: false, status: null, error: 'timeout after 500 ms' });
    } finally {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    }
  });

  it('times out on a gateway that sends headers and then stalls the body', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
    });
    await expect(probeAt(port, 500).check()).resolves.toMatchObject({ ok: false, error: 'timeout after 500 ms' });
  });

  it('caps a large body and still reports the status', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      res.on('close', () => res.destroy());
    });
    await expect(probeAt(port).check()).resolves.toMatchObject({ ok: true, status: 200 });
  });

  it('resolves (never throws) when aborted through its signal', async () => {
    const port = await serve(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const pending = probeAt(port, 10_000).check(controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(pending).resolves.toMatchObject({ ok: false, error: 'aborted' });

    const aborted = new AbortController();
    aborted.abort();
    await expect(probeAt(port).check(aborted.signal)).resolves.toMatchObject({ ok: false, error: 'aborted' });
  });

  it('opens a fresh connection per check (no keep-alive pool)', async () => {
    const sockets = new Set<net.Socket>();
    const port = await serve((req, res) => {
      sockets.add(req.socket);
      res.end('ok');
    });
    const probe = probeAt(port);
    await probe.check();
    await probe.check();
    expect(sockets.size).toBe(2);
  });
});

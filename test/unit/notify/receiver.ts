/**
 * A local fake of a push service (webhook, ntfy, Telegram, Slack, PagerDuty, a heartbeat
 * watcher): a real HTTP server on 127.0.0.1, port 0, that records every request and answers
 * as told (ok, an error status, or a dropped connection while "down").
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '../../../src/notify/alert.js';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export class FakeReceiver {
  readonly received: Received[] = [];
  /** Answers while up. */
  status = 200;
  reply = '{"ok":true}';
  headers: Record<string, string> = {};
  /** While true, every connection is dropped without an answer (the service is down). */
  down = false;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.down) {
          req.socket.destroy();
          return;
        }
        this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        res.writeHead(this.status, { 'content-type': 'application/json', ...this.headers }).end(this.reply);
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  bodies<T = Record<string, unknown>>(): T[] {
    return this.received.map((r) => JSON.parse(r.body) as T);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((ok) => {
      s.close(() => ok());
      s.closeAllConnections();
    });
  }
}

/** An alert as the router makes them (a person needed at level 4), with `over` on top. */
export function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'gw-1:human:abcd1234',
    event: 'human',
    incidentId: 'gw-1',
    target: 'gw',
    priority: 'alert',
    severity: 'critical',
    needsHuman: true,
    closes: false,
    level: 4,
    failureClass: 'plugin-crash',
    title: '[gw] gw-1 needs a person: level 2 has nothing left to try',
    text: 'cause: gateway exited with code 1\nclass: plugin-crash',
    at: 1_700_000_000_000,
    ...over,
  };
}

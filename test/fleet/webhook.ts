/**
 * A local stand-in for a generic alert webhook (ALERT_WEBHOOK_URL): it records every alert it is
 * sent (the JSON body and the delivery id) and answers 204. Bound to 127.0.0.1 on an ephemeral port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  at: number;
  delivery: string;
  event: string;
  incidentId: string;
  target: string;
  title: string;
}

export class FakeWebhook {
  readonly received: ReceivedAlert[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeWebhook> {
    let self: FakeWebhook | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as Omit<ReceivedAlert, 'at' | 'delivery'>;
          self!.received.push({ at: Date.now(), delivery: String(req.headers['x-clawmedic-delivery'] ?? ''), event: body.event, incidentId: body.incidentId, target: body.target, title: body.title });
          res.writeHead(204).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    self = new FakeWebhook(server);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alerts`;
  }

  /** The settings a medic takes to use this webhook only while Discord cannot carry an alert. */
  env(): Record<string, string> {
    return { ALERT_WEBHOOK_URL: this.url, ALERT_WEBHOOK_SECRET: 'fleet-webhook-secret-0123456789', ALERT_WEBHOOK_MODE: 'fallback', ALERT_RATE_PER_MINUTE: '600' };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
  }
}

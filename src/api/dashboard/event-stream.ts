/**
 * Server-sent events for the dashboard: what the medic's outbox emits (timeline records, incidents,
 * statuses, questions, the agent's lines), each redacted once more on the way out, to every signed-in
 * page. A page reads the stream with `fetch` (so its token goes in a header), never `EventSource`.
 */
import type { ServerResponse } from 'node:http';
import type { MedicEventMap, MedicEvents } from '../../recovery/events.js';
import { redactedJson } from './http.js';

export interface EventStreamOptions {
  events: MedicEvents;
  /** Masks every secret the medic knows (the `Redactor`'s `redact`). */
  redact: (text: string) => string;
  /** A comment line this often keeps proxies and the page's reader awake; expired sessions are dropped then. Default 15 s. */
  heartbeatMs?: number;
}

interface Client {
  res: ServerResponse;
  /** False once the client's session has expired or was signed out. */
  valid: () => boolean;
}

type Forwarded = 'record' | 'incident' | 'status' | 'approval' | 'approval-closed' | 'agent-output' | 'agent-ended';

/** What goes to the page for each event (the transcript is fetched with the incident, not pushed). */
const SHAPES: { [K in Forwarded]: (...args: MedicEventMap[K]) => unknown } = {
  record: (record) => record,
  incident: (incident, status) => ({ incident, status }),
  status: (status) => status,
  approval: (e) => e,
  'approval-closed': (e) => e,
  'agent-output': (e) => e,
  'agent-ended': ({ transcript, ...rest }) => ({ ...rest, transcriptLines: transcript.length }),
};

export class EventStream {
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private seq = 0;

  constructor(private readonly o: EventStreamOptions) {
    for (const name of Object.keys(SHAPES) as Forwarded[]) {
      const listener = (...args: unknown[]) => this.broadcast(name, (SHAPES[name] as (...a: unknown[]) => unknown)(...args));
      o.events.on(name, listener as never);
      this.unsubscribe.push(() => o.events.off(name, listener as never));
    }
    this.timer = setInterval(() => this.heartbeat(), o.heartbeatMs ?? 15_000);
    this.timer.unref();
  }

  /** Pages listening now. */
  get size(): number {
    return this.clients.size;
  }

  /** Turns `res` into an event stream until the page goes, the session ends or the server closes. */
  attach(res: ServerResponse, valid: () => boolean): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const client: Client = { res, valid };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    res.write(`retry: 2000\nevent: hello\ndata: {}\n\n`);
  }

  close(): void {
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private broadcast(name: Forwarded, payload: unknown): void {
    if (!this.clients.size) return;
    // One JSON line: SSE data may not hold a newline, and JSON.stringify never emits one.
    const data = redactedJson(payload, this.o.redact);
    const frame = `id: ${++this.seq}\nevent: ${name}\ndata: ${data}\n\n`;
    for (const c of this.clients) {
      if (c.valid()) c.res.write(frame);
      else this.drop(c);
    }
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (c.valid()) c.res.write(': ping\n\n');
      else this.drop(c);
    }
  }

  private drop(c: Client): void {
    this.clients.delete(c);
    c.res.end('event: signed-out\ndata: {}\n\n');
  }
}

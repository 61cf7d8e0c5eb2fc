/**
 * The local HTTP API on 127.0.0.1: status, incidents, postmortems and digests for anyone on the host,
 * operator requests (recover, abort, pause, resume) only with the API token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { RequestRejectedError } from '../errors.js';
import type { Logger, Store } from '../recovery/ports.js';
import type { Medic } from '../medic.js';
import { bearerMatches, readJsonBody } from '../lib/http.js';
import { parseOperatorRequest, performOperatorRequest } from './requests.js';
import type { Dashboard } from './dashboard/index.js';
import { digest } from '../report/digest.js';
import { postmortemOf, type TranscriptExcerpt } from '../report/postmortem.js';

export interface ApiServerOptions {
  medic: Medic;
  store: Store;
  host: string;
  port: number;
  token: string;
  log: Logger;
  /** More sections for `/status` (the Discord link). */
  extras?: () => Record<string, unknown>;
  /**
   * Host names a request may name besides 127.0.0.1, localhost, [::1] and `host` (DASHBOARD_ALLOWED_HOSTS):
   * `name` (on this port, or bare: a reverse proxy on its default port) or `name:port` (exactly). Any
   * other Host header is refused (421), so a web page that rebinds its DNS name to 127.0.0.1 cannot
   * read the API from a browser.
   */
  allowedHostNames?: readonly string[];
  /** The live web dashboard at `/` (src/api/dashboard); absent: `/` answers 404. */
  dashboard?: Dashboard;
  /** `GET /metrics`: the Prometheus text exposition (src/observe/metrics); absent: 404. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The AI agent's saved transcripts of an incident, redacted (for its postmortem); absent: none. */
  transcripts?: (incidentId: string) => Promise<TranscriptExcerpt[]>;
}

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
/** Incidents a digest reads at most (newest first). */
const DIGEST_INCIDENTS = 5_000;

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  let hostsAllowed: Set<string> = new Set();
  const server = createServer((req, res) => {
    if (!hostsAllowed.has((req.headers.host ?? '').toLowerCase())) {
      return send(res, 421, { error: `this API answers only to ${[...hostsAllowed][0]} (Host: ${req.headers.host ?? 'none'} refused)` });
    }
    route(o, req, res).catch((err: unknown) => {
      const status = err instanceof RequestRejectedError ? err.status : 500;
      if (status === 500) o.log.error(`API ${req.method} ${req.url} failed: ${(err as Error).message}`);
      send(res, status, { error: (err as Error).message });
    });
  });
  server.keepAliveTimeout = 1000;
  await listen(server, o.port, o.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  hostsAllowed = new Set([...allowedHosts([...LOOPBACK_NAMES, o.host], port), ...extraHosts(o.allowedHostNames ?? [], port)]);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        o.dashboard?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`MEDIC_HTTP_PORT ${port} is in use on ${host}: is another clawmedic running? Stop it or set MEDIC_HTTP_PORT`));
      } else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]', '::1'];

/** `name:port` for each name (IPv6 in brackets), and the bare name too on port 80. */
function allowedHosts(names: readonly string[], port: number): Set<string> {
  const out = new Set<string>();
  for (const raw of names) {
    const name = raw.includes(':') && !raw.startsWith('[') ? `[${raw}]` : raw;
    out.add(`${name}:${port}`.toLowerCase());
    if (port === 80) out.add(name.toLowerCase());
  }
  return out;
}

/** The configured extra names: `name:port` as given; `name` on this port and bare (a proxy on port 80 or 443 sends no port). */
function extraHosts(names: readonly string[], port: number): string[] {
  return names.flatMap((raw) => {
    const name = raw.toLowerCase();
    return /:\d+$/.test(name) ? [name] : [`${name}:${port}`, name];
  });
}

/** The request's URL; a malformed one is the client's error (400), not the medic's. */
function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://127.0.0.1');
  } catch {
    throw new RequestRejectedError(`malformed URL: ${raw ?? ''}`, 400);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestRejectedError(`malformed URL: bad percent-encoding in ${segment}`, 400);
  }
}

/** The dashboard's routes first (its page, assets and `/dashboard/api/`), then the API's. */
async function route(o: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (o.dashboard && (await o.dashboard.handle(req, res, parseUrl(req.url)))) return;
  return handle(o, req, res);
}

async function handle(o: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = parseUrl(req.url);
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (req.method === 'GET') {
    if (path === '/healthz') return send(res, 200, { ok: true, ...o.medic.about() });
    if (path === '/status') return send(res, 200, { ...o.medic.status(), ...o.extras?.() });
    if (path === '/incidents') {
      const limit = clampInt(url.searchParams.get('limit'), 50, 1, 500);
      const target = url.searchParams.get('target') ?? undefined;
      return send(res, 200, { incidents: await o.store.listIncidents({ limit, ...(target ? { target } : {}) }) });
    }
    const pm = /^\/incidents\/([^/]+)\/postmortem$/.exec(path);
    if (pm) {
      const report = await postmortemOf(o.store, decodeSegment(pm[1]!), o.transcripts);
      if (!report) throw new RequestRejectedError(`no incident ${pm[1]}`, 404);
      return send(res, 200, report);
    }
    if (path === '/digest') {
      const days = clampInt(url.searchParams.get('days'), 7, 1, 366);
      const to = Date.now();
      const { markdown, ...figures } = digest(await o.store.listIncidents({ limit: DIGEST_INCIDENTS }), to - days * 86_400_000, to);
      return send(res, 200, { days, ...figures, markdown });
    }
    const m = /^\/incidents\/([^/]+)$/.exec(path);
    if (m) {
      const found = await o.store.getIncident(decodeSegment(m[1]!));
      if (!found) throw new RequestRejectedError(`no incident ${m[1]}`, 404);
      return send(res, 200, found);
    }
    if (path === '/metrics' && o.metrics) {
      const { contentType, body } = await o.metrics();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    if (path === '/audit') {
      return send(res, 200, { audit: await o.store.listAudit({ limit: clampInt(url.searchParams.get('limit'), 100, 1, 1000) }) });
    }
    throw new RequestRejectedError(`no such endpoint: GET ${path}`, 404);
  }
  if (req.method === 'POST') {
    if (!bearerMatches(req.headers.authorization, o.token)) {
      return send(res, 401, { error: 'operator requests need the API token: Authorization: Bearer <token> (see MEDIC_API_TOKEN or <MEDIC_DATA_DIR>/api-token)' });
    }
    const body = (await readJsonBody(req, MAX_BODY)) ?? {};
    const done = await performOperatorRequest(o.medic, parseOperatorRequest(path, body));
    return send(res, done.status, done.body);
  }
  throw new RequestRejectedError(`method ${req.method} not allowed`, 400);
}

function clampInt(raw: string | null, def: number, min: number, max: number): number {
  const n = raw === null ? def : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : def;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

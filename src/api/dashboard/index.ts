/**
 * The live web dashboard at `/`: the page and its assets, and its API under `/dashboard/api/`.
 * Operators sign in with the API token or a one-time link (`clawmedic dashboard`) and get a session
 * token the page sends in a header. Their requests go the local API's way (`requests.ts`: the same
 * validation, the same watchdog checks), are audited as `dashboard:<name>` like Discord's clicks are,
 * and everything the page gets passes the redactor.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestRejectedError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { bearerMatches, readJsonBody } from '../../lib/http.js';
import type { Medic } from '../../medic.js';
import type { MedicEvents } from '../../recovery/events.js';
import type { Logger, Store } from '../../recovery/ports.js';
import { parseOperatorRequest, performOperatorRequest, type OperatorRequest } from '../requests.js';
import { EventStream } from './event-stream.js';
import { clampInt, matchesQuery, sendJson } from './http.js';
import { bearerToken, crossSiteReason, setSecurityHeaders } from './security.js';
import { DashboardAuth, OPERATOR_NAME, type DashboardAuthOptions, type DashboardSession, type SignInResult } from './sessions.js';
import { SignInLimiter, type SignInLimitOptions } from './sign-in-limit.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';
import { readTranscripts } from './transcripts.js';

export { DashboardAuth, type DashboardAuthOptions } from './sessions.js';

export interface DashboardOptions {
  medic: Pick<Medic, 'status' | 'target' | 'audit'>;
  store: Pick<Store, 'listIncidents' | 'getIncident' | 'listAudit'>;
  events: MedicEvents;
  /** The medic's redactor: every answer and event passes it. */
  redact: (text: string) => string;
  /** The local API's token: it signs operators in, and lets the CLI ask for a one-time link. */
  apiToken: string;
  clock: Clock;
  log: Logger;
  /** Where the AI agent's transcripts are saved (null: none). */
  transcriptDir: string | null;
  auth?: DashboardAuthOptions;
  /** How often a secret may be tried (sign-in, a one-time link); default `DefaultSignInLimitOptions`. */
  signInLimit?: SignInLimitOptions;
  /** SSE heartbeat (ms), for tests. */
  heartbeatMs?: number;
}

export interface Dashboard {
  /** Answers the request when it is the dashboard's (resolves true), else leaves it (false). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  readonly auth: DashboardAuth;
  close(): void;
}

const MAX_BODY = 16 * 1024;
const API = '/dashboard/api';
const ACTIONS = new Set(['recover', 'abort', 'pause', 'resume', 'approve']);

export function createDashboard(o: DashboardOptions): Dashboard {
  const files = staticFilesOrNotice(o.log);
  const auth = new DashboardAuth(o.apiToken, o.clock, o.auth);
  const limiter = new SignInLimiter(o.clock, o.signInLimit);
  const stream = new EventStream({ events: o.events, redact: o.redact, ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}) });
  const send = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body, o.redact);
  /**
   * The two answers that carry a secret on purpose, made here for the one who proved the API token or
   * a link: a session token or a link would read as a token to the redactor (its shape) and be masked.
   */
  const handOver = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body, (text) => text);
  const audit = (by: string, text: string, target = '-') =>
    o.medic.audit({ kind: 'operator', at: o.clock.now(), target, incidentId: null, level: null, text: `${by}: ${text}`, by });

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const crossSite = crossSiteReason(req);
    if (crossSite) {
      o.log.warn(`dashboard: ${crossSite} (${req.method} ${path})`);
      return send(res, 403, { error: crossSite });
    }
    if (req.method === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return send(res, 415, { error: 'the dashboard API takes JSON: Content-Type: application/json' });
    }
    if (req.method === 'POST' && (path === '/link' || path === '/session')) {
      const from = req.socket.remoteAddress ?? 'unknown';
      if (await tooManyTries(res, from)) return;
      return path === '/link' ? createLink(req, res, from) : signIn(req, res, from);
    }
    const token = bearerToken(req);
    const session = auth.session(token);
    if (!session || !token) {
      if (req.method === 'POST') await audit('dashboard', `refused ${path.slice(1)}: not signed in (no session, or it expired)`);
      return send(res, 401, { error: 'not signed in, or the session expired: sign in again' });
    }
    if (req.method === 'GET') return read(res, url, path, session, token);
    if (req.method === 'POST' && path === '/sign-out') {
      auth.signOut(token);
      await audit(session.operator, 'signed out of the dashboard');
      return send(res, 200, { signedOut: true });
    }
    if (req.method === 'POST' && ACTIONS.has(path.slice(1))) return act(req, res, path, session);
    throw new RequestRejectedError(`no such endpoint: ${req.method} ${API}${path}`, 404);
  }

  /**
   * True (and answered 429 with Retry-After) while `from`, or everyone, has tried too many wrong secrets;
   * the first refusal of each burst is audited, the others only counted in the answer.
   */
  async function tooManyTries(res: ServerResponse, from: string): Promise<boolean> {
    const refused = limiter.check(from);
    if (!refused) return false;
    const seconds = Math.ceil(refused.retryAfterMs / 1000);
    const who = refused.scope === 'address' ? `from ${from}` : 'from every address';
    if (refused.firstOfBurst) {
      const why = refused.scope === 'address' ? `${refused.failures} wrong in a row from ${from}` : `${refused.failures} wrong within a minute from all addresses`;
      await audit('dashboard', `sign-in attempts ${who} refused for ${seconds} s (${why}); further refusals until then are not recorded one by one`);
    }
    res.setHeader('retry-after', String(seconds));
    send(res, 429, { error: `too many wrong sign-in attempts ${who}: try again in ${seconds} s`, retryAfterS: seconds });
    return true;
  }

  /** `clawmedic dashboard`: a one-time sign-in link, for the holder of the API token. */
  async function createLink(req: IncomingMessage, res: ServerResponse, from: string): Promise<void> {
    if (!bearerMatches(req.headers.authorization, o.apiToken)) {
      limiter.failed(from);
      return send(res, 401, { error: 'a sign-in link needs the API token: Authorization: Bearer <token>' });
    }
    limiter.succeeded(from);
    const name = nameFrom(await readJsonBody(req, MAX_BODY));
    const { code, expiresAt } = auth.createLink(name);
    await audit(`dashboard:${name}`, 'asked for a one-time dashboard sign-in link');
    return handOver(res, 201, { url: `http://${req.headers.host}/#login=${code}`, expiresAt, expiresInMs: expiresAt - o.clock.now() });
  }

  async function signIn(req: IncomingMessage, res: ServerResponse, from: string): Promise<void> {
    const body = ((await readJsonBody(req, MAX_BODY)) ?? {}) as { link?: unknown; token?: unknown; name?: unknown };
    let result: SignInResult;
    let how: string;
    if (typeof body.link === 'string') {
      result = auth.redeemLink(body.link);
      how = 'a one-time link';
    } else if (typeof body.token === 'string') {
      result = auth.signInWithToken(body.token, nameFrom(body));
      how = 'the API token';
    } else {
      throw new RequestRejectedError('sign in with {"link": "..."} or {"token": "...", "name": "..."}', 400);
    }
    if (!result.ok) {
      limiter.failed(from);
      await audit('dashboard', `refused sign-in with ${how}: ${result.why}`);
      return send(res, 401, { error: result.why });
    }
    limiter.succeeded(from);
    await audit(result.session.operator, `signed in to the dashboard with ${how}`);
    return handOver(res, 200, { token: result.token, operator: result.session.operator, expiresAt: result.session.expiresAt });
  }

  async function read(res: ServerResponse, url: URL, path: string, session: DashboardSession, token: string): Promise<void> {
    if (path === '/events') {
      setSecurityHeaders(res);
      return stream.attach(res, () => auth.session(token) !== null);
    }
    if (path === '/status') return send(res, 200, { operator: session.operator, ...o.medic.status() });
    if (path === '/incidents') {
      const q = (url.searchParams.get('q') ?? '').trim();
      const limit = clampInt(url.searchParams.get('limit'), 100, 1, 500);
      const target = url.searchParams.get('target') ?? undefined;
      // A search reads back further than a plain list; both answer newest first.
      const all = await o.store.listIncidents({ limit: q ? 5000 : limit, ...(target ? { target } : {}) });
      const found = q
        ? all.filter((i) => matchesQuery([i.id, i.target, i.cause, i.state, i.outcome, i.failure?.class, i.failure?.culprit, i.failure?.summary], q))
        : all;
      return send(res, 200, { incidents: found.slice(0, limit), searched: all.length });
    }
    const m = /^\/incidents\/([^/]+)$/.exec(path);
    if (m) {
      const id = decodeSegment(m[1]!);
      const found = await o.store.getIncident(id);
      if (!found) throw new RequestRejectedError(`no incident ${id}`, 404);
      return send(res, 200, { ...found, transcripts: await readTranscripts(o.transcriptDir, id, o.redact) });
    }
    if (path === '/audit') {
      const q = (url.searchParams.get('q') ?? '').trim();
      const records = await o.store.listAudit({ limit: clampInt(url.searchParams.get('limit'), 200, 1, 2000) });
      const found = q ? records.filter((r) => matchesQuery([r.target, r.incidentId, r.kind, r.by, r.text], q)) : records;
      return send(res, 200, { audit: found });
    }
    throw new RequestRejectedError(`no such endpoint: GET ${API}${path}`, 404);
  }

  /** An operator's request: the local API's validation and path, audited as the dashboard operator. */
  async function act(req: IncomingMessage, res: ServerResponse, path: string, session: DashboardSession): Promise<void> {
    const op = parseOperatorRequest(path, (await readJsonBody(req, MAX_BODY)) ?? {}, session.operator);
    const incident = safeIncident(op.target);
    await o.medic.audit({
      kind: 'operator',
      at: o.clock.now(),
      target: op.target,
      incidentId: incident?.id ?? null,
      level: incident?.level ?? null,
      text: `${session.operator}: ${describe(op)}`,
      by: session.operator,
    });
    const done = await performOperatorRequest(o.medic as Medic, op, () => o.clock.now());
    return send(res, done.status, done.body);
  }

  function safeIncident(target: string): { id: string; level: 0 | 1 | 2 | 3 | 4 } | null {
    try {
      return o.medic.target(target).status().incident;
    } catch {
      return null;
    }
  }

  function page(res: ServerResponse, file: StaticFile): void {
    setSecurityHeaders(res);
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length });
    res.end(file.body);
  }

  return {
    auth,
    close: () => stream.close(),
    async handle(req, res, url) {
      const path = url.pathname;
      if (path === API || path.startsWith(`${API}/`)) {
        try {
          await api(req, res, url, path.slice(API.length).replace(/\/+$/, '') || '/');
        } catch (err) {
          const status = err instanceof RequestRejectedError ? err.status : 500;
          if (status === 500) o.log.error(`dashboard ${req.method} ${path} failed: ${(err as Error).message}`);
          if (!res.headersSent) send(res, status, { error: (err as Error).message });
        }
        return true;
      }
      const file = req.method === 'GET' || req.method === 'HEAD' ? files.get(path) : undefined;
      if (!file) return false;
      page(res, file);
      return true;
    },
  };
}

/** The page's files; when they are missing (a build that did not copy them), `/` says how to fix it and the medic runs on. */
function staticFilesOrNotice(log: Logger): Map<string, StaticFile> {
  try {
    return loadStaticFiles();
  } catch (err) {
    log.warn(`the web dashboard is unavailable: ${(err as Error).message}`);
    const body = Buffer.from(`clawmedic: ${(err as Error).message}\n`);
    return new Map([['/', { type: 'text/plain; charset=utf-8', body }]]);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestRejectedError(`malformed URL: bad percent-encoding in ${segment}`, 400);
  }
}

/** The name a person gives (`name`), or `operator`; a 400 when it is not a plain name. */
function nameFrom(body: unknown): string {
  const name = (body as { name?: unknown } | undefined)?.name;
  if (name === undefined || name === null || name === '') return 'operator';
  if (typeof name !== 'string' || !OPERATOR_NAME.test(name)) {
    throw new RequestRejectedError('name must be 1-64 letters, digits, spaces, ".", "_", "@" or "-"', 400);
  }
  return name;
}

/** One line for the audit, as Discord's commands are recorded. */
function describe(op: OperatorRequest): string {
  switch (op.kind) {
    case 'recover':
      return `recover level ${op.level}${op.note ? `: ${op.note}` : ''}`;
    case 'abort':
      return `abort${op.note ? `: ${op.note}` : ''}`;
    case 'pause':
      return `pause${op.minutes ? ` ${op.minutes} min` : ''}`;
    case 'resume':
      return 'resume';
    case 'approve':
      return `${op.approved ? 'approve' : 'deny'} ${op.approval}${op.scope === 'incident' ? ' for the incident' : ''}`;
  }
}

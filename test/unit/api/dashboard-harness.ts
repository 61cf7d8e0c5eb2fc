/**
 * The dashboard over real HTTP (127.0.0.1, port 0): the API server with the dashboard routes, a real
 * Medic's audit door and events, a store in memory, a simulated clock for sessions and links, and
 * one target whose requests are recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MedicConfig } from '../../../src/config.js';
import { createDashboard } from '../../../src/api/dashboard/index.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { Redactor } from '../../../src/lib/redact.js';
import { Medic } from '../../../src/medic.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import type { TargetStatus } from '../../../src/recovery/types.js';
import { KeyvStore } from '../../../src/store/keyv-store.js';
import { captureLogger } from '../../fixtures/gateways.js';
import { SimClock } from '../../fixtures/sim-clock.js';

export const TOKEN = 'dashboard-api-token-0123456789abcdef';
export const SECRET = 'sk-ant-api03-dashboard-secret-4c1b9e77';

export function targetStatus(over: Partial<TargetStatus> = {}): TargetStatus {
  return {
    name: 'gw',
    supervised: true,
    agent: false,
    phase: 'healthy',
    health: 'up',
    process: 'running',
    pid: 4242,
    startedAt: 1_700_000_000_000,
    restarts: 0,
    paused: false,
    pausedUntil: null,
    pending: null,
    restartAt: null,
    lastProbe: null,
    incident: null,
    ...over,
  };
}

export interface Harness {
  port: number;
  clock: SimClock;
  store: KeyvStore;
  events: MedicEvents;
  calls: { op: string; args: unknown[] }[];
  transcriptDir: string;
  /** What the target's status says (tests change it). */
  status: { target: TargetStatus };
  close(): Promise<void>;
}

export async function startDashboard(options: { allowedHostNames?: string[] } = {}): Promise<Harness> {
  const clock = new SimClock();
  const store = await KeyvStore.inMemory();
  const events = new MedicEvents();
  const redactor = new Redactor([SECRET, TOKEN]);
  const log = captureLogger();
  const real = new Medic({
    config: { targets: [] } as unknown as MedicConfig,
    store,
    clock,
    log,
    events,
    redactor,
    buildAdapters: () => {
      throw new Error('no targets');
    },
    version: 'test',
  });
  const calls: Harness['calls'] = [];
  const status = { target: targetStatus() };
  const dog = {
    name: 'gw',
    status: () => status.target,
    recover: async (...args: unknown[]) => (calls.push({ op: 'recover', args }), 'gw-1'),
    abort: async (...args: unknown[]) => (calls.push({ op: 'abort', args }), 'gw-1'),
    pause: async (...args: unknown[]) => void calls.push({ op: 'pause', args }),
    resume: async (...args: unknown[]) => void calls.push({ op: 'resume', args }),
    decide: async (...args: unknown[]) => (calls.push({ op: 'decide', args }), String(args[0])),
  };
  const medic = {
    about: () => real.about(),
    status: () => ({ medic: real.about(), targets: [status.target] }),
    audit: (r: Parameters<Medic['audit']>[0]) => real.audit(r),
    target: (name: string) => {
      if (name !== 'gw') return real.target(name);
      return dog;
    },
  } as unknown as Medic;
  const transcriptDir = mkdtempSync(join(tmpdir(), 'clawmedic-dash-'));
  const dashboard = createDashboard({
    medic,
    store,
    events,
    redact: (t) => redactor.redact(t),
    apiToken: TOKEN,
    clock,
    log,
    transcriptDir,
    heartbeatMs: 50,
  });
  const server: ApiServer = await startApiServer({ medic, store, host: '127.0.0.1', port: 0, token: TOKEN, log, dashboard, ...options });
  return {
    port: server.port,
    clock,
    store,
    events,
    calls,
    transcriptDir,
    status,
    close: async () => {
      await server.close();
      await store.close();
      rmSync(transcriptDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One request with exactly the headers given (a browser's, an attacker's, the CLI's). */
export function call(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...init.headers };
    if (init.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let json: unknown = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body));
  });
}

/** Signs in with the API token as `name`; returns the session token. */
export async function signInAs(port: number, name: string): Promise<string> {
  const res = await call(port, '/dashboard/api/session', { method: 'POST', body: { token: TOKEN, name }, headers: { origin: `http://127.0.0.1:${port}` } });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  return res.json.token as string;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

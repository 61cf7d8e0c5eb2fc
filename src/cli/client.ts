/**
 * The CLI's side of the local API: which medic to talk to, with which token, and one request.
 *
 * Which medic, first match wins: `--url`; `--data-dir` (the running medic that uses it);
 * `MEDIC_HTTP_PORT` from the environment or `.env`; the one medic announced in
 * `~/.clawmedic/run` (several: the CLI lists them and asks to choose); the configuration's
 * defaults (`http://127.0.0.1:18790`, `~/.clawmedic`). The token is only ever read, never created.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { describeMedic, fetchHealth, findMedics, announcementDir, type FoundMedic, type HealthCheck } from './discovery.js';
import { UsageError } from './commands.js';

/** The medic cannot be reached or refused the request. Exit 1. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
}

export interface MedicEndpoint {
  url: string;
  /** How it was chosen, for messages: `the medic announced by pid 123`, `MEDIC_HTTP_PORT`... */
  how: string;
  /** No medic announced itself and nothing chose one: the configuration's default URL is a last try (`how`: where none was announced). */
  fallback?: boolean;
  /** The operator token; an `ApiError` (one line) when it cannot be read. */
  token(): Promise<string>;
}

export interface Selection {
  url?: string | undefined;
  dataDir?: string | undefined;
}

const expandHome = (p: string, env: NodeJS.ProcessEnv) => (p === '~' || p.startsWith('~/') ? (env.HOME || homedir()) + p.slice(1) : p);

export async function resolveMedic(sel: Selection, env: NodeJS.ProcessEnv, health: HealthCheck = fetchHealth): Promise<MedicEndpoint> {
  const medics = await findMedics(env, health);
  const envToken = env.MEDIC_API_TOKEN?.trim() || null;
  const fromMedic = (m: FoundMedic, how: string): MedicEndpoint => ({
    url: m.url,
    how,
    token: () => (envToken ? Promise.resolve(envToken) : m.tokenFile ? readToken(m.tokenFile) : Promise.reject(tokenFromEnv(m))),
  });
  const fromDir = (url: string, dataDir: string, how: string): MedicEndpoint => ({
    url,
    how,
    token: () => (envToken ? Promise.resolve(envToken) : readToken(join(dataDir, 'api-token'))),
  });

  if (sel.url !== undefined) {
    const url = normalizeUrl(sel.url);
    const m = medics.find((x) => x.url === url);
    if (m) return fromMedic(m, `--url ${url}`);
    const dataDir = sel.dataDir ?? loadConfig(env).dataDir;
    return fromDir(url, resolve(expandHome(dataDir, env)), `--url ${url}`);
  }
  if (sel.dataDir !== undefined) {
    const dir = resolve(expandHome(sel.dataDir, env));
    const m = medics.find((x) => x.dataDir === dir);
    if (m) return fromMedic(m, `--data-dir ${dir}`);
    const running = medics.length ? `; running: ${medics.map(describeMedic).join('; ')}` : '';
    throw new ApiError(`no running clawmedic uses the data dir ${dir}${running}`);
  }
  if (env.MEDIC_HTTP_PORT?.trim()) {
    const config = loadConfig(env);
    const url = `http://${config.httpHost}:${config.httpPort}`;
    const m = medics.find((x) => x.url === url);
    return m ? fromMedic(m, `MEDIC_HTTP_PORT ${config.httpPort}`) : fromDir(url, config.dataDir, `MEDIC_HTTP_PORT ${config.httpPort}`);
  }
  if (medics.length === 1) return fromMedic(medics[0]!, `the medic announced by pid ${medics[0]!.pid}`);
  if (medics.length > 1) {
    throw new UsageError(`${medics.length} clawmedics are running, choose one with --url or --data-dir: ${medics.map(describeMedic).join('; ')}`);
  }
  const config = loadConfig(env);
  const url = `http://${config.httpHost}:${config.httpPort}`;
  return { ...fromDir(url, config.dataDir, announcementDir(env)), fallback: true };
}

/** `http://host:port` from what `--url` got (`127.0.0.1:18790` too), or null when it is not one. */
export function parseMedicUrl(raw: string): string | null {
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
    return u.protocol === 'http:' && u.port ? `http://${u.hostname}:${u.port}` : null;
  } catch {
    return null;
  }
}

function normalizeUrl(raw: string): string {
  const url = parseMedicUrl(raw);
  if (!url) throw new UsageError(`--url must look like http://127.0.0.1:18790 (got '${raw}')`);
  return url;
}

async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`;
    throw new ApiError(
      `the API token file ${file} ${why}: the medic writes it when it starts; if it runs with another data dir, pass --data-dir DIR or --url URL, or set MEDIC_API_TOKEN`,
    );
  }
  const token = text.trim();
  if (!token) throw new ApiError(`the API token file ${file} is empty: restart the medic to write a new one, or set MEDIC_API_TOKEN`);
  return token;
}

function tokenFromEnv(m: FoundMedic): ApiError {
  return new ApiError(
    `the medic (pid ${m.pid}) takes its API token from MEDIC_API_TOKEN (its environment or ${join(m.cwd, '.env')}): set MEDIC_API_TOKEN here too, or run the command from ${m.cwd}`,
  );
}

/** One request; a failure is an `ApiError` with one line saying what happened and what to do. */
export async function callApi(medic: MedicEndpoint, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const notAnswering = (err: unknown) => {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    if (medic.fallback) {
      return new ApiError(`no clawmedic is running: none has announced itself in ${medic.how} and nothing answers on ${medic.url} (${cause}); start one with: clawmedic run (npm start)`);
    }
    return new ApiError(`clawmedic is not answering on ${medic.url}${path} (${cause}; ${medic.how}): is it running? start it with: clawmedic run (npm start)`);
  };
  if (method === 'POST') {
    try {
      headers.authorization = `Bearer ${await medic.token()}`;
    } catch (tokenError) {
      // No token file is often no medic at all: say that first.
      await fetch(`${medic.url}/healthz`, { signal: AbortSignal.timeout(2000) }).catch((err: unknown) => {
        throw notAnswering(err);
      });
      throw tokenError;
    }
  }
  let res: Response;
  try {
    res = await fetch(`${medic.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw notAnswering(err);
  }
  const json = (await res.json().catch(() => ({}))) as { error?: string };
  if (res.status === 401) throw new ApiError(`the medic at ${medic.url} refused the API token (401): pass the medic's --data-dir or set the MEDIC_API_TOKEN it uses`);
  if (!res.ok) throw new ApiError(`${method} ${path} refused (${res.status}): ${json.error ?? res.statusText}`);
  return json;
}

/**
 * Level 1: one HTTP GET against the gateway's health endpoint. A fresh connection
 * every time (no keep-alive), so a frozen gateway cannot hide behind a pooled
 * socket, and one deadline over connect, headers and body, so a gateway that
 * accepts and then stalls counts as down.
 */
import http from 'node:http';
import https from 'node:https';
import type { Clock, HealthProbe } from './ports.js';
import type { ProbeResult } from './types.js';

export interface HttpProbeOptions {
  /** e.g. `http://127.0.0.1:18789/healthz`. */
  url: string;
  /** Deadline for the whole request. */
  timeoutMs: number;
  clock: Clock;
  /** A longer body is cut off (the status already answered). Default 64 KiB. */
  maxBodyBytes?: number;
}

/** `ok` for any 2xx answer within the deadline. */
export class HttpProbe implements HealthProbe {
  private readonly url: URL;

  constructor(private readonly options: HttpProbeOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`probe URL must be http or https, got ${options.url}`);
    }
  }

  /** Never rejects: a failure is a result with `ok: false` and a readable `error`. */
  check(signal?: AbortSignal): Promise<ProbeResult> {
    return this.fetch(signal).then(({ body: _body, answered: _answered, ...result }) => result);
  }

  /**
   * The same request, with the answer's body (as text, cut at `maxBodyBytes`): `/readyz` says
   * what fails in it. `error` stays null for a non-2xx answer that came whole (the body says why).
   */
  fetch(signal?: AbortSignal): Promise<ProbeResult & { body: string; answered: boolean }> {
    const { clock, timeoutMs } = this.options;
    const maxBody = this.options.maxBodyBytes ?? 64 * 1024;
    const at = clock.now();
    const chunks: Buffer[] = [];
    return new Promise((resolve) => {
      let settled = false;
      const finish = (status: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const ok = error === null && status !== null && status >= 200 && status < 300;
        const body = Buffer.concat(chunks).toString('utf8').slice(0, maxBody);
        const latencyMs = Math.max(0, clock.now() - at);
        const answered = error === null && status !== null;
        const result = { ok, at, latencyMs, status, error: ok ? null : (error ?? `HTTP ${status}`), body, answered };
        resolve(ok ? result : { ...result, kind: kindOf(error) });
        request.destroy();
      };
      const onAbort = () => finish(null, 'aborted');
      const timer = setTimeout(() => finish(null, `${TIMEOUT} ${timeoutMs} ms`), timeoutMs);
      const client = this.url.protocol === 'https:' ? https : http;
      const request = client.get(this.url, { agent: false, headers: { accept: 'application/json' } }, (response) => {
        const status = response.statusCode ?? null;
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          chunks.push(chunk);
          if (received > maxBody) finish(status, null);
        });
        response.on('end', () => finish(status, null));
        response.on('error', (err) => finish(null, describeError(err)));
        // Closed after the headers but before the end: a broken answer, not a healthy one.
        response.on('close', () => {
          if (!response.complete) finish(null, 'connection reset');
        });
      });
      request.on('error', (err) => finish(null, describeError(err)));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const TIMEOUT = 'timeout after';

/** `refused`: nothing listens; `timeout`: accepted (or not) but no answer in time; else `error`. */
function kindOf(error: string | null): NonNullable<ProbeResult['kind']> {
  if (error === ErrorText.ECONNREFUSED) return 'refused';
  if (error?.startsWith(TIMEOUT) || error === ErrorText.ETIMEDOUT) return 'timeout';
  return 'error';
}

const ErrorText: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'connect timed out',
};

function describeError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && ErrorText[code] !== undefined) return ErrorText[code];
  return code ?? err.message;
}

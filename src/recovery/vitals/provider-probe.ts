/**
 * The optional end-to-end model provider probe (off by default: each probe is one real model
 * call, ~18.6k prompt tokens with OpenClaw 2026.9.6's default prompt). One message through the
 * whole gateway with OpenClaw's `agent` RPC:
 * `openclaw gateway call agent --params '{"message":"Reply with exactly: PONG",…}' --expect-final --json`.
 * A 401 ("Authentication failed (provider returned HTTP 401)") means expired credentials: the
 * evidence comes from `openclaw models status --json` (`.auth.unusableProfiles[]`). A 429 retries
 * inside the gateway until the call times out: the gateway's own `reason=rate_limit` lines say so.
 */
import { runCommand } from '../../lib/run-command.js';
import type { LadderEvent } from '../types.js';
import { lastJson } from './channel-starter.js';
import { shellQuote } from './shell.js';

export interface ProviderProbeOptions {
  /** Without its params, e.g. `openclaw gateway call agent --expect-final --json --timeout 45000`. */
  command: string;
  /** e.g. `openclaw models status --json`; run after a 401 for its evidence. */
  statusCommand: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export type ProviderOutcome = Extract<LadderEvent, { type: 'ProviderProbed' }>['outcome'];

const AUTH = /Authentication failed|HTTP 401|\b401\b.*(unauthori|token|key)|invalid api key|token may have expired/i;
const RATE = /rate[_ ]limit|HTTP 429|\b429\b|too many requests/i;

/** The outcome of one probe, from the call's exit, its output and the gateway's last lines. Pure. */
export function classifyProviderCall(r: { code: number | null; timedOut: boolean; output: string }, gatewayLines: readonly string[]): { outcome: ProviderOutcome; detail: string } {
  const text = r.output.trim();
  const last = (t: string) => t.split('\n').filter((l) => l.trim()).at(-1)?.trim().slice(0, 240) ?? '';
  if (AUTH.test(text)) return { outcome: 'auth', detail: last(text.split('\n').filter((l) => AUTH.test(l)).join('\n')) };
  if (RATE.test(text)) return { outcome: 'rate-limit', detail: last(text.split('\n').filter((l) => RATE.test(l)).join('\n')) };
  const recent = gatewayLines.slice(-80);
  if (r.timedOut || r.code !== 0) {
    // The gateway retries a 429 itself (up to 9 times) until the call times out: its own lines name the reason.
    const rate = recent.filter((l) => /reason=rate_limit|rate[_ ]limit/i.test(l)).at(-1);
    if (rate) return { outcome: 'rate-limit', detail: rate.trim().slice(0, 240) };
    const auth = recent.filter((l) => AUTH.test(l)).at(-1);
    if (auth) return { outcome: 'auth', detail: auth.trim().slice(0, 240) };
    return { outcome: 'error', detail: r.timedOut ? 'the probe call timed out' : `rc ${r.code}: ${errorOf(text) ?? last(text)}` };
  }
  return { outcome: 'ok', detail: 'the model answered through the gateway' };
}

/** The message of a failed call's JSON answer (`{"error":{"message":…}}` and the like), not its last line (a `}`). */
function errorOf(output: string): string | null {
  const doc = lastJson(output) as { error?: unknown; message?: unknown } | null;
  const error = doc?.error as { message?: unknown } | string | undefined;
  const message = typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : typeof doc?.message === 'string' ? doc.message : null;
  return message ? message.trim().slice(0, 240) : null;
}

/** Lines of `openclaw models status --json` that show refused credentials, and the provider they name. */
export function modelsStatusEvidence(output: string): { provider: string | null; lines: string[]; reasons: string[] } {
  const doc = lastJson(output) as { auth?: { unusableProfiles?: unknown } } | null;
  const list = Array.isArray(doc?.auth?.unusableProfiles) ? (doc!.auth!.unusableProfiles as Record<string, unknown>[]) : [];
  let provider: string | null = null;
  const reasons = list.map((p) => String(p.reason ?? ''));
  const lines = list.slice(0, 5).map((p) => {
    const id = String(p.profileId ?? p.id ?? p.profile ?? '?');
    provider ??= typeof p.provider === 'string' ? p.provider : id.includes(':') ? id.split(':')[0]! : null;
    return `openclaw models status: unusable profile ${id} (${['kind', 'reason'].map((k) => `${k} ${String(p[k] ?? '-')}`).join(', ')})`;
  });
  return { provider, reasons, lines: lines.length ? lines : ['openclaw models status: no unusable profile listed'] };
}

let seq = 0;

/** One probe; never rejects. */
export async function probeProvider(o: ProviderProbeOptions, gatewayLines: () => string[]): Promise<Extract<LadderEvent, { type: 'ProviderProbed' }>> {
  const params = JSON.stringify({
    message: 'Reply with exactly: PONG',
    agentId: 'main',
    sessionKey: 'agent:main:watchdog-probe',
    idempotencyKey: `clawmedic-probe-${Date.now()}-${++seq}`,
    timeout: Math.max(1, Math.round(o.timeoutMs / 1000) - 5),
  });
  const opts = { timeoutMs: o.timeoutMs, env: o.env, ...(o.cwd ? { cwd: o.cwd } : {}) };
  const r = await runCommand(`${o.command} --params ${shellQuote(params)}`, opts);
  let { outcome, detail } = classifyProviderCall(r, gatewayLines());
  let provider: string | null = null;
  let evidence: string[] = [];
  if (outcome !== 'ok') {
    // OpenClaw's own view of its auth profiles: the evidence for a 401, and the reason of a cooldown the call did not name.
    const status = await runCommand(o.statusCommand, { ...opts, timeoutMs: 30_000 });
    const seen = modelsStatusEvidence(status.output);
    provider = seen.provider;
    evidence = seen.lines;
    const named = outcome === 'error' ? (seen.reasons.some((x) => /rate/i.test(x)) ? 'rate-limit' : seen.reasons.some((x) => /auth/i.test(x)) ? 'auth' : null) : null;
    if (named) {
      // The call failed without naming why (its CLI gave up first on a loaded machine) and OpenClaw's own view
      // names it: the gateway's lines, read again now that the run has ended, carry the provider's words.
      outcome = named;
      const again = classifyProviderCall({ ...r, code: r.code ?? 1 }, gatewayLines());
      if (again.outcome === named) detail = again.detail;
    }
    if (outcome === 'rate-limit' && !RATE.test(detail)) detail = `${detail}; ${seen.lines.join('; ')}`;
  }
  return { type: 'ProviderProbed', outcome, provider, detail, evidence, latencyMs: r.durationMs };
}

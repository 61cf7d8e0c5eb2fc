/**
 * Reading OpenClaw's `/readyz` and a failing channel's own error. Pure: the prober
 * (`readiness-probe.ts`) hands in the status and body it got, the ladder reads the result.
 *
 * `/readyz` answers 200 `{"ready":true,"failing":[],"uptimeMs":…,"eventLoop":{…}}` or 503 with
 * `failing` naming channels (`["telegram"]`) or start-up states (`startup-sidecars`,
 * `gateway-draining`, `plugin-reload`, `state-database`, `agent-database:<id>`); channels whose
 * auto-start OpenClaw's crash-loop breaker suppressed are listed under `suppressed`.
 */
import type { ChannelError, EventLoopHealth, ReadinessReading } from '../types.js';

/** `failing` entries that are OpenClaw's own start-up or maintenance states, not channels. */
export function isStartupState(name: string): boolean {
  return ['startup-sidecars', 'gateway-draining', 'plugin-reload', 'state-database', 'internal'].includes(name) || name.startsWith('agent-database:');
}

/** The channels among `failing` (start-up states left out). */
export function failingChannels(r: Pick<ReadinessReading, 'failing'>): string[] {
  return r.failing.filter((f) => !isStartupState(f));
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function eventLoopOf(v: unknown): EventLoopHealth | null {
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Record<string, unknown>;
  return {
    degraded: e.degraded === true,
    degradedSinceMs: num(e.degradedSinceMs),
    reasons: strings(e.reasons),
    delayP99Ms: num(e.delayP99Ms),
    delayMaxMs: num(e.delayMaxMs),
    utilization: num(e.utilization),
  };
}

/** What an answer of `/readyz` says; a body that is not OpenClaw's is a reading with an `error`. */
export function parseReadiness(status: number | null, body: string, error: string | null = null): ReadinessReading {
  const none = { failing: [], suppressed: [], eventLoop: null };
  if (status === null) return { status, ready: false, ...none, error: error ?? 'no answer' };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    doc = null;
  }
  if (typeof doc !== 'object' || doc === null || typeof (doc as { ready?: unknown }).ready !== 'boolean') {
    const ok = status >= 200 && status < 300;
    return { status, ready: ok, ...none, error: ok ? null : `HTTP ${status}, not a readiness answer: ${body.slice(0, 120)}` };
  }
  const d = doc as Record<string, unknown>;
  return {
    status,
    ready: d.ready === true && status >= 200 && status < 300,
    failing: strings(d.failing),
    suppressed: strings(d.suppressed),
    eventLoop: eventLoopOf(d.eventLoop),
    error: null,
  };
}

/** A channel error no restart can fix: the credentials were refused. */
const TERMINAL = /unauthori[sz]ed|\b401\b|revoked|terminal-disconnect|invalid token|forbidden|\b403\b/i;
const CHANNEL_TROUBLE = /error|fail|unauthori[sz]ed|\b40[13]\b|\b5\d\d\b|disconnect|refused|timed? ?out|unreachable/i;

/**
 * Each channel's own latest error in the gateway's output (oldest line first), e.g. `Telegram bot
 * token unauthorized for account "default" (getMe returned 401 …). Update channels.telegram.botToken
 * with the current BotFather token.`, or `[telegram:default] health-monitor: skipping restart,
 * terminal-disconnect`. A terminal one wins over a later transient one.
 */
export function channelErrorsIn(lines: readonly string[], channels: readonly string[]): ChannelError[] {
  const out: ChannelError[] = [];
  for (const channel of channels) {
    const name = new RegExp(`\\b${channel.replace(/[^a-z0-9_-]/gi, '')}\\b`, 'i');
    let found: ChannelError | null = null;
    for (const raw of lines) {
      const line = raw.trim();
      if (!name.test(line) || !CHANNEL_TROUBLE.test(line)) continue;
      const terminal = TERMINAL.test(line);
      if (terminal || !found?.terminal) found = { channel, error: line.slice(0, 400), terminal };
    }
    if (found) out.push(found);
  }
  return out;
}

/** What a person does about a channel whose credentials were refused. */
export function channelFix(channel: string): string {
  if (channel === 'telegram') {
    return 'the Telegram bot token was revoked or is wrong: set a new one from @BotFather with `openclaw config set channels.telegram.botToken <new token>` (the gateway restarts just that channel)';
  }
  return `the ${channel} channel's credentials were refused: set new ones with \`openclaw config set channels.${channel}.… <value>\` (the gateway restarts just that channel)`;
}

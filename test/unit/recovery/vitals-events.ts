/** Events of the vitals rules, for the ladder tests (exact `/readyz` shapes as OpenClaw 2026.9.6 answers). */
import type { ChannelError, LadderEvent, ReadinessReading } from '../../../src/recovery/types.js';
import type { LadderHarness } from './ladder-harness.js';

export const MiB = 1024 * 1024;

/** A sample; `nonHeapMb` (default 0, so the RSS line is the heap limit) as OpenClaw's memory-pressure line would give it; null: estimated. */
export function sample(rssMb: number, init: { pid?: number; limitMb?: number | null; nonHeapMb?: number | null } = {}): LadderEvent {
  const limit = init.limitMb === undefined ? 4288 : init.limitMb;
  const nonHeap = init.nonHeapMb === undefined ? 0 : init.nonHeapMb;
  return {
    type: 'VitalsSampled',
    pid: init.pid ?? 100,
    rssBytes: rssMb * MiB,
    limitBytes: limit === null ? null : limit * MiB,
    plugins: ['memory-core', 'leaky'],
    nonHeapBytes: nonHeap === null ? null : nonHeap * MiB,
  };
}

export function ready(init: Partial<ReadinessReading> = {}, channelErrors: ChannelError[] = []): LadderEvent {
  return {
    type: 'ReadinessChecked',
    reading: { status: 200, ready: true, failing: [], suppressed: [], eventLoop: null, error: null, ...init },
    channelErrors,
  };
}

export const telegramFailing = (errors: ChannelError[] = []) => ready({ status: 503, ready: false, failing: ['telegram'] }, errors);

export const TOKEN_REFUSED: ChannelError = {
  channel: 'telegram',
  error: 'Telegram bot token unauthorized for account "default" (getMe returned 401 from Telegram; source: config token). Update channels.telegram.botToken, channels.telegram.tokenFile, or TELEGRAM_BOT_TOKEN with the current BotFather token.',
  terminal: true,
};

export function degradedLoop(forMs: number): LadderEvent {
  return ready({
    eventLoop: { degraded: true, degradedSinceMs: forMs, reasons: ['event_loop_delay'], delayP99Ms: 3005, delayMaxMs: 3010, utilization: 0.76 },
  });
}

export function provider(outcome: 'ok' | 'auth' | 'rate-limit' | 'error'): LadderEvent {
  const detail = {
    ok: 'the model answered through the gateway',
    auth: 'Authentication failed (provider returned HTTP 401). Your provider token may have expired.',
    'rate-limit': 'transient same-model retry 4/9 reason=rate_limit',
    error: 'the probe call timed out',
  }[outcome];
  const evidence = outcome === 'auth' ? ['openclaw models status: unusable profile fake:default (kind cooldown, reason auth)'] : [];
  return { type: 'ProviderProbed', outcome, provider: outcome === 'auth' ? 'fake' : null, detail, evidence, latencyMs: 1300 };
}

/** RSS samples every `everyMs` growing by `stepMb` from `fromMb`. */
export function leak(h: LadderHarness, n: number, fromMb: number, stepMb: number, everyMs = 5_000, limitMb: number | null = 4288): void {
  for (let i = 0; i < n; i++) h.after(everyMs, sample(fromMb + i * stepMb, { limitMb }));
}

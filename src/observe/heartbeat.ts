/**
 * The dead-man's switch: the medic pings a push URL every interval, so an outside watcher
 * (Healthchecks.io, Uptime Kuma, any "cron monitor") pages someone when the pings stop: the
 * medic was killed, frozen, or its host is gone. When the medic is alive but knows it cannot do
 * its job, it says so (`/fail`) rather than staying quiet; see `medicHealth` for when.
 *
 * URL styles: Healthchecks-style (`https://hc-ping.com/<uuid>`): a POST with the reason as body,
 * to `<url>/fail` when unhealthy. Uptime Kuma push (`.../api/push/<token>?status=up&msg=OK`): a GET
 * with `status=down` and the reason in `msg` when unhealthy.
 */
import type { Clock, Logger } from '../recovery/ports.js';
import type { TargetStatus } from '../recovery/types.js';

export interface Verdict {
  ok: boolean;
  /** One line: what is wrong, or 'ok'. */
  reason: string;
}

/** Discord link states in which the bot cannot reach anyone. */
const DISCORD_DOWN = new Set(['unreachable', 'auth-failed']);

/**
 * When the medic reports itself unhealthy: a target waits for a person (the ladder has nothing
 * left: someone must act), or the bot is configured but cannot reach Discord (unreachable, or
 * its token refused), so nobody would hear of an incident there. A paused target, an incident
 * being recovered, or Discord reconnecting are normal work: ok.
 */
export function medicHealth(targets: readonly Pick<TargetStatus, 'name' | 'phase' | 'incident'>[], discordState: string | null): Verdict {
  const problems: string[] = [];
  for (const t of targets) {
    if (t.phase === 'waiting-for-human') problems.push(`${t.name} waits for a person${t.incident ? ` (incident ${t.incident.id}: ${t.incident.cause})` : ''}`);
  }
  if (discordState !== null && DISCORD_DOWN.has(discordState)) {
    problems.push(discordState === 'auth-failed' ? 'Discord refuses the bot token' : 'Discord is unreachable');
  }
  return problems.length ? { ok: false, reason: problems.join('; ') } : { ok: true, reason: 'ok' };
}

/** The request one ping makes for `verdict`. */
export function heartbeatRequest(url: string, verdict: Verdict): { method: 'GET' | 'POST'; url: string; body: string | null } {
  const u = new URL(url);
  if (u.searchParams.has('status')) {
    u.searchParams.set('status', verdict.ok ? 'up' : 'down');
    u.searchParams.set('msg', verdict.reason.slice(0, 200));
    return { method: 'GET', url: u.toString(), body: null };
  }
  if (!verdict.ok) u.pathname = `${u.pathname.replace(/\/+$/, '')}/fail`;
  return { method: 'POST', url: u.toString(), body: verdict.reason.slice(0, 10_000) };
}

/** One ping; never throws. The URL is never in the detail (it is the check's credential). */
export async function pingHeartbeat(url: string, verdict: Verdict, timeoutMs = 10_000): Promise<{ ok: boolean; detail: string }> {
  const r = heartbeatRequest(url, verdict);
  try {
    const res = await fetch(r.url, {
      method: r.method,
      ...(r.body !== null ? { body: r.body, headers: { 'content-type': 'text/plain; charset=utf-8' } } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return { ok: res.ok, detail: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, detail: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message) };
  }
}

export interface HeartbeatOptions {
  url: string;
  intervalMs: number;
  clock: Clock;
  log: Logger;
  /** Asked before each ping. */
  health: () => Verdict;
  /** Told after each ping (metrics). */
  onPing?: (verdict: Verdict, sent: boolean) => void;
  /** Default `pingHeartbeat`. */
  ping?: typeof pingHeartbeat;
}

/** The medic's ping loop: single flight, on the injected clock, stopped with the medic. */
export class Heartbeat {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private lastOk: boolean | null = null;
  private failing = false;

  constructor(private readonly o: HeartbeatOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const ping = this.o.ping ?? pingHeartbeat;
    while (!this.stopping.signal.aborted) {
      const verdict = this.o.health();
      if (verdict.ok !== this.lastOk) {
        if (verdict.ok) this.o.log.info(this.lastOk === null ? 'heartbeat: pinging, all well' : 'heartbeat: healthy again');
        else this.o.log.warn(`heartbeat: telling the watcher the medic is unhealthy: ${verdict.reason}`);
        this.lastOk = verdict.ok;
      }
      const sent = await ping(this.o.url, verdict);
      this.o.onPing?.(verdict, sent.ok);
      if (!sent.ok && !this.failing) this.o.log.warn(`heartbeat: ping failed (${sent.detail}); trying again in ${Math.round(this.o.intervalMs / 1000)} s`);
      if (sent.ok && this.failing) this.o.log.info('heartbeat: pings go through again');
      this.failing = !sent.ok;
      await this.o.clock.sleep(this.o.intervalMs, this.stopping.signal);
    }
  }
}

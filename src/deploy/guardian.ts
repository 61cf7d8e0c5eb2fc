/**
 * The guardian: one pass, run every 60 s by a timer that is independent of the medic
 * (the article's cron-based "LaunchAgent Guardian"). It watches the medic; the medic
 * watches the gateway.
 *
 * - A medic unit that is not loaded is loaded again (its manager starts it).
 * - A loaded medic whose `/healthz` does not answer 200 is restarted. "Does not answer" is two
 *   probes in a row, `retryDelayMs` apart, each bounded by `timeoutMs`: stateless between
 *   passes (nothing to keep in sync), yet a medic that is still binding its port right after a
 *   start is not killed for it. A frozen medic is restarted within one timer period.
 * - A gateway unit that is not loaded is loaded again, except when the medic is healthy and its
 *   stop command is an unload (`medicUnloadsGateway`, launchd: a `KeepAlive` job can only be
 *   stopped by `bootout`). Then the medic may have unloaded it on purpose for a level-2 repair,
 *   and loading it would start a gateway mid-repair; if someone else unloaded it, the medic's
 *   probe sees it down and its restart command loads it again, with an incident to show for it.
 *   On systemd the medic stops the gateway without disabling it, so a disabled gateway is never
 *   the medic's doing and is enabled again at once.
 *
 * The article's "nuclear" test (both unloaded, config deleted) is one pass: both are loaded
 * again, and the medic's level 2 restores the config from its last-known-good copy.
 */
import { pingHeartbeat, type Verdict } from '../observe/heartbeat.js';
import type { Logger } from '../recovery/ports.js';
import type { UnitRef } from './options.js';
import type { ServiceManager } from './service-manager.js';

/** One health check of the medic: never throws. */
export type MedicProbe = (url: string, timeoutMs: number) => Promise<{ ok: boolean; detail: string }>;

export interface GuardianOptions {
  serviceManager: ServiceManager;
  units: { medic: UnitRef; gateway: UnitRef };
  /** `http://127.0.0.1:<MEDIC_HTTP_PORT>/healthz`. */
  medicHealthUrl: string;
  log: Logger;
  /** Default: `fetch`, ok on HTTP 200. */
  probe?: MedicProbe;
  /**
   * The medic stops the gateway by unloading it (launchd), so an unloaded gateway is left to a
   * healthy medic. Default true, the cautious choice; false on systemd (`systemctl stop`).
   */
  medicUnloadsGateway?: boolean;
  /** Default 5000 ms per probe. */
  timeoutMs?: number;
  /** Default 2: probes in a row that must fail before the medic is restarted. */
  attempts?: number;
  /** Default 5000 ms between those probes. */
  retryDelayMs?: number;
  /** Default a timer; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The guardian's own dead-man's switch (MEDIC_GUARDIAN_HEARTBEAT_URL): pinged after each pass,
   * `/fail` (or status=down) when the medic did not answer or a unit could not be loaded. A check
   * of its own: were it the medic's, the guardian's pings would hide a dead medic.
   */
  heartbeatUrl?: string | null;
  /** Default `pingHeartbeat`. */
  ping?: (url: string, verdict: Verdict) => Promise<{ ok: boolean; detail: string }>;
}

export const DefaultGuardianOptions = {
  /** Default 5 s: the medic answers `/healthz` from memory; 5 s of silence is not load. */
  timeoutMs: 5_000,
  /** Default 2 failed probes in a row. */
  attempts: 2,
  /** Default 5 s between them. */
  retryDelayMs: 5_000,
} as const;

/** What one pass did to a unit. */
export interface GuardianStep {
  unit: string;
  action: 'load' | 'restart' | 'leave';
  reason: string;
  /** Null when the action worked (or was `leave`); else why it failed. */
  error: string | null;
}

export interface GuardianResult {
  medicHealthy: boolean;
  /** The last probe's detail, e.g. `HTTP 200` or `timed out after 5000 ms`. */
  probeDetail: string;
  steps: GuardianStep[];
  /** False when a service manager call failed. */
  ok: boolean;
}

/** Probes `url` once with `fetch`; ok on HTTP 200. */
export const fetchMedicProbe: MedicProbe = async (url, timeoutMs) => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { ok: res.status === 200, detail: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TimeoutError') return { ok: false, detail: `no answer within ${timeoutMs} ms` };
    const cause = (e.cause as Error | undefined)?.message;
    return { ok: false, detail: cause ?? e.message };
  }
};

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One guardian pass. Never throws: a failing service manager call is a step with an `error`. */
export async function runGuardianOnce(o: GuardianOptions): Promise<GuardianResult> {
  const { serviceManager: sm, units, log } = o;
  const steps: GuardianStep[] = [];

  const loaded = async (unit: UnitRef): Promise<boolean | null> => {
    try {
      return await sm.isLoaded(unit);
    } catch (err) {
      steps.push({ unit: unit.name, action: 'leave', reason: 'cannot tell whether it is loaded', error: message(err) });
      log.error(`guardian: cannot tell whether ${unit.name} is loaded: ${message(err)}`);
      return null;
    }
  };
  const act = async (unit: UnitRef, action: 'load' | 'restart', reason: string): Promise<void> => {
    try {
      await (action === 'load' ? sm.load(unit) : sm.restart(unit));
      steps.push({ unit: unit.name, action, reason, error: null });
      log.warn(`guardian: ${action === 'load' ? 'loaded' : 'restarted'} ${unit.name}: ${reason}`);
    } catch (err) {
      steps.push({ unit: unit.name, action, reason, error: message(err) });
      log.error(`guardian: could not ${action} ${unit.name} (${reason}): ${message(err)}`);
    }
  };

  const medicLoaded = await loaded(units.medic);
  const gatewayLoaded = await loaded(units.gateway);
  const health = await probeMedic(o, medicLoaded !== false);

  if (medicLoaded === false) await act(units.medic, 'load', 'it was not loaded');
  else if (!health.ok) {
    await act(units.medic, 'restart', `its /healthz did not answer 200 (${health.detail})`);
  }

  if (gatewayLoaded === false) {
    if (health.ok && (o.medicUnloadsGateway ?? true)) {
      steps.push({ unit: units.gateway.name, action: 'leave', reason: 'not loaded, but the medic is healthy and owns it (it may be stopped for a repair)', error: null });
      log.info(`guardian: ${units.gateway.name} is not loaded; the medic is healthy and restarts it when it should run`);
    } else {
      await act(units.gateway, 'load', health.ok ? 'it was not loaded' : 'it was not loaded and the medic is not answering');
    }
  }

  const ok = steps.every((s) => s.error === null);
  if (steps.length === 0) log.debug(`guardian: all well (${units.medic.name} answers, both units loaded)`);
  if (o.heartbeatUrl) await pingGuardianHeartbeat(o, o.heartbeatUrl, health, steps);
  return { medicHealthy: health.ok, probeDetail: health.detail, steps, ok };
}

/** Healthy when the medic answered and every unit action worked; the reason names what did not. */
async function pingGuardianHeartbeat(o: GuardianOptions, url: string, health: { ok: boolean; detail: string }, steps: GuardianStep[]): Promise<void> {
  const failed = steps.filter((s) => s.error !== null).map((s) => `${s.unit}: could not ${s.action} (${s.error})`);
  const problems = [...(health.ok ? [] : [`medic not answering (${health.detail})`]), ...failed];
  const verdict: Verdict = problems.length ? { ok: false, reason: problems.join('; ') } : { ok: true, reason: 'ok' };
  const sent = await (o.ping ?? pingHeartbeat)(url, verdict);
  if (!sent.ok) o.log.warn(`guardian: heartbeat ping failed (${sent.detail})`);
}

/**
 * Probes the medic up to `attempts` times while it fails; once when its unit is not loaded
 * (it is loaded again whatever the answer).
 */
async function probeMedic(o: GuardianOptions, retry: boolean): Promise<{ ok: boolean; detail: string }> {
  const probe = o.probe ?? fetchMedicProbe;
  const timeoutMs = o.timeoutMs ?? DefaultGuardianOptions.timeoutMs;
  const attempts = retry ? Math.max(1, o.attempts ?? DefaultGuardianOptions.attempts) : 1;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let result = { ok: false, detail: 'not probed' };
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(o.retryDelayMs ?? DefaultGuardianOptions.retryDelayMs);
    result = await probe(o.medicHealthUrl, timeoutMs);
    if (result.ok) return result;
  }
  return { ok: false, detail: attempts > 1 ? `${result.detail}, ${attempts} times in a row` : result.detail };
}

/** Readable lines for a pass, for the command's output. */
export function renderGuardianResult(r: GuardianResult, medic: string): string[] {
  const lines = [`medic ${medic}: ${r.medicHealthy ? 'healthy' : 'not answering'} (${r.probeDetail})`];
  const done = { leave: 'left alone', load: 'loaded again', restart: 'restarted' } as const;
  for (const s of r.steps) {
    if (s.error === null) lines.push(`${s.unit}: ${done[s.action]}: ${s.reason}`);
    else if (s.action === 'leave') lines.push(`${s.unit}: ${s.reason}: ${s.error}`);
    else lines.push(`${s.unit}: could not ${s.action} it (${s.reason}): ${s.error}`);
  }
  if (r.steps.length === 0) lines.push('nothing to do');
  return lines;
}

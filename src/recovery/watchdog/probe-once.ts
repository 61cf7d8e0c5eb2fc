/**
 * One probe of the probe loop, with what the gateway's process was doing when it failed
 * (`ProbeResult.process`, from the gateway adapter's /proc readings). A process found stopped
 * (state T) while the probe waits ends the wait: it cannot answer, however long. A main thread
 * pinned through the whole wait is said (`ProbeResult.pinnedMs`): an event loop that spins.
 */
import type { Clock, GatewayProcess, HealthProbe } from '../ports.js';
import type { ProbeResult } from '../types.js';

/** While a probe waits for its answer, the gateway's process is checked for state T this often. */
const STOPPED_CHECK_MS = 250;
/**
 * A pinned stretch is known from the /proc reading before its first pinned span: up to one watch
 * interval (500 ms) after it began, a little more when a reading slips on a loaded machine. A stretch
 * that began this soon after the probe started covers its wait.
 */
const PINNED_READING_SLACK_MS = 750;

export async function probeWithActivity(probe: HealthProbe, gateway: GatewayProcess, clock: Clock, signal: AbortSignal): Promise<ProbeResult> {
  const result = gateway.activity ? await probeWatching(probe, gateway, clock, signal) : await probe.check(signal);
  if (result.ok || signal.aborted || !gateway.mainRuns) return result;
  // A service: its exits are invisible, but its manager knows whether its main process still runs. (Asked
  // whatever else the gateway reports: a service's listener may be watched too, service-listener.ts.)
  return (await gateway.mainRuns().catch(() => null)) === false ? { ...result, serviceDown: true } : result;
}

/** The probe, watched: a process found stopped ends it early; a failure says what the process was doing. */
async function probeWatching(probe: HealthProbe, gateway: GatewayProcess, clock: Clock, signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = clock.now();
  const ctl = new AbortController();
  const watching = new AbortController();
  const onStop = () => ctl.abort();
  signal.addEventListener('abort', onStop, { once: true });
  let stopped = false;
  void (async () => {
    while (!watching.signal.aborted) {
      await clock.sleep(STOPPED_CHECK_MS, watching.signal);
      if (!watching.signal.aborted && gateway.activity?.() === 'stopped') {
        stopped = true;
        ctl.abort();
      }
    }
  })();
  const result = await probe.check(ctl.signal).finally(() => {
    watching.abort();
    signal.removeEventListener('abort', onStop);
  });
  if (result.ok || signal.aborted) return result;
  if (stopped) return { ...result, error: 'no answer: its process is stopped (state T)', kind: 'timeout', process: 'stopped' };
  const activity = gateway.activity?.() ?? null;
  const pinnedMs = gateway.pinnedMs?.() ?? 0;
  const waitedMs = clock.now() - startedAt;
  return {
    ...result,
    ...(activity ? { process: activity } : {}),
    ...(pinnedMs > 0 && pinnedMs >= waitedMs - PINNED_READING_SLACK_MS ? { pinnedMs: Math.round(pinnedMs) } : {}),
  };
}

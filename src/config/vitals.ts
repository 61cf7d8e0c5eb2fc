/**
 * The settings of a running gateway's vitals (memory, readiness, channels, the event loop, the
 * model provider probe): one row each, merged into the target settings of `config.ts`; and how
 * they become the ladder's `VitalsOptions` and the default vitals adapter's options.
 */
import { z } from 'zod';
import { exponentialBackoff } from '../recovery/ladder/options.js';
import { DefaultVitalsOptions as V, type VitalsOptions } from '../recovery/ladder/vitals-options.js';

const MiB = 1024 * 1024;
const int = (min: number) => z.coerce.number().int().min(min);

/** A number (at least `min`), or `off` (null). */
function offOr(min: number, unit: string, integer = true) {
  return z.union([z.string(), z.number()]).transform((raw, ctx) => {
    const v = String(raw).trim().toLowerCase();
    if (v === 'off' || v === 'false' || v === 'none') return null;
    const n = Number(v);
    if (v === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      ctx.addIssue({ code: 'custom', message: `must be ${integer ? 'a whole number' : 'a number'} of ${unit} (at least ${min}), or off` });
      return z.NEVER;
    }
    return n;
  });
}

/** Each vitals setting of a target (its variable, schema and default); in a targets file its key is the field's name. */
export const VITALS_FIELDS = {
  /** How often the gateway's RSS is sampled and /readyz read. */
  vitalsIntervalMs: { env: 'VITALS_INTERVAL_MS', schema: int(500), def: 5_000 },
  /** A planned restart at this RSS, like PM2's max_memory_restart; off by default. */
  memoryRestartMb: { env: 'MEMORY_RESTART_MB', schema: offOr(64, 'MB'), def: null },
  /** A planned restart when out of memory is predicted within this many minutes; off: shown and warned only. */
  memoryPredictMinutes: { env: 'MEMORY_PREDICT_MINUTES', schema: offOr(0.1, 'minutes', false), def: V.memoryPredictMs / 60_000 },
  /** The line the gateway dies at; off (default): the heap limit it runs with (--max-old-space-size, or Node's default). */
  memoryLimitMb: { env: 'MEMORY_LIMIT_MB', schema: offOr(64, 'MB'), def: null },
  /** Planned memory restarts and out-of-memory exits within 6 hours that make a finding for a person. */
  memoryRepeatRestarts: { env: 'MEMORY_REPEAT_RESTARTS', schema: int(1), def: V.memoryRepeatRestarts },
  /** Probe /readyz (GATEWAY_READY_URL, or the health URL with /readyz) as well as /healthz. */
  readinessProbe: { env: 'READINESS_PROBE', schema: z.enum(['true', 'false']).transform((v) => v === 'true'), def: true },
  readinessGraceMs: { env: 'READINESS_GRACE_MS', schema: int(0), def: V.readinessGraceMs },
  /** channels.start per failing channel before a person is asked, and the first wait between them. */
  channelRestartMax: { env: 'CHANNEL_RESTART_MAX', schema: int(0), def: V.channelRestartMax },
  channelRestartBackoffMs: { env: 'CHANNEL_RESTART_BACKOFF_MS', schema: int(1_000), def: 10_000 },
  channelStartCommand: { env: 'CHANNEL_START_COMMAND', schema: z.string().trim().min(1), def: 'openclaw gateway call channels.start --json' },
  eventLoopDegradedMs: { env: 'EVENT_LOOP_DEGRADED_MS', schema: int(1_000), def: V.eventLoopDegradedMs },
  eventLoopAction: { env: 'EVENT_LOOP_ACTION', schema: z.enum(['report', 'restart', 'off']), def: V.eventLoopAction },
  /** The end-to-end provider probe: one REAL model call (tokens billed) per interval; off by default. */
  providerProbeIntervalMs: { env: 'PROVIDER_PROBE_INTERVAL_MS', schema: offOr(60_000, 'ms'), def: null },
  providerProbeTimeoutMs: { env: 'PROVIDER_PROBE_TIMEOUT_MS', schema: int(5_000).max(300_000), def: 60_000 },
  providerProbeCommand: { env: 'PROVIDER_PROBE_COMMAND', schema: z.string().trim().min(1), def: 'openclaw gateway call agent --expect-final --json --timeout 45000' },
  modelsStatusCommand: { env: 'MODELS_STATUS_COMMAND', schema: z.string().trim().min(1), def: 'openclaw models status --json' },
} as const;

interface VitalsSettings {
  vitalsIntervalMs: number;
  memoryRestartMb: number | null;
  memoryPredictMinutes: number | null;
  memoryLimitMb: number | null;
  memoryRepeatRestarts: number;
  readinessProbe: boolean;
  readinessGraceMs: number;
  channelRestartMax: number;
  channelRestartBackoffMs: number;
  channelStartCommand: string;
  eventLoopDegradedMs: number;
  eventLoopAction: VitalsOptions['eventLoopAction'];
  providerProbeIntervalMs: number | null;
  providerProbeTimeoutMs: number;
  providerProbeCommand: string;
  modelsStatusCommand: string;
}

/** The ladder's vitals rules for a target's settings. */
export function vitalsOptionsFor(t: VitalsSettings): VitalsOptions {
  return {
    ...V,
    memoryRestartBytes: t.memoryRestartMb === null ? null : t.memoryRestartMb * MiB,
    memoryPredictMs: t.memoryPredictMinutes === null ? null : Math.round(t.memoryPredictMinutes * 60_000),
    memoryRepeatRestarts: t.memoryRepeatRestarts,
    readinessGraceMs: t.readinessGraceMs,
    channelRestartMax: t.channelRestartMax,
    channelBackoff: exponentialBackoff(t.channelRestartBackoffMs, Math.max(t.channelRestartBackoffMs, 120_000)),
    eventLoopDegradedMs: t.eventLoopDegradedMs,
    eventLoopAction: t.eventLoopAction,
  };
}

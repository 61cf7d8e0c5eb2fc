/**
 * The knobs of the vitals rules (`vitals.ts`): memory, readiness, channels, the event loop.
 * Their defaults live here, once; `config/vitals.ts` reads the settings over them.
 */
import { exponentialBackoff, type BackoffFunction } from './options.js';

export interface VitalsOptions {
  /** A planned restart when RSS reaches this (PM2's max_memory_restart); null: no fixed limit. */
  memoryRestartBytes: number | null;
  /** A planned restart when the trend reaches the limit within this long; null: shown and warned, never acted on. */
  memoryPredictMs: number | null;
  /** The trend is told once per run (a timeline line) when it reaches the limit within this long. */
  memoryWarnMs: number;
  /** The trend is fitted over this much of the latest samples. */
  trendWindowMs: number;
  /** Samples before a trend is believed, and the time they must span. */
  trendMinSamples: number;
  trendMinSpanMs: number;
  /** Growth below this (bytes per minute) is not a trend; nor is a fit worse than `trendMinR2`. */
  trendMinGrowthPerMin: number;
  trendMinR2: number;
  /** Samples taken sooner than this after the gateway became healthy are start-up, not a trend. */
  settleMs: number;
  /** This many planned memory restarts and out-of-memory exits within `memoryRepeatWindowMs` are a finding for a person. */
  memoryRepeatRestarts: number;
  memoryRepeatWindowMs: number;
  /** Readiness failures are not acted on for this long after the gateway became healthy (start-up sidecars, channels connecting). */
  readinessGraceMs: number;
  /** `channels.start` per failing channel before a person is asked; and the wait before each (attempt 0 is the first). */
  channelRestartMax: number;
  channelBackoff: BackoffFunction;
  /** OpenClaw's event loop degraded for this long is an incident ... */
  eventLoopDegradedMs: number;
  /** ... reported to a person, or answered with a planned restart, or ignored. */
  eventLoopAction: 'report' | 'restart' | 'off';
}

export const DefaultVitalsOptions = {
  /** Default: off (MEMORY_RESTART_MB). */
  memoryRestartBytes: null,
  /** Default 2 minutes (MEMORY_PREDICT_MINUTES). */
  memoryPredictMs: 120_000,
  /** Default 30 minutes. */
  memoryWarnMs: 30 * 60_000,
  /** Default 5 minutes. */
  trendWindowMs: 5 * 60_000,
  /** Default 4 samples over at least 15 s. */
  trendMinSamples: 4,
  trendMinSpanMs: 15_000,
  /** Default 1 MiB per minute, r² 0.5. */
  trendMinGrowthPerMin: 1024 * 1024,
  trendMinR2: 0.5,
  /** Default 20 s. */
  settleMs: 20_000,
  /** Default 3 planned restarts within 6 hours. */
  memoryRepeatRestarts: 3,
  memoryRepeatWindowMs: 6 * 3_600_000,
  /** Default 30 s (OpenClaw's own `startup-sidecars` lasts 2-4 s after the first 200). */
  readinessGraceMs: 30_000,
  /** Default 3 starts: at once, then 10 s, 20 s (CHANNEL_RESTART_MAX, CHANNEL_RESTART_BACKOFF_MS). */
  channelRestartMax: 3,
  channelBackoff: exponentialBackoff(10_000, 120_000),
  /** Default 2 minutes, reported (EVENT_LOOP_DEGRADED_MS, EVENT_LOOP_ACTION). */
  eventLoopDegradedMs: 120_000,
  eventLoopAction: 'report',
} as const satisfies VitalsOptions;

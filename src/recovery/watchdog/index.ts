/**
 * A target's watchdog: the queue and probe loop (`target-watchdog.ts`), the effects of the
 * ladder's actions (`effects.ts`), the AI agent's bridge (`agent-bridge.ts`) and the one door
 * out (`outbox.ts`).
 */
export { TargetWatchdog, type WatchdogOptions } from './target-watchdog.js';
export type { TargetStatus } from '../types.js';

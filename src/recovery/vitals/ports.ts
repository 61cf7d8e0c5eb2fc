/**
 * The vitals port: what a target's watchdog runs beside its probe loop (`monitor.ts` is the
 * default adapter). Results come back as ladder events through `dispatch`.
 */
import type { LadderEvent } from '../types.js';

export interface VitalsContext {
  /** The pid serving the gateway's port, as the ladder knows it (null: not known). */
  pid(): number | null;
  /** The gateway runs and answers its liveness probe. */
  healthy(): boolean;
  /** The gateway's last output lines (for a channel's own error, the plugins it loaded). */
  recentOutput(lines: number): string[];
  dispatch(event: LadderEvent): Promise<void>;
  signal: AbortSignal;
}

export interface VitalsMonitor {
  /** Samples and probes until `ctx.signal` aborts; never rejects. */
  run(ctx: VitalsContext): Promise<void>;
  /** Restarts one chat channel inside the running gateway (`channels.start`). Never rejects. */
  startChannel(channel: string): Promise<{ ok: boolean; detail: string }>;
}

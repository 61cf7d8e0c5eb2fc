/**
 * The default vitals adapter: beside the watchdog's probe loop, every `intervalMs` it samples the
 * serving pid's RSS and heap limit and reads `/readyz`; every `providerIntervalMs` (off by default)
 * it sends one real message through the gateway. Single-flight loops on the injected clock.
 */
import type { Clock, Logger } from '../ports.js';
import { HttpProbe } from '../probe.js';
import { startChannel, type ChannelStarterOptions } from './channel-starter.js';
import { nonHeapIn, pluginsIn, readHeapLimitBytes, readRssBytes } from './memory-sampler.js';
import type { VitalsContext, VitalsMonitor } from './ports.js';
import { probeProvider, type ProviderProbeOptions } from './provider-probe.js';
import { channelErrorsIn, failingChannels, parseReadiness } from './readiness.js';

export interface VitalsMonitorOptions {
  target: string;
  intervalMs: number;
  clock: Clock;
  log: Logger;
  /** Sample RSS (Linux /proc). */
  memory: boolean;
  /** MEMORY_LIMIT_MB in bytes; null: the heap limit the gateway runs with. */
  limitBytes: number | null;
  /** `/readyz`; null: not probed. */
  readyUrl: string | null;
  timeoutMs: number;
  channels: ChannelStarterOptions;
  /** Null: the provider probe is off. */
  provider: (ProviderProbeOptions & { intervalMs: number }) | null;
}

/** Lines of gateway output searched for a channel's error and the plugins list. */
const OUTPUT_LINES = 300;

export class GatewayVitalsMonitor implements VitalsMonitor {
  private readonly ready: HttpProbe | null;

  constructor(private readonly o: VitalsMonitorOptions) {
    this.ready = o.readyUrl ? new HttpProbe({ url: o.readyUrl, timeoutMs: o.timeoutMs, clock: o.clock }) : null;
  }

  async run(ctx: VitalsContext): Promise<void> {
    await Promise.all([this.loop(ctx), this.providerLoop(ctx)]);
  }

  startChannel(channel: string): Promise<{ ok: boolean; detail: string }> {
    return startChannel(channel, this.o.channels).catch((err: Error) => ({ ok: false, detail: err.message }));
  }

  private async loop(ctx: VitalsContext): Promise<void> {
    const { clock } = this.o;
    while (!ctx.signal.aborted) {
      const started = clock.now();
      try {
        await this.once(ctx);
      } catch (err) {
        this.o.log.debug(`[${this.o.target}] vitals: ${(err as Error).message}`);
      }
      await clock.sleep(Math.max(0, this.o.intervalMs - (clock.now() - started)), ctx.signal);
    }
  }

  private async once(ctx: VitalsContext): Promise<void> {
    const pid = ctx.pid();
    if (this.o.memory && pid !== null) {
      const rssBytes = await readRssBytes(pid);
      if (rssBytes !== null && !ctx.signal.aborted) {
        const limitBytes = await readHeapLimitBytes(pid, this.o.limitBytes);
        const lines = ctx.recentOutput(OUTPUT_LINES);
        await ctx.dispatch({ type: 'VitalsSampled', pid, rssBytes, limitBytes, plugins: pluginsIn(lines), nonHeapBytes: nonHeapIn(lines) });
      }
    }
    if (this.ready && ctx.healthy()) {
      const r = await this.ready.fetch(ctx.signal);
      if (ctx.signal.aborted) return;
      const reading = parseReadiness(r.answered ? r.status : null, r.body, r.answered ? null : r.error);
      const channels = [...failingChannels(reading), ...reading.suppressed];
      const channelErrors = channels.length ? channelErrorsIn(ctx.recentOutput(OUTPUT_LINES), channels) : [];
      await ctx.dispatch({ type: 'ReadinessChecked', reading, channelErrors });
    }
  }

  private async providerLoop(ctx: VitalsContext): Promise<void> {
    const p = this.o.provider;
    if (!p) return;
    const { clock } = this.o;
    while (!ctx.signal.aborted) {
      await clock.sleep(p.intervalMs, ctx.signal);
      if (ctx.signal.aborted || !ctx.healthy()) continue;
      const event = await probeProvider(p, () => ctx.recentOutput(OUTPUT_LINES)).catch((err: Error) => {
        this.o.log.warn(`[${this.o.target}] the provider probe could not run: ${err.message}`);
        return null;
      });
      if (event && !ctx.signal.aborted) await ctx.dispatch(event);
    }
  }
}

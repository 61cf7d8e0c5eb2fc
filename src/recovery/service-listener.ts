/**
 * What a gateway run as a service is doing, from the process that serves its port. The medic has
 * no child to read: it finds the listener through /proc/net/tcp and /proc/<pid>/fd (possible for a
 * gateway of the same user; for another user's, nothing is known and nothing changes), remembers it
 * by pid and start time, and samples its CPU time. OpenClaw restarting in process (SIGUSR2) closes its
 * port for several seconds while the same process works on its start: a refused probe from a process
 * that still runs and works is that restart (liveness.ts `restartedInProcess`), not an outage. A
 * process found stopped (state T) cannot answer. A listener that is gone (the service manager
 * restarted it, it crashed) says nothing until the next good probe finds the new one.
 */
import { listPortHolders } from './repair/port-holder.js';
import type { ProcessActivity } from './types.js';
import { CLOCK_TICKS_PER_SECOND, isRunning, readStat } from '../lib/process-table.js';

/** A listener using at least this share of one core is working (as for a supervised gateway: run-activity.ts). */
const WORKING_CPU_SHARE = 0.1;
/** CPU samples are taken this often while a listener is known, and kept over this window. */
const SAMPLE_MS = 500;
const WINDOW_MS = 1_500;

export class ServiceListener {
  private listener: { pid: number; startTime: number } | null = null;
  private samples: { at: number; cpuTicks: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `port`: the gateway's (the health URL's); null: nothing is looked for. */
  constructor(private readonly port: number | null) {}

  /** The pid found serving the port, if any. */
  get pid(): number | null {
    return this.listener?.pid ?? null;
  }

  /** Looks for the process serving the port now (the first good probe of a run): it is the one sampled from then on. */
  async find(): Promise<void> {
    if (this.port === null) return;
    const holders = (await listPortHolders(this.port).catch(() => [])).filter((h) => h.pid > 0);
    const stat = holders.length === 1 ? readStat(holders[0]!.pid) : null;
    if (!isRunning(stat ?? undefined) || stat === null) return;
    if (this.listener?.pid === stat.pid && this.listener.startTime === stat.startTime) return;
    this.listener = { pid: stat.pid, startTime: stat.startTime };
    this.samples = [];
    this.sample();
  }

  /** What the listener does now: stopped (state T), working, idle; null when none is known, it is gone, or too soon to say. */
  activity(): ProcessActivity | null {
    const p = this.current();
    if (p === null) return null;
    if (/^[Tt]/.test(p.state)) return 'stopped';
    const first = this.samples[0];
    const at = Date.now();
    if (!first || at - first.at < 400) return null;
    const share = (p.cpuTicks - first.cpuTicks) / CLOCK_TICKS_PER_SECOND / ((at - first.at) / 1000);
    return share >= WORKING_CPU_SHARE ? 'working' : 'idle';
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listener = null;
  }

  /** The listener's stat while it is still the process found (not a recycled pid), else null (and forgotten). */
  private current(): NonNullable<ReturnType<typeof readStat>> | null {
    if (this.listener === null) return null;
    const p = readStat(this.listener.pid);
    if (p === null || !isRunning(p) || p.startTime !== this.listener.startTime) {
      this.close();
      return null;
    }
    return p;
  }

  private sample(): void {
    this.timer = null;
    const p = this.current();
    if (p === null) return;
    const now = Date.now();
    this.samples.push({ at: now, cpuTicks: p.cpuTicks });
    while (this.samples.length > 2 && now - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
    this.timer = setTimeout(() => this.sample(), SAMPLE_MS).unref();
  }
}

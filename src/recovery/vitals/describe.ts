/**
 * The vitals as a person reads them, one line each: the card, `/status` in Discord and the CLI
 * all show these. Pure.
 */
import type { TargetStatus } from '../types.js';
import { duration, size } from '../ladder/vitals.js';
import { failingChannels } from './readiness.js';

export function describeVitals(t: Pick<TargetStatus, 'memory' | 'readiness' | 'provider'>, now: number): string[] {
  const out: string[] = [];
  const m = t.memory;
  if (m) {
    const heap = m.heapLimitBytes === null ? '' : ` (heap limit ${size(m.heapLimitBytes)})`;
    const limit = m.limitBytes === null ? '' : ` of ~${size(m.limitBytes)}${heap}`;
    const trend =
      m.growthBytesPerMin === null ? 'trend pending' : m.growthBytesPerMin > 0 ? `+${size(m.growthBytesPerMin)}/min` : 'steady';
    const oom = m.oomAt === null ? '' : ` · out of memory in ~${duration(m.oomAt - now)}`;
    out.push(`memory: RSS ${size(m.rssBytes)}${limit} · ${trend}${oom}`);
  }
  const r = t.readiness;
  if (r) {
    let text: string;
    if (r.error) text = `no reading (${r.error})`;
    else if (r.ready) text = r.suppressed.length ? `ready, channels suppressed by OpenClaw's breaker: ${r.suppressed.join(', ')}` : 'ready';
    else text = `not ready (failing ${r.failing.join(', ')})`;
    const channels = failingChannels(r);
    if (!r.error && !r.ready && channels.length === 0) text = `starting (${r.failing.join(', ')})`;
    const el = r.eventLoop;
    if (el?.degraded) {
      const util = el.utilization === null ? '' : `, utilisation ${Math.round(el.utilization * 100)}%`;
      text += ` · event loop degraded for ${duration(el.degradedSinceMs ?? 0)} (delay p99 ${el.delayP99Ms === null ? '-' : Math.round(el.delayP99Ms)} ms${util})`;
    }
    out.push(`readiness: ${text}`);
  }
  const p = t.provider;
  if (p) {
    const state = {
      ok: `ok (${(p.latencyMs / 1000).toFixed(1)} s)`,
      auth: 'credentials refused (401): a person must renew them',
      'rate-limited': 'rate-limited (429): waiting, not restarting',
      error: `probe failed: ${p.detail}`,
    }[p.state];
    out.push(`model provider: ${state}, checked ${duration(now - p.checkedAt)} ago`);
  }
  return out;
}

/** The vitals lines of the card, `/status` and the CLI. */
import { describe, expect, it } from 'vitest';
import { describeVitals } from '../../../src/recovery/vitals/describe.js';

const MiB = 1024 * 1024;
const now = 1_700_000_000_000;

describe('describeVitals', () => {
  it('memory with a predicted out of memory, a failing channel, a refused provider', () => {
    expect(
      describeVitals(
        {
          memory: { pid: 7, sampledAt: now, rssBytes: 1900 * MiB, limitBytes: 2560 * MiB, heapLimitBytes: 2048 * MiB, growthBytesPerMin: 600 * MiB, oomAt: now + 15_000 },
          readiness: { checkedAt: now, status: 503, ready: false, failing: ['telegram'], suppressed: [], eventLoop: null, error: null },
          provider: { checkedAt: now - 60_000, state: 'auth', detail: 'HTTP 401', latencyMs: 1300 },
        },
        now,
      ),
    ).toEqual([
      'memory: RSS 1.86 GiB of ~2.50 GiB (heap limit 2.00 GiB) · +600 MiB/min · out of memory in ~15 s',
      'readiness: not ready (failing telegram)',
      'model provider: credentials refused (401): a person must renew them, checked 60 s ago',
    ]);
  });

  it('steady memory, a degraded event loop, a rate-limited provider; nothing when nothing was sampled', () => {
    expect(
      describeVitals(
        {
          memory: { pid: 7, sampledAt: now, rssBytes: 812 * MiB, limitBytes: null, heapLimitBytes: null, growthBytesPerMin: 0, oomAt: null },
          readiness: {
            checkedAt: now,
            status: 200,
            ready: true,
            failing: [],
            suppressed: [],
            eventLoop: { degraded: true, degradedSinceMs: 90_000, reasons: ['event_loop_delay'], delayP99Ms: 3005, delayMaxMs: 3010, utilization: 0.75 },
            error: null,
          },
          provider: { checkedAt: now, state: 'rate-limited', detail: '', latencyMs: 45_000 },
        },
        now,
      ),
    ).toEqual([
      'memory: RSS 812 MiB · steady',
      'readiness: ready · event loop degraded for 90 s (delay p99 3005 ms, utilisation 75%)',
      'model provider: rate-limited (429): waiting, not restarting, checked 0 s ago',
    ]);
    expect(describeVitals({}, now)).toEqual([]);
  });
});

/**
 * Issue 10, item 2: a config the gateway was proven healthy on is known-good, whichever run
 * proved it. The proof is the healthy time on one config content (its fingerprint), summed
 * across runs; the copy is taken as soon as the sum reaches `snapshotAfterMs`.
 */
import { describe, expect, it } from 'vitest';
import { LadderHarness, boot, killed, ofType, probeOk, started } from './ladder-harness.js';

const every = 5_000;

/** Good probes until the gateway is 'up' (`recoveryThreshold` of them), then up for `ms` more. */
function healthyFor(h: LadderHarness, ms: number) {
  const toUp = h.state.health === 'up' ? 0 : h.options.recoveryThreshold;
  return h.probes(toUp + Math.round(ms / every), probeOk(), every);
}

describe('known-good config: proof accumulates across runs on the same content', () => {
  it('healthy ~25 s, kill -9, restarted on the same file, healthy ~20 s: the copy is taken in the second run', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100, 'sha256:aaa'));
    const first = healthyFor(h, 25_000);
    expect(ofType(first, 'SnapshotConfig')).toEqual([]); // 25 s of health: not yet
    h.send(killed());
    h.after(1_000, started(101, 'sha256:aaa'));
    const second = healthyFor(h, 20_000);
    expect(ofType(second, 'SnapshotConfig')).toEqual([{ type: 'SnapshotConfig', config: 'sha256:aaa' }]);
    expect(h.state.snapshotTaken).toBe(true);
  });

  it('a run on other content starts the proof again', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100, 'sha256:aaa'));
    healthyFor(h, 25_000);
    h.send(killed());
    h.after(1_000, started(101, 'sha256:bbb'));
    expect(ofType(healthyFor(h, 20_000), 'SnapshotConfig')).toEqual([]);
    expect(ofType(healthyFor(h, 20_000), 'SnapshotConfig')).toEqual([{ type: 'SnapshotConfig', config: 'sha256:bbb' }]);
  });

  it('the proof survives a medic restart (it is part of the committed state)', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100, 'sha256:aaa'));
    healthyFor(h, 25_000);
    h.send(killed());
    const restarted = new LadderHarness({ state: h.state, now: h.now + 2_000 });
    restarted.send(boot()); // the new medic starts the gateway on the same file
    restarted.after(1_000, started(102, 'sha256:aaa'));
    expect(ofType(healthyFor(restarted, 20_000), 'SnapshotConfig')).toHaveLength(1);
  });

  it('a proven content is not copied twice', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100, 'sha256:aaa'));
    expect(ofType(healthyFor(h, 40_000), 'SnapshotConfig')).toHaveLength(1);
    h.send(killed());
    h.after(1_000, started(101, 'sha256:aaa'));
    expect(ofType(healthyFor(h, 40_000), 'SnapshotConfig')).toEqual([]);
  });
});

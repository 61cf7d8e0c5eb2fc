/**
 * The medic's known-good config: proven by health, per content. The healthy time of every run
 * on one config content (its fingerprint, captured at each start) is summed, across restarts,
 * kill -9s and medic restarts (the proof is part of the committed state); the copy is asked for
 * at the good probe that brings the sum to `snapshotAfterMs`. Unknown content (null) proves
 * itself run by run.
 */
import type { TargetState } from '../types.js';
import type { Step } from './context.js';

/** A run starts on `config`: the proof goes on for the same content, and starts again for another (or unknown). */
export function newRunOn(s: TargetState, config: string | null): void {
  const proof = proofOf(s);
  if (config === null || proof.config !== config) {
    s.proof = { config, healthyMs: 0, lastOkAt: null };
    s.snapshotTaken = false;
  } else {
    proof.lastOkAt = null;
  }
}

/**
 * A config is known-good once the gateway has been healthy on it for `snapshotAfterMs` in
 * total, summed over every run on the same content (a kill -9 or a restart does not start the
 * proof again); the copy is asked for at the good probe that completes the proof.
 */
export function proveConfig(c: Step): void {
  const s = c.s;
  if (s.snapshotTaken || s.health !== 'up' || (c.o.supervised && s.process.status !== 'running')) return;
  const proof = proofOf(s);
  if (proof.lastOkAt !== null) proof.healthyMs += c.now - proof.lastOkAt;
  proof.lastOkAt = c.now;
  if (proof.healthyMs < c.o.snapshotAfterMs) return;
  s.snapshotTaken = true;
  proof.lastOkAt = null;
  c.actions.push({ type: 'SnapshotConfig', config: proof.config });
}

function proofOf(s: TargetState): NonNullable<TargetState['proof']> {
  s.proof ??= { config: null, healthyMs: 0, lastOkAt: null };
  return s.proof;
}

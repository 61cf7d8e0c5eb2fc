/**
 * One step of the ladder in progress: the state it changes (a copy), the options, the time,
 * the random number for jitter, and the actions queued so far. Every rule in this folder is a
 * plain function of it; nothing here reads a clock, spawns or imports `node:*`.
 */
import type { Incident, LadderAction, RecordKind, TargetState } from '../types.js';
import type { LadderOptions } from './options.js';

/** What `step` is given besides the state and the event. */
export interface StepContext {
  now: number;
  /** A random number in [0, 1), for backoff jitter. */
  random: number;
  options: LadderOptions;
}

export interface Step {
  /** The state being changed: a copy, `step` never mutates its input. */
  readonly s: TargetState;
  readonly o: LadderOptions;
  readonly now: number;
  readonly random: number;
  /** Actions queued by this step, in order. */
  readonly actions: LadderAction[];
  /** The incident this step resolved or aborted (it has left `s.incident`). */
  closed: Incident | null;
}

export function newStep(s: TargetState, ctx: StepContext): Step {
  return { s, o: ctx.options, now: ctx.now, random: ctx.random, actions: [], closed: null };
}

/** A line for the incident timeline (or the target's log when no incident is open) and the audit. */
export function record(c: Step, kind: RecordKind, text: string, by?: string): void {
  const inc = c.s.incident;
  c.actions.push({
    type: 'Record',
    record: {
      kind,
      at: c.now,
      target: c.s.target,
      incidentId: inc?.id ?? null,
      level: inc?.level ?? null,
      text,
      ...(by !== undefined ? { by } : {}),
    },
  });
}

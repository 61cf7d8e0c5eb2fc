/** The fault explorer's sequences: drawn from a seed with a small seeded PRNG, so a seed replays exactly. */

export type Fault =
  | 'kill-gateway'
  | 'kill-wrapper'
  | 'freeze'
  | 'corrupt-config'
  | 'delete-config'
  | 'restore-config'
  | 'squat-port'
  | 'flap'
  | 'pause-resume'
  | 'recover'
  | 'abort'
  | 'answer';

export const FAULTS: Fault[] = [
  'kill-gateway',
  'kill-wrapper',
  'freeze',
  'corrupt-config',
  'delete-config',
  'restore-config',
  'squat-port',
  'flap',
  'pause-resume',
  'recover',
  'abort',
  'answer',
];

export interface Step {
  /** Wait before the fault, ms. */
  afterMs: number;
  fault: Fault;
  /** How long a freeze, squat, pause or abort lasts, ms. */
  holdMs: number;
  /** 0-999: which variant of the fault (the corruption, the wrapper, the level, approve or deny). */
  pick: number;
}

/** mulberry32: a small, well-known seeded PRNG (the same seed, the same sequence). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function plan(seed: number, steps = 4): Step[] {
  const r = prng(seed);
  return Array.from({ length: steps }, () => ({
    afterMs: 300 + Math.floor(r() * 2_500),
    fault: FAULTS[Math.floor(r() * FAULTS.length)]!,
    holdMs: 300 + Math.floor(r() * 2_000),
    pick: Math.floor(r() * 1_000),
  }));
}

/** The variant `pick` chooses among `n`. */
export const variant = (pick: number, n: number): number => pick % n;

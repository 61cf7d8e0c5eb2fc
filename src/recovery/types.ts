/**
 * The ladder's vocabulary: its state, the facts that flow in (events) and the
 * work that flows out (actions). Plain data, no I/O: see `ladder/step.ts`. One file per part in types/.
 */
export type * from './types/incident.js';
export type * from './types/probe.js';
export type * from './types/vitals.js';
export type * from './types/state.js';
export type * from './types/ladder.js';

/**
 * The recovery ladder, a pure state machine: `step.ts` is where to start reading.
 */
export { EVENT_TYPES, initialState, nextWakeAt, step } from './step.js';
export type { StepContext } from './context.js';
export { checkApproval } from './approvals.js';
export { checkAbort, checkEnablePlugin, checkRecover, checkResume } from './operators.js';
export { describeDiagnosis, describeExit } from './describe.js';
export { phaseOf } from './phase.js';
export { nextProbeDelayMs, type ProbeCadence } from './liveness.js';
export { newIncident } from './incident.js';
export { sessionOf } from './agent.js';
export { DefaultLadderOptions, exponentialBackoff, type BackoffFunction, type LadderOptions } from './options.js';

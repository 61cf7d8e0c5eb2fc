/** Failure classes: evidence in (exit code, the gateway's lines, its stability bundle) -> a `FailureClass`. Pure. */
export { classifyExit, type ExitEvidence } from './exit.js';
export { failureOfExit, fixFor, needsPerson } from './fix.js';

/** Exits as the supervisor reports them once the classifier named their class (see classify/exit.ts). */
import { classifyExit } from '../../../src/recovery/classify/index.js';
import type { FailureClass } from '../../../src/recovery/types.js';
import { exited } from './ladder-harness.js';

const CAPTURE = '/s/tmp/plugin-captures/5f0c/captures/openclaw-plugin-build-Ab12/package-0/node_modules';

function classified(code: number, lines: string[]): FailureClass {
  const f = classifyExit({ code, signal: null, lines });
  if (!f) throw new Error(`not classified: ${lines.join(' | ')}`);
  return f;
}

export const pluginCrash = (id = 'crash-plugin') =>
  exited({ code: 1, failure: classified(1, [`Error: boom from ${id}`, `    at Timeout._onTimeout (${CAPTURE}/${id}/index.js:9:13)`]) });
export const staleLock = (pid = 4242) =>
  exited({ code: 78, hint: 'config', failure: classified(78, [`Another gateway (pid ${pid}) already owns this state directory; refusing to run automatic startup migrations`]) });
export const versionDrift = () =>
  exited({ code: 1, failure: classified(1, ['Your OpenClaw config was written by version 2027.1.0, but this command is running 2026.9.6.']) });
export const stateSchema = () =>
  exited({ code: 78, hint: 'config', failure: classified(78, ['/s/state/openclaw.sqlite uses newer schema version 99; this build supports 18.']) });
export const nodeTooOld = () => exited({ code: 1, failure: classified(1, ['openclaw: Node 20.20.2: node:sqlite is unavailable; use 24.16+/26.1+']) });
export const outOfMemory = () =>
  exited({ code: 134, failure: classified(134, ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory']) });
export const duel = () =>
  exited({ code: 78, hint: 'config', failure: classified(78, ['StateDatabaseCoordinatorContentionError: another OpenClaw process owns gateway-lifecycle']) });

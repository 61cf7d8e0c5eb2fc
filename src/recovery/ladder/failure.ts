/**
 * Failure classes in the ladder: the incident names its class, culprit and evidence
 * (`Incident.failure`), and a class whose repair is known takes its own rung: a plugin that
 * crashes every start is disabled, a stale state lock removed, a config stamped by a newer
 * OpenClaw goes to its doctor, and a person's decision (state schema, Node, two supervisors)
 * goes to level 4 at once with the exact fix and no restart loop.
 */
import { fixFor, needsPerson } from '../classify/index.js';
import type { FailureClass, Incident } from '../types.js';
import { record, type Step } from './context.js';
import { needPerson } from './incident.js';
import { enterLevel2 } from './repair.js';
import { startedElsewhere } from './service-outage.js';
import { continueOutage } from './supervise.js';
import { memoryExited } from './vitals.js';

/** Classes that say no more than the exit code: a more specific class is never replaced by one of them. */
const GENERIC = new Set(['crash', 'hang', 'config', 'port', 'command']);

/**
 * Names the incident's class from a new piece of evidence; says so on the timeline when it is new.
 * Returns true when the same class and culprit were already named in this incident (a repeat).
 */
export function noteFailure(c: Step, inc: Incident, f: FailureClass): boolean {
  const was = inc.failure;
  const repeat = was !== undefined && was.class === f.class && was.culprit === f.culprit;
  if (was && !GENERIC.has(was.class) && GENERIC.has(f.class)) return false;
  inc.failure = f;
  if (!repeat && !GENERIC.has(f.class)) record(c, 'step', `failure class ${f.class}${f.culprit ? ` (${f.culprit})` : ''}: ${f.summary}${evidenceText(f)}`);
  return repeat;
}

/** The next rung a class takes by itself at levels 0-1; false when it leaves the choice to the usual rules. */
export function routeFailure(c: Step, f: FailureClass, repeat: boolean): boolean {
  if (f.class === 'duelling-supervisors') {
    enterLevel2(c, 'another OpenClaw process runs this gateway: finding out who, not fighting it');
    return true;
  }
  if (needsPerson(f)) {
    personStep(c, f);
    return true;
  }
  if (f.class === 'stale-lock') {
    enterLevel2(c, `a state lock names ${f.culprit ?? 'another process'}: checking that it is not a gateway before removing the lock`);
    return true;
  }
  if (f.class === 'version-drift') {
    enterLevel2(c, 'the config was stamped by a newer OpenClaw: its doctor rewrites the stamp; no restart loop');
    return true;
  }
  if (f.class === 'plugin-crash' && f.culprit && repeat) {
    enterLevel2(c, `plugin ${f.culprit} crashed the gateway at two starts in a row: disabling only that plugin`);
    return true;
  }
  return false;
}

/** Level 4 with the class's exact fix; the gateway is not restarted (no half-open retry). */
export function personStep(c: Step, f: FailureClass): void {
  const inc = c.s.incident!;
  inc.failure = f;
  const fix = fixFor(f);
  needPerson(c, `${f.summary}${evidenceText(f)}${fix ? `. Fix: ${fix}` : ''}`);
}

function evidenceText(f: FailureClass): string {
  const first = f.evidence[0];
  return first ? ` (evidence: "${first}")` : '';
}

/**
 * A service gateway (GATEWAY_RESTART_COMMAND: its exits are invisible) stopped answering, and what it left behind
 * (its log file, the systemd journal, a stability bundle) was read (`f`: the class it names, or null). The incident
 * says so; an out-of-memory counts towards the memory finding; a person's class (a state database newer than the
 * build, no usable Node, two supervisors) goes to a person at once instead of restarting the service again and
 * again. When the ladder waited for it (`pending` classify), the next rung follows as for an exit (`routeFailure`):
 * a plugin named at two outages in a row is disabled, a stale lock removed, a newer stamp rewritten by the doctor,
 * each through the level-2 repairs and verified by the restart command; the others restart the service.
 */
export function outageClassified(c: Step, f: FailureClass | null, startingSince: number | null = null): void {
  const s = c.s;
  const waited = s.pending?.work === 'classify' ? s.pending : null;
  if (waited) s.pending = null;
  const inc = s.incident;
  if (!inc || c.o.supervised) return;
  if (!waited) {
    // Read beside a person's step or a watch-only escalation: the class is named, no rung is taken.
    if (!f || inc.failure?.class !== 'hang') return; // late, or already named more precisely
    noteFailure(c, inc, f);
    if (f.class === 'out-of-memory') memoryExited(c, null);
    if (needsPerson(f) && inc.state !== 'waiting_human') personStep(c, f);
    return;
  }
  const why = waited.why ?? 'not answering';
  if (!f && startingSince !== null && startedElsewhere(c, startingSince)) return;
  if (!f) return continueOutage(c, why, false, false, null);
  const repeat = noteFailure(c, inc, f);
  if (f.class === 'out-of-memory') memoryExited(c, null);
  if (needsPerson(f) && inc.state !== 'waiting_human') return personStep(c, f);
  continueOutage(c, why, false, false, { failure: f, repeat });
}

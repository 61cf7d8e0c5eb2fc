/** What a write command prints for a person: one sentence of what the medic did (`--json` prints its answer). */
import { formatClock, type TimeRule } from './time.js';

export type WriteResult =
  | { kind: 'pause'; target: string; minutes: number | null }
  | { kind: 'resume'; target: string }
  | { kind: 'abort'; target: string; incident: string | null }
  | { kind: 'recover'; target: string; level: number; incident: string | null }
  | { kind: 'approve'; target: string; approved: boolean; scope: string; approval: string | null };

const LEVELS: Record<number, string> = {
  0: 'level 0 (restart)',
  1: 'level 1 (restart)',
  2: 'level 2 (repair)',
  3: 'level 3 (the AI agent)',
  4: 'level 4 (a human)',
};

export function sayWriteResult(r: WriteResult, now: number, rule: TimeRule = {}): string {
  switch (r.kind) {
    case 'pause':
      return r.minutes === null
        ? `paused ${r.target}: it is watched but not acted on until clawmedic resume ${r.target}`
        : `paused ${r.target} until ${formatClock(now + r.minutes * 60_000, rule)} (${r.minutes} min): watched but not acted on; clawmedic resume ${r.target} ends it sooner`;
    case 'resume':
      return `resumed ${r.target}: automatic actions are on again`;
    case 'abort':
      return `${r.incident ? `aborted incident ${r.incident} of ${r.target}` : `aborted ${r.target}`}: automatic actions stay paused until clawmedic resume ${r.target}`;
    case 'recover':
      return `${LEVELS[r.level] ?? `level ${r.level}`} started for ${r.target}${r.incident ? ` (incident ${r.incident})` : ''}: follow it with clawmedic status`;
    case 'approve': {
      const what = r.approval ? ` (${r.approval})` : '';
      if (!r.approved) return `denied the question${what} for ${r.target}`;
      return r.scope === 'incident'
        ? `approved${what} for ${r.target}, and the agent's later actions until the incident ends`
        : `approved${what} for ${r.target}`;
    }
  }
}

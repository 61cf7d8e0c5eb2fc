/**
 * A postmortem of one incident as Markdown: summary, detection and recovery times, the timeline,
 * what each level tried, the evidence, an excerpt of the AI agent's transcript, follow-ups. Pure:
 * it reads what the store kept (already redacted) and writes text; `clawmedic postmortem`, the API
 * (`GET /incidents/<id>/postmortem`) and anything else that wants one call it.
 */
import type { IncidentWithTimeline, Store } from '../recovery/ports.js';
import type { FailureClassName, Incident, LadderRecord } from '../recovery/types.js';
import { fenced, iso, seconds } from './markdown.js';

export interface TranscriptExcerpt {
  run: number;
  lines: string[];
}

/** Lines of the agent's transcript kept in the report (its end: where the session concluded). */
const TRANSCRIPT_LINES = 40;

const LEVEL_NAMES = ['0 supervise', '1 watchdog', '2 repair', '3 AI agent', '4 a human'] as const;

/** What a person should look at afterwards, by failure class. */
const FOLLOW_UPS: Partial<Record<FailureClassName, (culprit: string | null) => string>> = {
  'plugin-crash': (p) => `Fix or remove plugin ${p ?? '(see the evidence)'} before re-enabling it (\`openclaw plugins enable ${p ?? '<id>'}\`).`,
  'out-of-memory': () => 'Find what grows (plugins loaded, sessions); set MEMORY_RESTART_MB or a larger --max-old-space-size meanwhile.',
  'stale-lock': () => 'A lock named a live process that was not a gateway: check for pid reuse after reboots and for a second OpenClaw state dir.',
  'version-drift': () => 'The config was written by a newer OpenClaw: upgrade this host or pin one version everywhere.',
  'state-schema': () => 'The state database is newer than this OpenClaw: upgrade, or restore an `openclaw backup create` backup.',
  'node-too-old': () => 'Install a Node this OpenClaw supports (24.16+ or 26.1+) on the PATH of the service.',
  'channel-auth': (c) => `Rotate the ${c ?? 'channel'} token and keep it where the gateway config expects it.`,
  'provider-auth': (p) => `Renew the model provider credentials${p ? ` (${p})` : ''}; \`openclaw models status\` shows which profile failed.`,
  'duelling-supervisors': () => 'Keep one supervisor: `clawmedic install`, or GATEWAY_RESTART_COMMAND pointing at the other one.',
  config: () => 'Find who edited the config (the timeline names the error); keep changes behind `openclaw config validate`.',
  'latent-config': () => 'The config broke under a running gateway: find the edit and validate before saving.',
  port: () => 'Something else took the gateway\'s port: find why it started there.',
};

export function renderPostmortem(found: IncidentWithTimeline, transcripts: TranscriptExcerpt[] = []): string {
  const { incident: inc, timeline } = found;
  const out: string[] = [];
  out.push(`# Postmortem: ${inc.id} (${inc.target})`, '');
  out.push('## Summary', '');
  out.push(`- **What happened:** ${inc.cause}`);
  if (inc.failure) out.push(`- **Failure class:** ${inc.failure.class}${inc.failure.culprit ? ` (culprit: ${inc.failure.culprit})` : ''}: ${inc.failure.summary}`);
  out.push(`- **Outcome:** ${inc.state}${inc.outcome ? `: ${inc.outcome}` : ''}`);
  out.push(`- **Highest level:** ${LEVEL_NAMES[inc.maxLevel]}; restarts ${inc.restarts}, doctor runs ${inc.doctorRuns}${inc.tried.length ? `, repairs tried: ${inc.tried.join(', ')}` : ''}`);
  out.push(`- **Opened:** ${iso(inc.openedAt)}; **closed:** ${inc.closedAt === null ? 'still open' : iso(inc.closedAt)}`, '');
  out.push('## Detection and recovery', '');
  for (const line of times(inc, timeline)) out.push(`- ${line}`);
  out.push('', '## Timeline', '');
  for (const r of timeline) out.push(`- ${iso(r.at).slice(11, 19)} (+${seconds(r.at - inc.openedAt)})${r.level !== null ? ` L${r.level}` : ''} ${oneLine(r)}`);
  if (!timeline.length) out.push('- (no records kept)');
  out.push('', '## What each level tried', '');
  for (const [level, lines] of byLevel(timeline)) out.push(`- **Level ${LEVEL_NAMES[level]}:** ${lines.join('; ')}`);
  if (inc.failure?.evidence.length) out.push('', '## Evidence', '', ...fenced(inc.failure.evidence));
  const output = timeline.find((r) => r.text.startsWith('last gateway output:'));
  if (output) out.push('', '### The gateway\'s last output', '', ...fenced(output.text.split('\n').slice(1)));
  if (inc.agent) {
    out.push('', '## The AI agent', '');
    out.push(`- Sessions: ${inc.agent.runs}; why: ${inc.agent.reason}; questions asked: ${inc.agent.asks}${inc.agent.grantedBy ? `; every action granted by ${inc.agent.grantedBy}` : ''}`);
    if (inc.agent.result) out.push(`- Result: ${inc.agent.result}`);
    for (const t of transcripts) {
      out.push('', `### Transcript, session ${t.run} (last ${Math.min(TRANSCRIPT_LINES, t.lines.length)} lines)`, '', ...fenced(t.lines.slice(-TRANSCRIPT_LINES)));
    }
  }
  out.push('', '## Follow-ups', '');
  for (const f of followUps(inc)) out.push(`- [ ] ${f}`);
  return `${out.join('\n')}\n`;
}

/**
 * The postmortem of incident `id` from the store, with the AI agent's saved transcripts when `transcripts`
 * reads them (a failure to read them leaves them out); null when the store has no such incident.
 */
export async function postmortemOf(
  store: Pick<Store, 'getIncident'>,
  id: string,
  transcripts?: (incidentId: string) => Promise<TranscriptExcerpt[]>,
): Promise<{ id: string; markdown: string } | null> {
  const found = await store.getIncident(id);
  if (!found) return null;
  const excerpts = (await transcripts?.(found.incident.id).catch(() => [])) ?? [];
  return { id: found.incident.id, markdown: renderPostmortem(found, excerpts) };
}

/** When the medic noticed, acted and got it back. */
function times(inc: Incident, timeline: LadderRecord[]): string[] {
  const after = (r: LadderRecord | undefined) => (r ? seconds(r.at - inc.openedAt) : 'never');
  const firstAction = timeline.find((r) => r.kind === 'step' && r.at >= inc.openedAt);
  const human = timeline.find((r) => r.kind === 'human');
  const lines = [`Detected: ${iso(inc.openedAt)} (the incident opened at the first failed fact the ladder took)`, `First action after ${after(firstAction)}`];
  if (human) lines.push(`A person was asked after ${after(human)}`);
  if (inc.closedAt !== null) lines.push(`${inc.state === 'resolved' ? 'Recovered' : 'Closed'} after ${seconds(inc.closedAt - inc.openedAt)}${inc.maxLevel < 4 && inc.state === 'resolved' ? ', with no person' : ''}`);
  return lines;
}

function byLevel(timeline: LadderRecord[]): [number, string[]][] {
  const levels = new Map<number, string[]>();
  for (const r of timeline) {
    if (r.level === null || (r.kind !== 'step' && r.kind !== 'level') || r.text.startsWith('last gateway output:')) continue;
    const lines = levels.get(r.level) ?? [];
    if (lines.length < 8) lines.push(oneLine(r));
    levels.set(r.level, lines);
  }
  return [...levels.entries()].sort((a, b) => a[0] - b[0]);
}

function followUps(inc: Incident): string[] {
  const out: string[] = [];
  const byClass = inc.failure ? FOLLOW_UPS[inc.failure.class] : undefined;
  if (byClass) out.push(byClass(inc.failure?.culprit ?? null));
  if (inc.state !== 'resolved') out.push('The incident did not resolve by itself: record what the person did, so the ladder can learn it.');
  if (inc.agent) out.push('Review what the AI agent changed (its transcript above) and keep it in the config\'s history.');
  if ((inc.flaps ?? 0) > 0) out.push(`The gateway flapped ${inc.flaps} time(s): look for a fault that survives restarts.`);
  if (!out.length) out.push('None found by the medic: check the timeline for anything it could not see.');
  return out;
}

function oneLine(r: LadderRecord): string {
  const text = r.text.split('\n')[0]!;
  return `${text}${r.by ? ` (by ${r.by})` : ''}`.replace(/\s+/g, ' ').trim();
}

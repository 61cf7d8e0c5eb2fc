/**
 * Button ids: `cm:<action>:<target>:<subject>`, where the subject is an incident id or an
 * approval id. A button from a stale or foreign message decodes to something the ladder
 * refuses (not the open incident, not the open question), never to a different action.
 */
/**
 * `grant`: approve an agent action and every further one in the same incident. `postmortem`: post its report in the
 * thread. `enable`: re-enable the plugin the incident disabled; its subject is `<incident>.<n>`, the n-th of
 * `Incident.disabledPlugins` (plugin ids may hold characters a custom id may not, and the plugin is read from the
 * stored incident, never from the button).
 */
export type ButtonAction = 'abort' | 'retry' | 'escalate' | 'approve' | 'deny' | 'grant' | 'postmortem' | 'enable';
const ACTIONS: readonly ButtonAction[] = ['abort', 'retry', 'escalate', 'approve', 'deny', 'grant', 'postmortem', 'enable'];

/** Discord's limit on a custom_id. */
const MAX_ID = 100;

export function customId(action: ButtonAction, target: string, subject: string): string {
  const id = `cm:${action}:${target}:${subject}`;
  // Target names are at most 40 characters and ids grow slowly; guard rather than let Discord refuse the card.
  if (id.length > MAX_ID) throw new RangeError(`button id over ${MAX_ID} characters: ${id}`);
  return id;
}

export function parseCustomId(id: string): { action: ButtonAction; target: string; subject: string } | null {
  const m = /^cm:([a-z]+):([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_.-]{1,60})$/.exec(id);
  if (!m || !ACTIONS.includes(m[1] as ButtonAction)) return null;
  return { action: m[1] as ButtonAction, target: m[2]!, subject: m[3]! };
}

/** The subject of an `enable` button: the incident and the index of the plugin in its `disabledPlugins`. */
export function enableSubject(incidentId: string, index: number): string {
  return `${incidentId}.${index}`;
}

export function parseEnableSubject(subject: string): { incidentId: string; index: number } | null {
  const m = /^([A-Za-z0-9_-]+)\.(\d{1,2})$/.exec(subject);
  return m ? { incidentId: m[1]!, index: Number(m[2]) } : null;
}

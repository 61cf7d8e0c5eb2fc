/**
 * Button ids: `cm:<action>:<target>:<subject>`, where the subject is an incident id or an
 * approval id. A button from a stale or foreign message decodes to something the ladder
 * refuses (not the open incident, not the open question), never to a different action.
 */
export type ButtonAction = 'abort' | 'retry' | 'escalate' | 'approve' | 'deny';
const ACTIONS: readonly ButtonAction[] = ['abort', 'retry', 'escalate', 'approve', 'deny'];

export function customId(action: ButtonAction, target: string, subject: string): string {
  return `cm:${action}:${target}:${subject}`;
}

export function parseCustomId(id: string): { action: ButtonAction; target: string; subject: string } | null {
  const m = /^cm:([a-z]+):([A-Za-z0-9_-]{1,40}):([A-Za-z0-9_-]{1,60})$/.exec(id);
  if (!m || !ACTIONS.includes(m[1] as ButtonAction)) return null;
  return { action: m[1] as ButtonAction, target: m[2]!, subject: m[3]! };
}

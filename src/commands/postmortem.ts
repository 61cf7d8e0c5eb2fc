/**
 * The Postmortem button of a closed incident's card: its Markdown report (src/report/postmortem.ts),
 * redacted, posted into the incident's thread as a file. Operators only (checked before, like every
 * button), audited: the click, then what was posted.
 */
import type { ButtonInteraction } from 'discord.js';
import { discordActor } from '../bot/auth.js';
import type { MessagePayload } from '../bot/render.js';
import type { LadderRecord } from '../recovery/types.js';

export interface PostmortemButtonDeps {
  /** The incident's report as Markdown, redacted; null when there is no such incident. */
  postmortem: (incidentId: string) => Promise<string | null>;
  postInThread: (incidentId: string, payload: MessagePayload) => Promise<string>;
  audit: (record: LadderRecord) => Promise<void>;
  now: () => number;
}

export async function postPostmortem(i: ButtonInteraction, target: string, incidentId: string, d: PostmortemButtonDeps): Promise<void> {
  const markdown = await d.postmortem(incidentId);
  if (markdown === null) {
    await i.editReply({ content: `No incident ${incidentId} in this medic's store; nothing posted.` });
    return;
  }
  const by = discordActor(i);
  const file = `${incidentId}-postmortem.md`;
  const messageId = await d.postInThread(incidentId, {
    content: `📝 Postmortem of **${incidentId}**, asked for by ${by}. The report is attached (secrets masked); \`clawmedic postmortem ${incidentId}\` writes the same.`,
    files: [{ name: file, data: Buffer.from(markdown, 'utf8') }],
    allowedMentions: { parse: [] },
  });
  await d.audit({
    kind: 'operator',
    at: d.now(),
    target,
    incidentId,
    level: null,
    text: `${by}: posted the postmortem of ${incidentId} (${file}, ${Buffer.byteLength(markdown)} bytes) as message ${messageId}`,
    by,
  });
  await i.editReply({ content: `📝 The postmortem of ${incidentId} is in the incident's thread.` });
}

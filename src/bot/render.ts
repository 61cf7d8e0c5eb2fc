/**
 * What the bot shows: the incident card (edited in place), timeline lines, approval
 * requests and the closing summary, within Discord's limits (2000 characters a message,
 * 4096 an embed description, 1024 a field, 256 a title).
 */
import { ActionRowBuilder, ButtonBuilder, EmbedBuilder } from '@discordjs/builders';
import { ButtonStyle, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed } from 'discord.js';
import type { TargetStatus } from '../recovery/types.js';
import { buttonLevel } from '../recovery/ladder/operators.js';
import type { Incident, LadderRecord, PendingApproval } from '../recovery/types.js';
import { customId, enableSubject } from './custom-id.js';
import { describeVitals } from '../recovery/vitals/describe.js';

export interface MessagePayload {
  content?: string;
  /** Files attached to a new message (e.g. the AI agent's transcript). */
  files?: { name: string; data: Buffer }[];
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  allowedMentions?: { parse?: ('roles' | 'users' | 'everyone')[]; roles?: string[]; users?: string[] };
}

export const LIMITS = { message: 2000, description: 4096, field: 1024, title: 256 } as const;

const COLORS = { recovering: 0xf0a020, open: 0xf0a020, waiting_human: 0xd03030, resolved: 0x2ea043, aborted: 0x808080 } as const;
const ICONS = { recovering: '🟠', open: '🟠', waiting_human: '🔴', resolved: '🟢', aborted: '⚪' } as const;
const LEVELS = ['0 · supervise', '1 · watchdog', '2 · repair', '3 · AI agent', '4 · a human'] as const;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Discord's relative timestamp: every reader's client keeps it current, no edits needed. */
const ago = (ms: number) => `<t:${Math.floor(ms / 1000)}:R>`;
const at = (ms: number) => `<t:${Math.floor(ms / 1000)}:T>`;

export function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** What the ladder does next, and when, as a person reads it. */
function nextStep(inc: Incident, status: TargetStatus | null): string {
  if (inc.state === 'resolved' || inc.state === 'aborted') return '—';
  if (inc.approval) return `waiting for an operator's answer (until ${at(inc.approval.expiresAt)}, then denied)`;
  if (status?.paused) return 'paused: watching, not acting';
  if (inc.state === 'waiting_human') {
    return inc.retryAt ? `waiting for a human; one more restart ${ago(inc.retryAt)}` : 'waiting for a human';
  }
  if (status?.restartAt) return `restart ${ago(status.restartAt)}`;
  if (inc.verifying === 'agent') return "verifying the AI agent's work (the probe must answer)";
  if (inc.verifying) return `verifying ${inc.verifying} (the probe must answer)`;
  if (status?.pending === 'agent') return 'the AI agent is working: its screen follows in the thread; Abort ends it';
  if (status?.pending) return `${status.pending} in progress`;
  return 'watching the probe';
}

/** The incident's class, culprit and first line of evidence, as the card shows them. */
export function describeFailure(f: NonNullable<Incident['failure']>): string {
  const evidence = f.evidence[0] ? `\n\`${f.evidence[0].replace(/`/g, "'")}\`` : '';
  return `${f.class}${f.culprit ? ` · ${f.culprit}` : ''}: ${f.summary}${evidence}`;
}

export function renderCard(inc: Incident, status: TargetStatus | null, now: number): MessagePayload {
  const closed = inc.state === 'resolved' || inc.state === 'aborted';
  const embed = new EmbedBuilder()
    .setColor(COLORS[inc.state])
    .setTitle(truncate(`${ICONS[inc.state]} ${inc.id} · ${inc.cause}`, LIMITS.title))
    .addFields(
      { name: 'Target', value: truncate(inc.target, LIMITS.field), inline: true },
      { name: 'State', value: inc.state.replace('_', ' '), inline: true },
      { name: 'Level', value: `${LEVELS[inc.level]}${inc.doctorRuns ? ` · doctor runs ${inc.doctorRuns}` : ''}`, inline: true },
      { name: 'Restarts', value: String(inc.restarts), inline: true },
      { name: closed ? 'Closed' : 'Opened', value: closed ? `${ago(inc.closedAt ?? now)}` : ago(inc.openedAt), inline: true },
      { name: 'Next', value: truncate(nextStep(inc, status), LIMITS.field), inline: false },
    )
    .setTimestamp(inc.openedAt);
  if (inc.failure) embed.addFields({ name: 'Failure', value: truncate(describeFailure(inc.failure), LIMITS.field), inline: false });
  if (closed) {
    const took = formatSeconds((inc.closedAt ?? now) - inc.openedAt);
    embed.setDescription(
      truncate(`**${inc.state === 'resolved' ? 'Resolved' : 'Aborted'}** after ${took}, highest level ${inc.maxLevel}: ${inc.outcome ?? '—'}`, LIMITS.description),
    );
  } else if (inc.lastDiagnosis) {
    const d = inc.lastDiagnosis;
    const lines = [`config: ${d.config.ok ? 'valid' : `invalid (${d.config.error ?? '?'})`}`];
    if (d.portHolder) lines.push(`port held by pid ${d.portHolder.pid} (${d.portHolder.command})`);
    embed.setDescription(truncate(lines.join('\n'), LIMITS.description));
  }
  const vitals = !closed && status ? describeVitals(status, now) : [];
  if (vitals.length) embed.addFields({ name: 'Vitals', value: truncate(vitals.join('\n'), LIMITS.field), inline: false });
  return { embeds: [embed.toJSON()], components: closed ? [closedButtons(inc)] : [incidentButtons(inc)], allowedMentions: { parse: [] } };
}

/**
 * A closed incident's card: its postmortem, posted in the thread on request, and on a resolved card one click to
 * re-enable each plugin the incident disabled (operators only; the ladder checks it).
 */
function closedButtons(inc: Incident): APIActionRowComponent<APIComponentInMessageActionRow> {
  const row = new ActionRowBuilder<ButtonBuilder>()
    .addComponents(new ButtonBuilder().setCustomId(customId('postmortem', inc.target, inc.id)).setLabel('Postmortem').setStyle(ButtonStyle.Secondary));
  // A row holds 5 buttons: the postmortem and up to 4 plugins (an incident disables at most 3).
  const plugins = inc.state === 'resolved' ? (inc.disabledPlugins ?? []).slice(0, 4) : [];
  plugins.forEach((id, n) => {
    if (inc.reenabledPlugins?.includes(id)) return; // re-enabled since: its button is gone (the postmortem stays)
    row.addComponents(
      new ButtonBuilder().setCustomId(customId('enable', inc.target, enableSubject(inc.id, n))).setLabel(truncate(`Re-enable plugin ${id}`, 80)).setStyle(ButtonStyle.Secondary),
    );
  });
  return row.toJSON();
}

function incidentButtons(inc: Incident): APIActionRowComponent<APIComponentInMessageActionRow> {
  const retry = buttonLevel('retry', inc.level, false);
  return new ActionRowBuilder<ButtonBuilder>()
    .addComponents(
      new ButtonBuilder().setCustomId(customId('abort', inc.target, inc.id)).setLabel('Abort').setStyle(ButtonStyle.Danger),
      new ButtonBuilder().setCustomId(customId('retry', inc.target, inc.id)).setLabel(`Retry level ${retry}`).setStyle(ButtonStyle.Secondary),
      new ButtonBuilder().setCustomId(customId('escalate', inc.target, inc.id)).setLabel('Escalate').setStyle(ButtonStyle.Secondary),
    )
    .toJSON();
}

export function renderApproval(target: string, approval: PendingApproval, whoMayAnswer: string): MessagePayload {
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(customId('approve', target, approval.id)).setLabel('Approve').setStyle(ButtonStyle.Success),
    new ButtonBuilder().setCustomId(customId('deny', target, approval.id)).setLabel('Deny').setStyle(ButtonStyle.Danger),
  );
  if (approval.kind === 'agent-tool') {
    row.addComponents(
      new ButtonBuilder().setCustomId(customId('grant', target, approval.id)).setLabel('Approve for this incident').setStyle(ButtonStyle.Primary),
    );
    return { ...renderAgentQuestion(approval, whoMayAnswer), components: [row.toJSON()], allowedMentions: { parse: [] } };
  }
  const content = [
    `❓ **Approval needed** (${approval.id})`,
    approval.question,
    `Command line: \`${truncate(approval.command.replace(/`/g, "'"), 400)}\``,
    `Who may answer: ${whoMayAnswer}. Unanswered ${ago(approval.expiresAt)}, it counts as denied.`,
  ].join('\n');
  return { content: truncate(content, LIMITS.message), components: [row.toJSON()], allowedMentions: { parse: [] } };
}

export function renderApprovalClosed(
  approval: PendingApproval,
  outcome: 'approved' | 'denied' | 'expired' | 'withdrawn',
  by: string | null,
): MessagePayload {
  const verdict = {
    approved: `✅ Approved by ${by ?? '?'}`,
    denied: `⛔ Denied by ${by ?? '?'}`,
    expired: '⌛ Expired unanswered: treated as denied',
    withdrawn: '↩️ Withdrawn: the incident moved on',
  }[outcome];
  const content = `~~❓ Approval needed (${approval.id})~~\n${approval.question}\n${verdict}`;
  return { content: truncate(content, LIMITS.message), components: [], allowedMentions: { parse: [] } };
}

/** Characters a reader cannot see or that reorder what they see (controls, bidi overrides, zero-width). */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * An agent's tool call as a person judges it: what it says it is for, and the command exactly as it
 * runs (only exact known secret values masked, before it got here; see `Redactor.showExactly`).
 * Never cut: a command too long for the message, or one a code block cannot hold as it is, is
 * attached whole as a file, and the message says so and shows its beginning.
 */
function renderAgentQuestion(a: PendingApproval, whoMayAnswer: string): Pick<MessagePayload, 'content' | 'files'> {
  const head = [
    `🤖 **The AI agent asks to run ${a.tool ?? 'a tool'}** (${a.id})`,
    ...(a.description ? [`What for, it says: ${truncate(a.description, 300)}`] : []),
  ];
  const foot = `Who may answer: ${whoMayAnswer}. Unanswered ${ago(a.expiresAt)}, it counts as denied. "Approve for this incident" also allows every further action of the agent until the incident ends.`;
  const invisible = a.command.match(INVISIBLE)?.length ?? 0;
  const shown = a.command.replace(INVISIBLE, (ch) => `⟨U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
  const block = (text: string) => `\`\`\`\n${text}\n\`\`\``;
  const whole = [...head, block(shown), foot].join('\n');
  if (!invisible && !a.command.includes('```') && whole.length <= LIMITS.message) return { content: whole };
  const file = `${a.id}-command.txt`;
  const why = [
    `The command is ${a.command.length} characters long; it is attached whole as ${file}: read it there before you answer.`,
    ...(invisible ? [`It contains ${invisible} invisible or reordering character(s), shown below as ⟨U+…⟩.`] : []),
    ...(a.command.includes('```') ? ["It contains ``` (shown below as ''')."] : []),
  ].join(' ');
  const room = Math.max(0, LIMITS.message - [...head, why, block(''), foot].join('\n').length - 60);
  const safe = shown.replace(/```/g, "'''");
  const preview = safe.length <= room ? safe : `${safe.slice(0, room)}\n… (the rest is in ${file})`;
  const content = truncate([...head, why, block(preview), foot].join('\n'), LIMITS.message);
  return { content, files: [{ name: file, data: Buffer.from(a.command, 'utf8') }] };
}

/** Lines of the agent's screen for the thread: one code block per batch, no mention can fire. */
export function renderAgentOutput(lines: string[]): string {
  const body = truncate(lines.join('\n').replace(/```/g, "'''"), LIMITS.message - 20);
  return `\`\`\`\n${body}\n\`\`\``;
}

/** One timeline line: time (Discord shows it in each reader's own zone), then the text (multi-line output in a code block). */
export function renderRecord(r: LadderRecord): string {
  const icon = { opened: '🚨', step: '•', level: '⬆️', resolved: '✅', human: '🙋', aborted: '⏹️', health: '💓', operator: '👤' }[r.kind];
  const [first, ...rest] = r.text.replace(/```/g, "'''").split('\n');
  const head = truncate(first ?? '', 1000);
  const body = rest.length ? `\n\`\`\`\n${truncate(rest.join('\n'), 1500)}\n\`\`\`` : '';
  return `${at(r.at)} ${icon} ${head}${body}`;
}

/**
 * The first message's worth of `lines` (at most 2000 characters, split inside a line only when
 * that line alone is longer) and the lines left over.
 */
export function splitMessage(lines: string[]): [string | undefined, string[]] {
  const out: string[] = [];
  let size = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > LIMITS.message) {
      if (out.length) break;
      return [line.slice(0, LIMITS.message), [line.slice(LIMITS.message), ...lines.slice(i + 1)]];
    }
    if (size + line.length + (out.length ? 1 : 0) > LIMITS.message) break;
    size += line.length + (out.length ? 1 : 0);
    out.push(line);
  }
  return [out.length ? out.join('\n') : undefined, lines.slice(i)];
}

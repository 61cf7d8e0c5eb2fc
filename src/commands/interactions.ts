/**
 * Slash commands, buttons and autocomplete -> ladder operations, through the same door as
 * the CLI and the API (`TargetWatchdog`). Every interaction is acknowledged at once (deferred,
 * ephemeral), every decision and every refusal is audited with who, what and which message.
 */
import { MessageFlags, type AutocompleteInteraction, type ButtonInteraction, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import { RequestRejectedError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import type { Medic } from '../medic.js';
import type { Logger, Store } from '../recovery/ports.js';
import { buttonLevel } from '../recovery/ladder/operators.js';
import type { Level } from '../recovery/types.js';
import type { TargetWatchdog } from '../recovery/watchdog/index.js';
import { discordActor, type Authoriser } from '../bot/auth.js';
import { parseCustomId, parseEnableSubject } from '../bot/custom-id.js';
import { postPostmortem, type PostmortemButtonDeps } from './postmortem.js';
import { renderStatusEmbed, renderTimelineEmbed } from './views.js';

export interface InteractionDeps {
  /** The medic, or in fleet mode the whole fleet's targets (src/fleet/fleet-medic.ts). */
  medic: Pick<Medic, 'target' | 'targets' | 'status' | 'audit'>;
  /** Read only: incidents and timelines for /incident and autocomplete (the audit goes through `medic.audit`). */
  store: Pick<Store, 'listIncidents' | 'getIncident'>;
  auth: Authoriser;
  statusPublic: boolean;
  botStatus: () => { state: string; lastError: string | null };
  log: Logger;
  /** Timestamps of audit records, the status embed and the end of a /pause. */
  clock: Clock;
  /** The configured server: interactions from any other (or from a DM) are refused and audited. */
  guildId: string;
  /** The Postmortem button: an incident's report, redacted (null: no such incident); absent: the button answers that it is unavailable. */
  postmortem?: (incidentId: string) => Promise<string | null>;
  /** Posts in an incident's thread (the bot's relay). */
  postInThread?: PostmortemButtonDeps['postInThread'];
}

const OPERATOR_ONLY = new Set(['recover', 'approve', 'abort', 'pause', 'resume']);

export async function handleInteraction(i: Interaction, d: InteractionDeps): Promise<void> {
  try {
    if (i.guildId !== d.guildId) return await otherGuild(i, d);
    if (i.isAutocomplete()) return await autocomplete(i, d);
    if (i.isChatInputCommand()) return await command(i, d);
    if (i.isButton()) return await button(i, d);
  } catch (err) {
    d.log.error(`Discord interaction failed: ${(err as Error).message}`);
    if (i.isRepliable() && (i.deferred || i.replied)) {
      await i.editReply({ content: `⚠️ ${(err as Error).message}` }).catch(() => {});
    }
  }
}

/** An interaction from another server or a DM: nothing done, nothing shown, on the record. */
async function otherGuild(i: Interaction, d: InteractionDeps): Promise<void> {
  const from = i.guildId ? `server ${i.guildId}` : 'a direct message';
  const what = i.isChatInputCommand() || i.isAutocomplete() ? `/${i.commandName}` : i.isButton() ? `button ${i.customId}` : `interaction type ${i.type}`;
  await audit(d, i, '-', `refused ${what} from ${from}: clawmedic answers only in server ${d.guildId}`);
  if (i.isAutocomplete()) return void (await i.respond([]));
  if (i.isRepliable()) await i.reply({ content: '⛔ clawmedic answers only in its own server.', flags: MessageFlags.Ephemeral });
}

async function audit(d: InteractionDeps, i: Interaction, target: string, text: string): Promise<void> {
  const dog = safeTarget(d.medic, target);
  const inc = dog?.status().incident ?? null;
  const where = i.isMessageComponent() ? ` on message ${i.message.id}` : '';
  await d.medic.audit({
    kind: 'operator',
    at: d.clock.now(),
    target,
    incidentId: inc?.id ?? null,
    level: inc?.level ?? null,
    text: `${discordActor(i)}${where}: ${text}`,
    by: discordActor(i),
  });
}

function safeTarget(medic: InteractionDeps['medic'], name: string): TargetWatchdog | null {
  try {
    return medic.target(name);
  } catch {
    return null;
  }
}

/** The named target, or the only one that matches `pick` (e.g. has an open incident). */
function resolveTarget(d: InteractionDeps, name: string | null, pick: (dog: TargetWatchdog) => boolean, what: string): TargetWatchdog {
  if (name) return d.medic.target(name);
  const all = d.medic.targets();
  if (all.length === 1) return all[0]!;
  const matching = all.filter(pick);
  if (matching.length === 1) return matching[0]!;
  throw new RequestRejectedError(`${matching.length ? 'several' : 'no'} gateways ${what}: name one with the target option`, 400);
}

async function command(i: ChatInputCommandInteraction, d: InteractionDeps): Promise<void> {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const name = i.commandName;
  const operator = d.auth.isOperator(i);
  const targetName = i.options.getString('target');
  // Reading (status, timelines) is open when DISCORD_STATUS_PUBLIC says so; acting never is.
  const needsOperator = OPERATOR_ONLY.has(name) || !d.statusPublic;
  if (needsOperator && !operator) {
    await audit(d, i, targetName ?? '-', `refused /${name}: not an operator`);
    await i.editReply({ content: `⛔ Only operators may use /${name}. Ask someone with the operator role.` });
    return;
  }
  const by = discordActor(i);
  const reply = (content: string) => i.editReply({ content, allowedMentions: { parse: [] } });
  try {
    switch (name) {
      case 'status':
        await i.editReply({ embeds: [renderStatusEmbed(d.medic.status(), d.botStatus(), targetName, d.clock.now())] });
        return;
      case 'incident': {
        const id = i.options.getString('id') ?? (await d.store.listIncidents({ limit: 1 }))[0]?.id;
        const found = id ? await d.store.getIncident(id) : undefined;
        if (!found) return void (await reply(id ? `No incident ${id}.` : 'No incidents yet.'));
        await i.editReply({ embeds: [renderTimelineEmbed(found)] });
        return;
      }
      case 'recover': {
        const dog = d.medic.target(targetName!);
        const level = i.options.getInteger('level', true) as Level;
        const note = i.options.getString('note');
        await audit(d, i, dog.name, `/recover level ${level}${note ? `: ${note}` : ''}`);
        const id = await dog.recover(level, by, note);
        return void (await reply(`🔧 Level ${level} started on **${dog.name}**${id ? ` (incident ${id})` : ''}. Follow it in the incident thread.`));
      }
      case 'approve': {
        // The answer names its question: a question asked after the operator read another is never answered by mistake.
        const questionId = i.options.getString('id');
        if (!questionId) {
          const dog = resolveTarget(d, targetName, (t) => t.pendingApproval() !== null, 'have an open question');
          const open = dog.pendingApproval();
          if (!open) throw new RequestRejectedError(`${dog.name} has no question waiting for an answer`, 409);
          return void (await reply(`Nothing done: name the question you answer, /approve id:${open.id} (it asks: ${open.question})`));
        }
        const dog = targetName ? d.medic.target(targetName) : d.medic.targets().find((t) => t.pendingApproval()?.id === questionId);
        if (!dog) throw new RequestRejectedError(`question ${questionId} is not open (answered, expired or withdrawn); nothing done`, 409);
        const approved = !i.options.getBoolean('deny');
        const forIncident = approved && Boolean(i.options.getBoolean('for_incident'));
        await audit(d, i, dog.name, `/approve ${questionId} ${approved ? 'approve' : 'deny'}${forIncident ? ' for the incident' : ''}`);
        const id = await dog.decide(questionId, approved, by, forIncident ? 'incident' : 'once');
        return void (await reply(`${approved ? '✅ Approved' : '⛔ Denied'}: ${id}.`));
      }
      case 'abort': {
        const dog = resolveTarget(d, targetName, (t) => t.status().incident !== null, 'have an open incident');
        const reason = i.options.getString('reason');
        await audit(d, i, dog.name, `/abort${reason ? `: ${reason}` : ''}`);
        const id = await dog.abort(by, reason);
        return void (await reply(`⏹️ ${id} aborted: automatic actions on **${dog.name}** are paused until /resume.`));
      }
      case 'pause': {
        const dog = d.medic.target(targetName!);
        const minutes = i.options.getInteger('minutes');
        await audit(d, i, dog.name, `/pause${minutes ? ` ${minutes} min` : ''}`);
        await dog.pause(by, minutes ? d.clock.now() + minutes * 60_000 : null);
        return void (await reply(`⏸️ **${dog.name}** paused ${minutes ? `for ${minutes} min` : 'until /resume'}: watched, not acted on.`));
      }
      case 'resume': {
        const dog = d.medic.target(targetName!);
        await audit(d, i, dog.name, '/resume');
        await dog.resume(by);
        return void (await reply(`▶️ **${dog.name}** resumed.`));
      }
      default:
        return void (await reply(`Unknown command /${name}.`));
    }
  } catch (err) {
    if (!(err instanceof RequestRejectedError)) throw err;
    await reply(`⚠️ ${err.message}`);
  }
}

async function button(i: ButtonInteraction, d: InteractionDeps): Promise<void> {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  const parsed = parseCustomId(i.customId);
  const dog = parsed ? safeTarget(d.medic, parsed.target) : null;
  if (!parsed || !dog) {
    await i.editReply({ content: 'This button is not one of clawmedic’s (or its gateway is gone); nothing done.' });
    return;
  }
  if (!d.auth.isOperator(i)) {
    await audit(d, i, dog.name, `refused button ${parsed.action}: not an operator`);
    await i.editReply({ content: '⛔ Only operators may use these buttons.' });
    return;
  }
  await audit(d, i, dog.name, `clicked ${parsed.action} (${parsed.subject})`);
  if (parsed.action === 'postmortem') {
    if (!d.postmortem || !d.postInThread) return void (await i.editReply({ content: 'Postmortems cannot be posted from here; run clawmedic postmortem on the host.' }));
    const deps = { postmortem: d.postmortem, postInThread: d.postInThread, audit: (r: Parameters<typeof d.medic.audit>[0]) => d.medic.audit(r), now: () => d.clock.now() };
    return postPostmortem(i, dog.name, parsed.subject, deps);
  }
  const by = discordActor(i);
  const open = dog.status().incident;
  try {
    if (parsed.action === 'approve' || parsed.action === 'deny' || parsed.action === 'grant') {
      const approved = parsed.action !== 'deny';
      const id = await dog.decide(parsed.subject, approved, by, parsed.action === 'grant' ? 'incident' : 'once');
      const scope = parsed.action === 'grant' ? ' (and every further action of the agent in this incident)' : '';
      await i.editReply({ content: `${approved ? '✅ Approved' : '⛔ Denied'}: ${id}${scope}.` });
      return;
    }
    if (parsed.action === 'enable') return await enableButton(i, d, dog, parsed.subject, by);
    if (!open || open.id !== parsed.subject) {
      await i.editReply({ content: `Incident ${parsed.subject} is no longer open; nothing done.` });
      return;
    }
    if (parsed.action === 'abort') {
      await dog.abort(by, 'Abort button');
      await i.editReply({ content: `⏹️ ${open.id} aborted; automatic actions paused until /resume.` });
    } else {
      const level = buttonLevel(parsed.action, open.level, dog.status().agent);
      await dog.recover(level, by, `${parsed.action} button`);
      await i.editReply({ content: `🔧 ${parsed.action === 'retry' ? 'Retrying' : 'Escalating to'} level ${level} on ${open.id}.` });
    }
  } catch (err) {
    if (!(err instanceof RequestRejectedError)) throw err;
    await i.editReply({ content: `⚠️ ${err.message}` });
  }
}

/**
 * Re-enable a plugin the ladder disabled: the plugin is read from the stored incident (the button names only the
 * incident and an index), and the ladder checks the request in its turn like every other operator action.
 */
async function enableButton(i: ButtonInteraction, d: InteractionDeps, dog: TargetWatchdog, subject: string, by: string): Promise<void> {
  const which = parseEnableSubject(subject);
  const found = which ? await d.store.getIncident(which.incidentId) : undefined;
  const plugin = which && found ? found.incident.disabledPlugins?.[which.index] : undefined;
  if (!found || !plugin) return void (await i.editReply({ content: 'That incident disabled no such plugin; nothing done.' }));
  // In fleet mode a target on another host offers only the common operations.
  if (typeof (dog as Partial<TargetWatchdog>).enablePlugin !== 'function') {
    return void (await i.editReply({ content: `⚠️ ${dog.name} runs on another host: re-enable it there with \`openclaw plugins enable ${plugin}\`.` }));
  }
  if ((await dog.enablePlugin(found.incident, plugin, by)) === 'already-enabled') {
    await audit(d, i, dog.name, `plugin ${plugin} (disabled in ${found.incident.id}) is already enabled again: nothing done`);
    return void (await i.editReply({ content: `✅ Plugin \`${plugin}\` is already enabled again on **${dog.name}**; nothing done.`, allowedMentions: { parse: [] } }));
  }
  await i.editReply({
    content: `🔌 Re-enabling plugin \`${plugin}\` on **${dog.name}** (\`openclaw plugins enable ${plugin}\`); the result follows in the ${found.incident.id} thread. If it crashes the gateway again, clawmedic disables it again.`,
    allowedMentions: { parse: [] },
  });
}

/** Suggestions only for someone who may run the command: others learn no target, incident or question. */
async function autocomplete(i: AutocompleteInteraction, d: InteractionDeps): Promise<void> {
  const mayRun = d.auth.isOperator(i) || (d.statusPublic && !OPERATOR_ONLY.has(i.commandName));
  if (!mayRun) return void (await i.respond([]));
  const focused = i.options.getFocused(true);
  const typed = String(focused.value).toLowerCase();
  let names: string[];
  if (focused.name === 'id' && i.commandName === 'approve') {
    names = d.medic.targets().flatMap((t) => t.pendingApproval()?.id ?? []);
  } else if (focused.name === 'id') names = (await d.store.listIncidents({ limit: 25 })).map((inc) => inc.id);
  else names = d.medic.targets().map((t) => t.name);
  await i.respond(names.filter((n) => n.toLowerCase().includes(typed)).slice(0, 25).map((n) => ({ name: n, value: n })));
}

/** The slash commands, built with @discordjs/builders; registered by `npm run deploy-commands`. */
import { SlashCommandBuilder } from '@discordjs/builders';

const target = (required: boolean) => (o: import('@discordjs/builders').SlashCommandStringOption) =>
  o.setName('target').setDescription('The gateway (target) name').setRequired(required).setAutocomplete(true);

export const COMMANDS = [
  new SlashCommandBuilder()
    .setName('status')
    .setDescription('Health, pid, uptime, restarts and open incident of the gateways')
    .addStringOption(target(false)),
  new SlashCommandBuilder()
    .setName('recover')
    .setDescription('Run a level of the recovery ladder by hand (operators)')
    .addStringOption(target(true))
    .addIntegerOption((o) =>
      o
        .setName('level')
        .setDescription('Which level')
        .setRequired(true)
        .addChoices(
          { name: '0/1 restart', value: 1 },
          { name: '2 repair (doctor, restore config, port)', value: 2 },
          { name: '3 AI agent', value: 3 },
          { name: '4 hand to a human', value: 4 },
        ),
    )
    .addStringOption((o) => o.setName('note').setDescription('Why (goes into the audit log)').setMaxLength(300)),
  new SlashCommandBuilder()
    .setName('approve')
    .setDescription("Answer one of the ladder's questions, named by its id (operators)")
    .addStringOption((o) =>
      o.setName('id').setDescription('The question, e.g. gw-1-t2 (its id is on the question)').setRequired(true).setAutocomplete(true),
    )
    .addStringOption(target(false))
    .addBooleanOption((o) => o.setName('deny').setDescription('Deny instead of approve'))
    .addBooleanOption((o) =>
      o.setName('for_incident').setDescription("AI agent questions: also allow the agent's further actions until the incident ends"),
    ),
  new SlashCommandBuilder()
    .setName('abort')
    .setDescription("Stop the ladder's automatic actions for the open incident (operators)")
    .addStringOption(target(false))
    .addStringOption((o) => o.setName('reason').setDescription('Why (goes into the audit log)').setMaxLength(300)),
  new SlashCommandBuilder()
    .setName('incident')
    .setDescription("An incident's timeline (the latest when no id is given)")
    .addStringOption((o) => o.setName('id').setDescription('Incident id, e.g. openclaw-3').setAutocomplete(true)),
  new SlashCommandBuilder()
    .setName('pause')
    .setDescription('Maintenance: the medic watches but does not act (operators)')
    .addStringOption(target(true))
    .addIntegerOption((o) => o.setName('minutes').setDescription('For how long (default: until /resume)').setMinValue(1).setMaxValue(10080)),
  new SlashCommandBuilder()
    .setName('resume')
    .setDescription('End maintenance: the medic acts again (operators)')
    .addStringOption(target(true)),
];

export const COMMAND_JSON = COMMANDS.map((c) => c.toJSON());

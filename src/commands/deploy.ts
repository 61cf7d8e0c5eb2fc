/** `npm run deploy-commands`: registers the slash commands (guild-scoped by default, or global). */
import { REST, Routes } from 'discord.js';
import type { DiscordConfig } from '../config.js';
import { COMMAND_JSON } from './definitions.js';

export async function deployCommands(config: DiscordConfig, options: { global: boolean }): Promise<string> {
  const rest = new REST(config.apiUrl ? { api: config.apiUrl } : {}).setToken(config.token);
  const app = (await rest.get(Routes.currentApplication())) as { id: string };
  const route = options.global ? Routes.applicationCommands(app.id) : Routes.applicationGuildCommands(app.id, config.guildId);
  const done = (await rest.put(route, { body: COMMAND_JSON })) as unknown[];
  return `registered ${done.length} commands ${options.global ? 'globally (may take up to an hour to appear)' : `in guild ${config.guildId}`}: ${COMMAND_JSON.map((c) => `/${c.name}`).join(', ')}`;
}

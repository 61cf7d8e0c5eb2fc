/** Composition: the Discord bot, loaded only when there is one to run. */
import type { MedicConfig } from '../config.js';
import type { Medic } from '../medic.js';
import { systemClock } from '../lib/clock.js';
import type { BotOptions, MedicBot } from '../bot/bot.js';

/**
 * The Discord bot with the command source wired in: the bot draws and relays, src/commands turns
 * interactions into ladder operations with the bot's drawing (render, custom ids, auth); the bot never
 * imports the commands (a layer rule: .dependency-cruiser.cjs). discord.js costs ~40 MB and
 * 0.6 s to load, so both are loaded only when there is a bot to run.
 */
export async function startBot(
  config: NonNullable<MedicConfig['discord']>,
  medic: Pick<Medic, 'target' | 'targets' | 'status' | 'audit'>,
  o: Omit<BotOptions, 'config' | 'onInteraction'>,
  postmortem: (incidentId: string) => Promise<string | null>,
): Promise<MedicBot> {
  const [{ MedicBot }, { handleInteraction }] = await Promise.all([import('../bot/bot.js'), import('../commands/interactions.js')]);
  return new MedicBot({
    ...o,
    config,
    onInteraction: (i, ctx) =>
      handleInteraction(i, {
        medic,
        store: o.store,
        log: o.log,
        clock: o.clock ?? systemClock,
        auth: ctx.auth,
        botStatus: ctx.botStatus,
        statusPublic: config.statusPublic,
        guildId: config.guildId,
        postmortem,
        postInThread: ctx.postInThread,
      }),
  });
}

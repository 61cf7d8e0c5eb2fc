/** The relay's three Discord calls over discord.js REST: no gateway or cache needed. */
import { Routes, type REST } from 'discord.js';
import type { RelaySink } from './relay.js';
import type { MessagePayload } from './render.js';

function body(p: MessagePayload): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.content !== undefined) out.content = p.content;
  if (p.embeds !== undefined) out.embeds = p.embeds;
  if (p.components !== undefined) out.components = p.components;
  if (p.allowedMentions !== undefined) out.allowed_mentions = p.allowedMentions;
  return out;
}

export class DiscordSink implements RelaySink {
  constructor(private readonly rest: REST) {}

  async send(channelId: string, payload: MessagePayload): Promise<string> {
    const files = payload.files?.map((f) => ({ name: f.name, data: f.data, contentType: 'text/plain' }));
    const msg = (await this.rest.post(Routes.channelMessages(channelId), { body: body(payload), ...(files?.length ? { files } : {}) })) as {
      id: string;
    };
    return msg.id;
  }

  async edit(channelId: string, messageId: string, payload: MessagePayload): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: body(payload) });
  }

  async startThread(channelId: string, messageId: string, name: string): Promise<string> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { name: name.slice(0, 100), auto_archive_duration: 1440 },
    })) as { id: string };
    return thread.id;
  }
}

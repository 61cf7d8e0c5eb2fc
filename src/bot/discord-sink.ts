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

/** A write refused because this medic is no longer the fleet's leader (src/fleet): another one writes now. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  constructor() {
    super('not the fleet leader any more: this medic no longer writes to Discord');
  }
}

export class DiscordSink implements RelaySink {
  /** `canWrite`: fleet mode's fence, asked before each call; absent: always. */
  constructor(
    private readonly rest: REST,
    private readonly canWrite: () => boolean = () => true,
  ) {}

  private fence(): void {
    if (!this.canWrite()) throw new FencedError();
  }

  async send(channelId: string, payload: MessagePayload): Promise<string> {
    this.fence();
    const files = payload.files?.map((f) => ({ name: f.name, data: f.data, contentType: 'text/plain' }));
    const msg = (await this.rest.post(Routes.channelMessages(channelId), { body: body(payload), ...(files?.length ? { files } : {}) })) as {
      id: string;
    };
    return msg.id;
  }

  async edit(channelId: string, messageId: string, payload: MessagePayload): Promise<void> {
    this.fence();
    await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: body(payload) });
  }

  async startThread(channelId: string, messageId: string, name: string): Promise<string> {
    this.fence();
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { name: name.slice(0, 100), auto_archive_duration: 1440 },
    })) as { id: string };
    return thread.id;
  }
}

/**
 * The bot's link to Discord, as a person needs to read it in /status: connected, reconnecting,
 * down, or refused (bad or revoked token). discord.js keeps `isReady()` true after a fatal
 * close (4004), so the shard events are what count.
 */
import { Events, type Client } from 'discord.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../recovery/ports.js';

export type LinkState = 'starting' | 'connected' | 'reconnecting' | 'unreachable' | 'auth-failed';

/** Close codes after which discord.js does not reconnect by itself. */
const FATAL_CLOSE = new Map<number, string>([
  [4004, 'authentication failed: the token is invalid or was revoked'],
  [4010, 'invalid shard'],
  [4011, 'sharding required'],
  [4012, 'invalid API version'],
  [4013, 'invalid intents'],
  [4014, 'disallowed intents: enable them for the application or remove them'],
]);

export interface LinkStatus {
  state: LinkState;
  since: number;
  lastError: string | null;
}

export class DiscordLink {
  private status_: LinkStatus;

  constructor(
    client: Client,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly onReady: () => void,
  ) {
    this.status_ = { state: 'starting', since: clock.now(), lastError: null };
    client.on(Events.ClientReady, () => this.set('connected', null));
    client.on(Events.ShardReady, () => this.set('connected', null));
    client.on(Events.ShardResume, () => this.set('connected', null));
    client.on(Events.ShardReconnecting, () => this.set('reconnecting', this.status_.lastError));
    client.on(Events.ShardDisconnect, (event) => {
      const fatal = FATAL_CLOSE.get(event.code);
      this.set(event.code === 4004 ? 'auth-failed' : 'unreachable', fatal ?? `gateway closed with code ${event.code}`);
    });
    client.on(Events.ShardError, (err) => {
      if (this.status_.state !== 'auth-failed') this.status_.lastError = err.message;
    });
  }

  status(): LinkStatus {
    return { ...this.status_ };
  }

  set(state: LinkState, error: string | null): void {
    const was = this.status_.state;
    if (was === state && this.status_.lastError === error) return;
    this.status_ = { state, since: this.clock.now(), lastError: error };
    if (state === 'connected') {
      if (was !== 'connected') this.log.info('Discord: connected');
      this.onReady();
    } else if (state === 'auth-failed') {
      this.log.error(`Discord: ${error ?? 'authentication failed'}; recovery goes on without the bot. Fix DISCORD_TOKEN and restart clawmedic`);
    } else if (state !== 'reconnecting' || was === 'connected') {
      this.log.warn(`Discord: ${state}${error ? ` (${error})` : ''}; recovery goes on, updates wait in the queue`);
    }
  }
}

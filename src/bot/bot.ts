/**
 * The Discord bot: a subscriber of the medic's events and a source of operator requests.
 * It logs in in the background and keeps trying; nothing in the ladder waits for it.
 */
import { Client, Events, GatewayIntentBits, type ClientOptions, type Interaction } from 'discord.js';
import type { DiscordConfig } from '../config.js';
import type { MedicEvents } from '../recovery/events.js';
import type { Logger, Store } from '../recovery/ports.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Redactor } from '../lib/redact.js';
import { Authoriser } from './auth.js';
import { DiscordLink, type LinkStatus } from './connection.js';
import { DiscordSink } from './discord-sink.js';
import { IncidentSync } from './incident-sync.js';
import { Relay, type RelayStats } from './relay.js';
import type { MessagePayload } from './render.js';
import { renderDigestMessage } from './digest-message.js';

/** What the bot hands the command source (src/commands, wired by the composition root) with each interaction. */
export interface InteractionContext {
  auth: Authoriser;
  botStatus: () => LinkStatus;
  /** Posts in an incident's thread through the relay (its rate limits, retries and fence). */
  postInThread: (incidentId: string, payload: MessagePayload) => Promise<string>;
}

export interface BotOptions {
  config: DiscordConfig;
  /** Slash commands, buttons and autocomplete: the command source; none: interactions are ignored (benchmarks). */
  onInteraction?: (i: Interaction, ctx: InteractionContext) => Promise<void>;
  store: Store;
  events: MedicEvents;
  log: Logger;
  /** Every wait and timestamp of the bot (relay windows and retries, cards, login retries). Default: wall time. */
  clock?: Clock;
  /** Masks secrets in what only the bot sees whole (the agent's wrapped screen lines). */
  redactor?: Redactor;
  /** Extra discord.js client options (tests: identify throttler, guild timeout). */
  clientOptions?: Partial<ClientOptions>;
  /** Relay tuning (tests, benchmarks). */
  relay?: { ratePerSecond?: number; coalesceMs?: number; retryMinMs?: number; retryMaxMs?: number };
  /** Login retry backoff. Default 2 s doubling to 60 s. */
  loginRetryMs?: { min: number; max: number };
  /**
   * Fleet mode's fence (src/fleet): asked before every write to Discord; false: the write is refused
   * (this medic is no longer the fleet's leader). Absent: always true (a single medic).
   */
  canWrite?: () => boolean;
  /**
   * Appended to the User-Agent of every REST call (fleet mode: `clawmedic-fleet <fleet>/<host> term <n>`), so
   * Discord's side (and the fleet tests) can tell which leader's bot wrote what.
   */
  userAgent?: string;
}

export interface BotStatus extends LinkStatus {
  relay: RelayStats;
}

export class MedicBot {
  readonly client: Client;
  private readonly link: DiscordLink;
  private readonly relay: Relay;
  private readonly sync: IncidentSync;
  private stopped = false;
  /** Aborted on stop: a login retry waiting for its turn ends. */
  private readonly stopping = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly o: BotOptions) {
    const { config } = o;
    const clock = (this.clock = o.clock ?? systemClock);
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds],
      ...(config.apiUrl || o.userAgent ? { rest: { ...(config.apiUrl ? { api: config.apiUrl } : {}), ...(o.userAgent ? { userAgentAppendix: o.userAgent } : {}) } } : {}),
      ...o.clientOptions,
    });
    this.client.rest.setToken(config.token);
    this.relay = new Relay({ sink: new DiscordSink(this.client.rest, o.canWrite), log: o.log, clock, ...o.relay });
    const auth = new Authoriser(config.operatorRoleIds, config.operatorUserIds);
    this.sync = new IncidentSync({
      relay: this.relay,
      store: o.store,
      channelId: config.channelId,
      oncallMention: config.oncallMention,
      whoMayAnswer: auth.describe(),
      log: o.log,
      clock,
      ...(o.redactor ? { redactor: o.redactor } : {}),
    });
    this.link = new DiscordLink(this.client, o.log, clock, () => {
      void this.sync.catchUp().catch((err: Error) => o.log.error(`Discord catch-up failed: ${err.message}`));
    });
    this.client.on(Events.InteractionCreate, (i) => {
      void o.onInteraction?.(i, { auth, botStatus: () => this.link.status(), postInThread: (id, payload) => this.sync.postInThread(id, payload) });
    });
    this.client.on(Events.Error, (err) => o.log.warn(`Discord client error: ${err.message}`));
  }

  /** Subscribes to the medic's events and logs in in the background; never throws. */
  start(): void {
    this.sync.attach(this.o.events);
    void this.login(0);
  }

  /**
   * The scheduled digest (src/report/digest-poster.ts, which redacts it) in the incident channel, through the relay;
   * resolves once Discord took it (it waits while Discord is away), rejects when Discord refuses it.
   */
  async postDigest(d: { to: number; markdown: string }): Promise<void> {
    await this.relay.post(this.o.config.channelId, renderDigestMessage(d), 'card');
  }

  status(): BotStatus {
    return { ...this.link.status(), relay: this.relay.stats() };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.relay.stop();
    await this.client.destroy();
  }

  private async login(attempt: number): Promise<void> {
    if (this.stopped) return;
    try {
      await this.client.login(this.o.config.token);
    } catch (err) {
      const e = err as Error & { code?: string };
      if (this.stopped) return;
      if (e.code === 'TokenInvalid' || /Authentication failed/i.test(e.message)) {
        this.link.set('auth-failed', 'the token was refused (invalid or revoked)');
        return;
      }
      const { min, max } = this.o.loginRetryMs ?? { min: 2000, max: 60_000 };
      const delay = Math.min(max, min * 2 ** attempt);
      this.link.set('unreachable', `${e.message}; trying again in ${Math.round(delay / 1000)} s`);
      await this.clock.sleep(delay, this.stopping.signal);
      void this.login(attempt + 1);
    }
  }
}

/**
 * Fleet mode (docs/fleet.md): this medic joins the fleet in etcd (membership), queues its events
 * for the leader (outbox), and campaigns to lead; the leader alone runs the Discord bot, fed with
 * every host's events (feed) and every host's state (host watch). Loaded with a dynamic import
 * by the composition root only when FLEET_ETCD_ENDPOINTS is set. Nothing of the ladder waits on it.
 */
import type { FleetConfig } from '../config/fleet.js';
import type { MedicBot } from '../bot/bot.js';
import type { Clock } from '../lib/clock.js';
import type { Redactor } from '../lib/redact.js';
import type { Medic } from '../medic.js';
import { MedicEvents } from '../recovery/events.js';
import type { Logger, Store } from '../recovery/ports.js';
import type { TargetStatus } from '../recovery/types.js';
import { CommandInbox, sendCommand } from './commands.js';
import type { Coordination } from './coordination.js';
import { fleetMedic, type CommandMedic } from './fleet-medic.js';
import { FleetFeed } from './feed.js';
import { HostWatch } from './hosts.js';
import { fleetKeys } from './keys.js';
import { Leadership } from './leadership.js';
import { Membership, type HostRecord } from './membership.js';
import { FleetOutbox } from './outbox.js';
import { sharedBotStore } from './shared-store.js';

/** What the composition root hands the fleet to start the one bot with, when this medic leads. */
export type StartFleetBot = (o: { store: Store; events: MedicEvents; canWrite: () => boolean; medic: CommandMedic; userAgent: string }) => Promise<MedicBot>;

/** How long the leader waits for another host to answer a command. */
const COMMAND_TIMEOUT_MS = 15_000;

export interface FleetDeps {
  config: FleetConfig;
  medic: Medic;
  store: Store;
  events: MedicEvents;
  log: Logger;
  clock: Clock;
  redactor: Redactor;
  version: string;
  /** Null: this medic has no Discord settings and never campaigns (it still publishes and queues). */
  startBot: StartFleetBot | null;
  /** The coordination engine; default: etcd through etcd3 (loaded here, never by a single medic). */
  coord?: Coordination;
}

export interface FleetStatus {
  fleet: string;
  host: string;
  connected: boolean;
  leader: boolean;
  epoch: number;
  /** Events waiting for etcd on this host. */
  queued: number;
  /** Why this host stays out of the fleet though etcd answers (a target name of another host). */
  refused?: string;
  /** Leader only: live hosts and their targets, and hosts lost. */
  hosts?: HostRecord[];
  lost?: string[];
}

interface Term {
  feed: FleetFeed;
  hosts: HostWatch;
  bot: MedicBot | null;
  events: MedicEvents;
}

export class Fleet {
  private readonly keys;
  private readonly membership: Membership;
  private readonly leadership: Leadership;
  private readonly outbox: FleetOutbox;
  private readonly inbox: CommandInbox;
  private term: Term | null = null;
  /** Counts terms, so a start that finishes after its term ended is undone. */
  private generation = 0;
  private termWork: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(
    private readonly d: FleetDeps,
    private readonly coord: Coordination,
  ) {
    const c = d.config;
    this.keys = fleetKeys(c.name);
    this.membership = new Membership({
      coord,
      keys: this.keys,
      host: c.host,
      ttlS: c.leaseTtlS,
      clock: d.clock,
      log: d.log,
      version: d.version,
      targets: () => this.targetStatuses(),
      onLease: () => this.leadership.nudge(),
      onLeaseLost: () => this.leadership.leaseLost(),
    });
    this.leadership = new Leadership({
      coord,
      keys: this.keys,
      host: c.host,
      ttlS: c.leaseTtlS,
      clock: d.clock,
      log: d.log,
      lease: () => this.membership.lease,
      lastKeepaliveAt: () => this.membership.lastKeepaliveAt,
      onElected: () => this.beginTerm(),
      onDeposed: () => this.endTerm(),
    });
    this.outbox = new FleetOutbox({
      coord,
      keys: this.keys,
      host: c.host,
      store: d.store,
      events: d.events,
      clock: d.clock,
      log: d.log,
      canPush: () => this.membership.claimed,
    });
    this.inbox = new CommandInbox({ coord, keys: this.keys, host: c.host, medic: d.medic, clock: d.clock, log: d.log });
  }

  async start(): Promise<void> {
    await this.outbox.start();
    this.d.events.on('status', () => this.membership.markDirty());
    this.membership.start();
    // Commands from the leader: etcd may be away now; the watch is set up when it answers.
    void this.startInbox();
    if (this.d.startBot) this.leadership.start();
    else this.d.log.info('fleet: no Discord settings on this host: it never leads, its events go to the leader');
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.leadership.stop();
    this.endTerm();
    await this.termWork;
    await this.inbox.stop();
    await this.outbox.stop();
    await this.membership.stop();
    await this.coord.close();
  }

  /**
   * The bot, while this medic leads. Null from the moment the fence says this medic may no longer write,
   * even before its term is torn down: the alert fallback then sees Discord as this medic cannot reach it.
   */
  bot(): MedicBot | null {
    return this.leadership.isLeader() ? (this.term?.bot ?? null) : null;
  }

  status(): FleetStatus {
    const base: FleetStatus = {
      fleet: this.d.config.name,
      host: this.d.config.host,
      connected: this.membership.isConnected,
      leader: this.leadership.isLeader(),
      epoch: this.leadership.leaderEpoch(),
      queued: this.outbox.queued,
      ...(this.membership.refused ? { refused: this.membership.refused } : {}),
    };
    return this.term ? { ...base, hosts: this.term.hosts.hosts(), lost: this.term.hosts.lostHosts() } : base;
  }

  private async startInbox(): Promise<void> {
    for (let wait = 500; !this.stopping.signal.aborted; wait = Math.min(wait * 2, 5000)) {
      try {
        await this.inbox.start();
        return;
      } catch (err) {
        this.d.log.debug(`fleet: command inbox: ${(err as Error).message}`);
        await this.d.clock.sleep(wait, this.stopping.signal);
      }
    }
  }

  private targetStatuses(): TargetStatus[] {
    const raw = this.d.medic.targets().map((dog) => dog.status());
    // Redacted once more as a whole: nothing written to etcd carries a secret.
    return JSON.parse(this.d.redactor.redact(JSON.stringify(raw))) as TargetStatus[];
  }

  private beginTerm(): void {
    const generation = ++this.generation;
    this.termWork = this.termWork.then(async () => {
      if (generation !== this.generation || !this.leadership.isLeader()) return;
      const events = new MedicEvents();
      let bot: MedicBot | null = null;
      const leading = () => generation === this.generation && this.leadership.isLeader();
      const feed = new FleetFeed({
        coord: this.coord,
        keys: this.keys,
        clock: this.d.clock,
        log: this.d.log,
        out: events,
        leading,
        // Delivered means in Discord: not only nothing queued, but no line waiting for its batch or its thread and
        // no write in flight (a term that ends drops what its relay still held; acked, that would be lost).
        drained: () => bot !== null && bot.status().relay.idle,
      });
      const hosts = new HostWatch({
        coord: this.coord,
        keys: this.keys,
        ttlS: this.d.config.leaseTtlS,
        clock: this.d.clock,
        log: this.d.log,
        out: events,
        audit: (record) => this.d.medic.audit(record),
        onForgotten: (host) => feed.forget(host),
      });
      const store = sharedBotStore(this.d.store, this.coord, this.keys, () => [...hosts.lostIncidents(), ...feed.listIncidents()]);
      this.term = { feed, hosts, bot: null, events };
      try {
        // The bot subscribes before the first event is handed on.
        const send = { coord: this.coord, keys: this.keys, clock: this.d.clock, from: this.d.config.host, timeoutMs: COMMAND_TIMEOUT_MS };
        const medic = fleetMedic(
          this.d.medic,
          this.d.config.host,
          () => hosts.hosts(),
          // An operator's note could hold anything: what goes to etcd is redacted like everything else.
          (host, target, operation, by) => sendCommand(send, host, target, by, JSON.parse(this.d.redactor.redact(JSON.stringify(operation))) as typeof operation),
          (target) => feed.latestIncident(target),
        );
        const userAgent = `clawmedic-fleet ${this.d.config.name}/${this.d.config.host} term ${this.leadership.leaderEpoch()}`;
        bot = await this.d.startBot!({ store, events, canWrite: leading, medic, userAgent });
        this.term.bot = bot;
        bot.start();
        await hosts.start();
        await feed.start();
      } catch (err) {
        this.d.log.error(`fleet: could not start the leader's bot: ${(err as Error).message}`);
      }
    });
  }

  private endTerm(): void {
    this.generation += 1;
    const term = this.term;
    this.term = null;
    if (!term) return;
    this.termWork = this.termWork.then(async () => {
      await term.feed.stop().catch(() => {});
      await term.hosts.stop().catch(() => {});
      await term.bot?.stop().catch(() => {});
    });
  }
}

/** Builds the fleet over etcd (or `deps.coord`) and starts it; never waits for etcd to answer. */
export async function startFleet(deps: FleetDeps): Promise<Fleet> {
  let coord = deps.coord;
  if (!coord) {
    const { EtcdCoordination, etcdOptions } = await import('./etcd-coordination.js');
    coord = new EtcdCoordination(etcdOptions(deps.config));
  }
  const fleet = new Fleet(deps, coord);
  await fleet.start();
  return fleet;
}

/**
 * The leader's view of the hosts: each live host's targets (from its lease-bound record) go to
 * the bot as status; a known host without a live record is a fleet incident ("host B not heard
 * from for 10 s"), closed when it returns. Open ones are kept in etcd, so a new leader closes
 * what the last one opened.
 */
import type { Clock } from '../lib/clock.js';
import type { MedicEvents } from '../recovery/events.js';
import type { Logger } from '../recovery/ports.js';
import { newIncident } from '../recovery/ladder/index.js';
import type { Incident, LadderRecord } from '../recovery/types.js';
import type { Coordination, WatchHandle } from './coordination.js';
import type { FleetKeys } from './keys.js';
import type { ForgetNote } from './forget.js';
import type { HostRecord } from './membership.js';

export interface HostWatchOptions {
  coord: Coordination;
  keys: FleetKeys;
  ttlS: number;
  clock: Clock;
  log: Logger;
  out: MedicEvents;
  /** Where the leader audits what operators did to the fleet (a host forgotten). */
  audit?: (record: LadderRecord) => Promise<void>;
  /** A host was forgotten: what the leader keeps of it goes too (its events' cursor in the feed). */
  onForgotten?: (host: string) => void;
}

/** The incident a lost host is, as the card shows it. */
export function hostLostIncident(host: string, ttlS: number, at: number): Incident {
  return newIncident(`${host}-lost-${at}`, host, at, `host ${host} not heard from for ${ttlS} s: its gateways' state is unknown`, 'waiting_human', 4);
}

export class HostWatch {
  private readonly live = new Map<string, HostRecord>();
  private readonly lost = new Map<string, Incident>();
  private watch: WatchHandle | null = null;
  private forgetWatch: WatchHandle | null = null;

  constructor(private readonly o: HostWatchOptions) {}

  /** Live hosts and their targets, for /status. */
  hosts(): HostRecord[] {
    return [...this.live.values()].sort((a, b) => a.host.localeCompare(b.host));
  }

  lostHosts(): string[] {
    return [...this.lost.keys()].sort();
  }

  /** The open "host lost" incidents (the bot's catch-up redraws their cards). */
  lostIncidents(): Incident[] {
    return [...this.lost.values()];
  }

  async start(): Promise<void> {
    this.watch = await this.o.coord.watchPrefix(this.o.keys.hosts, {
      put: (key, value) => void this.up(key.slice(this.o.keys.hosts.length), value).catch((e: Error) => this.fail(e)),
      delete: (key) => void this.down(key.slice(this.o.keys.hosts.length)).catch((e: Error) => this.fail(e)),
    });
    for (const [key, value] of await this.o.coord.getPrefix(this.o.keys.lost)) {
      this.lost.set(key.slice(this.o.keys.lost.length), JSON.parse(value) as Incident);
    }
    const live = await this.o.coord.getPrefix(this.o.keys.hosts);
    for (const [key, value] of live) await this.up(key.slice(this.o.keys.hosts.length), value);
    for (const key of (await this.o.coord.getPrefix(this.o.keys.known)).keys()) {
      const host = key.slice(this.o.keys.known.length);
      if (!this.live.has(host)) await this.down(host);
    }
    // Hosts forgotten while nobody led (or before the last leader got to them), then those forgotten from now on.
    this.forgetWatch = await this.o.coord.watchPrefix(this.o.keys.forgotten, {
      put: (key, value) => void this.forgotten(key.slice(this.o.keys.forgotten.length), value).catch((e: Error) => this.fail(e)),
      delete: () => {},
    });
    for (const [key, value] of await this.o.coord.getPrefix(this.o.keys.forgotten)) await this.forgotten(key.slice(this.o.keys.forgotten.length), value);
  }

  async stop(): Promise<void> {
    await this.watch?.cancel().catch(() => {});
    await this.forgetWatch?.cancel().catch(() => {});
  }

  /** An operator retired `host` (clawmedic fleet forget): its "host lost" incident closes, the leader audits it. */
  private async forgotten(host: string, value: string): Promise<void> {
    const note = JSON.parse(value) as ForgetNote;
    const at = this.o.clock.now();
    const open = this.lost.get(host);
    this.lost.delete(host);
    if (open) {
      const closed: Incident = { ...open, state: 'resolved', closedAt: at, outcome: `host ${host} retired by ${note.by}` };
      this.emit(closed, `host ${host} retired: forgotten by ${note.by} (clawmedic fleet forget)`, at);
      await this.o.coord.delete(this.o.keys.lostHost(host));
    }
    await this.o.audit?.({
      kind: 'operator',
      at,
      target: host,
      incidentId: open?.id ?? null,
      level: open ? 4 : null,
      text: `${note.by} forgot host ${host} (clawmedic fleet forget at ${new Date(note.at).toISOString()})${open ? `; ${open.id} resolved` : ''}`,
      by: note.by,
    });
    this.o.log.info(`fleet: host ${host} forgotten by ${note.by}${open ? `; incident ${open.id} resolved` : ''}`);
    this.o.onForgotten?.(host);
    await this.o.coord.delete(this.o.keys.forgottenHost(host));
  }

  private fail(err: Error): void {
    this.o.log.error(`fleet: host watch: ${err.message}`);
  }

  private async up(host: string, value: string): Promise<void> {
    const record = JSON.parse(value) as HostRecord;
    this.live.set(host, record);
    for (const t of record.targets) this.o.out.emit('status', t);
    const open = this.lost.get(host);
    if (!open) return;
    this.lost.delete(host);
    const at = this.o.clock.now();
    const closed: Incident = { ...open, state: 'resolved', closedAt: at, outcome: `host ${host} is back` };
    this.emit(closed, `host ${host} is back: its medic answers again`, at);
    this.o.log.info(`fleet: host ${host} is back; incident ${open.id} resolved`);
    await this.o.coord.delete(this.o.keys.lostHost(host));
  }

  private async down(host: string): Promise<void> {
    this.live.delete(host);
    if (this.lost.has(host)) return;
    const at = this.o.clock.now();
    const incident = hostLostIncident(host, this.o.ttlS, at);
    this.lost.set(host, incident);
    await this.o.coord.put(this.o.keys.lostHost(host), JSON.stringify(incident));
    this.o.log.warn(`fleet: ${incident.cause} (incident ${incident.id})`);
    this.emit(incident, incident.cause, at);
  }

  private emit(incident: Incident, text: string, at: number): void {
    this.o.out.emit('incident', incident, null);
    const record: LadderRecord = { kind: incident.closedAt ? 'resolved' : 'opened', at, target: incident.target, incidentId: incident.id, level: 4, text };
    this.o.out.emit('record', record);
  }
}

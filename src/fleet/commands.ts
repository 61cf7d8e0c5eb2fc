/**
 * Operators' commands for a target on another host: the leader's bot writes them to etcd under
 * that host's key, that host's medic runs them on its own watchdog (audited there: who, from
 * which leader, when) and writes the answer back; the leader audits the click on its side as it
 * does for its own targets. A command carries a deadline: a host that sees it late (it was cut
 * off) drops it rather than act on a click from minutes ago.
 */
import { randomUUID } from 'node:crypto';
import { RequestRejectedError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import type { Medic } from '../medic.js';
import type { Logger } from '../recovery/ports.js';
import type { Level, PendingApproval, TargetStatus } from '../recovery/types.js';
import type { Coordination, WatchHandle } from './coordination.js';
import type { FleetKeys } from './keys.js';

/** What the command source calls on a target: a local watchdog, or one on another host. */
export type Operation =
  | { op: 'recover'; level: Level; note: string | null }
  | { op: 'abort'; reason: string | null }
  | { op: 'decide'; approvalId: string | null; approved: boolean; scope: 'once' | 'incident' }
  | { op: 'pause'; until: number | null }
  | { op: 'resume' };

export interface FleetCommand {
  id: string;
  target: string;
  by: string;
  /** The leader's host: where the click came in. */
  from: string;
  at: number;
  deadline: number;
  operation: Operation;
}

export interface FleetReply {
  ok: boolean;
  value?: string | null;
  error?: string;
  status?: 400 | 404 | 409 | 500;
}

/** The commands of the fleet's keys: one prefix per host, one answer per command. */
export function commandKeys(keys: FleetKeys) {
  return {
    inbox: (host: string) => `${keys.root}commands/${host}/`,
    command: (host: string, id: string) => `${keys.root}commands/${host}/${id}`,
    reply: (id: string) => `${keys.root}replies/${id}`,
  };
}

/** Every host: runs the commands addressed to it on its own targets and answers. */
export class CommandInbox {
  private watch: WatchHandle | null = null;
  private readonly seen = new Set<string>();

  constructor(
    private readonly o: { coord: Coordination; keys: FleetKeys; host: string; medic: Medic; clock: Clock; log: Logger },
  ) {}

  async start(): Promise<void> {
    const k = commandKeys(this.o.keys);
    this.watch = await this.o.coord.watchPrefix(k.inbox(this.o.host), {
      put: (key, value) => void this.run(key, value),
      delete: () => {},
    });
    // Commands written while this host was away: each is run or dropped (past its deadline).
    for (const [key, value] of await this.o.coord.getPrefix(k.inbox(this.o.host))) void this.run(key, value);
  }

  async stop(): Promise<void> {
    await this.watch?.cancel().catch(() => {});
  }

  private async run(key: string, value: string): Promise<void> {
    let cmd: FleetCommand;
    try {
      cmd = JSON.parse(value) as FleetCommand;
    } catch {
      return;
    }
    if (this.seen.has(cmd.id)) return;
    this.seen.add(cmd.id);
    const k = commandKeys(this.o.keys);
    let reply: FleetReply;
    if (this.o.clock.now() > cmd.deadline) {
      reply = { ok: false, error: `arrived after its deadline on host ${this.o.host}; nothing done`, status: 409 };
    } else {
      reply = await this.execute(cmd);
    }
    try {
      await this.o.coord.put(k.reply(cmd.id), JSON.stringify(reply));
      await this.o.coord.delete(key);
    } catch (err) {
      this.o.log.warn(`fleet: could not answer command ${cmd.id}: ${(err as Error).message}`);
    }
  }

  private async execute(cmd: FleetCommand): Promise<FleetReply> {
    const o = cmd.operation;
    const by = cmd.by;
    try {
      const dog = this.o.medic.target(cmd.target);
      const inc = dog.status().incident;
      const what = o.op === 'recover' ? `recover level ${o.level}` : o.op === 'decide' ? `${o.approved ? 'approve' : 'deny'} ${o.approvalId ?? ''}` : o.op;
      await this.o.medic.audit({
        kind: 'operator',
        at: this.o.clock.now(),
        target: dog.name,
        incidentId: inc?.id ?? null,
        level: inc?.level ?? null,
        text: `${by} via the fleet leader ${cmd.from} (command ${cmd.id}, clicked at ${new Date(cmd.at).toISOString()}): ${what}`,
        by,
      });
      let value: string | null = null;
      if (o.op === 'recover') value = await dog.recover(o.level, by, o.note);
      else if (o.op === 'abort') value = await dog.abort(by, o.reason);
      else if (o.op === 'decide') value = await dog.decide(o.approvalId, o.approved, by, o.scope);
      else if (o.op === 'pause') await dog.pause(by, o.until);
      else await dog.resume(by);
      return { ok: true, value };
    } catch (err) {
      const status = err instanceof RequestRejectedError ? err.status : 500;
      return { ok: false, error: (err as Error).message, status };
    }
  }
}

/** The leader: sends a command to `host` and waits for its answer (or says it did not come). */
export async function sendCommand(
  o: { coord: Coordination; keys: FleetKeys; clock: Clock; from: string; timeoutMs: number },
  host: string,
  target: string,
  by: string,
  operation: Operation,
): Promise<string | null> {
  const k = commandKeys(o.keys);
  const at = o.clock.now();
  const cmd: FleetCommand = { id: randomUUID(), target, by, from: o.from, at, deadline: at + o.timeoutMs, operation };
  let answered: (r: FleetReply) => void = () => {};
  const reply = new Promise<FleetReply>((resolve) => (answered = resolve));
  const watch = await o.coord.watchPrefix(k.reply(cmd.id), { put: (_k, v) => answered(JSON.parse(v) as FleetReply), delete: () => {} });
  try {
    await o.coord.put(k.command(host, cmd.id), JSON.stringify(cmd));
    const timeout = new AbortController();
    const late = o.clock.sleep(o.timeoutMs, timeout.signal).then(() => null);
    const r = await Promise.race([reply, late]);
    timeout.abort();
    if (!r) {
      await o.coord.delete(k.command(host, cmd.id)).catch(() => {});
      throw new RequestRejectedError(`host ${host} did not answer within ${Math.round(o.timeoutMs / 1000)} s; nothing was done there (it may be cut off)`, 409);
    }
    await o.coord.delete(k.reply(cmd.id)).catch(() => {});
    if (!r.ok) throw new RequestRejectedError(r.error ?? 'refused', r.status === 400 || r.status === 404 ? r.status : 409);
    return r.value ?? null;
  } finally {
    await watch.cancel().catch(() => {});
  }
}

/** A target on another host as the command source sees it: its last published status, its operations sent through etcd. */
export class RemoteTarget {
  constructor(
    readonly host: string,
    private readonly status_: () => TargetStatus | null,
    private readonly send: (operation: Operation, by: string) => Promise<string | null>,
    readonly name: string,
  ) {}

  status(): TargetStatus {
    const s = this.status_();
    if (!s) throw new RequestRejectedError(`host ${this.host} is not in the fleet now; its target ${this.name} cannot be reached`, 409);
    return s;
  }

  pendingApproval(): PendingApproval | null {
    return this.status_()?.incident?.approval ?? null;
  }

  recentOutput(): string[] {
    return [];
  }

  recover(level: Level, by: string, note: string | null): Promise<string | null> {
    return this.send({ op: 'recover', level, note }, by);
  }

  async abort(by: string, reason: string | null): Promise<string> {
    return (await this.send({ op: 'abort', reason }, by)) ?? '';
  }

  async decide(approvalId: string | null, approved: boolean, by: string, scope: 'once' | 'incident' = 'once'): Promise<string> {
    return (await this.send({ op: 'decide', approvalId, approved, scope }, by)) ?? '';
  }

  async pause(by: string, until: number | null): Promise<void> {
    await this.send({ op: 'pause', until }, by);
  }

  async resume(by: string): Promise<void> {
    await this.send({ op: 'resume' }, by);
  }
}

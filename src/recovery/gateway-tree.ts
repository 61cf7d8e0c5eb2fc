/**
 * Every process of one gateway run. The medic spawns `/bin/sh -c <command>`, and the gateway
 * is rarely that process: Debian's sh forks a plain command line, OpenClaw under an unusable
 * Node re-launches itself and stays as its child's wrapper, and a gateway may setsid() out of
 * the process group. The tree is what lies below the spawned process (the leader), its process
 * group and session, and every process once seen among them: an orphan is reparented to init
 * when its wrapper dies, and a setsid()'d one has left the group, yet both are still the gateway.
 *
 * A stop reaches all of them, and the pid the medic shows is the one of them that listens on
 * the gateway's port. Linux reads /proc; elsewhere only the leader and its group are known.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessIdentity } from './pid-record.js';
import { pidExists, signalGroup } from '../lib/process-group.js';
import { descendantsIn, isRunning, readMainThread, readStat, recentSnapshot, type MainThreadReading, snapshot, type ProcStat } from '../lib/process-table.js';
import { holdsSocketAt, listenerInodes, socketFdOf, type SocketFd } from './repair/port-holder.js';
import { findGatewayProcess } from './gateway-process.js';

/** How often a stop checks whether every process of the tree is gone. */
const GONE_POLL_MS = 100;
/**
 * While the listener is known and still holds its socket, new members are looked for this often, not on
 * every watch tick: a scan of /proc costs about 20 µs per process (2 ms for 90 processes). (The port tables
 * are not read at all then: a read grows with every socket of the host, 21 ms for 1,385.)
 */
const QUIET_REFRESH_MS = 2_000;
/**
 * A quiet look takes a scan of /proc up to this old, by another target's look as well: a medic watching 50
 * gateways scans about once a second, not 25 times.
 */
const SHARED_READING_MS = 1_000;

export class GatewayTree {
  /** The process of the tree listening on the gateway's port, once found. */
  serving: ProcessIdentity | null = null;
  /**
   * The gateway process while nothing listens yet (gateway-process.ts): the shell's child for a plain
   * command line, a wrapper's re-launched child; null while it is the leader itself (or unknown).
   */
  main: ProcessIdentity | null = null;
  /** Members seen so far, the leader excluded: pid -> start time. */
  private readonly known = new Map<number, string>();
  private leaderGone = false;
  /** The port's listening sockets when `serving` was last looked for. */
  private listening: string | null = null;
  /** Members outside the leader's group and session, as of the last refresh. */
  private outside: ProcessIdentity[] = [];
  private refreshedAt = 0;
  /** The serving process's fd that holds the listening socket it was found by. */
  private servingSocket: SocketFd | null = null;
  /** When a look last found the known listener running without the port's sockets, as the look before it did. */
  private settledAt: number | null = null;

  /** `startTime` null: not read yet (our own child, whose pid cannot be recycled before its exit is seen). */
  constructor(readonly leader: { pid: number; startTime: string | null }) {}

  /** A process known from elsewhere (a previous medic's pid record) belongs to the tree while it runs. */
  remember(p: ProcessIdentity): void {
    if (p.pid !== this.leader.pid) this.known.set(p.pid, p.startTime);
  }

  /** The leader has exited (its exit event came, or it is no longer the process that was spawned). */
  markLeaderGone(): void {
    this.leaderGone = true;
  }

  /** Whether the leader still runs as the process that was spawned. */
  leaderRuns(procs: ReadonlyMap<number, ProcStat> = snapshot()): boolean {
    if (this.leaderGone) return false;
    if (procs.size === 0) return pidExists(this.leader.pid); // no /proc
    const p = procs.get(this.leader.pid);
    return isRunning(p) && (this.leader.startTime === null || String(p.startTime) === this.leader.startTime);
  }

  /** Re-reads /proc and returns the members still running (the leader excluded), parents first. */
  refresh(procs: ReadonlyMap<number, ProcStat> = snapshot()): ProcessIdentity[] {
    for (const [pid, start] of this.known) {
      const p = procs.get(pid);
      if (procs.size > 0 && (!isRunning(p) || String(p.startTime) !== start)) this.known.delete(pid);
    }
    const leaderRuns = this.leaderRuns(procs);
    const found = descendantsIn(procs, leaderRuns ? [this.leader.pid, ...this.known.keys()] : [...this.known.keys()]);
    if (this.idsAreOurs(procs)) {
      for (const p of procs.values()) {
        if (p.pid !== this.leader.pid && (p.pgrp === this.leader.pid || p.session === this.leader.pid)) found.push(p.pid);
      }
    }
    for (const pid of found) {
      const p = procs.get(pid);
      if (isRunning(p) && pid !== process.pid && pid > 1 && !this.known.has(pid)) this.known.set(pid, String(p.startTime));
    }
    const members = [...this.known].map(([pid, startTime]) => ({ pid, startTime }));
    const away = (m: ProcessIdentity) => {
      const p = procs.get(m.pid);
      return p !== undefined && p.pgrp !== this.leader.pid && p.session !== this.leader.pid;
    };
    this.outside = members.filter(away);
    this.refreshedAt = Date.now();
    return members;
  }

  /**
   * The members that left the leader's group and session (setsid()): once their parent is gone
   * nothing but a record of them leads back to them, so they go into the pid record too.
   */
  outsiders(): ProcessIdentity[] {
    return this.outside;
  }

  /**
   * Looks for the process listening on `port`; true when `serving` changed. While the known listener
   * runs and still holds the listening socket it was found by (one readlink of that fd), the port tables
   * are not read at all (a second listener beside it, SO_REUSEPORT, is not looked for) and new members are
   * noted every QUIET_REFRESH_MS. Once it no longer holds it (closed it, handed it to a child, or is gone),
   * the port is looked at on every call, until it is found again or the same state (the known listener
   * running without the port's sockets) has been seen twice: then every QUIET_REFRESH_MS.
   */
  async updateServing(port: number | null): Promise<boolean> {
    const known = this.serving;
    const stat = known === null ? undefined : (readStat(known.pid) ?? undefined);
    const runs = known !== null && isRunning(stat) && String(stat.startTime) === known.startTime;
    if (runs && this.servingSocket !== null && holdsSocketAt(this.servingSocket)) {
      // A new process may leave the group or lose its parent later: know it while it can be found.
      if (Date.now() - this.refreshedAt >= QUIET_REFRESH_MS) this.refresh(recentSnapshot(SHARED_READING_MS));
      return false;
    }
    if (this.servingSocket !== null) this.settledAt = null; // it was just lost: look now
    this.servingSocket = null;
    if (runs && this.settledAt !== null && Date.now() - this.settledAt < QUIET_REFRESH_MS) return false;
    const inodes = port === null ? null : await listenerInodes(port);
    const listening = inodes === null ? '' : [...inodes].sort().join(',');
    const same = runs && listening === this.listening;
    this.listening = listening;
    // The known listener runs, yet holds none of the port's sockets, as at the last look: look less often.
    this.settledAt = same ? Date.now() : null;
    if (listening === '') {
      if (known === null || Date.now() - this.refreshedAt >= QUIET_REFRESH_MS) this.refresh(snapshot());
      return false;
    }
    const found = await this.holderOf(inodes!);
    if (found === null) return false;
    this.servingSocket = found.socket;
    this.settledAt = null;
    if (found.pid === known?.pid) return false;
    this.serving = { pid: found.pid, startTime: found.startTime };
    return true;
  }

  /**
   * Looks for the gateway process below the leader (gateway-process.ts) while no listener is known;
   * true when `main` changed. Kept once the listener is known: the listener is the gateway.
   */
  updateMain(procs: ReadonlyMap<number, ProcStat> = snapshot()): boolean {
    if (this.serving !== null || procs.size === 0) return false;
    const found = this.leaderRuns(procs) ? findGatewayProcess(procs, this.leader.pid) : null;
    const main = found === null || found.pid === this.leader.pid ? null : { pid: found.pid, startTime: String(found.startTime) };
    // The leader gone: the gateway it left (an orphan) stays named until it is gone too.
    if (main === null && this.main !== null && found === null) {
      const p = procs.get(this.main.pid);
      if (isRunning(p) && String(p.startTime) === this.main.startTime) return false;
    }
    if (main?.pid === this.main?.pid && main?.startTime === this.main?.startTime) return false;
    this.main = main;
    return true;
  }

  /**
   * What the run is doing, from the processes already known (no scan of /proc): once a process
   * serves the port, its CPU time (clock ticks) and whether it is stopped (state T or t: SIGSTOP, a
   * debugger), one read, and its main thread (`main`, see readMainThread: a blocked event loop that
   * spins); before that, the CPU time of the leader
   * and the members still running. Null without /proc. (A restart in process works in the serving
   * process itself.)
   */
  activity(): { cpuTicks: number; stopped: boolean; of: number; main?: MainThreadReading | null } | null {
    if (this.serving) {
      const p = readStat(this.serving.pid);
      if (p !== null && String(p.startTime) === this.serving.startTime && isRunning(p)) {
        return { cpuTicks: p.cpuTicks, stopped: /^[Tt]/.test(p.state), of: p.pid, main: readMainThread(p.pid) };
      }
    }
    const leader = this.leaderGone ? null : readStat(this.leader.pid);
    let cpuTicks = leader ? leader.cpuTicks : 0;
    let seen = leader !== null;
    for (const [pid, start] of this.known) {
      const p = readStat(pid);
      if (p === null || String(p.startTime) !== start || !isRunning(p)) continue;
      cpuTicks += p.cpuTicks;
      seen = true;
    }
    return seen ? { cpuTicks, stopped: false, of: this.leader.pid } : null;
  }

  /**
   * SIGTERM to every process of the tree, up to `graceMs` for all of them to be gone (the
   * leader included, per `leaderDone`), then SIGKILL to the same set (`onKill` called first).
   * Resolves whether everything is gone.
   */
  async stop(graceMs: number, killWaitMs: number, leaderDone: () => boolean, onKill: () => void = () => {}): Promise<boolean> {
    if (await this.terminate(graceMs, leaderDone)) return true;
    onKill();
    return this.signalUntilGone('SIGKILL', killWaitMs, leaderDone);
  }

  /**
   * SIGTERM, once each, to the processes below the leader (and to new ones as they appear), and to
   * the leader only once none of them is left, or at once when it has none (an exec'd gateway is the
   * leader). The leader of a plain command line is `sh -c`, which waits for the gateway and exits
   * the way it did: signalled first, the shell would die of the SIGTERM and the exit reported would
   * be the shell's, not the gateway's (a clean exit 0, or the SIGKILL it needed). SIGCONT follows
   * each SIGTERM: a stopped process (SIGSTOP) acts on it only once continued, and shuts down cleanly.
   */
  private async terminate(graceMs: number, leaderDone: () => boolean): Promise<boolean> {
    const gone = () => leaderDone() && this.refresh().length === 0;
    if (gone()) return true;
    const told = new Set<string>();
    const tell = (pid: number) => {
      signalPid(pid, 'SIGTERM');
      signalPid(pid, 'SIGCONT');
    };
    const round = () => {
      const procs = snapshot();
      const members = this.refresh(procs);
      for (const m of members) {
        const key = `${m.pid}@${m.startTime}`;
        const now = procs.get(m.pid);
        if (told.has(key) || (procs.size > 0 && (!now || String(now.startTime) !== m.startTime))) continue;
        told.add(key);
        tell(m.pid);
      }
      // Without /proc the members are unknown: the group is all there is to tell.
      if (procs.size === 0 && !told.has('group')) {
        told.add('group');
        signalGroup(this.leader.pid, 'SIGTERM');
        signalGroup(this.leader.pid, 'SIGCONT');
      }
      if (!told.has('leader') && members.length === 0 && this.leaderRuns(procs)) {
        told.add('leader');
        tell(this.leader.pid);
      }
    };
    round();
    const until = Date.now() + graceMs;
    for (;;) {
      await sleep(GONE_POLL_MS);
      if (gone()) return true;
      if (Date.now() >= until) return false;
      round();
    }
  }

  /** Sends `signal` to every process of the tree and waits up to `ms` for all to be gone; SIGKILL is repeated for late forks. */
  async signalUntilGone(signal: NodeJS.Signals, ms: number, leaderDone: () => boolean): Promise<boolean> {
    const gone = () => leaderDone() && this.refresh().length === 0;
    if (gone()) return true;
    this.signal(signal);
    const until = Date.now() + ms;
    for (;;) {
      await sleep(GONE_POLL_MS);
      if (gone()) return true;
      if (Date.now() >= until) return false;
      if (signal === 'SIGKILL') this.signal(signal);
    }
  }

  /**
   * The process of the tree holding one of the listening sockets `inodes`: the leader first,
   * then the members, parents before children; null when none does.
   */
  private async holderOf(inodes: Set<string>): Promise<(ProcessIdentity & { socket: SocketFd }) | null> {
    const procs = snapshot();
    const members = this.refresh(procs);
    const leader = this.leaderRuns(procs) ? procs.get(this.leader.pid) : undefined;
    const candidates = leader ? [{ pid: leader.pid, startTime: String(leader.startTime) }, ...members] : members;
    for (const c of candidates) {
      const socket = await socketFdOf(c.pid, inodes);
      if (socket !== null) return { ...c, socket };
    }
    return null;
  }

  /**
   * Sends `signal` to the leader's process group and to each member one by one (its start time
   * checked right before), so a gateway that left the group or lost its parent gets it too.
   */
  signal(signal: NodeJS.Signals): void {
    const procs = snapshot();
    const members = this.refresh(procs);
    if (this.idsAreOurs(procs)) signalGroup(this.leader.pid, signal);
    if (this.leaderRuns(procs)) signalPid(this.leader.pid, signal);
    for (const m of members) {
      const now = readStat(m.pid);
      if (procs.size === 0 || (now && String(now.startTime) === m.startTime)) signalPid(m.pid, signal);
    }
  }

  /**
   * Whether processes in the leader's group or session are ours. The kernel does not give the
   * leader's pid to another process while its group or session has members; once another process
   * has it, a group or session with that id is the newcomer's.
   */
  private idsAreOurs(procs: ReadonlyMap<number, ProcStat>): boolean {
    if (procs.size === 0) return this.leaderRuns(procs) || !pidExists(this.leader.pid);
    const p = procs.get(this.leader.pid);
    if (p === undefined) return true;
    if (this.leader.startTime === null) return !this.leaderGone;
    return String(p.startTime) === this.leader.startTime;
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 1 || pid === process.pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

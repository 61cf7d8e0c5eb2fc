/**
 * The kill contract of a PTY session: a leader (forkpty made it a session and group leader) and every
 * process it ever started, found by parentage, session, group or an earlier sighting (orphans reparented
 * to init keep their session), remembered with their start time so that a reused pid is never signalled.
 * SIGTERM to all, SIGKILL after a grace period, descendants first so their parents can still reap them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pidExists, signalGroup } from '../lib/process-group.js';
import { descendantsIn, snapshot, type ProcStat } from '../lib/process-table.js';

const POLL_MS = 25;
/** How often a running tree notes its descendants, so that orphans stay known. */
const TRACK_INTERVAL_MS = 1000;
/** After SIGKILL: how long to wait for the tree to be gone before giving up (uninterruptible sleep). */
const AFTER_KILL_MAX_MS = 2000;

export class ProcessTree {
  /** Descendants ever seen: pid -> start time. */
  private readonly known = new Map<number, number>();
  private trackTimer: NodeJS.Timeout | undefined;

  /** `leaderExited` says whether the leader's exit was reported (it is then no longer signalled). */
  constructor(
    private readonly leader: number,
    private readonly leaderExited: () => boolean,
  ) {
    this.trackTimer = setInterval(() => this.refresh(), TRACK_INTERVAL_MS);
    this.trackTimer.unref();
  }

  stopTracking(): void {
    if (this.trackTimer) clearInterval(this.trackTimer);
    this.trackTimer = undefined;
  }

  /**
   * Notes every descendant now visible and returns the known ones still alive (not zombies), parents first.
   * Found: below the leader or below any known process, in the leader's session or process group.
   */
  refresh(): number[] {
    const procs = snapshot();
    const isAlive = (p: ProcStat | undefined): p is ProcStat => p !== undefined && p.state !== 'Z' && p.state !== 'X';
    // Forget pids that are gone or now belong to another process.
    for (const [pid, start] of this.known) {
      const p = procs.get(pid);
      if (!isAlive(p) || p.startTime !== start) this.known.delete(pid);
    }
    const found = descendantsIn(procs, [this.leader, ...this.known.keys()]);
    for (const p of procs.values()) {
      if (p.pid !== this.leader && (p.session === this.leader || p.pgrp === this.leader)) found.push(p.pid);
    }
    for (const pid of found) {
      const p = procs.get(pid);
      if (isAlive(p) && !this.known.has(pid)) this.known.set(pid, p.startTime);
    }
    return [...this.known.keys()];
  }

  /** Resolves when the leader exited and no descendant is alive (or, after SIGKILL, when waiting is pointless). */
  async kill(graceMs: number): Promise<void> {
    this.stopTracking();
    const done = () => this.leaderExited() && this.refresh().length === 0;
    const signalAll = (sig: NodeJS.Signals, targets: number[]) => {
      for (const pid of targets) signalProcess(pid, sig);
      if (!this.leaderExited()) signalProcess(this.leader, sig);
      signalGroup(this.leader, sig);
    };

    let targets = this.refresh();
    if (this.leaderExited() && targets.length === 0) return;
    signalAll('SIGTERM', targets);

    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      const now = this.refresh();
      // Newcomers (forked while we waited) get their SIGTERM too.
      for (const pid of now) if (!targets.includes(pid)) signalProcess(pid, 'SIGTERM');
      targets = now;
      if (this.leaderExited() && targets.length === 0) return;
    }

    // SIGKILL: descendants (deepest last seen first), then give their parents a moment to reap them, then the leader.
    targets = this.refresh();
    for (const pid of [...targets].reverse()) signalProcess(pid, 'SIGKILL');
    const reapBy = Date.now() + 100;
    while (!this.leaderExited() && targets.some(pidExists) && Date.now() < reapBy) await sleep(10);
    signalAll('SIGKILL', this.refresh());

    const giveUp = Date.now() + AFTER_KILL_MAX_MS;
    while (Date.now() < giveUp && !done()) {
      for (const pid of this.refresh()) signalProcess(pid, 'SIGKILL');
      await sleep(POLL_MS);
    }
  }
}

/** Sends a signal; a process already gone is not an error. */
function signalProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH
  }
}

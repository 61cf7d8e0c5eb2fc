/**
 * One run of the supervised gateway: the process spawned (or adopted), every process of
 * the run (gateway-tree.ts), and how it ended. Shared by the supervisor, its watch loop
 * (serving-watch.ts) and adoption (adopt-gateway.ts).
 */
import type { ChildProcess } from 'node:child_process';
import type { GatewayTree } from './gateway-tree.js';
import { PinnedThread } from './pinned-thread.js';
import { writePidRecord } from './pid-record.js';
import type { Logger } from './ports.js';
import type { ExitInfo } from './types.js';

export interface Run {
  /** The process spawned (`/bin/sh -c …`) or adopted: the leader of the run's process group. */
  pid: number;
  /** Null for an adopted gateway: not our child, so no exit event. */
  child: ChildProcess | null;
  /** Read right after the spawn; known for an adopted gateway: a recycled pid is never taken for it. */
  startTime: string | null;
  /** Every process of the run, and the one serving the port. */
  tree: GatewayTree;
  /** The outsiders (see GatewayTree) in the pid record, as a key. */
  recorded: string;
  /** Lines of the log before this run, so a hint reads only this run's output. */
  outputMark: number;
  /** How the spawned process ended (unknown for an adopted one: null code and signal). */
  leaderExit: { code: number | null; signal: string | null } | null;
  /** The exit was reported: nothing of the run is left. */
  finished: boolean;
  exit: Promise<ExitInfo>;
  resolveExit: (exit: ExitInfo) => void;
  stopping: Promise<boolean> | null;
  /** The spawned process ended by itself: what it left is being stopped before the exit is reported. */
  ending: Promise<void> | null;
  watch: NodeJS.Timeout | null;
  /** CPU time of the run's processes as the watch loop sampled it, the last few seconds, oldest first. */
  cpu: { at: number; cpuTicks: number; of: number }[];
  /** The process serving the port was stopped (state T) at the last sample. */
  stopped: boolean;
  /** Whether the serving process's main thread spins (its event loop never waits), from the same samples. */
  pinned: PinnedThread;
  /** A look for who serves the port, in progress (the watch tick's or an early one's): one at a time. */
  finding: Promise<void> | null;
}

export function createRun(pid: number, child: ChildProcess | null, startTime: string | null, tree: GatewayTree, outputMark: number): Run {
  let resolveExit!: (exit: ExitInfo) => void;
  const exit = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));
  return {
    pid,
    child,
    startTime,
    tree,
    recorded: '',
    outputMark,
    leaderExit: null,
    finished: false,
    exit,
    resolveExit,
    stopping: null,
    ending: null,
    watch: null,
    cpu: [],
    finding: null,
    stopped: false,
    pinned: new PinnedThread(),
  };
}

/**
 * The pid the medic shows: the listener once found, else the gateway process below the spawned shell
 * or wrapper (gateway-process.ts), else the spawned process.
 */
export function shownPid(run: Run): number {
  return run.tree.serving?.pid ?? run.tree.main?.pid ?? run.pid;
}

export function outsidersKey(tree: GatewayTree): string {
  return tree
    .outsiders()
    .map((p) => `${p.pid}@${p.startTime}`)
    .join(',');
}

/** Records the run for the next medic to adopt (nothing before its start time is known). */
export function writeRunRecord(dataDir: string, command: string, run: Run): void {
  if (run.startTime === null) return;
  const { pid, startTime, tree } = run;
  const serving = tree.serving;
  const outsiders = tree.outsiders();
  run.recorded = outsidersKey(tree);
  writePidRecord(dataDir, {
    pid,
    startTime,
    command,
    ...(serving ? { serving } : {}),
    ...(outsiders.length > 0 ? { outsiders } : {}),
  });
}

/** Calls each listener; one that throws is logged and the others still run. */
export function tell<T>(listeners: Array<(value: T) => void>, value: T, log: Logger, target: string): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (err) {
      log.error('a gateway listener threw', { target, error: String(err) });
    }
  }
}

/**
 * An interactive program (an AI agent CLI) in a pseudo-terminal, rendered by a headless xterm.
 *
 * - Output goes into `@xterm/headless` at the PTY's size; the screen is read back as text lines.
 * - Terminal queries the program sends (DSR cursor position, DA, ...) are answered by xterm through
 *   `term.onData`, and those answers are written back to the PTY, as a real terminal would.
 * - stop() is the kill contract: SIGTERM to the process group and every known descendant (they may
 *   have left the group or the session), SIGKILL after a grace period; see stop().
 *
 * node-pty on Linux forks, then calls execvp in the child: a missing command is not an exception in
 * the parent but a child that prints "execvp(3) failed." and exits 1. start() therefore resolves the
 * command against the child's PATH (and checks the cwd) itself, synchronously, and spawns the
 * resolved path, so a missing command is an AgentStartError thrown by start().
 */
import { createRequire } from 'node:module';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn as ptySpawn, type IPty, type IDisposable } from 'node-pty';
import { pidExists, signalGroup } from '../recovery/process-group.js';
import { descendantsIn, snapshot, treeRss, type ProcStat } from './process-tree.js';

// @xterm/headless 6.0.0 is CommonJS: under plain Node ESM only `import xterm from` works (no named exports),
// and Vite/vitest resolve its package.json "module" field to lib/xterm.mjs, a file the package does not ship.
// require() takes "main" (lib-headless/xterm-headless.js) in both worlds.
const { Terminal } = createRequire(import.meta.url)('@xterm/headless') as typeof import('@xterm/headless');
type Terminal = InstanceType<typeof Terminal>;

export interface PtySessionOptions {
  /** Executable; a bare name is resolved by the PATH in `env` (like execvp), a relative path against `cwd`. */
  command: string;
  args: string[];
  cwd: string;
  /** The WHOLE environment of the child (process.env is not merged in); TERM is set to xterm-256color. */
  env: Record<string, string>;
  /** Default 120. */
  cols?: number;
  /** Default 40. */
  rows?: number;
  /** Lines kept above the viewport; default 5000. */
  scrollback?: number;
  /** SIGTERM -> SIGKILL wait in stop(); default 3000. */
  killGraceMs?: number;
}

/** The program could not be started (command not found, not executable, bad cwd, PTY failure). */
export class AgentStartError extends Error {
  override readonly name = 'AgentStartError';
  constructor(
    message: string,
    readonly command: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PtyExit {
  /** Exit status when the program exited by itself; null when a signal ended it. */
  exitCode: number | null;
  /** The signal number that ended it; null when it exited. */
  signal: number | null;
}

const TERM_NAME = 'xterm-256color';
/** glibc execvp's search path when PATH is unset. */
const DEFAULT_EXEC_PATH = '/bin:/usr/bin';
const CHANGE_INTERVAL_MS = 50;
/** How often running sessions note their descendants, so that orphans (reparented to init) stay known. */
const TRACK_INTERVAL_MS = 1000;
const POLL_MS = 25;
/** After SIGKILL: how long stop() waits for the tree to be gone before giving up (uninterruptible sleep). */
const AFTER_KILL_MAX_MS = 2000;

export class PtySession {
  readonly pid: number;
  readonly exited: Promise<PtyExit>;

  private readonly pty: IPty;
  private readonly term: Terminal;
  private readonly rows: number;
  private readonly killGraceMs: number;
  private readonly subscriptions: IDisposable[] = [];
  private readonly listeners = new Set<() => void>();
  private exitSubscription: IDisposable | undefined;
  /** Descendants ever seen: pid -> start time (guards against signalling a reused pid). */
  private readonly known = new Map<number, number>();
  private trackTimer: NodeJS.Timeout | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  private lastChangeAt = 0;
  private currentTitle = '';
  private hasExited = false;
  private disposed = false;
  private stopping: Promise<void> | undefined;
  private lastScreen: string[] = [];
  private lastTranscript: string[] = [];

  private constructor(pty: IPty, term: Terminal, rows: number, killGraceMs: number) {
    this.pty = pty;
    this.term = term;
    this.rows = rows;
    this.killGraceMs = killGraceMs;
    this.pid = pty.pid;

    this.subscriptions.push(
      term.onTitleChange((t) => {
        this.currentTitle = t;
      }),
      // Answers to the program's terminal queries (DSR, DA, ...) go back to the program.
      term.onData((data) => this.write(data)),
      pty.onData((data) => {
        if (this.disposed) return;
        term.write(data, () => this.changed());
      }),
    );

    // Not in `subscriptions`: should stop() give up on an unkillable leader, a later exit still settles `exited`.
    this.exited = new Promise<PtyExit>((resolve) => {
      this.exitSubscription = pty.onExit(({ exitCode, signal }) => {
        this.hasExited = true;
        this.stopTracking();
        this.exitSubscription?.dispose();
        // node-pty reports signal 0 / exit code 0 for "none".
        const result: PtyExit = signal ? { exitCode: null, signal } : { exitCode, signal: null };
        // node-pty emits exit after the last data event (it waits for the PTY's close); the callback of an
        // empty write runs once xterm has parsed everything written before it.
        if (this.disposed) resolve(result);
        else
          term.write('', () => {
            this.changed();
            resolve(result);
          });
      });
    });

    this.trackTimer = setInterval(() => this.refreshKnown(), TRACK_INTERVAL_MS);
    this.trackTimer.unref();
  }

  /** Spawns the program in a PTY; throws AgentStartError when it cannot be started. */
  static start(o: PtySessionOptions): PtySession {
    const cols = o.cols ?? 120;
    const rows = o.rows ?? 40;
    const file = resolveCommand(o.command, o.cwd, o.env);
    let pty: IPty;
    try {
      pty = ptySpawn(file, o.args, { name: TERM_NAME, cols, rows, cwd: o.cwd, env: { ...o.env } });
    } catch (err) {
      throw new AgentStartError(`cannot start ${o.command}: ${(err as Error).message}`, o.command, { cause: err });
    }
    const term = new Terminal({ cols, rows, scrollback: o.scrollback ?? 5000, allowProposedApi: true, logLevel: 'off' });
    return new PtySession(pty, term, rows, o.killGraceMs ?? 3000);
  }

  /** The last window title set by the program (OSC 0/2), '' if none. */
  get title(): string {
    return this.currentTitle;
  }

  /** Whether the program (the PTY's leader) has not exited yet. */
  get running(): boolean {
    return !this.hasExited;
  }

  /** The rendered viewport: `rows` lines, each right-trimmed. */
  screen(): string[] {
    if (this.disposed) return [...this.lastScreen];
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.rows; y++) out.push(lineText(buf, buf.baseY + y));
    return out;
  }

  /** Everything rendered so far (scrollback + viewport), right-trimmed, trailing empty lines dropped. */
  transcript(): string[] {
    if (this.disposed) return [...this.lastTranscript];
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < buf.length; y++) out.push(lineText(buf, y));
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  /** Called when the rendered screen changed, at most once per 50 ms; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    const entry = () => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Sends input to the program; a no-op once it exited or is being stopped. */
  write(data: string): void {
    if (this.hasExited || this.disposed) return;
    try {
      this.pty.write(data);
    } catch {
      // The PTY closed under us: the exit event follows.
    }
  }

  /** Resolves true as soon as pred(screen()) holds (now or after a change), false on timeout or abort. */
  waitFor(pred: (screen: string[]) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (pred(this.screen())) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      const unsubscribe = this.onChange(() => {
        if (pred(this.screen())) finish(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Ends the program and everything it started, then disposes the terminal (screen() and transcript()
   * keep returning the last content). SIGTERM goes to the process group, to the leader and to every
   * descendant seen (by parentage, session, group, or earlier sightings); after killGraceMs whatever
   * is left gets SIGKILL, descendants first so that their parents can still reap them. Idempotent.
   * Resolves when the leader exited and no descendant is alive (zombies waiting for init count as dead).
   */
  stop(): Promise<void> {
    this.stopping ??= this.kill();
    return this.stopping;
  }

  /** Resident memory of the whole process tree in bytes (sum of VmRSS), null when not running. */
  rssBytes(): number | null {
    if (!this.running) return null;
    return treeRss(this.pid);
  }

  private async kill(): Promise<void> {
    this.stopTracking();
    const signalAll = (sig: NodeJS.Signals, targets: number[]) => {
      for (const pid of targets) signalProcess(pid, sig);
      if (!this.hasExited) signalProcess(this.pid, sig);
      signalGroup(this.pid, sig);
    };

    let targets = this.refreshKnown();
    if (this.hasExited && targets.length === 0) return this.finish();
    signalAll('SIGTERM', targets);

    const deadline = Date.now() + this.killGraceMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      const now = this.refreshKnown();
      // Newcomers (forked while we waited) get their SIGTERM too.
      for (const pid of now) if (!targets.includes(pid)) signalProcess(pid, 'SIGTERM');
      targets = now;
      if (this.hasExited && targets.length === 0) return this.finish();
    }

    // SIGKILL: descendants (deepest last seen first), then give their parents a moment to reap them, then the leader.
    targets = this.refreshKnown();
    for (const pid of [...targets].reverse()) signalProcess(pid, 'SIGKILL');
    const reapBy = Date.now() + 100;
    while (!this.hasExited && targets.some(pidExists) && Date.now() < reapBy) await sleep(10);
    signalAll('SIGKILL', this.refreshKnown());

    const giveUp = Date.now() + AFTER_KILL_MAX_MS;
    while (Date.now() < giveUp) {
      if (this.hasExited && this.refreshKnown().length === 0) break;
      for (const pid of this.refreshKnown()) signalProcess(pid, 'SIGKILL');
      await sleep(POLL_MS);
    }
    return this.finish();
  }

  /** Disposes the terminal once the exit output is rendered (at once when the leader would not die). */
  private async finish(): Promise<void> {
    if (this.hasExited) await this.exited;
    this.dispose();
  }

  /**
   * Notes every descendant now visible and returns the known ones still alive (not zombies), parents first.
   * Found: below the leader or below any known process (orphans reparented to init are below neither),
   * in the leader's session or process group (forkpty made the leader a session leader).
   */
  private refreshKnown(): number[] {
    const procs = snapshot();
    const isAlive = (p: ProcStat | undefined): p is ProcStat => p !== undefined && p.state !== 'Z' && p.state !== 'X';
    // Forget pids that are gone or now belong to another process.
    for (const [pid, start] of this.known) {
      const p = procs.get(pid);
      if (!isAlive(p) || p.startTime !== start) this.known.delete(pid);
    }
    const roots = [this.pid, ...this.known.keys()];
    const found = descendantsIn(procs, roots);
    for (const p of procs.values()) {
      if (p.pid !== this.pid && (p.session === this.pid || p.pgrp === this.pid)) found.push(p.pid);
    }
    for (const pid of found) {
      const p = procs.get(pid);
      if (isAlive(p) && !this.known.has(pid)) this.known.set(pid, p.startTime);
    }
    return [...this.known.keys()];
  }

  private stopTracking(): void {
    if (this.trackTimer) clearInterval(this.trackTimer);
    this.trackTimer = undefined;
  }

  /** Coalesces change notifications: at most one per CHANGE_INTERVAL_MS, the last change always reported. */
  private changed(): void {
    if (this.changeTimer || this.disposed) return;
    const delay = Math.max(0, this.lastChangeAt + CHANGE_INTERVAL_MS - Date.now());
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.lastChangeAt = Date.now();
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own business.
        }
      }
    }, delay);
  }

  private dispose(): void {
    if (this.disposed) return;
    this.lastScreen = this.screen();
    this.lastTranscript = this.transcript();
    this.disposed = true;
    this.stopTracking();
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.listeners.clear();
    this.term.dispose();
  }
}

/**
 * One buffer row as text. translateToString(true) only drops never-written cells: spaces the program
 * printed (a prompt's "> ") stay, so the row is trimmed again.
 */
function lineText(buf: Terminal['buffer']['active'], y: number): string {
  return buf.getLine(y)?.translateToString(true).trimEnd() ?? '';
}

/** Sends a signal; a process already gone is not an error. */
function signalProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH
  }
}

/**
 * What execvp would run, checked up front: node-pty reports a failed exec only as the child's exit status 1.
 * A name with a slash is taken relative to cwd; a bare name is searched in env.PATH (an empty entry means cwd).
 */
export function resolveCommand(command: string, cwd: string, env: Record<string, string>): string {
  let cwdOk = false;
  try {
    cwdOk = statSync(cwd).isDirectory();
  } catch {
    // missing
  }
  if (!cwdOk) throw new AgentStartError(`cannot start ${command}: working directory ${cwd} does not exist`, command);
  if (command === '') throw new AgentStartError('cannot start: empty command', command);

  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolvePath(cwd, command);
    if (isExecutableFile(file)) return file;
    throw new AgentStartError(`cannot start ${command}: ${file} is not an executable file`, command);
  }
  const path = env.PATH ?? DEFAULT_EXEC_PATH;
  for (const dir of path.split(delimiter)) {
    const file = resolvePath(cwd, dir === '' ? '.' : dir, command);
    if (isExecutableFile(file)) return file;
  }
  throw new AgentStartError(`command not found: ${command} (searched PATH=${path})`, command);
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

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
 * resolved path (exec-path.ts), so a missing command is an AgentStartError thrown by start().
 */
import { createRequire } from 'node:module';
import { spawn as ptySpawn, type IPty, type IDisposable } from 'node-pty';
import { AgentStartError, resolveCommand } from './exec-path.js';
import { treeRss } from './process-tree.js';
import { ProcessTree } from './tree-kill.js';

export { AgentStartError, resolveCommand } from './exec-path.js';

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

export interface PtyExit {
  /** Exit status when the program exited by itself; null when a signal ended it. */
  exitCode: number | null;
  /** The signal number that ended it; null when it exited. */
  signal: number | null;
}

const TERM_NAME = 'xterm-256color';
const CHANGE_INTERVAL_MS = 50;

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
  /** The leader and everything it started: what stop() ends. */
  private readonly tree: ProcessTree;
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
    this.tree = new ProcessTree(pty.pid, () => this.hasExited);

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
        this.tree.stopTracking();
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
    await this.tree.kill(this.killGraceMs);
    return this.finish();
  }

  /** Disposes the terminal once the exit output is rendered (at once when the leader would not die). */
  private async finish(): Promise<void> {
    if (this.hasExited) await this.exited;
    this.dispose();
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
    this.tree.stopTracking();
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

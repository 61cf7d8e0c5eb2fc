/**
 * Runs a shell command with a timeout, in its own process group so that a timeout
 * kills everything it started. Used by the doctor, service restarts and diagnostics.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code, or null when killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Combined stdout and stderr, truncated to the last `maxOutputBytes`. */
  output: string;
  timedOut: boolean;
  durationMs: number;
  /** Set when the command could not be spawned at all. */
  spawnError: string | null;
}

export interface RunCommandOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Grace between SIGTERM and SIGKILL on timeout. Default 2000 ms. */
  killGraceMs?: number;
  /** Default 64 KiB. */
  maxOutputBytes?: number;
}

export function runCommand(command: string, options: RunCommandOptions): Promise<CommandResult> {
  const started = Date.now();
  const maxBytes = options.maxOutputBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let spawnError: string | null = null;
    const child = spawn('/bin/sh', ['-c', command], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > maxBytes) output = output.slice(-maxBytes);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 2000);
    }, options.timeoutMs);
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      // Whatever the command left behind in its group goes with it.
      killGroup('SIGKILL');
      resolve({ code, signal, output, timedOut, durationMs: Date.now() - started, spawnError });
    });
  });
}

/** A one-line description of how a command ended, for timelines. */
export function describeResult(r: CommandResult): string {
  if (r.spawnError) return `could not run: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${Math.round(r.durationMs / 1000)} s`;
  if (r.code !== null) return `exit ${r.code} in ${(r.durationMs / 1000).toFixed(1)} s`;
  return `killed by ${r.signal}`;
}

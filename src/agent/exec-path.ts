/**
 * What execvp would run, checked up front. node-pty on Linux forks, then calls execvp in the child: a
 * missing command is not an exception in the parent but a child that prints "execvp(3) failed." and
 * exits 1. So the command is resolved here (and the cwd checked), synchronously, and a missing one is
 * an AgentStartError.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { DEFAULT_EXEC_PATH, findExecutable, pathEntries } from '../lib/executable.js';

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

/** A name with a slash is taken relative to cwd; a bare name is searched in env.PATH (an empty entry means cwd). */
export function resolveCommand(command: string, cwd: string, env: Record<string, string>): string {
  let cwdOk = false;
  try {
    cwdOk = statSync(cwd).isDirectory();
  } catch {
    // missing
  }
  if (!cwdOk) throw new AgentStartError(`cannot start ${command}: working directory ${cwd} does not exist`, command);
  if (command === '') throw new AgentStartError('cannot start: empty command', command);

  const path = env.PATH ?? DEFAULT_EXEC_PATH;
  const file = findExecutable(command, pathEntries(path, true), cwd);
  if (file) return file;
  if (command.includes('/')) {
    throw new AgentStartError(`cannot start ${command}: ${isAbsolute(command) ? command : resolvePath(cwd, command)} is not an executable file`, command);
  }
  throw new AgentStartError(`command not found: ${command} (searched PATH=${path})`, command);
}

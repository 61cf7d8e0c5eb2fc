/**
 * The one executable lookup: what a shell or execvp would run for a command name. A name with a
 * slash is a path (relative to `cwd`); a bare name is searched in the given directories, in
 * order, an empty entry meaning `cwd` as it does in PATH. Each caller says where to search
 * (its PATH, a default when PATH is unset, a fallback folder of its own).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';

/** A regular file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The entries of a PATH value, in order; `keepEmpty` keeps the empty ones (they mean the current directory). */
export function pathEntries(path: string | undefined, keepEmpty = false): string[] {
  const entries = (path ?? '').split(delimiter);
  return keepEmpty ? entries : entries.filter(Boolean);
}

/** The absolute path `command` runs, or null when it names no executable file. */
export function findExecutable(command: string, dirs: readonly string[], cwd: string = process.cwd()): string | null {
  if (command === '') return null;
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutableFile(file) ? file : null;
  }
  for (const dir of dirs) {
    const file = resolve(cwd, dir === '' ? '.' : dir, command);
    if (isExecutableFile(file)) return file;
  }
  return null;
}

/** glibc execvp's search path when PATH is unset. */
export const DEFAULT_EXEC_PATH = '/bin:/usr/bin';

/** What execvp (and /bin/sh) would run for `command` with this environment's PATH, from `cwd`; or null. */
export function findInPath(command: string, cwd: string, env: Record<string, string | undefined>): string | null {
  return findExecutable(command, pathEntries(env.PATH ?? DEFAULT_EXEC_PATH, true), cwd);
}

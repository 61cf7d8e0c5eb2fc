/**
 * Where execvp (and /bin/sh) would find a program: a name with a slash is taken relative to
 * cwd, a bare name is searched in env.PATH (an empty entry means cwd; no PATH: glibc's default).
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve as resolvePath } from 'node:path';

/** glibc execvp's search path when PATH is unset. */
export const DEFAULT_EXEC_PATH = '/bin:/usr/bin';

/** The executable file `command` names, or null when there is none. */
export function findExecutable(command: string, cwd: string, env: Record<string, string | undefined>): string | null {
  if (command === '') return null;
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolvePath(cwd, command);
    return isExecutableFile(file) ? file : null;
  }
  for (const dir of (env.PATH ?? DEFAULT_EXEC_PATH).split(delimiter)) {
    const file = resolvePath(cwd, dir === '' ? '.' : dir, command);
    if (isExecutableFile(file)) return file;
  }
  return null;
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

/**
 * The environment clawmedic reads: the process environment over `.env` (MEDIC_ENV_FILE names
 * another file). It remembers which variables came from the file, so that a message about a
 * bad value says where that value was set.
 */
import { existsSync, readFileSync } from 'node:fs';
import dotenv from 'dotenv';

const fromFile = new WeakMap<object, { file: string; keys: ReadonlySet<string> }>();

export function loadEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const file = base.MEDIC_ENV_FILE ?? '.env';
  if (!existsSync(file)) return { ...base };
  const parsed = dotenv.parse(readFileSync(file));
  // Real environment variables win over the file, as with dotenv's defaults.
  const env = { ...parsed, ...base };
  fromFile.set(env, { file, keys: new Set(Object.keys(parsed).filter((k) => base[k] === undefined)) });
  return env;
}

/**
 * Where a variable's value was set: `.env` (the file's name), or the environment when `env`
 * came from loadEnv and the variable was not in the file. Unknown origin: `.env`.
 */
export function whereSet(env: NodeJS.ProcessEnv, name: string): string {
  const f = fromFile.get(env);
  if (!f) return '.env';
  if (f.keys.has(name)) return f.file;
  return env[name] !== undefined ? 'the environment' : f.file;
}

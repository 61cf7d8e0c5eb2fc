/**
 * The medic's own last-known-good copies of one gateway config file. OpenClaw keeps a
 * `.last-good` too, but it can promote a config that cannot start (one without
 * `gateway.mode`), so the medic snapshots only configs it saw run healthy and that pass
 * its own checks, and restores from those.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import JSON5 from 'json5';
import type { Logger } from '../ports.js';

export type ConfigKind = 'openclaw' | 'json';

export interface ConfigCheck {
  ok: boolean;
  /** What is wrong, for a person: `gateway.port: expected a number, got "abc"`. */
  error: string | null;
  /** The only problem is a missing `gateway.mode` (OpenClaw's `config set gateway.mode local` fixes that). */
  modeMissingOnly?: boolean;
}

export interface ConfigGuardOptions {
  configPath: string;
  /** Per-target directory the caller owns; snapshots go to `<dataDir>/known-good/`. */
  dataDir: string;
  /** Snapshots kept, newest first. Default 5. */
  generations?: number;
  /** `openclaw` also checks `gateway.mode` and `gateway.port`; `json` only that it parses to an object. */
  kind: ConfigKind;
  clock: { now(): number };
  log: Logger;
  /** Given the config's text each time it is read (every probe while it answers): its secrets are learnt as they change. */
  onRead?: (text: string) => void;
}

const SNAPSHOT_NAME = /^(\d{15})\.json$/;

/** Checks config text the way the gateway's cold start would judge it. Never throws. */
export function checkConfigText(text: string, kind: ConfigKind): ConfigCheck {
  if (text.trim() === '') return fail('the file is empty');
  let value: unknown;
  try {
    value = JSON5.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/^JSON5:\s*/, '') : String(err);
    return fail(`not valid JSON5: ${msg}`);
  }
  if (!isObject(value)) return fail(`expected an object at the top level, got ${describe(value)}`);
  if (kind === 'json') return { ok: true, error: null };
  const gateway = value['gateway'];
  if (gateway === undefined) return fail('gateway: missing; the gateway refuses to start without gateway.mode = "local"');
  if (!isObject(gateway)) return fail(`gateway: expected an object, got ${describe(gateway)}`);
  const problems: string[] = [];
  const mode = gateway['mode'];
  const modeMissing = mode === undefined;
  if (modeMissing) problems.push('gateway.mode: missing; the gateway refuses to start without it (set it to "local")');
  else if (mode !== 'local' && mode !== 'remote') problems.push(`gateway.mode: expected "local" or "remote", got ${describe(mode)}`);
  const port = gateway['port'];
  if (port !== undefined) {
    if (typeof port !== 'number') problems.push(`gateway.port: expected a number, got ${describe(port)}`);
    else if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`gateway.port: expected a whole number from 1 to 65535, got ${port}`);
    }
  }
  if (modeMissing && problems.length === 1) return { ok: false, error: problems[0]!, modeMissingOnly: true };
  return problems.length ? fail(problems.join('; ')) : { ok: true, error: null };
}

export class ConfigGuard {
  private captured: string | undefined;
  private readonly dir: string;
  private readonly generations: number;

  constructor(private readonly o: ConfigGuardOptions) {
    this.dir = join(o.dataDir, 'known-good');
    this.generations = Math.max(1, o.generations ?? 5);
  }

  get configPath(): string {
    return this.o.configPath;
  }

  /** Checks the config file on disk. Never throws. */
  async validate(): Promise<ConfigCheck> {
    this.validatedStamp = await this.stamp(); // taken before the read: a change after it is never missed
    let check: ConfigCheck;
    try {
      const text = await this.readConfig();
      check = text === undefined ? fail('the file does not exist') : checkConfigText(text, this.o.kind);
    } catch (err) {
      check = fail(`cannot read it: ${errorText(err)}`);
    }
    return check.ok ? check : { ...check, error: `${this.o.configPath}: ${check.error}` };
  }

  /**
   * Remembers the config as it is now: the one the gateway is being started with. Resolves
   * with its fingerprint (null: no file), which names the content a proof of health is for.
   */
  async capture(): Promise<string | null> {
    this.captured = await this.readConfig();
    return this.captured === undefined ? null : fingerprint(this.captured);
  }

  /**
   * Keeps a config the gateway was proven healthy on as the newest known-good one, when it is
   * valid and new. `proven`: the fingerprint the proof is for; the captured text when it is that
   * content, else the file on disk when it still is (a medic restarted since the start never
   * captured it). Without a fingerprint: the captured text.
   */
  async snapshot(proven: string | null = null): Promise<boolean> {
    let text = this.captured;
    if (proven !== null && (text === undefined || fingerprint(text) !== proven)) {
      const disk = await this.readConfig();
      text = disk !== undefined && fingerprint(disk) === proven ? disk : undefined;
      if (text === undefined) this.o.log.info('config not kept as known-good: the file changed since it was proven');
    }
    if (text === undefined) return false;
    const check = checkConfigText(text, this.o.kind);
    if (!check.ok) {
      this.o.log.info('config not kept as known-good: it does not pass the checks', { error: check.error });
      return false;
    }
    const names = await this.list();
    const newest = names.at(-1);
    if (newest !== undefined && (await readFile(join(this.dir, newest), 'utf8')) === text) return false;
    const lastStamp = newest === undefined ? 0 : Number(SNAPSHOT_NAME.exec(newest)?.[1]);
    // Strictly increasing names, even when two snapshots fall in the same millisecond.
    const stamp = Math.max(Math.floor(this.o.clock.now()), lastStamp + 1);
    const name = `${String(stamp).padStart(15, '0')}.json`;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, name), text, 0o600);
    for (const old of [...names, name].slice(0, -this.generations)) await rm(join(this.dir, old), { force: true });
    this.o.log.info('config kept as known-good', { snapshot: join(this.dir, name) });
    return true;
  }

  /** The newest known-good config, or undefined when there is none. */
  async latestGood(): Promise<string | undefined> {
    const newest = (await this.list()).at(-1);
    return newest === undefined ? undefined : readFile(join(this.dir, newest), 'utf8');
  }

  /** A known-good config exists and the file on disk is not the same text. */
  async differsFromDisk(): Promise<boolean> {
    const good = await this.latestGood();
    if (good === undefined) return false;
    return (await this.readConfig().catch(() => undefined)) !== good;
  }

  /**
   * Writes the newest known-good config that still passes the checks over the config
   * file. The file it replaces is first copied to `<configPath>.broken.<ISO time>`.
   */
  async restore(): Promise<{ ok: boolean; detail: string }> {
    const found = await this.newestValid();
    if (!found) return { ok: false, detail: `no known-good copy of ${this.o.configPath} to restore` };
    const from = `the known-good copy from ${new Date(found.stamp).toISOString()}`;
    const current = await this.readConfig();
    if (current === found.text) {
      const check = await this.validate();
      return { ok: check.ok, detail: `${this.o.configPath} already equals ${from}; nothing written` };
    }
    const done: string[] = [];
    let mode = 0o600;
    let target = this.o.configPath;
    if (current !== undefined) {
      target = await realpath(target); // a symlinked config stays a symlink
      mode = (await stat(target)).mode & 0o777;
      const aside = await this.saveAside();
      done.push(`kept the replaced file as ${aside}`);
    }
    await writeFileAtomic(target, found.text, mode);
    const check = await this.validate();
    const verdict = check.ok ? 'it validates' : `but it does not validate: ${check.error}`;
    this.o.log.warn('config restored from known-good', { configPath: this.o.configPath, stamp: found.stamp });
    return { ok: check.ok, detail: [`restored ${this.o.configPath} from ${from}`, ...done, verdict].join('; ') };
  }

  private async newestValid(): Promise<{ text: string; stamp: number } | undefined> {
    for (const name of (await this.list()).reverse()) {
      const text = await readFile(join(this.dir, name), 'utf8');
      if (checkConfigText(text, this.o.kind).ok) return { text, stamp: Number(SNAPSHOT_NAME.exec(name)?.[1]) };
      this.o.log.warn('known-good snapshot no longer passes the checks; skipped', { snapshot: name });
    }
    return undefined;
  }

  /** Copies the current config aside under a name no earlier copy has; never overwrites. */
  private async saveAside(): Promise<string> {
    const base = `${this.o.configPath}.broken.${new Date(this.o.clock.now()).toISOString()}`;
    for (let n = 0; ; n += 1) {
      const target = n === 0 ? base : `${base}.${n}`;
      try {
        await copyFile(this.o.configPath, target, constants.COPYFILE_EXCL);
        return target;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw err;
      }
    }
  }

  /** Snapshot file names, oldest first. */
  private async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => SNAPSHOT_NAME.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * The config file's check when it changed since the last call (by size, mtime and inode), else
   * null. Cheap enough for every probe: one stat. The first call answers whatever the file holds
   * while the gateway answers (`answering`): a file broken under a healthy gateway matters. While it
   * does not, the first call is only the baseline, unless the file changed since a check made before
   * it (a diagnosis): a medic restarted mid-incident diagnoses at once, and a person's fix written
   * between that diagnosis and this first look is news, not the baseline.
   */
  async drift(answering = true): Promise<ConfigCheck | null> {
    const stamp = await this.stamp();
    if (stamp === this.lastStamp) return null;
    const first = this.lastStamp === null;
    this.lastStamp = stamp;
    if (first && !answering && (this.validatedStamp === null || this.validatedStamp === stamp)) return null;
    if (first && stamp === 'missing') {
      // Absent from the start under an answering gateway: more likely the wrong path than a deletion.
      this.o.log.warn(`${this.o.configPath} does not exist while the gateway answers: set GATEWAY_CONFIG_PATH to the config file the gateway uses`);
      return null;
    }
    return this.validate();
  }

  private async stamp(): Promise<string> {
    try {
      const st = await stat(this.o.configPath);
      return `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      return 'missing';
    }
  }

  /** The file's stamp when `validate()` last read it (null: never). */
  private validatedStamp: string | null = null;
  private lastStamp: string | null = null;

  private async readConfig(): Promise<string | undefined> {
    try {
      const text = await readFile(this.o.configPath, 'utf8');
      this.o.onRead?.(text);
      return text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

/** Temp file beside the target, fsync, rename over it, fsync the directory. */
export async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(text, 'utf8');
    await file.chmod(mode); // the umask may have narrowed `mode` at open
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}

/** Names a config content: the proof of health is for this exact text. */
export function fingerprint(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function fail(error: string): ConfigCheck {
  return { ok: false, error };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const shown = JSON.stringify(v) ?? String(v);
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

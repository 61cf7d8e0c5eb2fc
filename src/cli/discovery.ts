/**
 * How the CLI finds its medic from any folder: a running `clawmedic run` announces itself in
 * `~/.clawmedic/run/<pid>-<port>.json` (0600: where it listens, where its API token is, its pid
 * and data dir) and removes the file when it stops. A medic killed with -9 leaves its file
 * behind: an entry counts only while its pid lives and its `/healthz` answers with that pid
 * and start time (a reused pid or port is not it).
 */
import { mkdir, readdir, readFile, rm, writeFile, chmod, rename } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What a running medic says about itself. Nothing in it is a secret. */
export interface Announcement {
  pid: number;
  /** The medic's `startedAt` (ms), as its `/healthz` reports it. */
  startedAt: number;
  version: string;
  /** The local API, `http://127.0.0.1:<port>`. */
  url: string;
  dataDir: string;
  /** The API token's file, or null when it comes from `MEDIC_API_TOKEN`. */
  tokenFile: string | null;
  /** The folder it was started in (its `.env` is there). */
  cwd: string;
  targets: string[];
}

/** `~/.clawmedic/run`: per user, whatever data dir each medic uses. */
export function announcementDir(env: NodeJS.ProcessEnv): string {
  return join(env.HOME || homedir(), '.clawmedic', 'run');
}

export interface AnnouncedMedic {
  /** Removes the announcement (idempotent). */
  remove(): Promise<void>;
  /** The same, synchronously: for `process.on('exit')`. */
  removeSync(): void;
}

/** Writes the announcement atomically, 0600 in a 0700 folder. */
export async function announceMedic(env: NodeJS.ProcessEnv, a: Announcement): Promise<AnnouncedMedic> {
  const dir = announcementDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${a.pid}-${new URL(a.url).port}.json`);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(a, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return {
    remove: () => rm(file, { force: true }),
    removeSync: () => rmSync(file, { force: true }),
  };
}

export interface FoundMedic extends Announcement {
  /** False: its pid lives but its API did not answer (busy, starting or hung). */
  answering: boolean;
}

/** `GET <url>/healthz` -> `{ pid, startedAt }`, or null when nothing answers. */
export type HealthCheck = (url: string) => Promise<{ pid: number; startedAt: number } | null>;

export const fetchHealth: HealthCheck = async (url) => {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { pid?: unknown; startedAt?: unknown };
    return typeof body.pid === 'number' && typeof body.startedAt === 'number' ? { pid: body.pid, startedAt: body.startedAt } : null;
  } catch {
    return null;
  }
};

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(text: string): Announcement | null {
  try {
    const a = JSON.parse(text) as Partial<Announcement>;
    if (typeof a.pid !== 'number' || typeof a.url !== 'string' || typeof a.dataDir !== 'string') return null;
    return {
      pid: a.pid,
      startedAt: typeof a.startedAt === 'number' ? a.startedAt : 0,
      version: String(a.version ?? '?'),
      url: a.url,
      dataDir: a.dataDir,
      tokenFile: typeof a.tokenFile === 'string' ? a.tokenFile : null,
      cwd: String(a.cwd ?? ''),
      targets: Array.isArray(a.targets) ? a.targets.map(String) : [],
    };
  } catch {
    return null;
  }
}

/**
 * The medics running for this user, oldest first. Entries of dead pids are removed; an entry
 * whose URL answers with another pid or start time is ignored (and removed).
 */
export async function findMedics(env: NodeJS.ProcessEnv, health: HealthCheck = fetchHealth): Promise<FoundMedic[]> {
  const dir = announcementDir(env);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = await Promise.all(
    names
      .filter((n) => n.endsWith('.json'))
      .map(async (name): Promise<FoundMedic | null> => {
        const file = join(dir, name);
        const a = parse(await readFile(file, 'utf8').catch(() => ''));
        if (!a || !pidAlive(a.pid)) {
          await rm(file, { force: true });
          return null;
        }
        const h = await health(a.url);
        if (h && (h.pid !== a.pid || h.startedAt !== a.startedAt)) {
          await rm(file, { force: true });
          return null;
        }
        return { ...a, answering: h !== null };
      }),
  );
  return found.filter((m): m is FoundMedic => m !== null).sort((x, y) => x.startedAt - y.startedAt);
}

/** One line per medic, for "several are running: choose one". */
export function describeMedic(m: Announcement): string {
  const what = m.targets.length ? ` watching ${m.targets.join(', ')}` : '';
  return `pid ${m.pid}${what}: --url ${m.url} or --data-dir ${m.dataDir}`;
}

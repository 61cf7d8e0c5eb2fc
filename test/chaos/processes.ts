/**
 * Process helpers for the chaos suite. A real OpenClaw gateway is three processes: the
 * gateway (`openclaw-gateway`) and two node helpers, one of which (the spawn broker) leads
 * its own process group and session, so signalling the gateway's group does not reach it.
 * The janitor therefore kills every process it tracked, their descendants, and every
 * process that carries a run's own marker in its environment (its unique state dir), each
 * by pid, and a process group only when that process leads it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { isAlive, waitFor } from '../fixtures/gateways.js';

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

function readStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0] ?? '?', ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

/** Every live descendant of `pid` (children, their children...). */
export function descendantsOf(pid: number): number[] {
  const stats = allPids()
    .map(readStat)
    .filter((s): s is ProcStat => s !== null);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const s of stats) {
      if (s.ppid === parent && !found.includes(s.pid)) {
        found.push(s.pid);
        queue.push(s.pid);
      }
    }
  }
  return found;
}

/** Pids whose environment holds `NAME=value` exactly (only this user's processes are readable). */
export function pidsWithEnv(name: string, value: string): number[] {
  const entry = `${name}=${value}`;
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
    } catch {
      return false;
    }
  });
}

/** Kills, at the end of a test, everything it started: by pid, and groups only their leaders lead. */
export class TreeJanitor {
  private readonly pids = new Set<number>();
  private readonly markers: { name: string; value: string }[] = [];

  /**
   * Tracks `pid`; its descendants are looked up when killing (orphans they leave are found by
   * the environment marker, since an orphan's parent is no longer `pid`).
   */
  track(pid: number | null | undefined): void {
    if (pid === null || pid === undefined || pid <= 1) return;
    this.pids.add(pid);
  }

  /** Any process whose environment holds `NAME=value` is this test's. */
  trackEnv(name: string, value: string): void {
    this.markers.push({ name, value });
  }

  /** The tracked processes that still run (zombies excluded). */
  alive(): number[] {
    return [...this.candidates()].filter(isAlive);
  }

  async killAll(): Promise<number[]> {
    const targets = [...this.candidates()].filter((pid) => pid !== process.pid && pid !== process.ppid);
    this.pids.clear();
    this.markers.length = 0;
    const killed: number[] = [];
    for (const pid of targets) {
      if (!isAlive(pid)) continue;
      killed.push(pid);
      const leads = readStat(pid)?.pgrp === pid;
      for (const target of leads ? [-pid, pid] : [pid]) {
        try {
          process.kill(target, 'SIGKILL');
          process.kill(target, 'SIGCONT'); // a stopped process must be able to die
        } catch {
          // Already gone.
        }
      }
    }
    await waitFor(() => targets.every((pid) => !isAlive(pid)), { timeoutMs: 10_000, what: 'killed processes to be gone' }).catch(
      () => undefined,
    );
    return killed;
  }

  private candidates(): Set<number> {
    const all = new Set<number>();
    for (const pid of this.pids) {
      all.add(pid);
      for (const child of descendantsOf(pid)) all.add(child);
    }
    for (const m of this.markers) for (const pid of pidsWithEnv(m.name, m.value)) all.add(pid);
    return all;
  }
}

/** One GET of `url`: its status code, or null (refused, reset, timed out). No keep-alive. */
export function httpStatus(url: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** GET `url` as JSON (the medic's API); throws on a non-2xx answer. */
export async function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`GET ${url}: ${res.statusCode} ${body}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
  });
}

/** When `url` first answers 200, polled every 100 ms (the time is taken right after the answer). */
export async function firstOk(url: string, timeoutMs: number, what: string): Promise<number> {
  return waitFor(async () => ((await httpStatus(url, 500)) === 200 ? Date.now() : null), {
    timeoutMs,
    intervalMs: 100,
    what,
  });
}

/**
 * Polls `url` every 100 ms in the background and keeps the up/down transitions, so a test
 * can tell when the gateway went down and when it first answered again, whatever the medic
 * does in between (a latent corruption keeps it up; a kill takes it down at once).
 */
export class HealthTrace {
  readonly transitions: { at: number; ok: boolean }[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly url: string) {
    this.loop = this.run();
  }

  /** The first 200 after the last failure that followed `since`; `since` itself when it never failed. */
  upAgainAfter(since: number): number | null {
    const after = this.transitions.filter((t) => t.at >= since);
    const lastDown = after.findLastIndex((t) => !t.ok);
    if (lastDown === -1) return this.isUp() ? since : null;
    return after.slice(lastDown + 1).find((t) => t.ok)?.at ?? null;
  }

  isUp(): boolean {
    return this.transitions.at(-1)?.ok ?? false;
  }

  /** Total time it did not answer after `since`, in ms. */
  downMsAfter(since: number): number {
    let down = 0;
    let from: number | null = null;
    for (const t of this.transitions) {
      if (!t.ok && from === null) from = Math.max(t.at, since);
      if (t.ok && from !== null) {
        down += Math.max(0, t.at - from);
        from = null;
      }
    }
    if (from !== null) down += Date.now() - from;
    return down;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ok = (await httpStatus(this.url, 500)) === 200;
      // The time of the answer (or of giving up on it), not of the request.
      if (this.transitions.at(-1)?.ok !== ok) this.transitions.push({ at: Date.now(), ok });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

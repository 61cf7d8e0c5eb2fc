/**
 * OpenClaw's state locks after a "reboot", for the stale-lock chaos tests: an innocent `sleep` now has
 * the pid the running gateway's locks named, and the locks are written back naming it, with its start
 * time (so OpenClaw's own check, pid alive and start time matching, takes it for the gateway).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcessStartTime } from '../../src/recovery/pid-record.js';
import type { ChaosWorld } from './harness.js';

export interface StateLock {
  name: string;
  json: Record<string, unknown>;
}

/** Starts the innocent `sleep` (tracked by the world's janitor) and writes `locks` back into `lockDir` naming it. */
export async function locksNamingASleep(world: ChaosWorld, lockDir: string, locks: StateLock[]): Promise<{ sleep: ChildProcess; startTime: string }> {
  const sleep = spawn('sleep', ['3600'], { stdio: 'ignore' });
  world.janitor.track(sleep.pid);
  const startTime = await readProcessStartTime(sleep.pid!);
  if (startTime === null) throw new Error(`no start time for the sleep (pid ${sleep.pid})`);
  for (const { name, json } of locks) {
    writeFileSync(join(lockDir, name), JSON.stringify({ ...json, pid: sleep.pid, startTime: Number(startTime), createdAt: new Date().toISOString() }));
  }
  return { sleep, startTime };
}

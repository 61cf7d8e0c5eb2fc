/**
 * OpenClaw's state locks: a lock naming a live process that is not a gateway is removed, never
 * signalling it; one naming a gateway-looking process, or whose port answers, is kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readProcessStartTime } from '../../../../src/recovery/pid-record.js';
import { lockDirOf, looksLikeGateway, removeStaleLocks } from '../../../../src/recovery/repair/state-lock.js';
import { configuredChannels } from '../../../../src/recovery/repair/plugins.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawmedic-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(lockDirOf(dir), { recursive: true });
  return dir;
}

function sleeper(): ChildProcess {
  const p = spawn('sleep', ['600'], { stdio: 'ignore' });
  cleanups.push(() => p.kill('SIGKILL'));
  return p;
}

function writeLock(dir: string, name: string, body: Record<string, unknown>): string {
  const path = join(lockDirOf(dir), name);
  writeFileSync(path, JSON.stringify({ createdAt: new Date().toISOString(), configPath: join(dir, 'openclaw.json'), ...body }));
  return path;
}

describe('stale state locks', () => {
  it('a live sleep with the matching start time: the locks go, the sleep is never signalled', async () => {
    const dir = stateDir();
    const sleep = sleeper();
    const startTime = Number(await readProcessStartTime(sleep.pid!));
    const a = writeLock(dir, 'gateway.1a2b3c4d.lock', { pid: sleep.pid, startTime, port: 1 });
    const b = writeLock(dir, 'gateway.state.lock', { pid: sleep.pid, startTime, port: 1 });
    writeFileSync(join(lockDirOf(dir), 'gateway.state.lock.sqlite'), '');
    const r = await removeStaleLocks(dir, sleep.pid!);
    expect(r.ok).toBe(true);
    expect(r.detail).toContain(`pid ${sleep.pid} is \`sleep 600\`, not a gateway, nothing listens on the lock's port 1`);
    expect(existsSync(a) || existsSync(b)).toBe(false);
    expect(existsSync(join(lockDirOf(dir), 'gateway.state.lock.sqlite'))).toBe(true);
    expect(sleep.exitCode).toBeNull();
    expect(sleep.signalCode).toBeNull();
  });

  it('a lock whose port answers is kept (something may be a gateway there)', async () => {
    const dir = stateDir();
    const sleep = sleeper();
    const server: Server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    cleanups.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const startTime = Number(await readProcessStartTime(sleep.pid!));
    const path = writeLock(dir, 'gateway.state.lock', { pid: sleep.pid, startTime, port });
    const r = await removeStaleLocks(dir, sleep.pid!);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain(`something answers on the lock's port ${port}`);
    expect(existsSync(path)).toBe(true);
  });

  it('a dead pid or another start time is simply stale', async () => {
    const dir = stateDir();
    const sleep = sleeper();
    writeLock(dir, 'gateway.state.lock', { pid: sleep.pid, startTime: 1 });
    const r = await removeStaleLocks(dir, sleep.pid!);
    expect(r).toMatchObject({ ok: true });
    expect(r.detail).toContain('started at another time');
  });

  it('knows a gateway command line', () => {
    expect(looksLikeGateway('openclaw-gateway')).toBe(true);
    expect(looksLikeGateway('/usr/bin/node /opt/openclaw/openclaw.mjs gateway run --port 1')).toBe(true);
    expect(looksLikeGateway('sleep 600')).toBe(false);
    expect(looksLikeGateway('node /srv/app.js gateway')).toBe(false);
  });
});

describe('configured channels', () => {
  it('reads channels.<id> from a JSON5 config, skipping disabled ones', async () => {
    const dir = stateDir();
    const path = join(dir, 'openclaw.json');
    writeFileSync(path, `{ channels: { telegram: { enabled: true, botToken: "x" }, slack: { enabled: false }, discord: {} }, // json5\n}`);
    expect(await configuredChannels(path)).toEqual(['telegram', 'discord']);
    expect(await configuredChannels(join(dir, 'missing.json'))).toEqual([]);
  });
});

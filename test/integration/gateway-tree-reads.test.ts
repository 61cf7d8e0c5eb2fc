/**
 * What the watch of a healthy gateway costs: the supervisor looks at its run every 0.5 s, and the
 * port tables (/proc/net/tcp, tcp6) it read each time grow with every socket of the host (21 ms
 * a read with 1,385 sockets). While the listener is known and still holds the listening socket it
 * was found by (one readlink of its fd), the port tables are not read at all, and the process table
 * is scanned every 2 s, a scan serving every target of the medic for 1 s; a listener that closed its
 * socket or is gone is looked for at once, with fresh readings.
 *
 * The reads are counted through node:fs (vi.mock), on real processes listening on real ports.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayTree } from '../../src/recovery/gateway-tree.js';
import { isRunning, readStat } from '../../src/lib/process-table.js';
import { ProcessJanitor, waitFor } from '../fixtures/gateways.js';

const reads = vi.hoisted(() => ({ tables: 0, scans: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    readFileSync: ((path: fs.PathOrFileDescriptor, options?: unknown) => {
      if (path === '/proc/net/tcp') reads.tables++;
      return (real.readFileSync as (p: fs.PathOrFileDescriptor, o?: unknown) => unknown)(path, options);
    }) as typeof real.readFileSync,
    readdirSync: ((path: fs.PathLike, options?: unknown) => {
      if (path === '/proc') reads.scans++;
      return (real.readdirSync as (p: fs.PathLike, o?: unknown) => unknown)(path, options);
    }) as typeof real.readdirSync,
  };
});

const janitor = new ProcessJanitor();
beforeEach(() => janitor.baseline());
afterEach(async () => {
  vi.useRealTimers();
  await janitor.killAll();
});

/**
 * A process listening on a free loopback port (it prints the port): a stand-in gateway's listener. On SIGUSR2
 * it closes its socket and listens again on the same port, as OpenClaw's restart in process does (it prints
 * the port again once listening).
 */
async function listener(): Promise<{ pid: number; port: number; relistened: () => Promise<void> }> {
  const program = `
    const net = require('net');
    let server = net.createServer().listen(0, '127.0.0.1', () => console.log(server.address().port));
    process.on('SIGUSR2', () => {
      const port = server.address().port;
      server.close(() => { server = net.createServer().listen(port, '127.0.0.1', () => console.log(port)); });
    });`;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = janitor.track(child.pid);
  const lines: number[] = [];
  let waiting: (() => void) | null = null;
  child.stdout.on('data', (b: Buffer) => {
    for (const line of String(b).trim().split('\n')) lines.push(Number(line));
    waiting?.();
  });
  const next = (count: number) =>
    new Promise<void>((resolve, reject) => {
      if (lines.length >= count) return resolve();
      waiting = () => lines.length >= count && resolve();
      child.once('exit', () => reject(new Error('the listener exited')));
    });
  await next(1);
  return {
    pid,
    port: lines[0]!,
    relistened: async () => {
      process.kill(pid, 'SIGUSR2');
      await next(2);
    },
  };
}

async function servingTree(): Promise<{ tree: GatewayTree; pid: number; port: number; relistened: () => Promise<void> }> {
  const { pid, port, relistened } = await listener();
  const tree = new GatewayTree({ pid, startTime: null });
  expect(await tree.updateServing(port)).toBe(true);
  expect(tree.serving?.pid).toBe(pid);
  return { tree, pid, port, relistened };
}

function resetReads(): void {
  reads.tables = 0;
  reads.scans = 0;
}

describe('the watch of a gateway that serves (reads of /proc counted)', () => {
  it('a known listener that still holds its socket: the port tables are never read, its processes every 2 s', async () => {
    const { tree, port } = await servingTree();
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    resetReads();
    for (let tick = 0; tick < 3; tick++) {
      vi.advanceTimersByTime(500);
      expect(await tree.updateServing(port)).toBe(false);
    }
    expect(reads).toEqual({ tables: 0, scans: 0 }); // three watch ticks; each read both before issue 10's last stop
    vi.advanceTimersByTime(600);
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 1 }); // the tables were read every 2 s before this stop
  });

  it('a listener that closes its socket and listens anew (a restart in process) is looked at on the next tick', async () => {
    const { tree, pid, port, relistened } = await servingTree();
    await relistened();
    resetReads();
    expect(await tree.updateServing(port)).toBe(false); // the same process serves
    expect(tree.serving?.pid).toBe(pid);
    expect(reads.tables).toBe(1);
    // Found by its new socket: quiet again.
    resetReads();
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads.tables).toBe(0);
  });

  it('two targets looking within a second share one scan of /proc', async () => {
    const a = await servingTree();
    const b = await servingTree();
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    vi.advanceTimersByTime(2_100);
    resetReads();
    expect(await a.tree.updateServing(a.port)).toBe(false);
    vi.advanceTimersByTime(400);
    expect(await b.tree.updateServing(b.port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 1 });
    // Past the reading's second, a look reads again.
    vi.advanceTimersByTime(2_100);
    expect(await a.tree.updateServing(a.port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 2 });
  });

  it('a listener that is gone is looked for at once, with fresh readings (not the shared ones)', async () => {
    const { tree, pid, port } = await servingTree();
    const other = await servingTree();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isRunning(readStat(pid) ?? undefined), { timeoutMs: 5_000 }); // dead (a zombie is as good as gone)
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    vi.advanceTimersByTime(2_100);
    expect(await other.tree.updateServing(other.port)).toBe(false); // its look fills the shared readings
    resetReads();
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads.tables).toBe(1);
    expect(reads.scans).toBeGreaterThanOrEqual(1);
  });
});

/**
 * What the watch of a healthy gateway costs: the supervisor looks at its run every 0.5 s, and the
 * port tables (/proc/net/tcp, tcp6) it read each time grow with every socket of the host (21 ms
 * a read with 1,385 sockets). While the listener is known and still holds the listening socket it
 * was found by (one readlink of its fd), neither the port tables nor its fds are read, and the process
 * table is scanned every 2 s, a scan serving every target of the medic for 1 s. A listener that closed
 * its socket, handed it to a child or is gone is looked for at once; one that runs without the port's
 * sockets, look after look, is looked at every 2 s.
 *
 * The reads are counted through node:fs and node:fs/promises (vi.mock), on real processes listening on
 * real ports. Date and performance are faked from the start of each test (setTimeout is not), so every
 * reading is stamped on the fake clock.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayTree } from '../../src/recovery/gateway-tree.js';
import { isRunning, readStat } from '../../src/lib/process-table.js';
import { ProcessJanitor, waitFor } from '../fixtures/gateways.js';

const reads = vi.hoisted(() => ({ tables: 0, scans: 0, fdScans: 0 }));

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

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    readdir: ((path: fs.PathLike, options?: unknown) => {
      if (/^\/proc\/\d+\/fd$/.test(String(path))) reads.fdScans++;
      return (real.readdir as (p: fs.PathLike, o?: unknown) => unknown)(path, options);
    }) as typeof real.readdir,
  };
});

const janitor = new ProcessJanitor();
beforeEach(() => janitor.baseline());
afterEach(async () => {
  vi.useRealTimers();
  await janitor.killAll();
});

/**
 * A process listening on a free loopback port: a stand-in gateway's listener. It prints one line per event:
 * `port N` once listening; on SIGUSR2 it closes its socket and listens again on the same port, as OpenClaw's
 * restart in process does (`port N` again); on SIGHUP it closes it for good (`closed`); on SIGWINCH it hands
 * its socket to a child it starts and closes its own copy (`handed PID`).
 */
const PROGRAM = `
  const net = require('net');
  let server = net.createServer().listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
  process.on('SIGUSR2', () => {
    const port = server.address().port;
    server.close(() => { server = net.createServer().listen(port, '127.0.0.1', () => console.log('port ' + port)); });
  });
  setInterval(() => {}, 1 << 30); // alive with no socket open, as a gateway whose server died
  process.on('SIGHUP', () => server.close(() => console.log('closed')));
  process.on('SIGWINCH', () => {
    const child = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(
      "process.on('message', (m, server) => { server.on('connection', (s) => s.end()); process.send('got'); })",
    )}], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', () => server.close(() => console.log('handed ' + child.pid)));
    child.send('server', server);
  });`;

async function listener(): Promise<{ pid: number; port: number; next: (signal: NodeJS.Signals, line: RegExp) => Promise<string> }> {
  const child = spawn(process.execPath, ['-e', PROGRAM], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = janitor.track(child.pid);
  const lines: string[] = [];
  let waiting: (() => void) | null = null;
  child.stdout.on('data', (b: Buffer) => {
    lines.push(...String(b).trim().split('\n'));
    waiting?.();
  });
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const at = lines.findIndex((l) => pattern.test(l));
        if (at !== -1) resolve(lines.splice(0, at + 1).pop()!);
      };
      waiting = look;
      look();
      child.once('exit', () => reject(new Error('the listener exited')));
    });
  const port = Number((await line(/^port /)).slice(5));
  return {
    pid,
    port,
    next: (signal, pattern) => {
      process.kill(pid, signal);
      return line(pattern);
    },
  };
}

interface Served {
  tree: GatewayTree;
  pid: number;
  port: number;
  relistened: () => Promise<void>;
  closed: () => Promise<void>;
}

async function servingTree(): Promise<Served> {
  const { pid, port, next } = await listener();
  const tree = new GatewayTree({ pid, startTime: null });
  expect(await tree.updateServing(port)).toBe(true);
  expect(tree.serving?.pid).toBe(pid);
  return {
    tree,
    pid,
    port,
    relistened: async () => void (await next('SIGUSR2', /^port /)),
    closed: async () => void (await next('SIGHUP', /^closed$/)),
  };
}

/** A serving tree whose listener has just handed its socket to a child (the child's pid). */
async function handingOver(): Promise<Served & { child: number }> {
  const { pid, port, next } = await listener();
  const tree = new GatewayTree({ pid, startTime: null });
  expect(await tree.updateServing(port)).toBe(true);
  const child = janitor.track(Number((await next('SIGWINCH', /^handed \d+$/)).slice(7)));
  return { tree, pid, port, child, relistened: async () => {}, closed: async () => {} };
}

function resetReads(): void {
  reads.tables = 0;
  reads.scans = 0;
  reads.fdScans = 0;
}

const fakeClock = () => vi.useFakeTimers({ toFake: ['Date', 'performance'] });

describe('the watch of a gateway that serves (reads of /proc counted)', () => {
  it('a known listener that still holds its socket: neither the port tables nor its fds are read, its processes every 2 s', async () => {
    fakeClock();
    const { tree, port } = await servingTree();
    resetReads();
    for (let tick = 0; tick < 3; tick++) {
      vi.advanceTimersByTime(500);
      expect(await tree.updateServing(port)).toBe(false);
    }
    expect(reads).toEqual({ tables: 0, scans: 0, fdScans: 0 }); // three watch ticks; each read both before issue 10's last stops
    vi.advanceTimersByTime(600);
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 1, fdScans: 0 }); // the tables were read every 2 s before stop 23
  });

  it('a listener that closes its socket and listens anew (a restart in process) is looked at on the next tick', async () => {
    fakeClock();
    const { tree, pid, port, relistened } = await servingTree();
    await relistened();
    resetReads();
    expect(await tree.updateServing(port)).toBe(false); // the same process serves
    expect(tree.serving?.pid).toBe(pid);
    expect(reads.tables).toBe(1);
    // Found by its new socket: quiet again.
    resetReads();
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 0, fdScans: 0 });
  });

  it('a listener that hands its socket to a child and closes its own is followed to the child at once', async () => {
    fakeClock();
    const { tree, pid, port, child } = await handingOver();
    resetReads();
    expect(await tree.updateServing(port)).toBe(true);
    expect(tree.serving?.pid).toBe(child);
    expect(reads.tables).toBe(1);
    expect(tree.serving?.pid).not.toBe(pid);
  });

  it('a known listener that runs without the port\'s sockets, look after look, is looked at every 2 s', async () => {
    fakeClock();
    const { tree, port, closed } = await servingTree();
    await closed(); // it stays up, listening nowhere (an HTTP server that died inside a live process)
    resetReads();
    expect(await tree.updateServing(port)).toBe(false); // lost: looked at now
    vi.advanceTimersByTime(500);
    expect(await tree.updateServing(port)).toBe(false); // the same again: settled
    expect(reads.tables).toBe(2);
    for (let tick = 0; tick < 3; tick++) {
      vi.advanceTimersByTime(500);
      expect(await tree.updateServing(port)).toBe(false);
    }
    expect(reads.tables).toBe(2); // every tick read them before
    vi.advanceTimersByTime(600);
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads.tables).toBe(3);
  });

  it('two targets looking within a second share one scan of /proc', async () => {
    fakeClock();
    const a = await servingTree();
    const b = await servingTree();
    vi.advanceTimersByTime(2_100);
    resetReads();
    expect(await a.tree.updateServing(a.port)).toBe(false);
    vi.advanceTimersByTime(400);
    expect(await b.tree.updateServing(b.port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 1, fdScans: 0 });
    // Past the reading's second, a look reads again.
    vi.advanceTimersByTime(2_100);
    expect(await a.tree.updateServing(a.port)).toBe(false);
    expect(reads).toEqual({ tables: 0, scans: 2, fdScans: 0 });
  });

  it('a listener that is gone is looked for at once, with a fresh scan of /proc (not the shared one)', async () => {
    const { tree, pid, port } = await servingTree();
    const other = await servingTree();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isRunning(readStat(pid) ?? undefined), { timeoutMs: 5_000 }); // dead (a zombie is as good as gone)
    fakeClock();
    vi.advanceTimersByTime(2_100);
    expect(await other.tree.updateServing(other.port)).toBe(false); // its look takes the shared scan
    resetReads();
    expect(await tree.updateServing(port)).toBe(false);
    expect(reads.tables).toBe(1);
    expect(reads.scans).toBeGreaterThanOrEqual(1);
  });
});

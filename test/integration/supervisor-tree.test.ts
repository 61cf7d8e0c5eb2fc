/**
 * The supervisor with command lines as users write them (no `exec`): the pid the medic spawns
 * is /bin/sh (dash forks the command), a wrapper may re-launch the gateway as its child (as
 * OpenClaw does under an unusable Node), and a gateway may setsid() out of the process group.
 * Whatever the shape, the pid the medic reports is the one listening on the port, and no
 * signal of the medic's leaves the real gateway behind.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/lib/clock.js';
import { pidRecordPath, readProcessStartTime } from '../../src/recovery/pid-record.js';
import { HttpProbe } from '../../src/recovery/probe.js';
import { descendants, readStat } from '../../src/lib/process-table.js';
import { isPortListening, listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { ChildSupervisor, readPidRecord, type ChildSupervisorOptions } from '../../src/recovery/supervisor.js';
import type { ExitInfo } from '../../src/recovery/types.js';
import {
  ProcessJanitor,
  TempDirs,
  captureLogger,
  freePort,
  isAlive,
  plainGatewayCommand,
  RelaunchWrapperPath,
  shellQuote,
  waitFor,
  type CommandShape,
} from '../fixtures/gateways.js';

const dirs = new TempDirs();
const janitor = new ProcessJanitor();
const supervisors: ChildSupervisor[] = [];

beforeEach(() => janitor.baseline());

// Stopped through the supervisors first (they know every process of their runs, adopted ones too),
// then by pid: what the test tracked and every process that appeared below this worker during it.
afterEach(async () => {
  await Promise.allSettled(supervisors.splice(0).map((s) => s.close(true)));
  await janitor.killAll();
  await dirs.removeAll();
});

/** An exit as the listener saw it: whether the real gateway was still alive at that moment. */
interface SeenExit {
  exit: ExitInfo;
  gatewayAlive: boolean | null;
}

interface Harness {
  supervisor: ChildSupervisor;
  port: number;
  dataDir: string;
  exits: SeenExit[];
  /** Every pid `onServing` reported, in order. */
  served: number[];
  /** Every pid `start()` returned, in order. */
  started: number[];
  log: ReturnType<typeof captureLogger>;
  /** The listener pid, once known: checked by the exit listener. */
  gateway: { pid: number | null };
}

async function makeSupervisor(command: string, port: number, extra: Partial<ChildSupervisorOptions> = {}): Promise<Harness> {
  const dataDir = extra.dataDir ?? (await dirs.make());
  const log = captureLogger();
  const supervisor = new ChildSupervisor({ target: 'demo', command, port, dataDir, stopTimeoutMs: 5_000, log, ...extra });
  supervisors.push(supervisor);
  const h: Harness = { supervisor, port, dataDir, exits: [], served: [], started: [], log, gateway: { pid: null } };
  supervisor.onExit((exit) => h.exits.push({ exit, gatewayAlive: h.gateway.pid === null ? null : isAlive(h.gateway.pid) }));
  supervisor.onServing((pid) => h.served.push(janitor.track(pid)));
  return h;
}

/**
 * Starts the gateway; returns the spawned pid (the shell's, from the pid record). `start()` itself names
 * the gateway below the shell: it is kept in `h.started`.
 */
async function startLeader(h: Harness): Promise<number> {
  h.started.push(janitor.track(await h.supervisor.start()));
  return janitor.track(readPidRecord(h.dataDir)!.pid);
}

function probe(port: number): HttpProbe {
  return new HttpProbe({ url: `http://127.0.0.1:${port}/healthz`, timeoutMs: 3_000, clock: systemClock });
}

/** Waits for a healthy gateway and for the supervisor to name its listener; returns the listener's pid. */
async function servingGateway(h: Harness): Promise<number> {
  await waitFor(async () => (await probe(h.port).check()).ok, { timeoutMs: 15_000, what: 'a healthy probe' });
  const holders = await listPortHolders(h.port);
  expect(holders).toHaveLength(1);
  const listener = janitor.track(holders[0]!.pid);
  // Named before it listens too (the gateway below the shell): the record's `serving` says it was found listening.
  await waitFor(() => h.served.at(-1) === listener && readPidRecord(h.dataDir)?.serving?.pid === listener, {
    timeoutMs: 10_000,
    what: `the supervisor to report and record the listener ${listener}`,
  });
  h.gateway.pid = listener;
  return listener;
}

/** The gateway's processes as /proc shows them: the spawned pid, its descendants and the listener. */
function processesOf(leader: number, listener: number): number[] {
  return [...new Set([leader, ...descendants(leader), listener, ...descendants(listener)])].map((pid) => janitor.track(pid));
}

const shapes: CommandShape[] = ['plain', 'wrapper', 'setsid'];

describe.each(shapes)('a %s command line (no exec)', (shape) => {
  it('reports and records the process that listens on the port, not the shell it was spawned as', async () => {
    const port = await freePort();
    const h = await makeSupervisor(plainGatewayCommand({ port }, shape), port);
    const leader = await startLeader(h);
    const listener = await servingGateway(h);

    expect(listener).not.toBe(leader);
    expect(readStat(leader)?.pid).toBe(leader); // the shell still runs: it is the listener's ancestor
    // start() names the gateway below the shell (the listener itself for a plain command line), never the shell.
    if (shape === 'plain') expect(h.started).toEqual([listener]);
    expect(h.started).not.toContain(leader);
    expect(readPidRecord(h.dataDir)).toMatchObject({
      pid: leader,
      startTime: await readProcessStartTime(leader),
      serving: { pid: listener, startTime: await readProcessStartTime(listener) },
    });
  });

  it('kill -9 of the spawned pid: one exit, reported only once the real gateway is gone; the next start serves the port alone', async () => {
    const port = await freePort();
    const h = await makeSupervisor(plainGatewayCommand({ port }, shape), port);
    const leader = await startLeader(h);
    const listener = await servingGateway(h);
    const all = processesOf(leader, listener);

    process.kill(leader, 'SIGKILL');
    await waitFor(() => h.exits.length > 0, { timeoutMs: 15_000, what: 'the exit' });
    expect(h.exits).toEqual([{ exit: expect.objectContaining({ signal: 'SIGKILL' }), gatewayAlive: false }]);
    expect(all.filter(isAlive)).toEqual([]);
    await expect(isPortListening(port)).resolves.toBe(false);
    expect(existsSync(pidRecordPath(h.dataDir))).toBe(false);

    await startLeader(h);
    const next = await servingGateway(h);
    expect(next).not.toBe(listener);
    expect((await listPortHolders(port)).map((l) => l.pid)).toEqual([next]);
  });

  it('stop leaves no process of the gateway, a frozen (SIGSTOPped) one included', async () => {
    const port = await freePort();
    const h = await makeSupervisor(plainGatewayCommand({ port }, shape), port, { stopTimeoutMs: 1_000 });
    const leader = await startLeader(h);
    const listener = await servingGateway(h);
    const all = processesOf(leader, listener);
    process.kill(listener, 'SIGSTOP');

    await expect(h.supervisor.stop('test', true)).resolves.toBe(true);
    expect(all.filter(isAlive)).toEqual([]);
    expect(h.exits).toHaveLength(1);
    expect(h.exits[0]!.gatewayAlive).toBe(false);
    // SIGCONT follows the SIGTERM: the stopped gateway acts on it and shuts down cleanly, no SIGKILL needed.
    expect(h.log.entries.find((e) => e.msg === 'the gateway ignored SIGTERM; sending SIGKILL')).toBeUndefined();
    expect(h.exits[0]!.exit.signal ?? h.exits[0]!.exit.code).not.toBe('SIGKILL');
  });

  it('a medic restarted after a kill -9 adopts the gateway by its listener, and its stop leaves nothing', async () => {
    const port = await freePort();
    const command = plainGatewayCommand({ port }, shape);
    const a = await makeSupervisor(command, port);
    const leader = await startLeader(a);
    const listener = await servingGateway(a);
    const all = processesOf(leader, listener);
    // Medic A is "killed -9": forgotten, never closed.

    const b = await makeSupervisor(command, port, { dataDir: a.dataDir });
    await expect(b.supervisor.adoptOrClear()).resolves.toBe(listener);
    b.gateway.pid = listener;
    await expect(b.supervisor.stop('test')).resolves.toBe(true);
    expect(all.filter(isAlive)).toEqual([]);
    expect(b.exits).toEqual([{ exit: expect.anything(), gatewayAlive: false }]);
  });

  it('a wrapper killed while no medic ran: the next medic stops the orphaned gateway instead of adopting it', async () => {
    const port = await freePort();
    const command = plainGatewayCommand({ port }, shape);
    const a = await makeSupervisor(command, port);
    const leader = await startLeader(a);
    const listener = await servingGateway(a);
    const all = processesOf(leader, listener);
    await a.supervisor.close(false);
    process.kill(leader, 'SIGKILL');
    await waitFor(() => !isAlive(leader), { what: 'the wrapper to die' });
    expect(isAlive(listener)).toBe(true);

    const b = await makeSupervisor(command, port, { dataDir: a.dataDir });
    await expect(b.supervisor.adoptOrClear()).resolves.toBeNull();
    expect(all.filter(isAlive)).toEqual([]);
    await expect(isPortListening(port)).resolves.toBe(false);
    expect(existsSync(pidRecordPath(a.dataDir))).toBe(false);
  });
});

describe('a plain command line: exits and re-listening', () => {
  it('kill -9 of the listener is an exit by SIGKILL (the shell says 137)', async () => {
    const port = await freePort();
    const h = await makeSupervisor(plainGatewayCommand({ port }), port);
    await startLeader(h);
    const listener = await servingGateway(h);
    process.kill(listener, 'SIGKILL');
    await waitFor(() => h.exits.length > 0, { timeoutMs: 15_000, what: 'the exit' });
    expect(h.exits[0]!.exit).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('a gateway that the command line starts again under a new pid is found again', async () => {
    const port = await freePort();
    // The first run crashes after a while; the shell then starts a second one on the same port.
    const first = plainGatewayCommand({ port, mode: 'crash-after', afterMs: 3_000 });
    const h = await makeSupervisor(`${first}; ${plainGatewayCommand({ port })}`, port);
    await startLeader(h);
    await waitFor(() => h.served.length > 0, { timeoutMs: 15_000, what: 'the first listener' });
    const one = h.served[0]!;
    await waitFor(() => !isAlive(one), { timeoutMs: 15_000, what: 'the first run to crash' });
    const two = await servingGateway(h);
    expect(two).not.toBe(one);
    expect(h.exits).toEqual([]);
  });

  it('a helper that setsid()s away is recorded, and stopped by the next medic once its parents are gone', async () => {
    const port = await freePort();
    // A helper in its own session (like OpenClaw's spawn broker) beside the gateway.
    const helper = `${shellQuote(process.execPath)} ${shellQuote(RelaunchWrapperPath)} --setsid -- sleep 1000`;
    const command = `${helper} & ${plainGatewayCommand({ port })}`;
    const a = await makeSupervisor(command, port);
    const leader = await startLeader(a);
    const listener = await servingGateway(a);
    const wrapper = await waitFor(() => descendants(leader).find((pid) => pid !== listener && readStat(pid)?.session === leader), {
      what: 'the helper wrapper',
    });
    const sleeper = await waitFor(() => descendants(wrapper)[0], { what: 'the setsid()ed helper' });
    janitor.track(wrapper);
    janitor.track(sleeper);
    expect(readStat(sleeper)?.session).toBe(sleeper);
    await waitFor(() => readPidRecord(a.dataDir)?.outsiders?.some((p) => p.pid === sleeper), { what: 'the helper in the pid record' });
    await a.supervisor.close(false);
    // Its parents die while no medic runs: only the record leads back to it.
    for (const pid of [leader, wrapper]) process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(leader) && !isAlive(wrapper), { what: 'the shell and the wrapper to die' });
    // The kernel reparents the helper as its wrapper finishes exiting (a moment after it reads as dead).
    await waitFor(() => readStat(sleeper)?.ppid !== wrapper, { what: 'the helper to be reparented' });

    const b = await makeSupervisor(command, port, { dataDir: a.dataDir });
    await expect(b.supervisor.adoptOrClear()).resolves.toBeNull();
    expect([listener, sleeper].filter(isAlive)).toEqual([]);
  });

  it('names the gateway below the shell until something listens, and records the shell', async () => {
    const port = await freePort();
    const h = await makeSupervisor(plainGatewayCommand({ port, mode: 'slow-start', afterMs: 60_000 }), port);
    const leader = await startLeader(h);
    await waitFor(() => descendants(leader).length > 0, { what: 'the shell to start the gateway' });
    const [gateway] = descendants(leader);
    // Before this, start() named the shell (issue 10): /status and the timeline showed `sh`.
    expect(h.started).toEqual([gateway]);
    expect(readStat(gateway!)?.ppid).toBe(leader);
    expect(h.served).toEqual([]);
    expect(readPidRecord(h.dataDir)).toMatchObject({ pid: leader });
    expect(readPidRecord(h.dataDir)?.serving).toBeUndefined();
  });
});

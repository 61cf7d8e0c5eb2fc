import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayStartError } from '../../src/errors.js';
import { systemClock } from '../../src/lib/clock.js';
import { markerValue } from '../../src/lib/gateway-marker.js';
import { pidRecordPath, readProcessStartTime } from '../../src/recovery/pid-record.js';
import { HttpProbe } from '../../src/recovery/probe.js';
import { ChildSupervisor, readPidRecord, type ChildSupervisorOptions } from '../../src/recovery/supervisor.js';
import type { ExitInfo } from '../../src/recovery/types.js';
import {
  ProcessJanitor,
  TempDirs,
  captureLogger,
  demoGatewayCommand,
  execGatewayCommand,
  freePort,
  isAlive,
  nodeScriptCommand,
  waitFor,
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

interface Harness {
  supervisor: ChildSupervisor;
  exits: ExitInfo[];
  /** Every pid `onServing` reported (the process listening on the port), in order. */
  served: number[];
  log: ReturnType<typeof captureLogger>;
  dataDir: string;
}

/**
 * A supervisor as the medic builds one: `port` is the health URL's (the process listening on it
 * is the one shown). Command lines are plain, as users write them: the spawned pid is the shell.
 */
async function makeSupervisor(command: string, extra: Partial<ChildSupervisorOptions> = {}): Promise<Harness> {
  const dataDir = extra.dataDir ?? (await dirs.make());
  const log = captureLogger();
  const supervisor = new ChildSupervisor({ target: 'demo', command, dataDir, stopTimeoutMs: 5_000, log, ...extra });
  supervisors.push(supervisor);
  const exits: ExitInfo[] = [];
  const served: number[] = [];
  supervisor.onExit((exit) => exits.push(exit));
  supervisor.onServing((pid) => served.push(janitor.track(pid)));
  return { supervisor, exits, served, log, dataDir };
}

/** Waits for a healthy gateway and for the supervisor to name the process serving the port; returns its pid. */
async function servingPid(h: Harness, port: number): Promise<number> {
  await waitHealthy(port);
  return waitFor(() => h.served.at(-1), { timeoutMs: 10_000, what: 'the supervisor to report the listener' });
}

async function startTracked(supervisor: ChildSupervisor): Promise<number> {
  return janitor.track(await supervisor.start());
}

function probe(port: number): HttpProbe {
  return new HttpProbe({ url: `http://127.0.0.1:${port}/healthz`, timeoutMs: 3_000, clock: systemClock });
}

async function waitHealthy(port: number): Promise<void> {
  await waitFor(async () => (await probe(port).check()).ok, { timeoutMs: 15_000, what: 'a healthy probe' });
}

const firstExit = (exits: ExitInfo[]) => waitFor(() => exits[0], { timeoutMs: 15_000, what: 'the exit' });

describe('ChildSupervisor', () => {
  it('starts a gateway that answers the probe, records it, and stops it cleanly', async () => {
    const port = await freePort();
    const h = await makeSupervisor(demoGatewayCommand({ port }), { port });
    const { supervisor, exits, dataDir } = h;
    const started = await startTracked(supervisor);
    const spawned = janitor.track(readPidRecord(dataDir)!.pid); // the shell: a plain command line is forked by sh
    const pid = await servingPid(h, port);
    expect(started).toBe(pid); // the pid a start names is the gateway's, not its shell's (issue 10)
    expect(spawned).not.toBe(pid);
    expect(readPidRecord(dataDir)).toMatchObject({
      pid: spawned,
      startTime: await readProcessStartTime(spawned),
      serving: { pid, startTime: await readProcessStartTime(pid) },
    });
    // The gateway's own word for its pid is the one the supervisor names.
    expect(supervisor.recentOutput().join('\n')).toContain(`listening on 127.0.0.1:${port} (pid ${pid})`);

    await expect(supervisor.stop('test')).resolves.toBe(true);
    expect(exits).toEqual([expect.objectContaining({ code: 0, signal: null, hint: null })]);
    expect(existsSync(pidRecordPath(dataDir))).toBe(false);
    expect([spawned, pid].filter(isAlive)).toEqual([]);
    await expect(supervisor.stop('again')).resolves.toBe(false);
  });

  it("an exec'd command line (the deploy units' shape): the spawned pid is the gateway, shown, stopped and reported", async () => {
    const port = await freePort();
    const h = await makeSupervisor(execGatewayCommand({ port }), { port });
    const spawned = await startTracked(h.supervisor);
    await expect(servingPid(h, port)).resolves.toBe(spawned);
    expect(h.supervisor.recentOutput().join('\n')).toContain(`listening on 127.0.0.1:${port} (pid ${spawned})`);
    await expect(h.supervisor.stop('test')).resolves.toBe(true);
    expect(h.exits).toEqual([expect.objectContaining({ code: 0, signal: null, hint: null })]);
    expect(isAlive(spawned)).toBe(false);
  });

  it('sees a kill -9 of the gateway as an exit by SIGKILL', async () => {
    const port = await freePort();
    const h = await makeSupervisor(demoGatewayCommand({ port }), { port });
    const { supervisor, exits, dataDir } = h;
    await startTracked(supervisor);
    const pid = await servingPid(h, port);
    process.kill(pid, 'SIGKILL');
    expect(await firstExit(exits)).toMatchObject({ code: null, signal: 'SIGKILL', hint: null });
    expect(existsSync(pidRecordPath(dataDir))).toBe(false);
  });

  it("marks the gateway's environment as this target's (CLAWMEDIC_GATEWAY=<data dir>), through the shell", async () => {
    const out = join(await dirs.make(), 'env');
    const { supervisor, exits, dataDir } = await makeSupervisor(nodeScriptCommand(`require('fs').writeFileSync(${JSON.stringify(out)}, process.env.CLAWMEDIC_GATEWAY ?? 'none')`));
    await startTracked(supervisor);
    await firstExit(exits);
    expect(readFileSync(out, 'utf8')).toBe(markerValue(dataDir));
  });

  it('reports a crash on start as exit code 1 and can start again afterwards', async () => {
    const port = await freePort();
    const { supervisor, exits } = await makeSupervisor(demoGatewayCommand({ port, mode: 'crash-on-start' }), { port });
    await startTracked(supervisor);
    expect(await firstExit(exits)).toMatchObject({ code: 1, signal: null, hint: null });
    await startTracked(supervisor);
    await waitFor(() => exits.length === 2, { what: 'the second exit' });
  });

  it("hints 'config' when the gateway refuses its config with exit 78", async () => {
    const dataDir = await dirs.make();
    const config = join(dataDir, 'openclaw.json');
    await writeFile(config, JSON.stringify({ gateway: { port: 18789 } }));
    const port = await freePort();
    const { supervisor, exits } = await makeSupervisor(demoGatewayCommand({ port, config }), { port, dataDir });
    await startTracked(supervisor);
    expect(await firstExit(exits)).toMatchObject({ code: 78, hint: 'config' });
    expect(supervisor.recentOutput()).toContain('Gateway start blocked: existing config is missing gateway.mode.');
  });

  it("hints 'port' when the port is already taken", async () => {
    const holder = net.createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const { supervisor, exits } = await makeSupervisor(demoGatewayCommand({ port }), { port });
      await startTracked(supervisor);
      expect(await firstExit(exits)).toMatchObject({ code: 1, hint: 'port' });
    } finally {
      await new Promise((ok) => holder.close(ok));
    }
  });

  it('does not carry an old EADDRINUSE into the hint of a later run', async () => {
    const { supervisor, exits, dataDir } = await makeSupervisor(nodeScriptCommand('process.exit(1)'));
    writeFileSync(join(dataDir, 'gateway.log'), 'listen EADDRINUSE: address already in use 127.0.0.1:1\n');
    await startTracked(supervisor);
    expect(await firstExit(exits)).toMatchObject({ code: 1, hint: null });
  });

  it('escalates to SIGKILL when the gateway ignores SIGTERM', async () => {
    const script = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('trap ready'); setInterval(() => {}, 1000);";
    const { supervisor, exits, log } = await makeSupervisor(nodeScriptCommand(script), { stopTimeoutMs: 500 });
    await startTracked(supervisor);
    await waitFor(() => supervisor.recentOutput().includes('trap ready'), { what: 'the SIGTERM trap' });
    await expect(supervisor.stop('test')).resolves.toBe(true);
    expect(exits).toEqual([expect.objectContaining({ code: null, signal: 'SIGKILL' })]);
    expect(supervisor.recentOutput()).toContain('ignoring SIGTERM');
    expect(log.entries.map((e) => e.msg)).toContain('the gateway ignored SIGTERM; sending SIGKILL');
  });

  it('stops the whole process group, grandchildren included', async () => {
    const port = await freePort();
    const command = `sleep 1000 & echo "grandchild $!"; ${demoGatewayCommand({ port })}`;
    const h = await makeSupervisor(command, { port });
    const { supervisor } = h;
    const spawned = await startTracked(supervisor);
    const line = await waitFor(() => supervisor.recentOutput().find((l) => l.startsWith('grandchild ')), { what: 'the grandchild pid' });
    const grandchild = janitor.track(Number(line.split(' ')[1]));
    expect(isAlive(grandchild)).toBe(true);
    const pid = await servingPid(h, port);

    await expect(supervisor.stop('test')).resolves.toBe(true);
    expect([spawned, pid].filter(isAlive)).toEqual([]);
    await waitFor(() => !isAlive(grandchild), { timeoutMs: 5_000, what: 'the grandchild to die' });
  });

  it('close(true) stops the gateway; close(false) leaves it running', async () => {
    const port = await freePort();
    const first = await makeSupervisor(demoGatewayCommand({ port }), { port });
    const keptShell = await startTracked(first.supervisor);
    const kept = await servingPid(first, port);
    await first.supervisor.close(false);
    expect([keptShell, kept].filter(isAlive)).toEqual([keptShell, kept]);

    const otherPort = await freePort();
    const second = await makeSupervisor(demoGatewayCommand({ port: otherPort }), { port: otherPort });
    const stoppedShell = await startTracked(second.supervisor);
    const stopped = await servingPid(second, otherPort);
    await second.supervisor.close(true);
    expect([stoppedShell, stopped].filter(isAlive)).toEqual([]);
    await expect(second.supervisor.start()).rejects.toBeInstanceOf(GatewayStartError);
  });

  it('rejects a second start while a gateway runs, and a spawn that fails', async () => {
    const port = await freePort();
    const { supervisor } = await makeSupervisor(demoGatewayCommand({ port }), { port });
    await startTracked(supervisor);
    await expect(supervisor.start()).rejects.toThrow(/already running/);

    const broken = await makeSupervisor('true', { cwd: '/nonexistent/clawmedic-cwd' });
    const error = await broken.supervisor.start().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStartError);
    expect((error as GatewayStartError).target).toBe('demo');
  });

  it('rotates a log over 5 MB at start', async () => {
    const { supervisor, dataDir } = await makeSupervisor(nodeScriptCommand("console.log('fresh run')"));
    await writeFile(join(dataDir, 'gateway.log'), `${'x'.repeat(99)}\n`.repeat(60_000));
    await startTracked(supervisor);
    await waitFor(() => supervisor.recentOutput().includes('fresh run'), { what: 'the new output' });
    expect((await stat(join(dataDir, 'gateway.log.1'))).size).toBeGreaterThan(5 * 1024 * 1024);
    expect(await readFile(join(dataDir, 'gateway.log'), 'utf8')).toBe('fresh run\n');
  });
});

describe('ChildSupervisor adoption', () => {
  it('adopts the gateway a killed medic left running, and sees its exit', async () => {
    const port = await freePort();
    const command = demoGatewayCommand({ port });
    const a = await makeSupervisor(command, { port });
    await startTracked(a.supervisor);
    const pid = await servingPid(a, port);
    // Medic A is "killed -9": forgotten, never closed.

    const b = await makeSupervisor(command, { port, dataDir: a.dataDir });
    await expect(b.supervisor.adoptOrClear()).resolves.toBe(pid);
    expect(b.supervisor.recentOutput().join('\n')).toContain(`listening on 127.0.0.1:${port}`);
    await expect(b.supervisor.start()).rejects.toBeInstanceOf(GatewayStartError);

    process.kill(pid, 'SIGKILL');
    expect(await firstExit(b.exits)).toMatchObject({ code: null, signal: null });
    expect(existsSync(pidRecordPath(a.dataDir))).toBe(false);
  });

  it('stops an adopted gateway through its process group', async () => {
    const port = await freePort();
    const command = demoGatewayCommand({ port });
    const a = await makeSupervisor(command, { port });
    const spawned = await startTracked(a.supervisor);
    const pid = await servingPid(a, port);

    const b = await makeSupervisor(command, { port, dataDir: a.dataDir });
    await expect(b.supervisor.adoptOrClear()).resolves.toBe(pid);
    await expect(b.supervisor.stop('test')).resolves.toBe(true);
    expect([spawned, pid].filter(isAlive)).toEqual([]);
    expect(b.exits).toHaveLength(1);
  });

  it('clears a record whose pid is dead', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = janitor.track(dead.pid);
    await new Promise((ok) => dead.once('exit', ok));
    const { supervisor, dataDir } = await makeSupervisor('true');
    writeFileSync(pidRecordPath(dataDir), JSON.stringify({ pid, startTime: '12345', command: 'x' }));
    await expect(supervisor.adoptOrClear()).resolves.toBeNull();
    expect(existsSync(pidRecordPath(dataDir))).toBe(false);
  });

  it('clears a record whose pid was recycled by another process, and leaves that process alone', async () => {
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const pid = janitor.track(other.pid);
    const { supervisor, dataDir, exits } = await makeSupervisor('true');
    writeFileSync(pidRecordPath(dataDir), JSON.stringify({ pid, startTime: 'not-its-start-time', command: 'x' }));
    await expect(supervisor.adoptOrClear()).resolves.toBeNull();
    expect(existsSync(pidRecordPath(dataDir))).toBe(false);
    await expect(supervisor.stop('test')).resolves.toBe(false);
    expect(isAlive(pid)).toBe(true);
    expect(exits).toEqual([]);
  });
});

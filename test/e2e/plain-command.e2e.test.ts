/**
 * The whole medic with GATEWAY_COMMAND as users write it (no `exec`): a plain command line
 * (the spawned pid is /bin/sh), a wrapper that re-launches the gateway as its child, and a
 * gateway that setsid()s out of the process group. /status names the process listening on
 * the port; a kill -9 of that pid or of the spawned one ends with one gateway serving the
 * port; stopping the medic leaves no process behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { targetDataDir } from '../../src/main.js';
import { readPidRecord, type PidRecord } from '../../src/recovery/pid-record.js';
import { descendants, readStat } from '../../src/lib/process-table.js';
import { listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { isAlive, plainGatewayCommand, waitFor, type CommandShape } from '../fixtures/gateways.js';
import { E2eWorld, healthyAndCalm, type MedicUnderTest } from './harness.js';

const world = new E2eWorld();
afterEach(() => world.cleanup());

const record = (m: MedicUnderTest): PidRecord | null => readPidRecord(targetDataDir(m.running.config, 'gw'));

async function startPlain(shape: CommandShape, startDelayMs?: number): Promise<MedicUnderTest> {
  const setup = await world.envFor({});
  const delay = startDelayMs === undefined ? {} : { startDelayMs };
  setup.env.GATEWAY_COMMAND = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath, ...delay }, shape);
  return world.startWith(setup);
}

/** The parent pid of a running process, from /proc. */
const parentOf = (pid: number): number | null => readStat(pid)?.ppid ?? null;

/** Healthy, calm, and the pid /status shows is the one process listening on the port. */
async function servedByShownPid(m: MedicUnderTest, what: string): Promise<number> {
  return waitFor(
    async () => {
      const t = m.status();
      if (!healthyAndCalm(t)) return null;
      // pid 0: a socket whose owner was not found (a gateway exiting right then).
      const holders = (await listPortHolders(m.gatewayPort)).filter((h) => h.pid > 0).map((h) => world.janitor.track(h.pid));
      // The record names the listener once it is found listening (the pid shown may be named before that).
      return holders.length === 1 && holders[0] === t.pid && record(m)?.serving?.pid === t.pid ? t.pid : null;
    },
    { timeoutMs: 20_000, what },
  );
}

/** Samples the port's holders until stopped; the largest count seen. */
function watchHolders(port: number): { stop(): Promise<number> } {
  let most = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      const holders = (await listPortHolders(port).catch(() => [])).filter((h) => h.pid > 0);
      for (const h of holders) world.janitor.track(h.pid);
      most = Math.max(most, new Set(holders.map((h) => h.pid)).size);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      return most;
    },
  };
}

describe.each<CommandShape>(['plain', 'wrapper', 'setsid'])('GATEWAY_COMMAND as a %s command line', (shape) => {
  it('/status shows the listener; kill -9 of it or of the spawned pid: one gateway again, shown by its listener', async () => {
    const m = await startPlain(shape);
    const first = await servedByShownPid(m, 'the first gateway');
    expect(record(m)).toMatchObject({ serving: { pid: first } });
    expect(record(m)!.pid).not.toBe(first);

    const holders = watchHolders(m.gatewayPort);
    process.kill(first, 'SIGKILL');
    await waitFor(async () => (await m.incidents()).length === 1, { what: 'the incident' });
    const second = await servedByShownPid(m, 'the gateway after kill -9 of the listener');
    expect(second).not.toBe(first);

    const spawned = record(m)!;
    expect(spawned.serving?.pid).toBe(second);
    const leftOfSecond = [spawned.pid, ...descendants(spawned.pid), second].map((p) => world.janitor.track(p));
    process.kill(spawned.pid, 'SIGKILL');
    await waitFor(async () => (await m.incidents()).length === 2, { what: 'the second incident' });
    const third = await servedByShownPid(m, 'the gateway after kill -9 of the spawned pid');
    expect(await holders.stop()).toBe(1); // never two gateways on the port
    expect([first, ...leftOfSecond].filter(isAlive)).toEqual([]);
    expect(third).not.toBe(second);

    const incidents = await m.incidents();
    expect(incidents.map((i) => [i.state, i.maxLevel, i.cause])).toEqual([
      ['resolved', 0, 'gateway was killed by SIGKILL'],
      ['resolved', 0, 'gateway was killed by SIGKILL'],
    ]);

    const leader = record(m)!.pid;
    const last = [leader, ...descendants(leader), third, ...descendants(third)].map((p) => world.janitor.track(p));
    await m.running.stop();
    expect(last.filter(isAlive)).toEqual([]);
  });
});

describe.each<CommandShape>(['plain', 'wrapper'])('GATEWAY_COMMAND as a %s command line, before the gateway listens', (shape) => {
  it('/status names the gateway below the shell, never the shell; the timeline names one gateway pid per run', async () => {
    // Each run takes 2 s to listen: long enough to read /status before anything serves the port.
    const m = await startPlain(shape, 2_000);
    const beforeListening = async (what: string): Promise<{ pid: number; spawned: number }> =>
      waitFor(
        async () => {
          const t = m.status();
          const spawned = record(m)?.pid;
          if (t.pid === null || spawned === undefined || record(m)?.serving || (await listPortHolders(m.gatewayPort)).length > 0) return null;
          world.janitor.track(t.pid);
          // A wrapper's re-launched child is named once the watch finds it (within half a second).
          return shape === 'plain' || parentOf(t.pid) !== spawned ? { pid: t.pid, spawned } : null;
        },
        { timeoutMs: 20_000, what }
      );
    const first = await beforeListening('the first run before it listens');
    // Before issue 10's fix this was the spawned `sh -c` (its pid and the record's were the same).
    expect(first.pid).not.toBe(first.spawned);
    expect(readStat(first.pid)).not.toBeNull();
    if (shape === 'plain') expect(parentOf(first.pid)).toBe(first.spawned);
    expect(await servedByShownPid(m, 'the first gateway')).toBe(first.pid);

    process.kill(first.pid, 'SIGKILL');
    await waitFor(async () => (await m.incidents()).length === 1, { what: 'the incident' });
    const second = await beforeListening('the second run before it listens');
    expect(second.pid).not.toBe(second.spawned);
    expect(await servedByShownPid(m, 'the second gateway')).toBe(second.pid);
    const [incident] = await m.incidents();
    await waitFor(async () => (await m.incidents())[0]?.state === 'resolved', { what: 'the incident resolved' });
    const lines = (await m.incident(incident!.id)).timeline.map((r) => r.text);
    const named = lines.filter((l) => /^gateway (started|listening as|runs as)/.test(l));
    expect(named[0]).toBe(`gateway started (pid ${shape === 'plain' ? second.pid : named[0]!.match(/pid (\d+)/)![1]})`);
    // One pid per run for a plain command line; a wrapper that re-launches after its start names its child once more.
    const pids = new Set(named.flatMap((l) => [...l.matchAll(/pid (\d+)/g)].map((x) => Number(x[1]))));
    if (shape === 'plain') expect([...pids]).toEqual([second.pid]);
    expect(pids).not.toContain(second.spawned);

    const last = [second.spawned, ...descendants(second.spawned), second.pid].map((p) => world.janitor.track(p));
    await m.running.stop();
    expect(last.filter(isAlive)).toEqual([]);
  });
});

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
import { descendants } from '../../src/lib/process-table.js';
import { listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { isAlive, plainGatewayCommand, waitFor, type CommandShape } from '../fixtures/gateways.js';
import { E2eWorld, healthyAndCalm, type MedicUnderTest } from './harness.js';

const world = new E2eWorld();
afterEach(() => world.cleanup());

const record = (m: MedicUnderTest): PidRecord | null => readPidRecord(targetDataDir(m.running.config, 'gw'));

async function startPlain(shape: CommandShape): Promise<MedicUnderTest> {
  const setup = await world.envFor({});
  setup.env.GATEWAY_COMMAND = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath }, shape);
  return world.startWith(setup);
}

/** Healthy, calm, and the pid /status shows is the one process listening on the port. */
async function servedByShownPid(m: MedicUnderTest, what: string): Promise<number> {
  return waitFor(
    async () => {
      const t = m.status();
      if (!healthyAndCalm(t)) return null;
      // pid 0: a socket whose owner was not found (a gateway exiting right then).
      const holders = (await listPortHolders(m.gatewayPort)).filter((h) => h.pid > 0).map((h) => world.janitor.track(h.pid));
      return holders.length === 1 && holders[0] === t.pid ? t.pid : null;
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

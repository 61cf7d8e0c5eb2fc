/**
 * Service mode on the real gateway: the real OpenClaw gateway is run by a fixture service manager (a systemd user
 * unit with Restart=no, see service-fixture.ts), and the medic is configured as a user of such a unit configures it:
 * `GATEWAY_RESTART_COMMAND=systemctl --user restart openclaw-gateway`, no GATEWAY_COMMAND. The medic does not own the
 * gateway: it reads the unit's journal and exit status, repairs what is certain, and restarts through the command.
 * It never signals the service's processes itself (every `process.kill` of the medic, which runs in this process,
 * is watched).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readProcessStartTime } from '../../src/recovery/pid-record.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { locksNamingASleep } from './lock-fixture.js';
import { chaosConfigured, type ChaosSetup, ChaosWorld, expectPluginDisabled, QUIET_OPENCLAW, readConfigJson, serviceCalm, writeConfig, type InProcessMedic } from './harness.js';
import { writeCrashPlugin } from './plugin-fixture.js';
import { firstOk } from './processes.js';
import { isServiceProcess, SignalWatch, UNIT, unexplainedExits, writeService, type ChaosService } from './service-fixture.js';

const world = new ChaosWorld();
/** The machine is shared (load above 20 seen): a start-up may take over 60 s; probes are not counted for longer. */
const SLOW_MACHINE = { STARTUP_GRACE_MS: '180000' };
const ID = 'crash-plugin';
const RESTART = `systemctl --user restart ${UNIT}`;

/** Every signal the medic (in this process) sends to the service's processes or to an innocent one. */
const watch = new SignalWatch();

/** The world's env, as a user of a systemd unit configures the medic: the restart command, no GATEWAY_COMMAND. */
async function serviceWorld(): Promise<{ setup: ChaosSetup; svc: ChaosService }> {
  const setup = await world.setup({ env: SLOW_MACHINE });
  const dir = join(setup.dir, 'service');
  mkdirSync(dir, { recursive: true });
  // The unit's Environment=: OpenClaw's state and config, its Node first on PATH; not the medic's own settings.
  const unitEnv = {
    PATH: setup.env.PATH!,
    HOME: setup.dir,
    LANG: 'C.UTF-8',
    OPENCLAW_STATE_DIR: setup.stateDir,
    OPENCLAW_CONFIG_PATH: setup.configPath,
    ...QUIET_OPENCLAW,
  };
  const svc = writeService(dir, ['openclaw', 'gateway', 'run', '--port', String(setup.gatewayPort), '--bind', 'loopback'], unitEnv);
  delete setup.env.GATEWAY_COMMAND;
  setup.env.GATEWAY_RESTART_COMMAND = RESTART;
  setup.env.PATH = `${svc.bin}:${setup.env.PATH}`;
  watch.dirs.push(dir);
  return { setup, svc };
}

/** The service up (as the person started it) and a medic watching it, healthy and calm. */
async function running(setup: ChaosSetup, svc: ChaosService, what: string): Promise<{ m: InProcessMedic; floorMs: number }> {
  const t0 = Date.now();
  await svc.systemctl('start');
  const up = await firstOk(setup.healthUrl, 240_000, `${what}: the service's first 200`);
  const m = await world.startMedic(setup);
  // (No known-good snapshot yet: the medic did not start this run, so it cannot tell which config it runs on.)
  await world.waitStatus(m, `${what}: healthy`, serviceCalm);
  return { m, floorMs: up - t0 };
}

/**
 * No exit of the service's main process came from anyone but the manager: each one either followed the manager's
 * own stop of that pid, or was the gateway's own exit (a code, not a signal). And the medic sent no signal to the
 * service's processes (nor to `innocent` ones).
 */
function expectNotSignalled(svc: ChaosService): void {
  expect(watch.signalled).toEqual([]);
  expect(svc.events().filter((e) => e.what === 'exit').length).toBeGreaterThan(0);
  expect(unexplainedExits(svc.events())).toEqual([]);
}

describe.skipIf(!chaosConfigured)('a gateway run as a service (GATEWAY_RESTART_COMMAND, a fixture systemd unit)', () => {
  beforeAll(() => watch.start());
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      await world.dump();
      for (const d of watch.dirs) process.stderr.write(`--- ${d}/events.log\n${readFileSync(join(d, 'events.log'), 'utf8')}`);
    }
    // Cleanup stops what the tests started: no longer the medic's doing.
    watch.reset();
    await world.cleanup();
  });
  afterAll(() => watch.stop());

  it('a plugin that throws at every start: named from the journal, disabled alone, healthy through the restart command; the medic signals nothing', async () => {
    const { setup, svc } = await serviceWorld();
    const { m, floorMs } = await running(setup, svc, 'service, plugin');

    // The user's edits: a plugin and a log level; then the user restarts the service to load the plugin.
    const pluginDir = writeCrashPlugin(join(setup.dir, 'plugins'), ID, 'throw-later');
    const config = readConfigJson(setup) as Record<string, any>;
    config.logging = { ...config.logging, level: 'info' };
    config.plugins = { load: { paths: [pluginDir] }, entries: { [ID]: { enabled: true } } };
    writeConfig(setup, `${JSON.stringify(config, null, 2)}\n`);
    // The running gateway takes the edit (hot-applied; the plugin loads at the next start): under load it may stop
    // answering for a while, and the medic may restart it. The fault comes once that has settled.
    await new Promise((res) => setTimeout(res, 3_000));
    await world.waitStatus(m, 'service, plugin: calm after the edit', serviceCalm);
    const before = await world.incidentIds(m);
    const trace = world.trace(m);
    const faultAt = Date.now();
    await svc.systemctl('restart');

    await waitFor(async () => (await m.incidents()).find((i) => !before.has(i.id) && i.state === 'resolved' && i.outcome === 'fixed by disable-plugin'), {
      timeoutMs: 800_000,
      intervalMs: 500,
      what: 'the incident closed by disable-plugin',
    });
    const r = await world.recovered(m, 'service: plugin throws later at every start', { faultAt, before, trace, calm: serviceCalm, note: `fault = \`${RESTART}\` by the user, loading a crashing plugin; gateway start-up ${(floorMs / 1000).toFixed(1)} s` });

    // Named from the unit's journal: the medic reads no log file here (no GATEWAY_LOG_FILE).
    expectPluginDisabled(r, ID);
    expect(r.texts).toContain(`level 2: plugin ${ID} crashed the gateway at two starts in a row: disabling only that plugin`);
    expect(r.texts).toContain(`repair: disable-plugin ${ID}`);
    expect(r.texts.find((t) => t.startsWith('disable-plugin finished: '))).toContain(`to re-enable it: openclaw plugins enable '${ID}'`);

    // Only the plugin changed.
    const after = readConfigJson(setup) as Record<string, any>;
    expect(after.plugins.entries[ID].enabled).toBe(false);
    expect(after.plugins.load.paths).toEqual([pluginDir]);
    expect(after.logging.level).toBe('info');
    expect(after.gateway).toMatchObject({ mode: 'local', port: setup.gatewayPort, bind: 'loopback' });

    // Healthy through the restart command: the gateway answering now is the service's, started by the manager after
    // the plugin was disabled, and it stays up.
    const events = svc.events();
    const disabledAt = r.records.find((x) => x.text.startsWith('disable-plugin finished: '))!.at;
    const main = svc.mainPid();
    expect(main).not.toBeNull();
    expect(isServiceProcess(main!, svc.dir)).toBe(true);
    expect(events.some((e) => e.what === 'start' && e.pid === main && e.at >= disabledAt)).toBe(true);
    expect(events.filter((e) => e.what === 'systemctl' && e.detail === 'restart').length).toBeGreaterThanOrEqual(3); // the user's and at least two of the medic's
    await new Promise((res) => setTimeout(res, 8_000)); // past the plugin's 3 s
    expect(svc.mainPid()).toBe(main);
    await firstOk(setup.healthUrl, 60_000, 'service, plugin: /healthz after the plugin\'s time');
    expectNotSignalled(svc);
  });

  it('a stale lock naming a live sleep: the lock removed, the sleep never signalled, healthy through the restart command', async () => {
    const { setup, svc } = await serviceWorld();
    const { m: m1 } = await running(setup, svc, 'service, lock');
    const lockDir = join(setup.stateDir, 'tmp', `openclaw-${process.getuid!()}`);
    // OpenClaw writes its locks during its start-up; under load they may come after its first 200.
    const names = await waitFor(() => {
      const found = existsSync(lockDir) ? readdirSync(lockDir).filter((n) => /^gateway\..+\.lock$/.test(n)) : [];
      return found.length > 0 ? found : null;
    }, { timeoutMs: 60_000, what: "the running gateway's state locks" });
    const locks = names.map((n) => ({ name: n, json: JSON.parse(readFileSync(join(lockDir, n), 'utf8')) as Record<string, unknown> }));
    const configBefore = readFileSync(setup.configPath, 'utf8');
    const before = await world.incidentIds(m1);
    // The "reboot": the medic and the service stop (cleanly: OpenClaw removes its locks) ...
    await world.stopMedic(m1);
    await svc.systemctl('stop');
    await waitFor(() => names.every((n) => !existsSync(join(lockDir, n))), { timeoutMs: 30_000, what: 'the locks removed by a clean stop' });
    // ... and after it an innocent process has the pid the locks name, with their start time.
    const { sleep, startTime: sleepStart } = await locksNamingASleep(world, lockDir, locks);
    watch.innocent.push(sleep.pid!);

    // The medic starts with the service down: its restart command starts a gateway that exits 78 on the lock.
    const faultAt = Date.now();
    const m2 = await world.startMedic(setup);
    const trace = world.trace(m2);
    const r = await world.recovered(m2, 'service: stale state lock naming a live sleep', { faultAt, before, trace, calm: serviceCalm, timeoutMs: 600_000, note: 'fault = medic start, the service down, stale locks' });

    expect(r.incidents).toHaveLength(1);
    const inc = r.incidents[0]!;
    expect(inc).toMatchObject({ state: 'resolved', outcome: 'fixed by remove-stale-lock', maxLevel: 2, tried: ['remove-stale-lock'] });
    expect(inc.failure).toMatchObject({ class: 'stale-lock', culprit: `pid ${sleep.pid}` });
    expect(inc.failure!.evidence[0]).toContain(`Another gateway (pid ${sleep.pid}) already owns this state directory`);
    expect(r.texts.find((t) => t.startsWith('remove-stale-lock finished: '))).toContain('was not signalled');
    expect(svc.events().some((e) => e.what === 'exit' && e.detail === 'code=78')).toBe(true);
    const main = svc.mainPid();
    expect(main).not.toBeNull();
    expect(isServiceProcess(main!, svc.dir)).toBe(true);
    // The innocent process: alive, the same one, never signalled.
    expect(isAlive(sleep.pid!)).toBe(true);
    expect(sleep.signalCode).toBeNull();
    expect(await readProcessStartTime(sleep.pid!)).toBe(sleepStart);
    expect(readFileSync(setup.configPath, 'utf8')).toBe(configBefore);
    expectNotSignalled(svc);
  });
});

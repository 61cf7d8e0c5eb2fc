/**
 * The systemd journal of a service gateway (GATEWAY_SERVICE_UNIT). There is no systemd user bus where these tests
 * run, so `journalctl` and `systemctl` are small scripts this test writes first on PATH: they record their arguments
 * and print what the real ones print for a unit whose gateway ran out of memory (`-o cat` lines; ExecMainCode=1,
 * ExecMainStatus=134). Not run against a real systemd here.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceGateway } from '../../src/recovery/service-gateway.js';
import { parseRunningSince, parseUnitExit, ServiceJournal, serviceUnitOf } from '../../src/recovery/service-journal.js';
import { TempDirs, captureLogger } from '../fixtures/gateways.js';

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

function script(dir: string, name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

/** systemd's monotonic clock (CLOCK_MONOTONIC, µs) `agoMs` ago: how `ExecMainExitTimestampMonotonic` dates an exit. */
export function monotonicAgo(agoMs: number): string {
  return String(process.hrtime.bigint() / 1000n - BigInt(agoMs * 1000));
}

/**
 * A fake systemd: journalctl prints `journal` (a file the test writes) and logs its argv; systemctl prints `show`
 * (rewritten with `setShow`).
 */
async function fakeSystemd(show: string): Promise<{ dir: string; env: NodeJS.ProcessEnv; journal: string; calls: string; setShow: (text: string) => void }> {
  const dir = await dirs.make();
  const bin = join(dir, 'bin');
  const journal = join(dir, 'journal.txt');
  const calls = join(dir, 'calls');
  const showFile = join(dir, 'show.txt');
  const setShow = (text: string) => writeFileSync(showFile, `${text}\n`);
  writeFileSync(journal, '');
  setShow(show);
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  script(bin, 'journalctl', `echo "journalctl $*" >> '${calls}'\ncat '${journal}'\necho 'Hint: You are currently not seeing messages from other users.' >&2`);
  script(bin, 'systemctl', `echo "systemctl $*" >> '${calls}'\ncat '${showFile}'`);
  const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, OPENCLAW_STATE_DIR: join(dir, 'state') };
  return { dir, env, journal, calls, setShow };
}

/** The properties one `systemctl show` asks for. */
const SHOWN = 'MainPID,ExecMainStartTimestampMonotonic,ExecMainCode,ExecMainStatus,ExecMainExitTimestampMonotonic';

describe('ServiceJournal (a fake journalctl and systemctl on PATH; not a real systemd)', () => {
  it("an outage is named from the unit's journal since the last look and its exit status; each look asks only for what is new", async () => {
    const { env, journal, calls, setShow } = await fakeSystemd(`ExecMainCode=1\nExecMainStatus=134\nExecMainExitTimestampMonotonic=${monotonicAgo(1_000)}`);
    const log = captureLogger();
    const since = Date.now() - 5_000;
    const gateway = new ServiceGateway({
      target: 'svc',
      restartCommand: 'systemctl --user restart openclaw-gateway',
      journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }),
      since,
      env,
      log,
    });
    writeFileSync(journal, '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
    const now = Date.now();
    expect(await gateway.classifyOutage(now)).toMatchObject({
      class: 'out-of-memory',
      evidence: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
    });
    // Its exit status alone (the journal said nothing this time) still says 134: out of memory, plainly.
    writeFileSync(journal, '');
    const later = now + 10_000;
    await new Promise((r) => setTimeout(r, 20)); // the second exit comes after the first look
    setShow(`ExecMainCode=1\nExecMainStatus=134\nExecMainExitTimestampMonotonic=${monotonicAgo(0)}`);
    expect(await gateway.classifyOutage(later)).toMatchObject({ class: 'out-of-memory', summary: 'ran out of memory (exit 134, aborted)' });
    const asked = readFileSync(calls, 'utf8').trim().split('\n');
    // The two run side by side: their order between them is not fixed.
    expect([...asked].sort()).toEqual([
      `journalctl --user -u openclaw-gateway --since @${Math.floor(since / 1000)} -o cat --no-pager`,
      `journalctl --user -u openclaw-gateway --since @${Math.floor(now / 1000)} -o cat --no-pager`,
      `systemctl --user show -p ${SHOWN} openclaw-gateway`,
      `systemctl --user show -p ${SHOWN} openclaw-gateway`,
    ]);
    expect(asked.filter((l) => l.startsWith('journalctl')).map((l) => l.split('--since ')[1]!.split(' ')[0])).toEqual([
      `@${Math.floor(since / 1000)}`,
      `@${Math.floor(now / 1000)}`,
    ]);
    expect(log.entries.filter((e) => e.level === 'warn')).toEqual([]); // journalctl's hint on stderr is not a line of the gateway's
  });

  it("a plugin's stack in the journal names the plugin (a code 1 exit); a unit that runs again names no exit", async () => {
    const { env, journal } = await fakeSystemd('ExecMainCode=0\nExecMainStatus=0');
    const log = captureLogger();
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'gw-work', env, log }), env, log });
    writeFileSync(
      journal,
      'Error: boom from crash-plugin\n    at Timeout._onTimeout (/s/tmp/plugin-captures/0b/captures/openclaw-plugin-build-1/package-0/node_modules/crash-plugin/index.js:5:30)\n',
    );
    expect(await gateway.classifyOutage(Date.now())).toMatchObject({ class: 'plugin-crash', culprit: 'crash-plugin', evidence: ['Error: boom from crash-plugin', expect.stringContaining('node_modules/crash-plugin/index.js')] });
  });

  it("an exit from before the medic's last look is not this outage's: systemd keeps an old exit's status (exit 134 an hour ago)", async () => {
    const { env, journal, setShow } = await fakeSystemd(`ExecMainCode=1\nExecMainStatus=134\nExecMainExitTimestampMonotonic=${monotonicAgo(3_600_000)}`);
    const log = captureLogger();
    const since = Date.now() - 5_000;
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }), since, settleMs: 0, env, log });
    writeFileSync(journal, '');
    // An hour-old out of memory says nothing of an outage now (a hang, or a stop nobody logged).
    expect(await gateway.classifyOutage(Date.now())).toBeNull();
    // An exit with no time is not trusted either.
    setShow('ExecMainCode=1\nExecMainStatus=134');
    expect(await gateway.classifyOutage(Date.now())).toBeNull();
    // The same status, from an exit after the last look: this outage's.
    await new Promise((r) => setTimeout(r, 20));
    setShow(`ExecMainCode=1\nExecMainStatus=134\nExecMainExitTimestampMonotonic=${monotonicAgo(0)}`);
    expect(await gateway.classifyOutage(Date.now() + 100)).toMatchObject({ class: 'out-of-memory' });
  });

  it('a first reading that names nothing is read once more after settleMs: the crash lines reach the journal late', async () => {
    const { env, journal, calls } = await fakeSystemd('ExecMainCode=0\nExecMainStatus=0');
    const log = captureLogger();
    const waits: number[] = [];
    const crash = 'Error: boom from crash-plugin\n    at Timeout._onTimeout (/s/tmp/plugin-captures/0b/captures/openclaw-plugin-build-1/package-0/node_modules/crash-plugin/index.js:5:30)\n';
    // The journal gets the lines while the medic waits (journald still flushing the dying gateway's output).
    const sleep = async (ms: number) => {
      waits.push(ms);
      writeFileSync(journal, crash);
    };
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }), settleMs: 1_500, sleep, env, log });
    const now = Date.now();
    expect(await gateway.classifyOutage(now)).toMatchObject({ class: 'plugin-crash', culprit: 'crash-plugin' });
    expect(waits).toEqual([1_500]);
    // The second reading asks for the same span as the first; the next outage starts after it.
    const since = readFileSync(calls, 'utf8').trim().split('\n').filter((l) => l.startsWith('journalctl')).map((l) => l.split('--since ')[1]!.split(' ')[0]);
    expect(since).toHaveLength(2);
    expect(since[1]).toBe(since[0]);
    // Once only: a hang that leaves nothing behind waits one settle, not more.
    writeFileSync(journal, '');
    waits.length = 0;
    const sleepOnly = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }), settleMs: 1_500, sleep: async (ms) => void waits.push(ms), env, log });
    expect(await sleepOnly.classifyOutage(Date.now())).toBeNull();
    expect(waits).toEqual([1_500]);
  });

  it('whether its main process runs (MainPID) and since when, as systemd says; unknown without systemd', async () => {
    const { env, setShow } = await fakeSystemd('MainPID=0\nExecMainStartTimestampMonotonic=0');
    const log = captureLogger();
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }), env, log });
    expect(await gateway.mainRuns()).toBe(false);
    expect(await gateway.runningSince()).toBeNull();
    setShow(`MainPID=4242\nExecMainStartTimestampMonotonic=${monotonicAgo(4_000)}`);
    expect(await gateway.mainRuns()).toBe(true);
    expect(Math.abs(Date.now() - 4_000 - (await gateway.runningSince())!)).toBeLessThan(1_000);
    const none = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'openclaw-gateway', env: { PATH: '/nonexistent' }, log }), log });
    expect(await none.mainRuns()).toBeNull();
  });

  it("an outage's reading asks systemd once: how the last run ended and whether a new one runs, side by side", async () => {
    const { env, calls } = await fakeSystemd(`MainPID=0
ExecMainStartTimestampMonotonic=0
ExecMainCode=1
ExecMainStatus=134
ExecMainExitTimestampMonotonic=${monotonicAgo(500)}`);
    const log = captureLogger();
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }), since: Date.now() - 5_000, settleMs: 0, env, log });
    // As the ladder's ClassifyOutage asks them: together.
    const [failure, since, runs] = await Promise.all([gateway.classifyOutage(Date.now()), gateway.runningSince(), gateway.mainRuns()]);
    expect(failure).toMatchObject({ class: 'out-of-memory' });
    expect(since).toBeNull();
    expect(runs).toBe(false);
    const asked = readFileSync(calls, 'utf8').trim().split('\n').filter((l) => l.startsWith('systemctl'));
    expect(asked).toEqual([`systemctl --user show -p ${SHOWN} openclaw-gateway`]);
    // A later question asks again (nothing is kept once answered).
    expect(await gateway.mainRuns()).toBe(false);
    expect(readFileSync(calls, 'utf8').trim().split('\n').filter((l) => l.startsWith('systemctl'))).toHaveLength(2);
  });

  it('no journalctl or systemctl here: one line in the log, never a crash; the log file still names the class', async () => {
    const dir = await dirs.make();
    const env = { PATH: dir, HOME: dir, OPENCLAW_STATE_DIR: join(dir, 'state') };
    const log = captureLogger();
    const logFile = join(dir, 'gateway.log');
    writeFileSync(logFile, '');
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', logFile, journal: new ServiceJournal({ unit: 'openclaw-gateway', env, log }), env, log });
    expect(await gateway.classifyOutage(Date.now())).toBeNull();
    writeFileSync(logFile, 'Another gateway (pid 4242) already owns this state directory; refusing\n');
    expect(await gateway.classifyOutage(Date.now())).toMatchObject({ class: 'stale-lock', culprit: 'pid 4242' });
    const warned = log.entries.filter((e) => e.level === 'warn').map((e) => e.msg);
    expect(warned).toHaveLength(1); // one line for both commands and both looks
    expect(warned[0]).toMatch(/^no systemd here \((journalctl|systemctl) not found\): the journal and exit status of openclaw-gateway are not read$/);
  });
});

describe('the unit and its exit status', () => {
  it('GATEWAY_SERVICE_UNIT when set (`none`: not read), else openclaw-gateway when the restart command runs systemctl --user', () => {
    expect(serviceUnitOf('openclaw-gateway-work', null)).toBe('openclaw-gateway-work');
    expect(serviceUnitOf('none', 'systemctl --user restart openclaw-gateway')).toBeNull();
    expect(serviceUnitOf(null, 'systemctl --user restart openclaw-gateway')).toBe('openclaw-gateway');
    expect(serviceUnitOf(null, 'launchctl kickstart -k gui/501/ai.openclaw.gateway')).toBeNull();
    expect(serviceUnitOf(null, null)).toBeNull();
  });

  it("systemd's ExecMainCode and ExecMainStatus as an exit code or a signal, dated by ExecMainExitTimestampMonotonic", () => {
    const now = { wallMs: 1_800_000_000_000, monotonicUs: 50_000_000_000n };
    expect(parseUnitExit('ExecMainCode=1\nExecMainStatus=134\nExecMainExitTimestampMonotonic=49999000000\n', now)).toEqual({ code: 134, signal: null, at: 1_800_000_000_000 - 1_000 });
    expect(parseUnitExit('ExecMainStatus=6\nExecMainExitTimestampMonotonic=46400000000\nExecMainCode=3\n', now)).toEqual({ code: null, signal: 'SIGABRT', at: 1_800_000_000_000 - 3_600_000 });
    expect(parseUnitExit('ExecMainCode=2\nExecMainStatus=9\n', now)).toEqual({ code: null, signal: 'SIGKILL', at: null }); // not dated
    expect(parseUnitExit('ExecMainCode=1\nExecMainStatus=1\nExecMainExitTimestampMonotonic=0\n', now)).toEqual({ code: 1, signal: null, at: null });
    expect(parseUnitExit('ExecMainCode=0\nExecMainStatus=0\nExecMainExitTimestampMonotonic=0\n', now)).toBeNull(); // running, or never ended
    expect(parseUnitExit('', now)).toBeNull();
  });

  it("the main process's start, while it runs (MainPID, ExecMainStartTimestampMonotonic)", () => {
    const now = { wallMs: 1_800_000_000_000, monotonicUs: 50_000_000_000n };
    expect(parseRunningSince('MainPID=4242\nExecMainStartTimestampMonotonic=49996000000\n', now)).toBe(1_800_000_000_000 - 4_000);
    expect(parseRunningSince('MainPID=0\nExecMainStartTimestampMonotonic=49996000000\n', now)).toBeNull(); // not running
    expect(parseRunningSince('MainPID=4242\nExecMainStartTimestampMonotonic=0\n', now)).toBeNull();
    expect(parseRunningSince('', now)).toBeNull();
  });
});

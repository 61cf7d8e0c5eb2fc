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
import { parseUnitExit, ServiceJournal, serviceUnitOf } from '../../src/recovery/service-journal.js';
import { TempDirs, captureLogger } from '../fixtures/gateways.js';

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

function script(dir: string, name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

/** A fake systemd: journalctl prints `journal` (a file the test writes) and logs its argv; systemctl prints `show`. */
async function fakeSystemd(show: string): Promise<{ dir: string; env: NodeJS.ProcessEnv; journal: string; calls: string }> {
  const dir = await dirs.make();
  const bin = join(dir, 'bin');
  const journal = join(dir, 'journal.txt');
  const calls = join(dir, 'calls');
  writeFileSync(journal, '');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  script(bin, 'journalctl', `echo "journalctl $*" >> '${calls}'\ncat '${journal}'\necho 'Hint: You are currently not seeing messages from other users.' >&2`);
  script(bin, 'systemctl', `echo "systemctl $*" >> '${calls}'\nprintf '${show.replace(/\n/g, '\\n')}\\n'`);
  const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, OPENCLAW_STATE_DIR: join(dir, 'state') };
  return { dir, env, journal, calls };
}

describe('ServiceJournal (a fake journalctl and systemctl on PATH; not a real systemd)', () => {
  it("an outage is named from the unit's journal since the last look and its exit status; each look asks only for what is new", async () => {
    const { env, journal, calls } = await fakeSystemd('ExecMainCode=1\nExecMainStatus=134');
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
    expect(await gateway.classifyOutage(later)).toMatchObject({ class: 'out-of-memory', summary: 'ran out of memory (exit 134, aborted)' });
    const asked = readFileSync(calls, 'utf8').trim().split('\n');
    // The two run side by side: their order between them is not fixed.
    expect([...asked].sort()).toEqual([
      `journalctl --user -u openclaw-gateway --since @${Math.floor(since / 1000)} -o cat --no-pager`,
      `journalctl --user -u openclaw-gateway --since @${Math.floor(now / 1000)} -o cat --no-pager`,
      'systemctl --user show -p ExecMainCode,ExecMainStatus openclaw-gateway',
      'systemctl --user show -p ExecMainCode,ExecMainStatus openclaw-gateway',
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

  it("systemd's ExecMainCode and ExecMainStatus as an exit code or a signal", () => {
    expect(parseUnitExit('ExecMainCode=1\nExecMainStatus=134\n')).toEqual({ code: 134, signal: null });
    expect(parseUnitExit('ExecMainStatus=6\nExecMainCode=3\n')).toEqual({ code: null, signal: 'SIGABRT' });
    expect(parseUnitExit('ExecMainCode=2\nExecMainStatus=9\n')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(parseUnitExit('ExecMainCode=0\nExecMainStatus=0\n')).toBeNull(); // running, or never ended
    expect(parseUnitExit('')).toBeNull();
  });
});

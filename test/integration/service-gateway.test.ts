import { existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStartError } from '../../src/errors.js';
import { ServiceGateway } from '../../src/recovery/service-gateway.js';
import { TempDirs, captureLogger } from '../fixtures/gateways.js';

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

describe('ServiceGateway', () => {
  it('an outage is classified from what its log file got since the last look (never the backlog) and the state dir', async () => {
    const dir = await dirs.make();
    const logFile = join(dir, 'gateway.log');
    const stateDir = join(dir, 'state');
    // The backlog: an old crash from before the medic started says nothing of today's outage.
    await writeFile(logFile, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', logFile, env: { OPENCLAW_STATE_DIR: stateDir, HOME: dir }, log: captureLogger() });
    expect(await gateway.classifyOutage(Date.now())).toBeNull();
    await appendFile(logFile, '2026-12-03T17:00:00.000+00:00 [gateway] ready\n<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
    expect(await gateway.classifyOutage(Date.now())).toMatchObject({
      class: 'out-of-memory',
      evidence: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
      summary: 'ran out of memory (JavaScript heap out of memory)',
    });
    expect(await gateway.classifyOutage(Date.now())).toBeNull(); // looked at already
    // A plugin's unhandled rejection leaves a stability bundle whose stack names it (the log may say nothing).
    const stability = join(stateDir, 'logs', 'stability');
    await mkdir(stability, { recursive: true });
    const stack = 'Error: rejected later by leaky\n    at Timeout._onTimeout (/s/tmp/plugin-captures/9a/captures/openclaw-plugin-build-1/package-0/node_modules/leaky/index.js:4:40)';
    await writeFile(join(stability, 'openclaw-stability-2026-12-03T17-00-00-000Z-4242-unhandled_rejection.json'), JSON.stringify({ error: { stack } }));
    expect(await gateway.classifyOutage(Date.now())).toMatchObject({ class: 'plugin-crash', culprit: 'leaky' });
    // That bundle belongs to that outage: the next one does not name the plugin again from it (a false repeat).
    expect(await gateway.classifyOutage(Date.now())).toBeNull();
    // Without a log file: the state dir alone.
    const bare = new ServiceGateway({ target: 'svc', restartCommand: 'true', env: { OPENCLAW_STATE_DIR: join(dir, 'empty'), HOME: dir }, log: captureLogger() });
    expect(await bare.classifyOutage(Date.now())).toBeNull();
  });

  it('restarts through the restart command; the pid stays unknown', async () => {
    const dir = await dirs.make();
    const marker = join(dir, 'restarted');
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: `touch '${marker}'`, log: captureLogger() });
    expect(gateway.supervised).toBe(false);
    await expect(gateway.start()).resolves.toBeNull();
    expect(existsSync(marker)).toBe(true);
    await expect(gateway.adoptOrClear()).resolves.toBeNull();
  });

  it('rejects with GatewayStartError carrying the last output line of a failed restart', async () => {
    const gateway = new ServiceGateway({
      target: 'svc',
      restartCommand: "echo 'checking unit'; echo 'Unit openclaw-gateway.service not found.' >&2; exit 5",
      log: captureLogger(),
    });
    const error = await gateway.start().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStartError);
    expect((error as GatewayStartError).message).toMatch(/exit 5.*Unit openclaw-gateway\.service not found\.$/);
    expect((error as GatewayStartError).target).toBe('svc');
  });

  it('rejects when the restart command outlives its timeout', async () => {
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'sleep 30', timeoutMs: 200, log: captureLogger() });
    await expect(gateway.start()).rejects.toThrow(/timed out/);
  });

  it('stops through the stop command, or reports false without one', async () => {
    const log = captureLogger();
    await expect(new ServiceGateway({ target: 'svc', restartCommand: 'true', log }).stop('test')).resolves.toBe(false);
    await expect(new ServiceGateway({ target: 'svc', restartCommand: 'true', stopCommand: 'true', log }).stop('test')).resolves.toBe(true);
    await expect(new ServiceGateway({ target: 'svc', restartCommand: 'true', stopCommand: 'exit 3', log }).stop('test')).resolves.toBe(false);
    expect(log.entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual(['the stop command failed']);
  });

  it("tails the service's log file for recent output", async () => {
    const dir = await dirs.make();
    const logFile = join(dir, 'gateway.log');
    const gateway = new ServiceGateway({ target: 'svc', restartCommand: 'true', logFile, outputLines: 2, log: captureLogger() });
    expect(gateway.recentOutput()).toEqual([]);
    await writeFile(logFile, 'a\nb\n');
    await appendFile(logFile, 'c\n');
    expect(gateway.recentOutput()).toEqual(['b', 'c']);
    expect(new ServiceGateway({ target: 'svc', restartCommand: 'true', log: captureLogger() }).recentOutput()).toEqual([]);
  });
});

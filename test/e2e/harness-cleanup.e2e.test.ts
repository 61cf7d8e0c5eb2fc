/**
 * The e2e harness's cleanup: whatever a test left running (a medic killed -9, a gateway that
 * lost its wrapper, a medic that was still starting when the test timed out), `cleanup()`
 * stops it by pid, so no gateway outlives its test.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants, readStat } from '../../src/lib/process-table.js';
import { readPidRecord } from '../../src/recovery/pid-record.js';
import { isPortListening } from '../../src/recovery/repair/port-holder.js';
import { demoGatewayCommand, descendantsOfThisProcess, isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from './harness.js';
import { join } from 'node:path';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
const world = new E2eWorld({ medicStopWaitMs: 5_000 });
afterEach(() => world.cleanup());

async function status(apiPort: number): Promise<{ health: string; pid: number | null } | null> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/status`).catch(() => null);
  return res ? (((await res.json()) as { targets: Array<{ health: string; pid: number | null }> }).targets[0] ?? null) : null;
}

describe('E2eWorld.cleanup', () => {
  it('kills, by its pid record, a gateway whose medic was killed -9 and whose wrapper died: an orphan in its own session', async () => {
    const setup = await world.envFor({ mode: 'ok' });
    setup.env.GATEWAY_COMMAND = demoGatewayCommand({ port: setup.gatewayPort, config: setup.configPath }, 'setsid');
    // Not tracked by the janitor: the cleanup has to find everything by itself.
    const medic = spawn(process.execPath, [BIN, 'run'], { env: setup.env, stdio: 'ignore' });
    const targetDir = join(setup.env.MEDIC_DATA_DIR!, 'targets', 'gw');
    const listener = await waitFor(
      async () => {
        const t = await status(setup.apiPort);
        const record = readPidRecord(targetDir);
        return t?.health === 'up' && t.pid !== null && record?.serving?.pid === t.pid ? t.pid : null;
      },
      { timeoutMs: 30_000, what: 'the gateway healthy and recorded' },
    );
    const shell = readPidRecord(targetDir)!.pid;
    const wrappers = [shell, ...descendants(shell)].filter((pid) => pid !== listener);
    medic.kill('SIGKILL');
    for (const pid of wrappers) process.kill(pid, 'SIGKILL');
    await waitFor(() => ![medic.pid!, ...wrappers].some(isAlive), { what: 'the medic, the shell and the wrapper to die' });
    await waitFor(() => !wrappers.includes(readStat(listener)?.ppid ?? -1), { what: 'the gateway to be reparented' });
    expect(isAlive(listener)).toBe(true);
    expect(readStat(listener)?.session).toBe(listener); // out of the shell's group and session

    await world.cleanup();
    expect(isAlive(listener)).toBe(false);
    await expect(isPortListening(setup.gatewayPort)).resolves.toBe(false);
  });

  it('stops a medic that was still starting when the test ended (timed out), and its gateway', async () => {
    const before = new Set(descendantsOfThisProcess());
    const starting = world.start({ mode: 'ok' });
    await world.cleanup();
    await expect(starting).rejects.toThrow('the test ended (timed out?) while its medic was starting');
    expect(descendantsOfThisProcess().filter((pid) => !before.has(pid) && isAlive(pid))).toEqual([]);
  });
});

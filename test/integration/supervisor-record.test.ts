/**
 * The pid record is on disk from the spawn's own turn (the fault explorer's medic-crash seed 353: a medic killed
 * -9 between the spawn and the record left a gateway no record named; the next medic did not adopt it, started a
 * second one that lost the port, and asked a person to stop the first). The medic's asynchronous read of the
 * start time never answering stands for a medic that is killed before it answers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChildSupervisor, readPidRecord } from '../../src/recovery/supervisor.js';
import { readProcessStartTimeSync } from '../../src/recovery/pid-record.js';
import { TempDirs, captureLogger, isAlive, waitFor } from '../fixtures/gateways.js';

vi.mock('../../src/recovery/pid-record.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/recovery/pid-record.js')>()),
  readProcessStartTime: () => new Promise<string | null>(() => {}),
}));

const dirs = new TempDirs();
const groups: number[] = [];

afterEach(async () => {
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await dirs.removeAll();
});

describe.runIf(process.platform === 'linux')('the gateway pid record', () => {
  it('names the spawned process before the medic reads anything more of it', async () => {
    const dataDir = await dirs.make();
    const supervisor = new ChildSupervisor({ target: 'demo', command: 'sleep 30', dataDir, stopTimeoutMs: 5_000, log: captureLogger() });
    void supervisor.start();
    const record = await waitFor(() => readPidRecord(dataDir), { timeoutMs: 5_000, what: 'the pid record' });
    groups.push(record.pid);
    expect(isAlive(record.pid)).toBe(true);
    expect(record.startTime).toBe(readProcessStartTimeSync(record.pid));
    expect(record.command).toBe('sleep 30');
    await supervisor.close(false);
  });
});

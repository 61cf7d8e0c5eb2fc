/** The pid record: the spawned process, the listener and the outsiders, each with its start time. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidRecordPath, readPidRecord, recordedPids, writePidRecord } from '../../../src/recovery/pid-record.js';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'clawmedic-pid-record-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the pid record', () => {
  it('keeps the spawned process, the listener and the outsiders', () => {
    const d = dir();
    const record = {
      pid: 100,
      startTime: '5',
      command: 'openclaw gateway run',
      serving: { pid: 101, startTime: '6' },
      outsiders: [{ pid: 102, startTime: '7' }],
    };
    writePidRecord(d, record);
    expect(readPidRecord(d)).toEqual(record);
    expect(recordedPids(readPidRecord(d))).toEqual([100, 101]);
  });

  it('reads a record of the previous format (the spawned pid alone)', () => {
    const d = dir();
    writeFileSync(pidRecordPath(d), JSON.stringify({ pid: 100, startTime: '5', command: 'x' }));
    expect(readPidRecord(d)).toEqual({ pid: 100, startTime: '5', command: 'x' });
    expect(recordedPids(readPidRecord(d))).toEqual([100]);
  });

  it('never names init (pid 1), nor takes a malformed listener or outsider', () => {
    const d = dir();
    writeFileSync(pidRecordPath(d), JSON.stringify({ pid: 1, startTime: '5', command: 'x' }));
    expect(readPidRecord(d)).toBeNull();
    writeFileSync(
      pidRecordPath(d),
      JSON.stringify({ pid: 100, startTime: '5', command: 'x', serving: { pid: 1, startTime: '1' }, outsiders: [{ pid: 'x' }, { pid: 102, startTime: '7' }] }),
    );
    expect(readPidRecord(d)).toEqual({ pid: 100, startTime: '5', command: 'x', outsiders: [{ pid: 102, startTime: '7' }] });
  });
});

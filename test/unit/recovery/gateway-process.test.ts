/** Which process below the spawned shell is the gateway before it listens (gateway-process.ts). */
import { describe, expect, it } from 'vitest';
import { findGatewayProcess } from '../../../src/recovery/gateway-process.js';
import type { ProcStat } from '../../../src/lib/process-table.js';

/** A process table from `[pid, ppid, program]` rows (state R unless given). */
function table(rows: Array<[number, number, string, string?]>): { procs: Map<number, ProcStat>; program: (pid: number) => string | null } {
  const procs = new Map<number, ProcStat>();
  const programs = new Map<number, string>();
  for (const [pid, ppid, program, state] of rows) {
    procs.set(pid, { pid, state: state ?? 'S', ppid, pgrp: 100, session: 100, startTime: pid * 10, cpuTicks: 0 });
    programs.set(pid, program);
  }
  return { procs, program: (pid) => programs.get(pid) ?? null };
}

const found = (rows: Array<[number, number, string, string?]>, leader = 100) => {
  const t = table(rows);
  return findGatewayProcess(t.procs, leader, t.program)?.pid ?? null;
};

describe('findGatewayProcess', () => {
  it('is the child a shell forked for a plain command line', () => {
    expect(found([[100, 1, 'dash'], [101, 100, 'node']])).toBe(101);
  });

  it('is the leader itself for an exec-ed command, and while the shell has not forked yet', () => {
    expect(found([[100, 1, 'node']])).toBe(100);
    expect(found([[100, 1, 'dash']])).toBe(100);
  });

  it("is a wrapper's re-launched child (the same program), through a wrapper script's shell too", () => {
    expect(found([[100, 1, 'dash'], [101, 100, 'node'], [102, 101, 'node']])).toBe(102);
    expect(found([[100, 1, 'dash'], [101, 100, 'bash'], [102, 101, 'node'], [103, 102, 'node']])).toBe(103);
    // npx running `sh -c openclaw …`
    expect(found([[100, 1, 'dash'], [101, 100, 'node'], [102, 101, 'sh'], [103, 102, 'node']])).toBe(103);
  });

  it("never takes a gateway's own helper for it: another program, or more than one child", () => {
    expect(found([[100, 1, 'dash'], [101, 100, 'node'], [102, 101, 'git']])).toBe(101);
    expect(found([[100, 1, 'dash'], [101, 100, 'node'], [102, 101, 'node'], [103, 101, 'node']])).toBe(101);
  });

  it('skips zombies, and is null when the leader is gone', () => {
    expect(found([[100, 1, 'dash'], [101, 100, 'node'], [102, 101, 'node', 'Z']])).toBe(101);
    expect(found([[100, 1, 'dash', 'Z'], [101, 100, 'node']])).toBeNull();
    expect(found([[101, 1, 'node']])).toBeNull();
  });
});

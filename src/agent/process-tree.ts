/**
 * The process tree under a pid, read from /proc (Linux): the walk itself lives in
 * ../lib/process-table.ts (shared with the gateway supervisor); this adds memory.
 */
import { readFileSync } from 'node:fs';
import { descendantsIn, snapshot } from '../lib/process-table.js';

/** VmRSS of one process in bytes; 0 when it has none (zombie, kernel thread) or vanished. */
function rssOf(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resident memory of `pid` and all its descendants in bytes (sum of VmRSS); null when `pid` is gone or a zombie. */
export function treeRss(pid: number): number | null {
  const procs = snapshot();
  const root = procs.get(pid);
  if (!root || root.state === 'Z' || root.state === 'X') return null;
  let total = rssOf(pid);
  for (const d of descendantsIn(procs, [pid])) total += rssOf(d);
  return total;
}

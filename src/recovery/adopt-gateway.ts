/**
 * Adoption: a gateway a previous medic started, found through its pid record. Every pid in
 * the record is checked against its start time, so a recycled pid is never taken for it.
 */
import { GatewayTree } from './gateway-tree.js';
import { isSameProcess, readPidRecord, removePidRecord } from './pid-record.js';
import type { Logger } from './ports.js';

export interface Adoptable {
  pid: number;
  startTime: string;
  tree: GatewayTree;
}

/**
 * The run recorded in `dataDir`, if its leader still runs. A record whose leader is gone is
 * removed, after `stopLeftovers` killed what was left under it (an orphaned gateway that a
 * new start would fight for the port).
 */
export async function readAdoptable(
  dataDir: string,
  target: string,
  log: Logger,
  stopLeftovers: (tree: GatewayTree) => Promise<void>,
): Promise<Adoptable | null> {
  const record = readPidRecord(dataDir);
  if (!record) return null;
  const tree = new GatewayTree({ pid: record.pid, startTime: record.startTime });
  const serving = record.serving && (await isSameProcess(record.serving.pid, record.serving.startTime)) ? record.serving : null;
  if (serving) tree.remember(serving);
  tree.serving = serving;
  for (const p of record.outsiders ?? []) if (await isSameProcess(p.pid, p.startTime)) tree.remember(p);
  if (await isSameProcess(record.pid, record.startTime)) return { pid: record.pid, startTime: record.startTime, tree };
  // The process the gateway was started as is gone: a gateway left under it is an orphan
  // that a new start would fight for the port.
  tree.markLeaderGone();
  const left = tree.refresh().map((p) => p.pid);
  if (left.length > 0) {
    log.warn('the gateway a previous medic started outlived the process it was started as; killing it', { target, pid: record.pid, left });
    await stopLeftovers(tree);
  } else {
    log.info('cleared a stale gateway pid record', { target, pid: record.pid });
  }
  removePidRecord(dataDir, record.pid);
  return null;
}

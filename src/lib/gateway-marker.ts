/**
 * The mark the medic puts in the environment of every gateway it spawns, as OpenClaw's service
 * units put OPENCLAW_SERVICE_MARKER and PM2 its `pm_id`: `CLAWMEDIC_GATEWAY=<the target's data
 * dir>`. The environment is inherited through `sh -c`, OpenClaw's re-launch wrapper and `setsid`,
 * so a gateway whose wrapper died before the medic saw it (orphaned, in a session of its own, its
 * pid in no record) is still known as this target's own when it holds the port, and a medic
 * restarted with the same data dir knows the gateways of the one before it. Another medic's (another
 * data dir) carry another value.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export const GATEWAY_MARKER = 'CLAWMEDIC_GATEWAY';

/** The marker's value for a target's data dir. */
export const markerValue = (dataDir: string): string => resolve(dataDir);

/** Whether `pid`'s environment carries this marker value; false when it cannot be read (another user's, gone). */
export async function carriesMarker(pid: number, value: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes(`${GATEWAY_MARKER}=${value}`);
  } catch {
    return false;
  }
}

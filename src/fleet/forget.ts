/**
 * `clawmedic fleet forget <host>`: an operator retires a host for good. Run on any host with the fleet's
 * settings (its etcd credentials are what makes the caller an operator of the fleet). Refused while the
 * host is live. It frees the host's target names, drops what etcd keeps for it (its known entry, its
 * undelivered events and cursor, its commands), and leaves a `forgotten/<host>` note that the leader
 * (now, or the next one) turns into an audit record and the close of the host's "host lost" incident.
 */
import type { Coordination } from './coordination.js';
import type { FleetKeys } from './keys.js';
import { commandKeys } from './commands.js';

/** The note the leader reads. */
export interface ForgetNote {
  host: string;
  by: string;
  at: number;
}

/** The host cannot be forgotten (live, or unknown): one line saying why. */
export class ForgetRefusedError extends Error {
  override readonly name = 'ForgetRefusedError';
}

export async function forgetHost(coord: Coordination, keys: FleetKeys, host: string, by: string, at: number): Promise<{ targets: string[]; lost: boolean }> {
  if ((await coord.get(keys.host(host))) !== null) {
    throw new ForgetRefusedError(`host ${host} is live in fleet ${keys.fleet} (its medic answers): stop its medic first, then forget it`);
  }
  const known = await coord.get(keys.knownHost(host));
  const lost = (await coord.get(keys.lostHost(host))) !== null;
  const targets = [...(await coord.getPrefix(keys.targets))].filter(([, owner]) => owner === host).map(([k]) => k.slice(keys.targets.length));
  if (known === null && !lost && targets.length === 0) {
    const hosts = [...(await coord.getPrefix(keys.known)).keys()].map((k) => k.slice(keys.known.length));
    throw new ForgetRefusedError(`no host ${host} in fleet ${keys.fleet} (hosts: ${hosts.join(', ') || 'none'})`);
  }
  const note: ForgetNote = { host, by, at };
  await coord.put(keys.forgottenHost(host), JSON.stringify(note));
  await coord.delete(keys.knownHost(host));
  for (const t of targets) await coord.delete(keys.targetName(t));
  // A new machine given this name later starts its events from 1: nothing of the old one may hide them.
  await coord.deletePrefix(keys.eventsOf(host));
  await coord.delete(keys.delivered(host));
  await coord.deletePrefix(commandKeys(keys).inbox(host));
  return { targets, lost };
}

/**
 * The store the leader's bot sees in fleet mode: the Discord ids it keeps (cards, threads,
 * questions) live in etcd, so the next leader edits the same card instead of posting another;
 * its list of incidents is the fleet's (every host's, from the feed, and the lost hosts). The
 * rest is this host's own store.
 */
import type { Store } from '../recovery/ports.js';
import type { Incident } from '../recovery/types.js';
import type { Coordination } from './coordination.js';
import type { FleetKeys } from './keys.js';

export function sharedBotStore(local: Store, coord: Coordination, keys: FleetKeys, fleetIncidents: () => Incident[]): Store {
  const cache = new Map<string, unknown>();
  return {
    ...bind(local),
    async getValue<T>(key: string): Promise<T | undefined> {
      if (cache.has(key)) return cache.get(key) as T;
      const raw = await coord.get(keys.kv(key));
      const value = raw === null ? undefined : (JSON.parse(raw) as T);
      if (value !== undefined) cache.set(key, value);
      return value;
    },
    async setValue(key: string, value: unknown): Promise<void> {
      cache.set(key, value);
      await coord.put(keys.kv(key), JSON.stringify(value));
    },
    async listIncidents(options?: { target?: string; limit?: number }): Promise<Incident[]> {
      const all = fleetIncidents().filter((i) => !options?.target || i.target === options.target);
      return all.slice(0, options?.limit ?? 50);
    },
  };
}

/** The local store's methods bound to it (a spread of a class instance copies none of them). */
function bind(store: Store): Store {
  const out: Record<string, unknown> = {};
  const proto = store as unknown as Record<string, unknown>;
  for (const name of ['loadTarget', 'saveTarget', 'appendRecord', 'saveIncident', 'getIncident', 'listIncidents', 'listAudit', 'getValue', 'setValue', 'close'] as const) {
    const fn = proto[name];
    if (typeof fn === 'function') out[name] = (fn as (...a: unknown[]) => unknown).bind(store);
  }
  return out as unknown as Store;
}

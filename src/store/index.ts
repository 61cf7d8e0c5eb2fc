/** Durable state for the medic: the `Store` port's adapters and how the composition root opens one. */
import { join } from 'node:path';
import { KeyvStore, type KeyvStoreOptions } from './keyv-store.js';

export {
  DEFAULT_AUDIT_LIMIT,
  DEFAULT_INCIDENT_LIMIT,
  DefaultKeyvStoreOptions,
  KeyvStore,
  type KeyvStoreOptions,
} from './keyv-store.js';

/** The database file inside the data directory. */
export const STORE_FILE = 'clawmedic.sqlite';

/** Opens (creating it) the SQLite store at `<dataDir>/clawmedic.sqlite`. */
export function openStore(options: { dataDir: string } & KeyvStoreOptions): Promise<KeyvStore> {
  const { dataDir, ...caps } = options;
  return KeyvStore.openSqlite(join(dataDir, STORE_FILE), caps);
}

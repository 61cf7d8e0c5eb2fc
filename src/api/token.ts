/** The local API's operator token: MEDIC_API_TOKEN, or one generated once into the data dir. */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MedicConfig } from '../config.js';

/** Where the generated API token lives (when MEDIC_API_TOKEN is unset): the CLI reads it there. */
export function apiTokenFile(config: Pick<MedicConfig, 'dataDir'>): string {
  return join(config.dataDir, 'api-token');
}

/** The token operator requests must carry: MEDIC_API_TOKEN, or one generated once into the data dir (0600). */
export async function loadApiToken(config: Pick<MedicConfig, 'dataDir' | 'apiToken'>): Promise<string> {
  if (config.apiToken) return config.apiToken;
  const file = apiTokenFile(config);
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

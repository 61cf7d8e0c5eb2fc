/** The store's files are the owner's only: data dir 0700, the database and its WAL/SHM files 0600. */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, STORE_FILE } from '../../src/store/index.js';
import { makeIncident } from '../unit/store/store-contract.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawmedic-store-mode-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('KeyvStore on SQLite: file modes', () => {
  it('a new data dir is 0700 and every file of the database 0600, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const store = await openStore({ dataDir: join(dir, 'data') });
      await store.saveIncident(makeIncident('gw-1', 'gw', 10));
      const files = (await readdir(join(dir, 'data'))).filter((f) => f.startsWith(STORE_FILE));
      expect(files).toContain(STORE_FILE);
      expect(files.length).toBeGreaterThan(1); // the -wal (and -shm) files exist while it is open
      expect(await mode(join(dir, 'data'))).toBe(0o700);
      for (const f of files) expect([f, await mode(join(dir, 'data', f))]).toEqual([f, 0o600]);
      await store.close();
    } finally {
      process.umask(old);
    }
  });

  it('a database an older medic left 0644 is made 0600 when opened', async () => {
    const path = join(dir, STORE_FILE);
    await writeFile(path, '');
    await chmod(path, 0o644);
    const store = await openStore({ dataDir: dir });
    expect(await mode(path)).toBe(0o600);
    await store.close();
  });

  it('an existing data dir of ours open to others is made 0700; a shared sticky one is left alone', async () => {
    const data = join(dir, 'old-data');
    await mkdir(data);
    await chmod(data, 0o755);
    await (await openStore({ dataDir: data })).close();
    expect(await mode(data)).toBe(0o700);
    const shared = join(dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const store = await openStore({ dataDir: shared });
    expect((await stat(shared)).mode & 0o7777).toBe(0o1777);
    expect(await mode(join(shared, STORE_FILE))).toBe(0o600);
    await store.close();
  });
});

/** Finding the medic: announcements, stale entries, the token, several medics. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, callApi, resolveMedic } from '../../../src/cli/client.js';
import { UsageError } from '../../../src/cli/commands.js';
import { announceMedic, announcementDir, findMedics, type Announcement, type HealthCheck } from '../../../src/cli/discovery.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'clawmedic-disc-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const env = () => ({ HOME: home });
const deadPid = spawnSync('true').pid;

function medic(over: Partial<Announcement> = {}): Announcement {
  return { pid: process.pid, startedAt: 1000, version: '0.1.0', url: 'http://127.0.0.1:40001', dataDir: join(home, 'a'), tokenFile: join(home, 'a', 'api-token'), cwd: '/srv/medic', targets: ['gw'], ...over };
}

/** /healthz as each announced medic would answer it. */
const answers = (table: Record<string, { pid: number; startedAt: number } | null>): HealthCheck => async (url) => table[url] ?? null;

describe('announcements', () => {
  it('are written 0600 in a 0700 folder and removed', async () => {
    const a = await announceMedic(env(), medic());
    const dir = announcementDir(env());
    expect(readdirSync(dir)).toEqual([`${process.pid}-40001.json`]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, `${process.pid}-40001.json`)).mode & 0o777).toBe(0o600);
    await a.remove();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a dead pid, or a URL answering with another pid or start time, is stale: ignored and removed', async () => {
    await announceMedic(env(), medic({ pid: deadPid!, url: 'http://127.0.0.1:40002' }));
    await announceMedic(env(), medic({ url: 'http://127.0.0.1:40003' })); // port now someone else's medic
    await announceMedic(env(), medic({ url: 'http://127.0.0.1:40004', startedAt: 2000 }));
    await announceMedic(env(), medic({ url: 'http://127.0.0.1:40005', startedAt: 3000 })); // alive, not answering (busy)
    const found = await findMedics(env(), answers({ 'http://127.0.0.1:40003': { pid: 1, startedAt: 1000 }, 'http://127.0.0.1:40004': { pid: process.pid, startedAt: 2000 } }));
    expect(found.map((m) => [m.url, m.answering])).toEqual([
      ['http://127.0.0.1:40004', true],
      ['http://127.0.0.1:40005', false],
    ]);
    expect(readdirSync(announcementDir(env())).sort()).toEqual([`${process.pid}-40004.json`, `${process.pid}-40005.json`]);
  });

  it('a broken file is ignored', async () => {
    const dir = announcementDir(env());
    await announceMedic(env(), medic());
    writeFileSync(join(dir, 'junk.json'), '{"pid":');
    expect(await findMedics(env(), answers({ 'http://127.0.0.1:40001': { pid: process.pid, startedAt: 1000 } }))).toHaveLength(1);
  });
});

describe('resolveMedic', () => {
  const up = answers({ 'http://127.0.0.1:40001': { pid: process.pid, startedAt: 1000 }, 'http://127.0.0.1:40009': { pid: process.pid, startedAt: 1000 } });

  it('the one announced medic, its token from its file', async () => {
    await announceMedic(env(), medic());
    const m = await resolveMedic({}, env(), up);
    expect(m.url).toBe('http://127.0.0.1:40001');
    await expect(m.token()).rejects.toThrow(new ApiError(`the API token file ${join(home, 'a', 'api-token')} does not exist: the medic writes it when it starts; if it runs with another data dir, pass --data-dir DIR or --url URL, or set MEDIC_API_TOKEN`));
    mkdirSync(join(home, 'a'));
    writeFileSync(join(home, 'a', 'api-token'), 'tok-from-file\n');
    expect(await m.token()).toBe('tok-from-file');
  });

  it('a medic whose token is MEDIC_API_TOKEN: says where it is set', async () => {
    await announceMedic(env(), medic({ tokenFile: null }));
    const m = await resolveMedic({}, env(), up);
    await expect(m.token()).rejects.toThrow(
      'the medic (pid ' + process.pid + ') takes its API token from MEDIC_API_TOKEN (its environment or /srv/medic/.env): set MEDIC_API_TOKEN here too, or run the command from /srv/medic',
    );
    expect(await (await resolveMedic({}, { ...env(), MEDIC_API_TOKEN: 'x'.repeat(20) }, up)).token()).toBe('x'.repeat(20));
  });

  it('several: a usage error listing them; --data-dir and --url choose', async () => {
    await announceMedic(env(), medic());
    await announceMedic(env(), medic({ url: 'http://127.0.0.1:40009', dataDir: join(home, 'b') }));
    await expect(resolveMedic({}, env(), up)).rejects.toBeInstanceOf(UsageError);
    await expect(resolveMedic({}, env(), up)).rejects.toThrow(
      `2 clawmedics are running, choose one with --url or --data-dir: pid ${process.pid} watching gw: --url http://127.0.0.1:40001 or --data-dir ${join(home, 'a')}; pid ${process.pid} watching gw: --url http://127.0.0.1:40009 or --data-dir ${join(home, 'b')}`,
    );
    expect((await resolveMedic({ dataDir: join(home, 'b') }, env(), up)).url).toBe('http://127.0.0.1:40009');
    expect((await resolveMedic({ url: '127.0.0.1:40001' }, env(), up)).url).toBe('http://127.0.0.1:40001');
    // MEDIC_HTTP_PORT from the environment or .env chooses too.
    expect((await resolveMedic({}, { ...env(), MEDIC_HTTP_PORT: '40009' }, up)).url).toBe('http://127.0.0.1:40009');
  });
});

describe('no medic at all', () => {
  it('one line: none announced, nothing answers on the default URL, how to start one', async () => {
    const m = await resolveMedic({}, env(), answers({}));
    expect(m.url).toBe('http://127.0.0.1:18790');
    // The same endpoint on a port where nothing listens (18790 may be taken on a shared machine).
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const closed = { ...m, url: `http://127.0.0.1:${port}` };
    await expect(callApi(closed, 'GET', '/status')).rejects.toThrow(
      `no clawmedic is running: none has announced itself in ${join(home, '.clawmedic', 'run')} and nothing answers on http://127.0.0.1:${port} (ECONNREFUSED); start one with: clawmedic run (npm start)`,
    );
  });
});

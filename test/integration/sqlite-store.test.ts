import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyvStore, openStore } from '../../src/store/index.js';
import { describeStoreContract, makeIncident, makeRecord, makeTargetState } from '../unit/store/store-contract.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawmedic-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStoreContract('KeyvStore on SQLite', (caps) => KeyvStore.openSqlite(join(dir, 'contract', 'store.sqlite'), caps));

describe('KeyvStore on SQLite: durability', () => {
  it('keeps everything across close and reopen, and continues the sequences', async () => {
    const caps = { auditCap: 30, timelineCap: 10, timelineHead: 3 };
    const first = await openStore({ dataDir: join(dir, 'data'), ...caps });
    await first.saveTarget(makeTargetState('gw'));
    await first.saveIncident(makeIncident('gw-1', 'gw', 10));
    await first.saveIncident(makeIncident('gw-2', 'gw', 20, { state: 'waiting_human' }));
    for (let n = 0; n < 40; n++) await first.appendRecord(makeRecord(n, n % 2 ? 'gw-2' : 'gw-1'));
    const before = {
      audit: await first.listAudit({ limit: 100 }),
      one: await first.getIncident('gw-1'),
      two: await first.getIncident('gw-2'),
    };
    await first.close();

    const second = await openStore({ dataDir: join(dir, 'data'), ...caps });
    try {
      expect(await second.loadTarget('gw')).toStrictEqual(makeTargetState('gw'));
      expect((await second.listIncidents()).map((i) => i.id)).toStrictEqual(['gw-2', 'gw-1']);
      expect(await second.listAudit({ limit: 100 })).toStrictEqual(before.audit);
      expect(await second.getIncident('gw-1')).toStrictEqual(before.one);
      expect(await second.getIncident('gw-2')).toStrictEqual(before.two);
      await second.appendRecord(makeRecord(40, 'gw-1'));
      expect((await second.listAudit({ limit: 2 })).map((r) => r.text)).toStrictEqual(['r40', 'r39']);
      const timeline = (await second.getIncident('gw-1'))?.timeline ?? [];
      expect(timeline.map((r) => r.text)).toStrictEqual(['r0', 'r2', 'r4', timeline[3]?.text, 'r30', 'r32', 'r34', 'r36', 'r38', 'r40']);
      expect(timeline[3]?.text).toMatch(/^\[12 timeline entries dropped here/);
    } finally {
      await second.close();
    }
  });

  it('undoes a failed group commit completely, as a reopen shows', async () => {
    const path = join(dir, 'rollback', 'store.sqlite');
    const first = await KeyvStore.openSqlite(path);
    const circular = makeTargetState('gw') as ReturnType<typeof makeTargetState> & { self?: unknown };
    circular.self = circular;
    const results = await Promise.allSettled([
      first.appendRecord(makeRecord(0, null)),
      first.appendRecord(makeRecord(1, null)),
      first.saveTarget(circular), // fails mid-transaction: the batch is rolled back and rerun
      first.appendRecord(makeRecord(2, null)),
    ]);
    expect(results.map((r) => r.status)).toStrictEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    await first.close();
    const second = await KeyvStore.openSqlite(path);
    try {
      await second.appendRecord(makeRecord(3, null));
      expect((await second.listAudit()).map((r) => r.text)).toStrictEqual(['r3', 'r2', 'r1', 'r0']);
    } finally {
      await second.close();
    }
  });

  describe('kill -9 of a writing process', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      child = undefined;
    });

    it('loses no append the writer saw resolve, and leaves no holes', async () => {
      const path = join(dir, 'killed', 'store.sqlite');
      // vite-node runs the TypeScript fixture in its own process, so the pid is the writer's.
      const viteNode = join(root, 'node_modules/vite-node/vite-node.mjs');
      const writer = spawn(process.execPath, [viteNode, join(root, 'test/fixtures/store-writer.ts'), path], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child = writer;
      const exited = new Promise<NodeJS.Signals | null>((resolve) => writer.once('exit', (_code, signal) => resolve(signal)));
      const committed: number[] = [];
      for await (const line of createInterface({ input: writer.stdout! })) {
        const match = /^committed (\d+)$/.exec(line);
        if (match) committed.push(Number(match[1]));
        if (committed.length === 500) process.kill(writer.pid!, 'SIGKILL'); // mid-stream: appends are in flight
      }
      expect(await exited).toBe('SIGKILL');
      expect(committed.length).toBeGreaterThanOrEqual(500);

      const store = await KeyvStore.openSqlite(path);
      try {
        const audit = (await store.listAudit({ limit: 100_000 })).map((r) => Number(r.text.slice(1))).reverse();
        const timeline = ((await store.getIncident('gw-1'))?.timeline ?? []).map((r) => Number(r.text.slice(1)));
        console.info(`reported ${committed.length} commits, found ${audit.length} after kill -9`);
        // Contiguous from 0 and in order: the queue commits in issue order, so a kill leaves no hole.
        expect(audit).toStrictEqual(audit.map((_, i) => i));
        expect(timeline).toStrictEqual(timeline.map((_, i) => i));
        // An append's audit and timeline writes commit in one transaction.
        expect(timeline.length).toBe(audit.length);
        expect(timeline.length).toBeGreaterThan(Math.max(...committed));
        await store.appendRecord(makeRecord(audit.length, 'gw-1'));
        expect((await store.listAudit({ limit: 1 }))[0]?.text).toBe(`r${audit.length}`);
      } finally {
        await store.close();
      }
    }, 20_000);
  });
});

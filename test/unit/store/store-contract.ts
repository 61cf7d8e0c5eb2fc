/**
 * The contract every `Store` backend passes: call `describeStoreContract` from a test file
 * with a factory that opens an empty store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/recovery/ports.js';
import type { Incident, LadderRecord, TargetState } from '../../../src/recovery/types.js';

export interface StoreCaps {
  auditCap?: number;
  timelineCap?: number;
  timelineHead?: number;
}
export type StoreFactory = (caps?: StoreCaps) => Promise<Store>;

export function makeTargetState(target: string, overrides: Partial<TargetState> = {}): TargetState {
  return {
    target,
    incidentSeq: 3,
    paused: false,
    pausedUntil: null,
    process: {
      status: 'running',
      pid: 4242,
      startedAt: 1_000,
      becameHealthy: true,
      lastExit: { code: 78, signal: null, at: 900, hint: 'config' },
    },
    health: 'down',
    healthySince: null,
    probe: { failures: 2, successes: 0, last: { ok: false, at: 1_500, latencyMs: 3_000, status: null, error: 'timeout after 3000 ms' } },
    unstableExits: [700, 900],
    backoffAttempt: 2,
    restarts: 5,
    restartAt: 2_000,
    pending: { work: 'restore-config', since: 1_600 },
    afterStop: 'diagnose',
    snapshotTaken: false,
    incident: makeIncident(`${target}-3`, target, 1_200),
    ...overrides,
  };
}

export function makeIncident(id: string, target: string, openedAt: number, overrides: Partial<Incident> = {}): Incident {
  return {
    id,
    target,
    openedAt,
    closedAt: null,
    cause: 'probe failed: ECONNREFUSED',
    state: 'recovering',
    level: 2,
    maxLevel: 2,
    restarts: 1,
    doctorRuns: 0,
    tried: ['stop-stale'],
    verifying: 'restore-config',
    lastDiagnosis: {
      config: { ok: false, error: 'gateway.mode is missing' },
      lastKnownGood: { available: true, differs: true },
      portHolder: { pid: 99, command: 'node gateway.js', stale: true },
    },
    retryAt: null,
    approval: null,
    outcome: null,
    ...overrides,
  };
}

export function makeRecord(n: number, incidentId: string | null, target = 'gw'): LadderRecord {
  return { kind: 'step', at: n, target, incidentId, level: 1, text: `r${n}` };
}

const texts = (records: LadderRecord[]): string[] => records.map((r) => r.text);
const seqs = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `r${from + i}`);

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | undefined;
    const open = async (caps?: StoreCaps): Promise<Store> => (store = await factory(caps));
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    describe('targets', () => {
      it('loads back exactly the state it saved, unaffected by later mutation of the object', async () => {
        const s = await open();
        expect(await s.loadTarget('gw')).toBeUndefined();
        const state = makeTargetState('gw');
        await s.saveTarget(state);
        const expected = structuredClone(state);
        state.process.pid = 1;
        state.unstableExits.push(1);
        expect(await s.loadTarget('gw')).toStrictEqual(expected);
      });

      it('overwrites a target and keeps targets apart', async () => {
        const s = await open();
        await s.saveTarget(makeTargetState('a'));
        await s.saveTarget(makeTargetState('b', { paused: true, pausedUntil: 9_000, incident: null, pending: null }));
        await s.saveTarget(makeTargetState('a', { restarts: 6 }));
        expect(await s.loadTarget('a')).toStrictEqual(makeTargetState('a', { restarts: 6 }));
        expect(await s.loadTarget('b')).toStrictEqual(
          makeTargetState('b', { paused: true, pausedUntil: 9_000, incident: null, pending: null }),
        );
      });

      it('keeps the last of many saves issued without awaiting', async () => {
        const s = await open();
        await Promise.all(Array.from({ length: 50 }, (_, i) => s.saveTarget(makeTargetState('gw', { restarts: i }))));
        expect((await s.loadTarget('gw'))?.restarts).toBe(49);
      });
    });

    describe('values', () => {
      it('keeps small named values apart from everything else', async () => {
        const s = await open();
        expect(await s.getValue('discord:incident:gw-1')).toBeUndefined();
        await s.setValue('discord:incident:gw-1', { messageId: '1', threadId: '1' });
        await s.setValue('target:gw', 'not a target');
        expect(await s.getValue('discord:incident:gw-1')).toStrictEqual({ messageId: '1', threadId: '1' });
        expect(await s.loadTarget('gw')).toBeUndefined();
      });
    });

    describe('incidents', () => {
      it('returns a saved incident with an empty timeline, overwritten by id', async () => {
        const s = await open();
        expect(await s.getIncident('gw-1')).toBeUndefined();
        await s.saveIncident(makeIncident('gw-1', 'gw', 100));
        await s.saveIncident(makeIncident('gw-1', 'gw', 100, { state: 'resolved', closedAt: 200, outcome: 'restart' }));
        expect(await s.getIncident('gw-1')).toStrictEqual({
          incident: makeIncident('gw-1', 'gw', 100, { state: 'resolved', closedAt: 200, outcome: 'restart' }),
          timeline: [],
        });
        expect(await s.listIncidents()).toHaveLength(1);
      });

      it('lists newest first by openedAt, filtered by target, 50 by default', async () => {
        const s = await open();
        const openedAt = Array.from({ length: 60 }, (_, i) => (i * 37) % 60); // saved out of order
        for (const at of openedAt) await s.saveIncident(makeIncident(`${at % 2 ? 'b' : 'a'}-${at}`, at % 2 ? 'b' : 'a', at));
        const all = await s.listIncidents();
        expect(all.map((i) => i.openedAt)).toStrictEqual(Array.from({ length: 50 }, (_, i) => 59 - i));
        expect((await s.listIncidents({ limit: 3 })).map((i) => i.id)).toStrictEqual(['b-59', 'a-58', 'b-57']);
        const b = await s.listIncidents({ target: 'b', limit: 100 });
        expect(b).toHaveLength(30);
        expect(b.every((i) => i.target === 'b')).toBe(true);
        expect(b[0]).toStrictEqual(makeIncident('b-59', 'b', 59));
        expect(await s.listIncidents({ target: 'nobody' })).toStrictEqual([]);
      });
    });

    describe('records', () => {
      it('lists the audit newest first and files records under their incident in order', async () => {
        const s = await open();
        await s.saveIncident(makeIncident('gw-1', 'gw', 0));
        for (let n = 0; n < 6; n++) await s.appendRecord(makeRecord(n, n % 3 === 2 ? null : 'gw-1'));
        await s.appendRecord({ ...makeRecord(6, null), kind: 'operator', by: 'alice' });
        const audit = await s.listAudit();
        expect(texts(audit)).toStrictEqual(['r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
        expect(audit[0]).toStrictEqual({ kind: 'operator', at: 6, target: 'gw', incidentId: null, level: 1, text: 'r6', by: 'alice' });
        expect(texts(await s.listAudit({ limit: 2 }))).toStrictEqual(['r6', 'r5']);
        expect((await s.getIncident('gw-1'))?.timeline).toStrictEqual([0, 1, 3, 4].map((n) => makeRecord(n, 'gw-1')));
      });

      it('loses nothing when 1,000 appends are issued without awaiting', async () => {
        const s = await open();
        await s.saveIncident(makeIncident('gw-1', 'gw', 0));
        const started = performance.now();
        await Promise.all(Array.from({ length: 1_000 }, (_, n) => s.appendRecord(makeRecord(n, 'gw-1'))));
        const elapsed = performance.now() - started;
        console.info(`[${name}] 1,000 concurrent appends took ${elapsed.toFixed(0)} ms`);
        expect(texts(await s.listAudit({ limit: 5_000 }))).toStrictEqual(seqs(0, 1_000).reverse());
        expect(texts((await s.getIncident('gw-1'))?.timeline ?? [])).toStrictEqual(seqs(0, 1_000));
      });

      it('rejects a write that fails alone: the writes issued with it commit once each', async () => {
        const s = await open();
        const circular = makeTargetState('gw') as TargetState & { self?: unknown };
        circular.self = circular;
        const results = await Promise.allSettled([
          s.appendRecord(makeRecord(0, null)),
          s.appendRecord(makeRecord(1, null)),
          s.saveTarget(circular),
          s.appendRecord(makeRecord(2, null)),
        ]);
        expect(results.map((r) => r.status)).toStrictEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
        expect(texts(await s.listAudit())).toStrictEqual(['r2', 'r1', 'r0']);
        expect(await s.loadTarget('gw')).toBeUndefined();
        await s.appendRecord(makeRecord(3, null));
        expect(texts(await s.listAudit())).toStrictEqual(['r3', 'r2', 'r1', 'r0']);
      });

      it('keeps at most auditCap records, the newest', async () => {
        const s = await open({ auditCap: 20 });
        for (let n = 0; n < 100; n++) {
          await s.appendRecord(makeRecord(n, null));
          const audit = await s.listAudit({ limit: 1_000 });
          expect(audit.length).toBe(Math.min(n + 1, 20));
          expect(audit[0]?.text).toBe(`r${n}`);
        }
        expect(texts(await s.listAudit({ limit: 1_000 }))).toStrictEqual(seqs(80, 100).reverse());
      });

      it('caps a timeline, keeping its first and newest entries around a marker that counts the dropped ones', async () => {
        const s = await open({ timelineCap: 10, timelineHead: 3 });
        await s.saveIncident(makeIncident('gw-1', 'gw', 0));
        for (let n = 0; n < 50; n++) {
          await s.appendRecord(makeRecord(n, 'gw-1'));
          const timeline = (await s.getIncident('gw-1'))?.timeline ?? [];
          expect(timeline.length).toBe(Math.min(n + 1, 10));
          expect(timeline.at(-1)?.text).toBe(`r${n}`);
        }
        const timeline = (await s.getIncident('gw-1'))?.timeline ?? [];
        expect(texts(timeline.slice(0, 3))).toStrictEqual(['r0', 'r1', 'r2']);
        expect(timeline[3]).toMatchObject({ kind: 'step', target: 'gw', incidentId: 'gw-1', level: null, at: 44 });
        expect(timeline[3]?.text).toMatch(/^\[41 timeline entries dropped here/);
        expect(texts(timeline.slice(4))).toStrictEqual(seqs(44, 50));
      });

      it('trims both logs right when appends arrive all at once', async () => {
        const s = await open({ auditCap: 20, timelineCap: 10, timelineHead: 3 });
        await s.saveIncident(makeIncident('gw-1', 'gw', 0));
        await Promise.all(Array.from({ length: 250 }, (_, n) => s.appendRecord(makeRecord(n, 'gw-1'))));
        expect(texts(await s.listAudit({ limit: 1_000 }))).toStrictEqual(seqs(230, 250).reverse());
        const timeline = (await s.getIncident('gw-1'))?.timeline ?? [];
        expect(texts(timeline)).toStrictEqual(['r0', 'r1', 'r2', timeline[3]?.text, ...seqs(244, 250)]);
        expect(timeline[3]?.text).toMatch(/^\[241 timeline entries dropped here/);
      });
    });

    it('rejects calls after close, and closes twice without error', async () => {
      const s = await open();
      await s.close();
      await s.close();
      await expect(s.loadTarget('gw')).rejects.toThrow(/closed/);
    });
  });
}

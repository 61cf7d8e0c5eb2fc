/**
 * The durable `Store`: a Keyv (namespace `clawmedic`) over SQLite, or over a Map in tests.
 *
 * Keys: `target:<name>`, `incident:<id>`, `incidents` (the id index), `audit:<seq>` with
 * `audit:meta`, `tl:<incident>:<seq>` with `tlmeta:<incident>`. One record a key, so an
 * append never rewrites a list. Every operation runs through one `CommitQueue`: writes
 * commit in issue order, sequences have no holes, so the next sequence is recovered on
 * open by a search for the first missing key. One writing process per database.
 */
import { chmod, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import type { IncidentWithTimeline, Store } from '../recovery/ports.js';
import type { Incident, LadderRecord, TargetState } from '../recovery/types.js';
import { CommitQueue, type Sql } from './commit-queue.js';

export interface KeyvStoreOptions {
  /** Audit records kept; older ones are trimmed. Default 10,000. */
  auditCap?: number;
  /** Entries an incident timeline shows, the dropped-entries marker included. Default 5,000. */
  timelineCap?: number;
  /** First entries of a timeline that trimming never drops. Default 100. */
  timelineHead?: number;
}

export const DefaultKeyvStoreOptions = {
  auditCap: 10_000,
  timelineCap: 5_000,
  timelineHead: 100,
} as const satisfies Required<KeyvStoreOptions>;

/** `listIncidents` without a limit. */
export const DEFAULT_INCIDENT_LIMIT = 50;
/** `listAudit` without a limit. */
export const DEFAULT_AUDIT_LIMIT = 100;

interface IncidentRef {
  id: string;
  target: string;
  openedAt: number;
}
/** A timeline is kept as seqs [0, head) and [head + dropped, next). */
interface Timeline {
  next: number;
  dropped: number;
}

const READ_CHUNK = 500;

export class KeyvStore implements Store {
  readonly #keyv: Keyv;
  readonly #queue: CommitQueue;
  readonly #opts: Required<KeyvStoreOptions>;
  #closed = false;
  #auditHead = 0;
  #auditNext = 0;
  readonly #incidents = new Map<string, IncidentRef>();
  readonly #timelines = new Map<string, Timeline>();

  private constructor(keyv: Keyv, sql: Sql | undefined, options: KeyvStoreOptions) {
    this.#keyv = keyv;
    // The counters moved with writes a rollback undid: reread them.
    this.#queue = new CommitQueue(sql, () => this.#load());
    this.#opts = { ...DefaultKeyvStoreOptions, ...options };
    const { auditCap, timelineCap, timelineHead } = this.#opts;
    if (auditCap < 1 || timelineHead < 0 || timelineCap < timelineHead + 2) {
      throw new RangeError(`invalid store caps: ${JSON.stringify(this.#opts)}`);
    }
  }

  /**
   * Opens (creating it and its directory) the SQLite database at `path`, in WAL mode with
   * `synchronous=FULL`: a resolved write is committed and fsynced.
   */
  static async openSqlite(path: string, options: KeyvStoreOptions = {}): Promise<KeyvStore> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await makePrivate(dirname(path));
    // Incidents and the agent's questions are private: the file (and the -wal/-shm files SQLite makes
    // with the same mode) is the owner's only, also when an older medic left it 0644.
    await (await open(path, 'a', 0o600)).close();
    await chmod(path, 0o600);
    const sqlite = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5_000 });
    try {
      await sqlite.query('PRAGMA journal_mode=WAL');
      await sqlite.query('PRAGMA synchronous=FULL');
    } catch (error) {
      await sqlite.close().catch(() => undefined);
      throw error;
    }
    const sql = (statement: string): Promise<unknown> => sqlite.query(statement);
    return KeyvStore.open(new Keyv({ store: sqlite }, KEYV_OPTIONS), sql, options);
  }

  /** A store held in a Map (values serialised as in SQLite), for tests and demos. */
  static async inMemory(options: KeyvStoreOptions = {}): Promise<KeyvStore> {
    return KeyvStore.open(new Keyv(KEYV_OPTIONS), undefined, options);
  }

  private static async open(keyv: Keyv, sql: Sql | undefined, options: KeyvStoreOptions): Promise<KeyvStore> {
    keyv.on('error', () => undefined); // surfaced as rejections through throwOnErrors
    try {
      const store = new KeyvStore(keyv, sql, options);
      await store.#load();
      return store;
    } catch (error) {
      await keyv.disconnect().catch(() => undefined);
      throw error;
    }
  }

  loadTarget(target: string): Promise<TargetState | undefined> {
    return this.#queue.run(() => this.#keyv.get<TargetState>(`target:${target}`));
  }

  saveTarget(state: TargetState): Promise<void> {
    return this.#queue.run(() => this.#set(`target:${state.target}`, state));
  }

  saveIncident(incident: Incident): Promise<void> {
    return this.#queue.run(async () => {
      // The incident first: an index entry always points at a saved incident.
      await this.#set(`incident:${incident.id}`, incident);
      const known = this.#incidents.get(incident.id);
      if (known?.target === incident.target && known.openedAt === incident.openedAt) return;
      const ref = { id: incident.id, target: incident.target, openedAt: incident.openedAt };
      await this.#set('incidents', [...[...this.#incidents.values()].filter((r) => r.id !== ref.id), ref]);
      this.#incidents.set(ref.id, ref);
    });
  }

  appendRecord(record: LadderRecord): Promise<void> {
    return this.#queue.run(async () => {
      // Counters move only after a committed write, so a failed write leaves no hole.
      await this.#set(`audit:${this.#auditNext}`, record);
      this.#auditNext += 1;
      await this.#trimAudit();
      if (record.incidentId === null) return;
      const id = record.incidentId;
      const timeline = await this.#timeline(id);
      await this.#set(`tl:${id}:${timeline.next}`, record);
      timeline.next += 1;
      await this.#trimTimeline(id, timeline);
    });
  }

  getIncident(id: string): Promise<IncidentWithTimeline | undefined> {
    return this.#queue.run(async () => {
      const incident = await this.#keyv.get<Incident>(`incident:${id}`);
      if (incident === undefined) return undefined;
      const { next, dropped } = await this.#timeline(id);
      const { timelineCap: cap, timelineHead: head } = this.#opts;
      if (dropped === 0 && next <= cap) return { incident, timeline: await this.#getRange(`tl:${id}:`, 0, next) };
      // A write can land before its trim: clamp so a reader never sees more than the cap.
      const tailStart = Math.max(head + dropped, next - (cap - head - 1));
      const first = await this.#getRange(`tl:${id}:`, 0, head);
      const tail = await this.#getRange(`tl:${id}:`, tailStart, next);
      const marker: LadderRecord = {
        kind: 'step',
        at: tail[0]?.at ?? incident.openedAt,
        target: incident.target,
        incidentId: id,
        level: null,
        text: `[${tailStart - head} timeline entries dropped here: a timeline keeps its first ${head} and last ${cap - head - 1}]`,
      };
      return { incident, timeline: [...first, marker, ...tail] };
    });
  }

  listIncidents(options: { target?: string; limit?: number } = {}): Promise<Incident[]> {
    return this.#queue.run(async () => {
      const refs = [...this.#incidents.values()]
        .filter((ref) => options.target === undefined || ref.target === options.target)
        .sort((a, b) => b.openedAt - a.openedAt || (a.id < b.id ? 1 : -1))
        .slice(0, options.limit ?? DEFAULT_INCIDENT_LIMIT);
      const incidents = await this.#keyv.getMany<Incident>(refs.map((ref) => `incident:${ref.id}`));
      return incidents.filter((incident): incident is Incident => incident !== undefined);
    });
  }

  listAudit(options: { limit?: number } = {}): Promise<LadderRecord[]> {
    return this.#queue.run(async () => {
      const start = Math.max(this.#auditHead, this.#auditNext - this.#opts.auditCap);
      const from = Math.max(start, this.#auditNext - (options.limit ?? DEFAULT_AUDIT_LIMIT));
      return (await this.#getRange('audit:', from, this.#auditNext)).reverse();
    });
  }

  /** Waits for queued work, then closes the database so the process can exit. Idempotent. */
  getValue<T>(key: string): Promise<T | undefined> {
    return this.#queue.run(() => this.#keyv.get<T>(`value:${key}`));
  }

  setValue(key: string, value: unknown): Promise<void> {
    return this.#queue.run(() => this.#set(`value:${key}`, value));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.close();
    await this.#keyv.disconnect();
  }

  /** (Re)reads what the store keeps in memory: the audit bounds and the incident index. */
  async #load(): Promise<void> {
    this.#auditHead = (await this.#keyv.get<{ head: number }>('audit:meta'))?.head ?? 0;
    this.#auditNext = await findEnd((seq) => this.#keyv.has(`audit:${seq}`), this.#auditHead);
    this.#incidents.clear();
    for (const ref of (await this.#keyv.get<IncidentRef[]>('incidents')) ?? []) this.#incidents.set(ref.id, ref);
    this.#timelines.clear();
  }

  async #set(key: string, value: unknown): Promise<void> {
    if (!(await this.#keyv.set(key, value))) throw new Error(`the store could not write ${key}`);
  }

  async #timeline(id: string): Promise<Timeline> {
    let timeline = this.#timelines.get(id);
    if (timeline === undefined) {
      const dropped = (await this.#keyv.get<{ dropped: number }>(`tlmeta:${id}`))?.dropped ?? 0;
      const from = dropped > 0 ? this.#opts.timelineHead + dropped : 0;
      timeline = { next: await findEnd((seq) => this.#keyv.has(`tl:${id}:${seq}`), from), dropped };
      this.#timelines.set(id, timeline);
    }
    return timeline;
  }

  // Trims run in chunks (a tenth of the cap) so a full log is not trimmed on every append.
  // The new bound is committed before the deletes: a kill in between leaves garbage, not holes.
  async #trimAudit(): Promise<void> {
    const cap = this.#opts.auditCap;
    if (this.#auditNext - this.#auditHead <= cap + slack(cap)) return;
    const head = this.#auditNext - cap;
    await this.#set('audit:meta', { head });
    await this.#deleteRange('audit:', this.#auditHead, head);
    this.#auditHead = head;
  }

  async #trimTimeline(id: string, timeline: Timeline): Promise<void> {
    const { timelineCap: cap, timelineHead: head } = this.#opts;
    if (timeline.next - timeline.dropped <= cap + slack(cap)) return;
    const dropped = timeline.next - (cap - head - 1) - head;
    await this.#set(`tlmeta:${id}`, { dropped });
    await this.#deleteRange(`tl:${id}:`, head + timeline.dropped, head + dropped);
    timeline.dropped = dropped;
  }

  async #getRange(prefix: string, from: number, to: number): Promise<LadderRecord[]> {
    const records: LadderRecord[] = [];
    for (let start = from; start < to; start += READ_CHUNK) {
      const keys = range(start, Math.min(to, start + READ_CHUNK)).map((seq) => `${prefix}${seq}`);
      for (const record of await this.#keyv.getMany<LadderRecord>(keys)) if (record !== undefined) records.push(record);
    }
    return records;
  }

  async #deleteRange(prefix: string, from: number, to: number): Promise<void> {
    for (let start = from; start < to; start += READ_CHUNK) {
      await this.#keyv.deleteMany(range(start, Math.min(to, start + READ_CHUNK)).map((seq) => `${prefix}${seq}`));
    }
  }
}

/** Plain JSON (faster than Keyv's default); errors reject instead of being only emitted. */
const KEYV_OPTIONS = {
  namespace: 'clawmedic',
  serialize: JSON.stringify,
  deserialize: JSON.parse,
  throwOnErrors: true,
} as const;

function slack(cap: number): number {
  return Math.max(1, Math.floor(cap / 10));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** The first missing seq at or after `from`, given the present ones are contiguous from `from`. */
async function findEnd(has: (seq: number) => Promise<boolean>, from: number): Promise<number> {
  if (!(await has(from))) return from;
  let present = from;
  let step = 1;
  while (await has(present + step)) {
    present += step;
    step *= 2;
  }
  let absent = present + step;
  while (absent - present > 1) {
    const mid = Math.floor((present + absent) / 2);
    if (await has(mid)) present = mid;
    else absent = mid;
  }
  return absent;
}

/**
 * The data dir made the owner's only (0700) when it is ours and open to others; a shared sticky
 * directory (such as /tmp given as the data dir by mistake) or someone else's is left as it is.
 */
async function makePrivate(dir: string): Promise<void> {
  const st = await stat(dir);
  const ours = process.getuid === undefined || st.uid === process.getuid();
  if (ours && (st.mode & 0o077) !== 0 && (st.mode & 0o1000) === 0) await chmod(dir, 0o700);
}

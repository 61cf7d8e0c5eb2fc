/**
 * One queue for all of a store's work, run one job at a time in call order, so jobs may
 * read-modify-write without races and writes commit in the order they were issued.
 *
 * With `Sql` (SQLite), the jobs that piled up run in one transaction (group commit: one
 * fsync for many writes, and a job's several writes commit together); each promise still
 * settles only after its commit. When a job fails, its batch is rolled back, `afterRollback`
 * lets the owner forget what it cached from the undone writes, and the jobs rerun one
 * transaction each, so only the failing one is rejected and none is committed twice.
 */

/** Runs one SQL statement on the store's single connection. */
export type Sql = (statement: string) => Promise<unknown>;

interface Job {
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Jobs in one transaction at most. */
const MAX_BATCH = 200;

export class CommitQueue {
  readonly #jobs: Job[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly sql: Sql | undefined,
    private readonly afterRollback: () => Promise<void>,
  ) {}

  /** Queues `work`; rejects at once after `close()`. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // Drained a microtask later, so a burst of calls made in one tick shares a transaction.
      this.#draining ??= Promise.resolve().then(() => this.#drain());
    });
  }

  /** Refuses new work and resolves once the queued work has settled. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#jobs.length > 0) {
      const batch = this.#jobs.splice(0, MAX_BATCH);
      if (this.sql === undefined) {
        for (const job of batch) await job.work().then(job.resolve, job.reject);
        continue;
      }
      const failure = await this.#runTransaction(this.sql, batch);
      if (failure === undefined) continue;
      if (batch.length === 1) batch[0]?.reject(failure.error);
      // Find the culprit: each job again in a transaction of its own.
      else for (const job of batch) await this.#runTransaction(this.sql, [job]).then((f) => f && job.reject(f.error));
    }
    this.#draining = undefined;
  }

  /** Runs `batch` in one transaction and settles it; on a failure, undoes it all and returns the error. */
  async #runTransaction(sql: Sql, batch: Job[]): Promise<{ error: unknown } | undefined> {
    const results: unknown[] = [];
    try {
      await sql('BEGIN IMMEDIATE');
      // Stops at the first failure: SQLite may have rolled back already, so nothing more may run.
      for (const job of batch) results.push(await job.work());
      await sql('COMMIT');
    } catch (error) {
      await sql('ROLLBACK').catch(() => undefined);
      return { error: await this.afterRollback().then(() => error, (reloadError: unknown) => reloadError) };
    }
    batch.forEach((job, i) => job.resolve(results[i]));
    return undefined;
  }
}

// Group commit: deliveries that arrive together share one durable transaction, and every caller is answered
// only after that transaction has committed and is on disk; the next batch starts at the commit, not at the disk.
// A batch first runs without savepoints (each costs a journal copy of every page an item touches); if any item
// throws, that attempt is rolled back and the batch runs again with each item in its own savepoint, so one failing
// delivery never takes the others down with it.
import type { Database, Tx } from './database.ts';
import { countContention } from './unit-of-work.ts';
import type { Logger } from '../log.ts';
import { HubError } from '../../kernel/errors.ts';

interface Pending<I, R> {
  item: I;
  attempts: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  maxBatch: number;
  /** Transactions in flight at once: 1 on SQLite (one writer), several on PostgreSQL. */
  lanes: number;
  /** Queue length past which new work is refused with OVERLOADED (the platform retries later). */
  maxQueue: number;
  /** Runs first in every batch transaction, e.g. to take row locks in one global order. */
  beforeBatch?: (tx: Tx, items: unknown[]) => Promise<void>;
  /** Called after each commit is durable (the outbox relay has new events). */
  onCommit?: () => void;
}

export interface GroupCommitStats {
  batches: number;
  items: number;
  retried: number;
  largestBatch: number;
  /** Batches that had a failing item and ran again with a savepoint per item. */
  isolatedReruns: number;
}

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };
interface Attempt<R> {
  outcomes: Outcome<R>[];
  durable: Promise<void>;
}

/** What an item still losing to other writers after every retry is answered: busy, try again — never an internal error. */
function busy(attempts: number): HubError {
  return new HubError('BUSY', 'the database was busy with conflicting changes to the same records; nothing was stored, try again', { attempts: attempts + 1 });
}

/** Aborts an optimistic batch attempt: one item threw, so its partial writes must not commit. */
class ItemFailed extends Error {
  constructor(readonly error: unknown) {
    super('an item of the batch failed');
  }
}

export class GroupCommitter<I, R> {
  private queue: Pending<I, R>[] = [];
  private busyLanes = 0;
  /** Batches taken from the queue and not yet answered (running, or committed and waiting for the disk). */
  private unanswered = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: GroupCommitStats = { batches: 0, items: 0, retried: 0, largestBatch: 0, isolatedReruns: 0 };

  constructor(
    private readonly db: Database,
    private readonly work: (tx: Tx, item: I) => Promise<R>,
    private readonly opts: GroupCommitOptions,
    private readonly log: Logger,
  ) {}

  submit(item: I): Promise<R> {
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(new HubError('OVERLOADED', 'the hub is busy; retry shortly'));
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, attempts: 0, resolve, reject });
      this.schedule();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    if (this.queue.length === 0 && this.busyLanes === 0 && this.unanswered === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.scheduled || this.busyLanes >= this.opts.lanes || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate lets requests that arrived in the same turn of the event loop join this batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
      this.schedule();
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0 || this.busyLanes >= this.opts.lanes) return;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.busyLanes++;
    this.unanswered++;
    let laneHeld = true;
    const freeLane = () => {
      if (!laneHeld) return;
      laneHeld = false;
      this.busyLanes--;
      this.schedule();
    };
    try {
      let done: Attempt<R>;
      try {
        done = await this.attempt(batch, false);
      } catch (e) {
        if (!(e instanceof ItemFailed)) {
          // What runs for the whole batch (beforeBatch's locks, the commit) failed for something in one of its items:
          // each item runs as a batch of its own, so the one that cannot be stored fails alone.
          if (batch.length === 1 || this.db.isRetryable(e)) throw e;
          this.stats.isolatedReruns++;
          done = await this.oneByOne(batch);
        } else if (batch.length === 1) {
          // Rolled back: for a lone item that is exactly what a savepoint would have done.
          done = { outcomes: [{ ok: false, error: e.error }], durable: Promise.resolve() };
        } else {
          this.stats.isolatedReruns++;
          done = await this.attempt(batch, true);
        }
      }
      // Committed: the next batch may run while this one's commit reaches the disk. Nobody is answered before that.
      freeLane();
      await done.durable;
      this.opts.onCommit?.();
      const outcomes = done.outcomes;
      this.stats.batches++;
      this.stats.items += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (!o) p.reject(new Error('batch outcome missing'));
        else if (o.ok) p.resolve(o.value);
        else if (this.db.isRetryable(o.error) && p.attempts < 5) this.requeue(p, o.error);
        else p.reject(this.db.isRetryable(o.error) ? busy(p.attempts) : o.error);
      });
    } catch (error) {
      // The commit itself (or its sync to disk) failed: nothing of this batch is known durable. Retry what may
      // succeed, answer the rest.
      this.log.error({ err: error, batch: batch.length }, 'group commit failed');
      for (const p of batch) {
        if (this.db.isRetryable(error) && p.attempts < 5) this.requeue(p, error);
        else p.reject(this.db.isRetryable(error) ? busy(p.attempts) : error);
      }
    } finally {
      this.unanswered--;
      freeLane();
      if (this.queue.length === 0 && this.busyLanes === 0 && this.unanswered === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
      this.schedule();
    }
  }

  /**
   * One transaction over the batch. Optimistic: items run back to back and the first error aborts the attempt
   * (ItemFailed). Isolated: each item in a savepoint, its error kept as its outcome. Resolves at COMMIT, with a
   * promise for the commit being durable.
   */
  private async attempt(batch: readonly Pending<I, R>[], isolated: boolean): Promise<Attempt<R>> {
    const outcomes: Outcome<R>[] = [];
    const { durable } = await this.db.pipelinedTransaction(async (tx) => {
      outcomes.length = 0;
      if (this.opts.beforeBatch) await this.opts.beforeBatch(tx, batch.map((p) => p.item));
      for (const p of batch) {
        // SQLite's items are independent units behind one writer: each keeps the lock order on its own.
        if (tx.dialect === 'sqlite') tx.locks.reset();
        if (!isolated) {
          try {
            outcomes.push({ ok: true, value: await this.work(tx, p.item) });
          } catch (error) {
            throw new ItemFailed(error);
          }
          continue;
        }
        try {
          outcomes.push({ ok: true, value: await tx.savepoint(() => this.work(tx, p.item)) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
    return { outcomes, durable };
  }

  /** Each item in a transaction of its own (beforeBatch included), its error kept as its outcome. */
  private async oneByOne(batch: readonly Pending<I, R>[]): Promise<Attempt<R>> {
    const outcomes: Outcome<R>[] = [];
    let durable: Promise<void> = Promise.resolve();
    for (const p of batch) {
      try {
        const one = await this.attempt([p], false);
        outcomes.push(one.outcomes[0] as Outcome<R>);
        durable = one.durable;
      } catch (e) {
        outcomes.push({ ok: false, error: e instanceof ItemFailed ? e.error : e });
      }
    }
    return { outcomes, durable };
  }

  private requeue(p: Pending<I, R>, cause: unknown): void {
    countContention(this.db.contention, cause);
    p.attempts++;
    this.stats.retried++;
    this.queue.push(p);
  }
}

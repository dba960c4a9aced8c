// Group commit: deliveries that arrive together share one durable transaction, each in its own savepoint,
// and every caller is answered only after that transaction has committed.
import type { Database, Tx } from '../store/db.ts';
import type { Logger } from '../log.ts';
import { HubError } from '../domain/errors.ts';

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
  /** Called after each commit (the outbox relay has new events). */
  onCommit?: () => void;
}

export interface GroupCommitStats {
  batches: number;
  items: number;
  retried: number;
  largestBatch: number;
}

export class GroupCommitter<I, R> {
  private queue: Pending<I, R>[] = [];
  private busyLanes = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: GroupCommitStats = { batches: 0, items: 0, retried: 0, largestBatch: 0 };

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
    if (this.queue.length === 0 && this.busyLanes === 0) return;
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
    const outcomes: ({ ok: true; value: R } | { ok: false; error: unknown })[] = [];
    try {
      await this.db.transaction(async (tx) => {
        outcomes.length = 0;
        if (this.opts.beforeBatch) await this.opts.beforeBatch(tx, batch.map((p) => p.item));
        for (const p of batch) {
          try {
            outcomes.push({ ok: true, value: await tx.savepoint(() => this.work(tx, p.item)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
      this.opts.onCommit?.();
      this.stats.batches++;
      this.stats.items += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (!o) p.reject(new Error('batch outcome missing'));
        else if (o.ok) p.resolve(o.value);
        else if (this.db.isRetryable(o.error) && p.attempts < 5) this.requeue(p);
        else p.reject(o.error);
      });
    } catch (error) {
      // The commit itself failed: nothing of this batch is durable. Retry what may succeed, answer the rest.
      this.log.error({ err: error, batch: batch.length }, 'group commit failed');
      for (const p of batch) {
        if (this.db.isRetryable(error) && p.attempts < 5) this.requeue(p);
        else p.reject(error);
      }
    } finally {
      this.busyLanes--;
      if (this.queue.length === 0 && this.busyLanes === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
      this.schedule();
    }
  }

  private requeue(p: Pending<I, R>): void {
    p.attempts++;
    this.stats.retried++;
    this.queue.push(p);
  }
}

// Fires persisted timers when due. The table is the truth, so timers set before a restart fire after it.
//
// Jobs and leases: payment timeouts are rows of a table, so each pass claims a batch of due rows (claims.ts: FOR UPDATE
// SKIP LOCKED on PostgreSQL) rather than taking one lease for the whole job: two hub processes fire different timers at
// the same time, never the same one, and the payment provider is asked once per timer and attempt. The cancel commits
// only while the claim is still this pass's (claimTimer), so a process paused past its claim cannot fire it again.
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { OrderService } from '../../modules/orders/service.ts';
import { claimDue } from './claims.ts';
import { dbNow, LeaseKeeper, sqlLeaseStore } from './leases.ts';
import { JobRunner } from './runner.ts';
import { retryTimer } from './timer-store.ts';

/**
 * Asked before the payment timeout closes an order (the payment service queries the provider first): `paid` and
 * `retry` leave the order open, `close_unconfirmed` closes it and records that nobody could ask.
 */
export interface BeforeClose {
  beforeClose(timer: { id: number; ref: string }, now: number): Promise<'close' | 'paid' | 'retry' | 'close_unconfirmed'>;
  recordClosedUnconfirmed(orderId: string, now: number): Promise<void>;
}

/** Timers claimed per pass: small enough that a slow provider does not keep the rest of a batch from other processes. */
const batchSize = 50;

export class TimerRunner {
  /** Set by the hub when payment accounts can be asked before an order is closed. */
  payments: BeforeClose | null = null;
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;

  constructor(
    private readonly db: Database,
    private readonly orders: OrderService,
    private readonly log: Logger,
    private readonly pollMs = 1000,
    leases?: LeaseKeeper,
  ) {
    this.leases = leases ?? new LeaseKeeper(sqlLeaseStore(db), log);
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'payment-timeouts', failureMessage: 'timer pass failed', everyMs: this.pollMs, run: async () => void (await this.runDue()) });
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** Fires everything due now; returns how many orders were cancelled. */
  async runDue(now = Date.now()): Promise<number> {
    let cancelled = 0;
    for (let round = 0; round < 100; round++) {
      // Only its own kind: other kinds (tracking) have their own worker, and 200 of them due would starve this loop.
      const where = `state = 'pending' AND kind = 'payment_timeout' AND due_at <= ?`;
      // A look on the read connection first: with nothing due (nearly always), no write at all.
      const any = await this.db.read.get(`SELECT id FROM timers WHERE ${where} AND (claimed_until IS NULL OR claimed_until <= ${dbNow(this.db.dialect)}) LIMIT 1`, [now]);
      if (!any) return cancelled;
      const claim = await claimDue<{ id: number; ref: string; due_at: number }>(this.db, this.leases.holder, {
        table: 'timers',
        where,
        params: [now],
        orderBy: 'due_at, id',
        limit: batchSize,
        columns: 'id, ref, due_at',
      });
      // RETURNING keeps no order: fired oldest first, as before.
      const due = claim.rows.map((t) => ({ id: Number(t.id), ref: t.ref, dueAt: Number(t.due_at) })).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
      if (due.length === 0) return cancelled; // everything due is being fired by another process
      for (const t of due) {
        await claim.keep();
        try {
          // External calls never run inside a transaction: the provider is asked first, then the timer fires.
          const verdict = this.payments ? await this.payments.beforeClose(t, now) : 'close';
          if (verdict === 'paid' || verdict === 'retry') {
            await claim.release(t.id);
            continue;
          }
          if ((await this.orders.expireUnpaid({ ...t, claim: claim.token }, now)) === 'cancelled') {
            cancelled++;
            if (verdict === 'close_unconfirmed') await this.payments?.recordClosedUnconfirmed(t.ref, now);
          }
        } catch (e) {
          this.log.error({ err: e, timer: t.id }, 'payment timeout failed; will retry');
          await this.db.transaction((tx) => retryTimer(tx, t.id, (e as Error).message, now + 30_000, now, claim.token));
        }
      }
      if (due.length < batchSize) return cancelled;
    }
    return cancelled;
  }
}

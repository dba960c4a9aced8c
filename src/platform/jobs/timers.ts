// Fires persisted timers when due. The table is the truth, so timers set before a restart fire after it.
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { OrderService } from '../../modules/orders/service.ts';

/**
 * Asked before the payment timeout closes an order (the payment service queries the provider first): `paid` and
 * `retry` leave the order open, `close_unconfirmed` closes it and records that nobody could ask.
 */
export interface BeforeClose {
  beforeClose(timer: { id: number; ref: string }, now: number): Promise<'close' | 'paid' | 'retry' | 'close_unconfirmed'>;
  recordClosedUnconfirmed(orderId: string, now: number): Promise<void>;
}

export class TimerRunner {
  /** Set by the hub when payment accounts can be asked before an order is closed. */
  payments: BeforeClose | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private busy: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly orders: OrderService,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.busy = this.runDue()
        .then(() => undefined)
        .catch((e: unknown) => this.log.error({ err: e }, 'timer pass failed'))
        .finally(() => {
          this.busy = null;
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.pollMs);
            this.timer.unref();
          }
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
  }

  /** Fires everything due now; returns how many orders were cancelled. */
  async runDue(now = Date.now()): Promise<number> {
    let cancelled = 0;
    for (;;) {
      const due = await this.db.read.all<{ id: number; kind: string; ref: string }>(
        // Only its own kind: other kinds (tracking) have their own worker, and 200 of them due would starve this loop.
        `SELECT id, kind, ref FROM timers WHERE state = 'pending' AND kind = 'payment_timeout' AND due_at <= ? ORDER BY due_at LIMIT 200`,
        [now],
      );
      if (due.length === 0) return cancelled;
      for (const t of due) {
        if (t.kind !== 'payment_timeout') continue;
        try {
          // External calls never run inside a transaction: the provider is asked first, then the timer fires.
          const verdict = this.payments ? await this.payments.beforeClose(t, now) : 'close';
          if (verdict === 'paid' || verdict === 'retry') continue;
          if ((await this.orders.expireUnpaid(t, now)) === 'cancelled') {
            cancelled++;
            if (verdict === 'close_unconfirmed') await this.payments?.recordClosedUnconfirmed(t.ref, now);
          }
        } catch (e) {
          this.log.error({ err: e, timer: t.id }, 'payment timeout failed; will retry');
          await this.db.transaction((tx) =>
            tx.run('UPDATE timers SET attempts = attempts + 1, last_error = ?, due_at = ? WHERE id = ?', [
              (e as Error).message,
              now + 30_000,
              t.id,
            ]),
          );
        }
      }
      if (due.length < 200) return cancelled;
    }
  }
}

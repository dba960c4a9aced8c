// Sends requested refunds to their provider and asks after submitted ones, with back-off. Runs where writes run (the
// writer thread on SQLite). Each call happens outside any transaction; its outcome is written after. The refund's
// out_refund_no is the idempotency key, so a resend after a lost answer never refunds twice. A refund is confirmed
// only by the provider's refund notice or a refund query, never by the refund call's own answer.
import type { Logger } from '../../platform/log.ts';
import { callErrorText, providerFor, retryableCallError, type RefundOrder } from './providers/registry.ts';
import type { PaymentAccountService } from './accounts.ts';
import type { RefundRow, RefundService } from './refunds.ts';

export interface RefundWorkerOptions {
  pollMs: number;
  /** After a refund is accepted, how long before the first refund query (a notice usually comes first). */
  queryAfterMs: number;
  fetch?: typeof fetch;
}

const backoff = (attempts: number) => Math.min(3_600_000, 5_000 * 2 ** Math.min(attempts, 12));

export class RefundWorker {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private busy: Promise<unknown> | null = null;
  private again = false;

  constructor(
    private readonly refunds: RefundService,
    private readonly accounts: PaymentAccountService,
    private readonly log: Logger,
    private readonly opts: RefundWorkerOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.busy = this.runDue()
        .catch((e: unknown) => this.log.error({ err: e }, 'refund pass failed'))
        .finally(() => {
          this.busy = null;
          this.schedule(this.again ? 0 : this.opts.pollMs);
          this.again = false;
        });
    }, ms);
    this.timer.unref();
  }

  /** A refund was requested: look now rather than at the next poll. */
  poke(): void {
    if (this.busy) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
  }

  /**
   * Works every refund due now; returns how many were attempted. Passes in this process run one after another, so a
   * refund is not sent twice at once (a second process may still: the out_refund_no makes that harmless).
   */
  runDue(now = Date.now()): Promise<number> {
    const run = this.queue.then(async () => {
      const due = await this.refunds.dueRefunds(now);
      for (const r of due) await this.attempt(r, now);
      return due.length;
    });
    this.queue = run.catch(() => 0);
    return run;
  }

  private queue: Promise<number> = Promise.resolve(0);

  private async attempt(r: RefundRow, now: number): Promise<void> {
    const account = await this.accounts.get(r.payment_account_id);
    const provider = account ? providerFor(account.provider) : null;
    if (!account || !provider) {
      await this.refunds.afterAttempt(r, { kind: 'failed', error: 'the payment account is gone' }, now);
      return;
    }
    const order: RefundOrder = {
      outTradeNo: r.out_trade_no,
      transactionId: r.transaction_id,
      outRefundNo: r.out_refund_no,
      amount: Number(r.amount),
      total: Number(r.total_amount),
      currency: r.currency,
      reason: r.reason,
      notifyUrl: this.refunds.notifyUrl(account.provider, account.id),
    };
    const call = { ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}) };
    const attempts = Number(r.attempts);
    try {
      if (r.state === 'requested') {
        const s = await provider.refund(account.credentials, order, call);
        this.log.info({ provider: account.provider, outRefundNo: r.out_refund_no, providerState: s.providerState }, 'refund sent');
        // Even a SUCCESS in the answer waits for the notice or the query that confirms it.
        await this.refunds.afterAttempt(r, { kind: 'submitted', providerState: s.providerState, providerRefundId: s.providerRefundId, nextAt: now + this.opts.queryAfterMs }, now);
        return;
      }
      const s = await provider.queryRefund(account.credentials, order, call);
      if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'closed') {
        await this.refunds.afterAttempt(r, { kind: 'settled', status: { state: s.state, providerState: s.providerState, providerRefundId: s.providerRefundId } }, now);
      } else {
        // Not there at all: the request never arrived; sent again with the same out_refund_no.
        await this.refunds.afterAttempt(r, { kind: 'retry', error: `refund ${s.providerState}`, nextAt: now + backoff(attempts), resend: s.state === 'not_found' }, now);
      }
    } catch (e) {
      const error = callErrorText(e);
      this.log.warn({ provider: account.provider, outRefundNo: r.out_refund_no, attempts: attempts + 1, err: error }, 'refund call failed');
      if (retryableCallError(e)) await this.refunds.afterAttempt(r, { kind: 'retry', error, nextAt: now + backoff(attempts), resend: false }, now);
      else await this.refunds.afterAttempt(r, { kind: 'failed', error }, now);
    }
  }
}

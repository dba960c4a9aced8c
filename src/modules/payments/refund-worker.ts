// Sends requested refunds to their provider and asks after submitted ones, with back-off. Runs where writes run (the
// writer thread on SQLite). Each call happens outside any transaction; its outcome is written after. The refund's
// out_refund_no is the idempotency key, so a resend after a lost answer never refunds twice. A refund is confirmed
// only by the provider's refund notice or a refund query, never by the refund call's own answer.
//
// Jobs and leases: refunds are rows of a table, so each pass claims the due ones (claims.ts: FOR UPDATE SKIP LOCKED on
// PostgreSQL): a refund is sent by one hub process, once per attempt, and its outcome is written only under that claim.
// Should a paused process's claim lapse and another send the refund again, the same out_refund_no keeps it one refund.
import type { Logger } from '../../platform/log.ts';
import { newHolderId, type LeaseKeeper } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';
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
  private readonly runner: JobRunner;
  private readonly holder: string;

  constructor(
    private readonly refunds: RefundService,
    private readonly accounts: PaymentAccountService,
    private readonly log: Logger,
    private readonly opts: RefundWorkerOptions,
    /** Whose claims this worker's passes are: the hub's lease keeper names its process. */
    leases: Pick<LeaseKeeper, 'holder'> = { holder: newHolderId() },
  ) {
    this.holder = leases.holder;
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'refunds', failureMessage: 'refund pass failed', everyMs: this.opts.pollMs, run: async () => void (await this.runDue()) });
  }

  start(): void {
    this.runner.start();
  }

  /** A refund was requested: look now rather than at the next poll. */
  poke(): void {
    this.runner.poke('refunds');
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.queue;
  }

  /**
   * Works every refund due now; returns how many were attempted. Passes in this process run one after another, and a
   * pass works only the refunds it claimed, so no refund is sent twice at once, here or by another hub process.
   */
  runDue(now = Date.now()): Promise<number> {
    const run = this.queue.then(async () => {
      const claim = await this.refunds.claimDueRefunds(now, this.holder);
      if (!claim) return 0;
      for (const r of claim.rows) {
        await claim.keep();
        await this.attempt(r, now, claim.token);
      }
      return claim.rows.length;
    });
    this.queue = run.catch(() => 0);
    return run;
  }

  private queue: Promise<number> = Promise.resolve(0);

  private async attempt(r: RefundRow, now: number, claim: string): Promise<void> {
    const account = await this.accounts.get(r.payment_account_id);
    const provider = account ? providerFor(account.provider) : null;
    if (!account || !provider) {
      await this.refunds.afterAttempt(r, { kind: 'failed', error: 'the payment account is gone' }, now, claim);
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
        await this.refunds.afterAttempt(r, { kind: 'submitted', providerState: s.providerState, providerRefundId: s.providerRefundId, nextAt: now + this.opts.queryAfterMs }, now, claim);
        return;
      }
      const s = await provider.queryRefund(account.credentials, order, call);
      if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'closed') {
        await this.refunds.afterAttempt(r, { kind: 'settled', status: { state: s.state, providerState: s.providerState, providerRefundId: s.providerRefundId } }, now, claim);
      } else {
        // Not there at all: the request never arrived; sent again with the same out_refund_no.
        await this.refunds.afterAttempt(r, { kind: 'retry', error: `refund ${s.providerState}`, nextAt: now + backoff(attempts), resend: s.state === 'not_found' }, now, claim);
      }
    } catch (e) {
      const error = callErrorText(e);
      this.log.warn({ provider: account.provider, outRefundNo: r.out_refund_no, attempts: attempts + 1, err: error }, 'refund call failed');
      if (retryableCallError(e)) await this.refunds.afterAttempt(r, { kind: 'retry', error, nextAt: now + backoff(attempts), resend: false }, now, claim);
      else await this.refunds.afterAttempt(r, { kind: 'failed', error }, now, claim);
    }
  }
}

// Refunds and the payment exceptions queue (issue 6): refunds proposed by the payment service or asked for by a
// person, each with its out_refund_no written with an outbox event in one transaction; what the provider says of a
// refund (its notice or a refund query: the only confirmations); the refund worker's steps; the exceptions queue and
// its actions. The service the command registry, the payment service, the refund worker and the routes call; each
// method is one use case of commands/ or queries/.
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { Claim } from '../../platform/jobs/claims.ts';
import type { RefundDeps, RefundSettings } from './deps.ts';
import type { ExceptionRow, RefundRow } from './rows.ts';
import { exceptionSelect, exceptionView, exceptionViews, refundView } from './views.ts';
import { insertRefund, type RefundDraft } from './commands/insert-refund.ts';
import { raisePaymentException, type PaymentExceptionDraft } from './commands/raise-payment-exception.ts';
import { settleRefund, type ProviderRefundStatus } from './commands/settle-refund.ts';
import { requestRefund } from './commands/request-refund.ts';
import { decideRefundProposal } from './commands/decide-refund-proposal.ts';
import { resolvePaymentException } from './commands/resolve-payment-exception.ts';
import { claimDueRefunds } from './commands/claim-due-refunds.ts';
import { recordRefundAttempt, type RefundAttemptOutcome } from './commands/record-refund-attempt.ts';
import { paymentException } from './queries/payment-exception.ts';
import { listPaymentExceptions } from './queries/list-payment-exceptions.ts';

export type { RefundSettings } from './deps.ts';
export type { ExceptionRow, PaymentExceptionKind, RefundRow } from './rows.ts';
export { lockRefundRow } from './rows.ts';
export { refundEffects, type RefundStep } from './refund-effects.ts';

export class RefundService {
  /** Called after a refund request commits (the hub wakes the refund worker). */
  onRefundRequested: (() => void) | null = null;

  private readonly deps: RefundDeps;

  constructor(db: Database, keyring: Keyring, settings: RefundSettings) {
    this.deps = { db, keyring, settings, refundRequested: () => this.onRefundRequested?.() };
  }

  // ------------------------------------------------------------------ in the payment service's transactions

  insertRefund(tx: Tx, r: RefundDraft): Promise<{ id: string; outRefundNo: string }> {
    return insertRefund(tx, r);
  }

  raiseException(tx: Tx, tenantId: string, paymentAccountId: string, provider: string, e: PaymentExceptionDraft): Promise<number> {
    return raisePaymentException(tx, tenantId, paymentAccountId, provider, e);
  }

  settleRefund(tx: Tx, r: RefundRow, s: ProviderRefundStatus, at: number, cause: string): Promise<string> {
    return settleRefund(tx, r, s, at, cause);
  }

  // ------------------------------------------------------------------ refunds requested by people, the queue's actions

  requestRefund(who: Principal, orderId: string, input: { amount?: number | undefined; reason: string }, now = Date.now()) {
    return requestRefund(this.deps, who, orderId, input, now);
  }

  decideProposal(who: Principal, exceptionId: number, input: { approve: boolean; note: string }, now = Date.now()) {
    return decideRefundProposal(this.deps, who, exceptionId, input, now);
  }

  resolveException(who: Principal, exceptionId: number, note: string, now = Date.now()) {
    return resolvePaymentException(this.deps, who, exceptionId, note, now);
  }

  // ------------------------------------------------------------------ reads

  refundView(r: RefundRow) {
    return refundView(r);
  }

  exceptionView(e: ExceptionRow & { order_no?: string | null; refund_state?: string | null; out_refund_no?: string | null; provider?: string | null }) {
    return exceptionView(e);
  }

  readonly exceptionSelect = exceptionSelect;

  exceptionViews(rows: readonly ExceptionRow[]) {
    return exceptionViews(this.deps.db, rows);
  }

  exception(who: Principal, id: number) {
    return paymentException(this.deps, who, id);
  }

  exceptions(who: Principal, f: { state?: string | undefined; code?: string | undefined; orderId?: string | undefined; limit: number }) {
    return listPaymentExceptions(this.deps, who, f);
  }

  // ------------------------------------------------------------------ the refund worker's steps

  claimDueRefunds(now: number, holder: string, limit = 50): Promise<Claim<RefundRow> | null> {
    return claimDueRefunds(this.deps, now, holder, limit);
  }

  /** The URL a provider should send refund notices to, when the hub knows its public address. */
  notifyUrl(provider: string, paymentAccountId: string): string | undefined {
    return this.deps.settings.publicUrl ? `${this.deps.settings.publicUrl.replace(/\/$/, '')}/hooks/pay/${provider}/${paymentAccountId}` : undefined;
  }

  afterAttempt(r: RefundRow, outcome: RefundAttemptOutcome, now: number, claim?: string): Promise<void> {
    return recordRefundAttempt(this.deps, r, outcome, now, claim);
  }
}

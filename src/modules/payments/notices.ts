// The payment service (issue 6): a verified provider notice is stored raw and decided in one transaction — paid only
// as a conjunction (signature, merchant ids, exact amount, success state), late payments re-reserve or become
// "paid, no stock" with a refund proposal, anything else a payment exception — and the provider is answered after
// commit. Also the query before auto-close and the order's payment timeline. Refunds and the exceptions queue are in
// refunds.ts. The service the command registry, the timers and the routes call; each method is one use case of
// commands/ or queries/.
import type { Principal } from '../../kernel/principal.ts';
import type { Logger } from '../../platform/log.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { RefundService } from './refunds.ts';
import type { PaymentAccountService } from './accounts.ts';
import type { PaymentDeps, PaymentSettings } from './deps.ts';
import type { NoticeDelivery, NoticeOutcome } from './notice-delivery.ts';
import { recordPaymentNotice } from './commands/record-payment-notice.ts';
import { queryBeforeClose } from './commands/query-before-close.ts';
import { recordClosedUnconfirmed } from './commands/record-closed-unconfirmed.ts';
import { recheckPayment } from './commands/recheck-payment.ts';
import { paymentTimeline } from './queries/payment-timeline.ts';

export type { PaymentSettings } from './deps.ts';
export type { NoticeDelivery, NoticeOutcome } from './notice-delivery.ts';

export class PaymentService {
  private readonly deps: PaymentDeps;

  constructor(db: Database, keyring: Keyring, accounts: PaymentAccountService, refunds: RefundService, settings: PaymentSettings, log: Logger, fetchFn: typeof fetch = fetch) {
    this.deps = { db, keyring, accounts, refunds, settings, log, fetchFn };
  }

  recordNotice(d: NoticeDelivery): Promise<NoticeOutcome> {
    return recordPaymentNotice(this.deps, d);
  }

  beforeClose(timer: { id: number; ref: string }, now: number): Promise<'close' | 'paid' | 'retry' | 'close_unconfirmed'> {
    return queryBeforeClose(this.deps, timer, now);
  }

  recordClosedUnconfirmed(orderId: string, now: number): Promise<void> {
    return recordClosedUnconfirmed(this.deps, orderId, now);
  }

  recheck(who: Principal, exceptionId: number, now = Date.now()) {
    return recheckPayment(this.deps, who, exceptionId, now);
  }

  timeline(orderId: string) {
    return paymentTimeline(this.deps, orderId);
  }
}

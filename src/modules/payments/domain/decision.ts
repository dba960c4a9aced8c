// "Paid" is a conjunction (issue 6): a verified signature AND the merchant ids of the account AND the exact amount
// the order expects AND a provider success state. This decides what one verified payment notice means for one order;
// pure, so every combination is tested without a provider. The payment service applies the decision.

/** What a provider notice says, once its signature checked out (the shape of src/modules/payments/providers/types.ts VerifiedNotice). */
export interface NoticeFacts {
  kind: 'payment' | 'refund' | 'other';
  providerState: string;
  success: boolean;
  outTradeNo: string | null;
  amount: { value: number; currency: string } | null;
  merchant: Record<string, string>;
}

/** The order the notice names, as the hub holds it; null when no order has that number. */
export interface OrderFacts {
  status: string;
  paymentStatus: string;
  /** What the buyer owes, minor units. */
  totalAmount: number;
  currency: string;
}

export type PaymentExceptionCode = 'UNKNOWN_ORDER' | 'MERCHANT_MISMATCH' | 'AMOUNT_MISMATCH' | 'CURRENCY_MISMATCH' | 'AMOUNT_MISSING';

export type PaymentDecision =
  /** Every condition holds: the order is paid. */
  | { effect: 'mark_paid' }
  /** Paid, but the hub had cancelled the order (payment timeout, stock): re-reserve, or PAID_NO_STOCK + refund proposal. */
  | { effect: 'late_payment' }
  /** The order is paid already (a retry, or a second channel saying the same): nothing more happens. */
  | { effect: 'already_paid' }
  /** A verified notice that changes nothing (WAIT_BUYER_PAY, TRADE_CLOSED, a refund notice for the refund flow). */
  | { effect: 'no_effect'; reason: string }
  /** Verified, but not believable as a payment of this order: recorded, shown, alerted; the order is not touched. */
  | { effect: 'exception'; code: PaymentExceptionCode; reason: string };

/**
 * What one verified payment notice means for the order it names. `expectedMerchant` holds the account's ids (WeChat
 * mchid and appid, Alipay app_id and seller_id, Stripe account): every one given must match the notice.
 */
export function decidePayment(notice: NoticeFacts, order: OrderFacts | null, expectedMerchant: Record<string, string>): PaymentDecision {
  if (notice.kind !== 'payment') return { effect: 'no_effect', reason: `a ${notice.kind} notice (${notice.providerState}) is for the refund flow` };
  for (const [key, want] of Object.entries(expectedMerchant)) {
    const got = notice.merchant[key];
    if (got !== want) {
      return { effect: 'exception', code: 'MERCHANT_MISMATCH', reason: `${key} is ${got === undefined ? 'missing' : JSON.stringify(got)}, the account's is ${JSON.stringify(want)}` };
    }
  }
  if (!notice.success) return { effect: 'no_effect', reason: `provider state ${notice.providerState} is not a payment success` };
  if (!order) {
    return { effect: 'exception', code: 'UNKNOWN_ORDER', reason: `a payment for order number ${JSON.stringify(notice.outTradeNo)}, which the hub does not have` };
  }
  if (!notice.amount) return { effect: 'exception', code: 'AMOUNT_MISSING', reason: 'the notice names no amount' };
  if (notice.amount.currency.toUpperCase() !== order.currency.toUpperCase()) {
    return { effect: 'exception', code: 'CURRENCY_MISMATCH', reason: `paid in ${notice.amount.currency}, the order is in ${order.currency}` };
  }
  if (notice.amount.value !== order.totalAmount) {
    return {
      effect: 'exception',
      code: 'AMOUNT_MISMATCH',
      reason: `paid ${notice.amount.value} but the order expects ${order.totalAmount} (${order.currency} minor units)`,
    };
  }
  if (order.paymentStatus === 'paid' && order.status !== 'cancelled') return { effect: 'already_paid' };
  if (order.status === 'cancelled') return { effect: 'late_payment' };
  return { effect: 'mark_paid' };
}

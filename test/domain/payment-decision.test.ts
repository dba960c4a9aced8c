// "Paid" is a conjunction: each condition alone, failing, keeps the order unpaid with a named reason.
import { describe, expect, it } from 'vitest';
import { decidePayment, type NoticeFacts, type OrderFacts } from '../../src/modules/payments/domain/decision.ts';

const merchant = { mchid: '1900000109', appid: 'wxd678efh567hg6787' };
const notice = (o: Partial<NoticeFacts> = {}): NoticeFacts => ({
  kind: 'payment',
  providerState: 'SUCCESS',
  success: true,
  outTradeNo: 'ORD-20261122-00001',
  amount: { value: 8800, currency: 'CNY' },
  merchant,
  ...o,
});
const order = (o: Partial<OrderFacts> = {}): OrderFacts => ({ status: 'pending_payment', paymentStatus: 'unpaid', totalAmount: 8800, currency: 'CNY', ...o });

describe('deciding what a verified payment notice means', () => {
  it('marks the order paid only when merchant, amount, currency and state all hold', () => {
    expect(decidePayment(notice(), order(), merchant)).toEqual({ effect: 'mark_paid' });
  });

  it('records an exception, never a payment, for each condition that fails', () => {
    expect(decidePayment(notice({ merchant: { ...merchant, mchid: '1900000110' } }), order(), merchant)).toMatchObject({
      effect: 'exception',
      code: 'MERCHANT_MISMATCH',
      reason: 'mchid is "1900000110", the account\'s is "1900000109"',
    });
    expect(decidePayment(notice({ merchant: { mchid: merchant.mchid } }), order(), merchant)).toMatchObject({ code: 'MERCHANT_MISMATCH', reason: expect.stringMatching(/appid is missing/) });
    expect(decidePayment(notice({ amount: { value: 8799, currency: 'CNY' } }), order(), merchant)).toMatchObject({
      code: 'AMOUNT_MISMATCH',
      reason: 'paid 8799 but the order expects 8800 (CNY minor units)',
    });
    // More than the total is no more a payment of this order than less: both are refused, naming what was paid.
    expect(decidePayment(notice({ amount: { value: 8801, currency: 'CNY' } }), order(), merchant)).toMatchObject({
      effect: 'exception',
      code: 'AMOUNT_MISMATCH',
      reason: 'paid 8801 but the order expects 8800 (CNY minor units)',
    });
    expect(decidePayment(notice({ amount: { value: 8800, currency: 'USD' } }), order(), merchant)).toMatchObject({ code: 'CURRENCY_MISMATCH' });
    expect(decidePayment(notice({ amount: null }), order(), merchant)).toMatchObject({ code: 'AMOUNT_MISSING' });
    expect(decidePayment(notice(), null, merchant)).toMatchObject({ code: 'UNKNOWN_ORDER', reason: expect.stringMatching(/ORD-20261122-00001/) });
  });

  it('lets a verified notice that is not a success change nothing', () => {
    expect(decidePayment(notice({ success: false, providerState: 'WAIT_BUYER_PAY' }), order(), merchant)).toEqual({
      effect: 'no_effect',
      reason: 'provider state WAIT_BUYER_PAY is not a payment success',
    });
    expect(decidePayment(notice({ kind: 'refund', providerState: 'REFUND.SUCCESS' }), order(), merchant)).toMatchObject({ effect: 'no_effect' });
  });

  it('checks the merchant even when the state is not a success (a stranger’s notice is an exception, not noise)', () => {
    expect(decidePayment(notice({ success: false, merchant: {} }), order(), merchant)).toMatchObject({ effect: 'exception', code: 'MERCHANT_MISMATCH' });
  });

  it('tells a retry from a late payment for an order the hub had cancelled', () => {
    expect(decidePayment(notice(), order({ status: 'paid', paymentStatus: 'paid' }), merchant)).toEqual({ effect: 'already_paid' });
    expect(decidePayment(notice(), order({ status: 'shipped', paymentStatus: 'paid' }), merchant)).toEqual({ effect: 'already_paid' });
    expect(decidePayment(notice(), order({ status: 'cancelled', paymentStatus: 'unpaid' }), merchant)).toEqual({ effect: 'late_payment' });
    // A wrong amount on a cancelled order is still an exception: a late payment must be the right payment.
    expect(decidePayment(notice({ amount: { value: 1, currency: 'CNY' } }), order({ status: 'cancelled' }), merchant)).toMatchObject({ code: 'AMOUNT_MISMATCH' });
  });
});

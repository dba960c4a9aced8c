// Before the payment timeout closes an unpaid order, the provider is asked whether it was paid after all (a lost notice).
import { callErrorText, providerFor, type PaymentQueryResult } from '../providers/registry.ts';
import { orderFacts } from '../../orders/queries/order-facts.ts';
import type { PaymentDeps } from '../deps.ts';
import { queryDelivery } from '../notice-delivery.ts';
import { recordPaymentNotice } from './record-payment-notice.ts';

/**
 * Before the payment timeout closes an order paid through a payment account, the provider is asked (outside any
 * transaction): paid → the order is made paid through the same conjunction; a failed query → the timer retries
 * later, up to `queryAttempts`, then the order is closed and that recorded.
 */
export async function queryBeforeClose(deps: PaymentDeps, timer: { id: number; ref: string }, now: number): Promise<'close' | 'paid' | 'retry' | 'close_unconfirmed'> {
  const o = await orderFacts(deps.db.read, timer.ref);
  if (!o || o.status !== 'pending_payment') return 'close';
  const a = await deps.accounts.forChannelAccount(deps.db.read, o.tenant_id, o.account_id);
  const provider = a ? providerFor(a.provider) : null;
  if (!a || !provider) return 'close';
  const outTradeNo = a.orderRef === 'platform_order_id' ? o.platform_order_id : o.order_no;
  let q: PaymentQueryResult;
  try {
    q = await provider.queryPayment(a.credentials, outTradeNo, { fetch: deps.fetchFn });
  } catch (e) {
    const t = await deps.db.read.get<{ attempts: number }>('SELECT attempts FROM timers WHERE id = ?', [timer.id]);
    const attempts = Number(t?.attempts ?? 0) + 1;
    deps.log.warn({ provider: a.provider, paymentAccountId: a.id, orderNo: o.order_no, attempts, err: callErrorText(e) }, 'payment query before auto-close failed');
    if (attempts < deps.settings.queryAttempts) {
      await deps.db.transaction((tx) =>
        tx.run(`UPDATE timers SET attempts = ?, last_error = ?, due_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'`, [
          attempts,
          `payment query failed: ${callErrorText(e)}`,
          now + Math.min(30 * 60_000, 30_000 * 2 ** (attempts - 1)),
          now,
          timer.id,
        ]),
      );
      return 'retry';
    }
    return 'close_unconfirmed';
  }
  if (q.state !== 'paid') return 'close';
  const out = await recordPaymentNotice(deps, queryDelivery(a, o, outTradeNo, q, now));
  deps.log.info({ provider: a.provider, orderNo: o.order_no, effect: out.effect }, 'payment found by the query before auto-close');
  return out.effect === 'paid' || out.effect === 'late_paid' || out.effect === 'already_paid' ? 'paid' : 'close';
}

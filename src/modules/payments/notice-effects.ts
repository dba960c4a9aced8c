// What a newly stored notice does: a payment decided as a conjunction and applied to its order through the status
// anchor (paid, paid late, paid with no stock, paid twice: the last two with a refund proposal), anything else a
// payment exception; a refund notice settles the refund it names.
import { decidePayment, type OrderFacts } from './domain/decision.ts';
import type { Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { moveOrder, tryReserve, type OrderState } from '../orders/lifecycle.ts';
import { lockOrders } from '../orders/store/orders.ts';
import { orderFacts, orderIdsByRef } from '../orders/queries/order-facts.ts';
import { paymentExceptionMachine } from './domain/payment-exception-machine.ts';
import type { PaymentDeps } from './deps.ts';
import type { NoticeDelivery } from './notice-delivery.ts';
import { lockRefundRow, type PaymentExceptionKind, type RefundRow } from './rows.ts';

/** The one order of the account's shops a payment names, locked; null when there is none, or more than one. */
export async function findOrder(tx: Tx, d: Pick<NoticeDelivery, 'tenantId' | 'orderRef' | 'channelAccounts'>, ref: string | null): Promise<OrderState | null> {
  if (!ref) return null;
  const column = d.orderRef === 'platform_order_id' ? 'platform_order_id' : 'order_no';
  const rows = [...(await lockOrders(tx, await orderIdsByRef(tx, d.tenantId, { by: column, value: ref }))).values()];
  // Only the orders of the shops this payment account pays for: the same number in another shop is not this payment's.
  const mine = rows.filter((o) => d.channelAccounts.length === 0 || d.channelAccounts.includes(o.account_id));
  return mine.length === 1 ? (mine[0] as OrderState) : null;
}

/** Decides a newly stored notice and applies it; what it did is kept on the notice row. */
export async function decideNotice(deps: PaymentDeps, tx: Tx, d: NoticeDelivery, rowId: number): Promise<{ effect: string; orderId: string | null; reason: string | null }> {
  const n = d.notice;
  if (n.kind === 'refund') return refundNotice(deps, tx, d, rowId);
  if (n.kind !== 'payment') return { effect: 'no_effect', orderId: null, reason: `${n.providerState} is not a payment or refund notice` };
  const o = await findOrder(tx, d, n.outTradeNo);
  const base = { tenantId: d.tenantId, accountId: d.paymentAccountId, provider: d.provider, at: d.receivedAt };
  const exception = async (code: PaymentExceptionKind, reason: string) => {
    await deps.refunds.raiseException(tx, base.tenantId, base.accountId, base.provider, { orderId: o?.id ?? null, noticeRowId: rowId, code, reason, at: base.at });
    return { effect: 'exception', orderId: o?.id ?? null, reason: `${code}: ${reason}` };
  };
  if (d.merchantMismatch && n.success) return exception('MERCHANT_MISMATCH', d.merchantMismatch);
  // The same transaction told twice under two notice ids (a pushed notice and a query's answer): counted once.
  if (o && n.success && n.transactionId) {
    const seen = await tx.get<{ effect: string }>(
      `SELECT effect FROM payment_notices WHERE order_id = ? AND transaction_id = ? AND id <> ?
         AND effect IN ('paid', 'late_paid', 'paid_no_stock', 'duplicate_payment', 'late_payment_refund') LIMIT 1`,
      [o.id, n.transactionId, rowId],
    );
    if (seen) return { effect: 'already_paid', orderId: o.id, reason: `transaction ${n.transactionId} was already applied (${seen.effect})` };
  }
  const facts: OrderFacts | null = o ? { status: o.status, paymentStatus: o.payment_status, totalAmount: Number(o.total_amount), currency: await currencyOf(tx, o.id) } : null;
  const decision = decidePayment(n, facts, d.expectedMerchant);
  const cause = `${d.provider} ${d.via === 'query' ? 'query' : 'notice'} ${n.noticeId}`;
  switch (decision.effect) {
    case 'exception':
      return exception(decision.code, decision.reason);
    case 'no_effect':
      return { effect: 'no_effect', orderId: o?.id ?? null, reason: decision.reason };
    case 'already_paid': {
      const order = o as OrderState;
      const first = await tx.get<{ transaction_id: string | null }>(
        `SELECT transaction_id FROM payment_notices WHERE order_id = ? AND effect IN ('paid', 'late_paid', 'paid_no_stock') ORDER BY id LIMIT 1`,
        [order.id],
      );
      if (first?.transaction_id && n.transactionId && first.transaction_id !== n.transactionId) {
        // The buyer paid twice (two transactions for one order): the second payment goes back.
        await propose(deps, tx, order, d, n.transactionId, 'DUPLICATE_PAYMENT', `a second payment ${n.transactionId} for an order already paid by ${first.transaction_id}`, rowId);
        return { effect: 'duplicate_payment', orderId: order.id, reason: `a second transaction ${n.transactionId}; refund proposed` };
      }
      return { effect: 'already_paid', orderId: order.id, reason: null };
    }
    case 'mark_paid':
      return markPaid(deps, tx, o as OrderState, d, cause, rowId, false);
    case 'late_payment': {
      const order = o as OrderState;
      if (order.cancel_cause !== 'payment_timeout') {
        // Cancelled by the platform or a person: the hub does not reopen it on its own. The money must go back.
        await propose(deps, tx, order, d, n.transactionId, 'LATE_PAYMENT', `paid after the order was cancelled (${order.cancel_cause ?? 'cancelled'})`, rowId);
        return { effect: 'late_payment_refund', orderId: order.id, reason: `order was cancelled (${order.cancel_cause}); refund proposed` };
      }
      return markPaid(deps, tx, order, d, cause, rowId, true);
    }
  }
}

async function currencyOf(tx: Tx, orderId: string): Promise<string> {
  return (await orderFacts(tx, orderId))?.currency ?? '';
}

/**
 * The conjunction held: the order moves to paid through the status anchor (reserved stock deducted, the payment
 * timer cancelled, a history row naming the notice, an outbox event). A late payment re-reserves all lines or none;
 * without stock the order is held PAID_NO_STOCK with a refund proposal.
 */
async function markPaid(deps: PaymentDeps, tx: Tx, o: OrderState, d: NoticeDelivery, cause: string, rowId: number, late: boolean) {
  const n = d.notice;
  o.paid_amount = n.amount?.value ?? o.paid_amount;
  await moveOrder(tx, o, 'paid', { source: 'platform', cause, at: d.receivedAt, sourceTime: n.occurredAt }, deps.settings);
  await appendEvent(tx, {
    tenantId: o.tenant_id,
    type: 'payment.received',
    aggregateType: 'order',
    aggregateId: o.id,
    at: d.receivedAt,
    payload: {
      orderId: o.id,
      orderNo: o.order_no,
      provider: d.provider,
      paymentAccountId: d.paymentAccountId,
      transactionId: n.transactionId,
      amount: n.amount?.value ?? null,
      currency: n.amount?.currency ?? null,
      late,
    },
  });
  // A notice that came before its order (the shop's push was late) left an UNKNOWN_ORDER exception: the order has
  // arrived and is paid now, so that exception is settled — with the order named, for the record.
  if (n.outTradeNo) {
    paymentExceptionMachine.check('open', 'resolved', { refundState: null });
    await tx.run(
      `UPDATE payment_exceptions SET state = 'resolved', order_id = ?, resolved_at = ?, resolved_by = 'system', resolution = ?
       WHERE payment_account_id = ? AND code = 'UNKNOWN_ORDER' AND state = 'open'
         AND notice_row_id IN (SELECT id FROM payment_notices WHERE payment_account_id = ? AND out_trade_no = ?)`,
      [o.id, d.receivedAt, `order ${o.order_no} arrived and was paid (${cause})`, d.paymentAccountId, d.paymentAccountId, n.outTradeNo],
    );
  }
  // Paid while short of stock (never reserved, or its units gone): asked once more, all lines or none, now as paid.
  if (!late && (o.reservation_state === 'short' || o.reservation_state === 'none')) {
    await tryReserve(tx, o, { source: 'platform', cause, at: d.receivedAt, sourceTime: n.occurredAt }, deps.settings, 'PAID_NO_STOCK');
  }
  if (o.reservation_state === 'deducted') return { effect: late ? 'late_paid' : 'paid', orderId: o.id, reason: late ? 'late payment: stock reserved again' : null };
  if (o.reservation_state === 'short') {
    await propose(deps, tx, o, d, n.transactionId, 'PAID_NO_STOCK', o.hold_reason ?? 'paid, but there is no stock for it', rowId);
    return { effect: 'paid_no_stock', orderId: o.id, reason: 'paid, no stock: held PAID_NO_STOCK, refund proposed' };
  }
  // Unmatched SKUs: the order is held SKU_UNMATCHED; mapping the SKU serves it.
  return { effect: 'paid', orderId: o.id, reason: `paid; reservation ${o.reservation_state}` };
}

/** A refund proposal (state proposed) for the order's payment, with the exception that shows it in the queue. */
async function propose(deps: PaymentDeps, tx: Tx, o: OrderState, d: NoticeDelivery, transactionId: string | null, code: PaymentExceptionKind, reason: string, rowId: number): Promise<void> {
  const amount = d.notice.amount?.value ?? Number(o.paid_amount);
  const refund = await deps.refunds.insertRefund(tx, {
    order: o,
    paymentAccountId: d.paymentAccountId,
    outTradeNo: d.notice.outTradeNo ?? o.order_no,
    transactionId,
    amount,
    total: amount,
    currency: d.notice.amount?.currency ?? (await currencyOf(tx, o.id)),
    reason: `${code}: ${reason}`.slice(0, 80),
    source: 'proposal',
    state: 'proposed',
    by: null,
    at: d.receivedAt,
  });
  await deps.refunds.raiseException(tx, d.tenantId, d.paymentAccountId, d.provider, { orderId: o.id, noticeRowId: rowId, refundId: refund.id, code, reason: `${reason}; refund ${refund.outRefundNo} proposed`, at: d.receivedAt });
}

async function refundNotice(deps: PaymentDeps, tx: Tx, d: NoticeDelivery, rowId: number): Promise<{ effect: string; orderId: string | null; reason: string | null }> {
  const n = d.notice;
  if (!n.outRefundNo) return { effect: 'no_effect', orderId: null, reason: `${n.providerState} names no merchant refund number; a refund query will tell` };
  const found = await tx.get<{ id: number }>('SELECT id FROM refunds WHERE out_refund_no = ? AND payment_account_id = ?', [n.outRefundNo, d.paymentAccountId]);
  const r = found ? await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockRefundRow(tx, `refund:${found.id}`)}`, [found.id]) : undefined;
  if (!r) {
    await deps.refunds.raiseException(tx, d.tenantId, d.paymentAccountId, d.provider, {
      orderId: null,
      noticeRowId: rowId,
      code: 'REFUND_UNKNOWN',
      reason: `a refund ${n.outRefundNo} (${n.providerState}) the hub did not ask for`,
      at: d.receivedAt,
    });
    return { effect: 'exception', orderId: null, reason: `REFUND_UNKNOWN: ${n.outRefundNo}` };
  }
  const verdict = n.success ? 'succeeded' : /ABNORMAL|failed/i.test(n.providerState) ? 'failed' : /CLOSED|canceled/i.test(n.providerState) ? 'closed' : 'processing';
  const effect = await deps.refunds.settleRefund(tx, r, { state: verdict, providerState: n.providerState, providerRefundId: n.refundId }, d.receivedAt, `${d.provider} notice ${n.noticeId}`);
  return { effect, orderId: r.order_id, reason: null };
}

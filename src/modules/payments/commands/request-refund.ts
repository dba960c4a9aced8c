// A person asks for (part of) an order's payment back; the refund worker sends it once this commits.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import { orderWithinScope } from '../../orders/queries/order-facts.ts';
import { lockOrders } from '../../orders/store/orders.ts';
import type { RefundDeps } from '../deps.ts';
import type { RefundRow } from '../rows.ts';
import { refundView } from '../views.ts';
import { insertRefund } from './insert-refund.ts';

export async function requestRefund(deps: RefundDeps, who: Principal, orderId: string, input: { amount?: number | undefined; reason: string }, now = Date.now()) {
  requirePermission(who, 'refunds.approve');
  const view = await deps.db.transaction(async (tx) => {
    const o = (await lockOrders<{ currency: string }>(tx, [orderId], 'currency')).get(orderId);
    const visible = o && (await orderWithinScope(tx, who.tenantId, who.scope, orderId));
    if (!o || !visible) throw new HubError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
    const paid = await tx.get<{ payment_account_id: string; transaction_id: string | null; out_trade_no: string; amount: number }>(
      `SELECT payment_account_id, transaction_id, out_trade_no, amount FROM payment_notices
       WHERE order_id = ? AND effect IN ('paid', 'late_paid', 'paid_no_stock') ORDER BY id LIMIT 1`,
      [o.id],
    );
    if (!paid) throw new HubError('CONFLICT', `order ${o.order_no} has no payment the hub received through a payment account`);
    const taken = await tx.get<{ s: number | null }>(`SELECT SUM(amount) AS s FROM refunds WHERE order_id = ? AND state NOT IN ('declined', 'failed', 'closed')`, [o.id]);
    const refundable = Number(paid.amount) - Number(taken?.s ?? 0);
    const amount = input.amount ?? refundable;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > refundable) {
      throw new HubError('VALIDATION_FAILED', `the refund must be between 1 and ${refundable} (${o.currency} minor units still refundable)`, { refundable });
    }
    const r = await insertRefund(tx, {
      order: o,
      paymentAccountId: paid.payment_account_id,
      outTradeNo: paid.out_trade_no,
      transactionId: paid.transaction_id,
      amount,
      total: Number(paid.amount),
      currency: o.currency,
      reason: input.reason.slice(0, 80),
      source: 'api',
      state: 'requested',
      by: who.name,
      at: now,
    });
    await appendAudit(tx, deps.keyring, who, { action: 'refund.request', targetType: 'order', targetId: o.id, after: { outRefundNo: r.outRefundNo, amount, reason: input.reason } }, now);
    return refundView((await tx.get<RefundRow>('SELECT * FROM refunds WHERE id = ?', [r.id])) as RefundRow);
  });
  deps.refundRequested();
  return view;
}

// Opens a refund (proposed by the hub, or requested by a person) inside the caller's transaction, under the order's
// row lock: its out_refund_no and an outbox event commit with it.
import { newId } from '../../../kernel/ids.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import type { OrderState } from '../../orders/lifecycle.ts';
import { refundMachine } from '../domain/refund-machine.ts';

/** A refund to open: for which order and payment, how much, and whether the hub proposes it or a person asked. */
export interface RefundDraft {
  order: Pick<OrderState, 'id' | 'tenant_id' | 'order_no'>;
  paymentAccountId: string;
  outTradeNo: string;
  transactionId: string | null;
  amount: number;
  total: number;
  currency: string;
  reason: string;
  source: 'proposal' | 'api';
  state: 'proposed' | 'requested';
  by: string | null;
  at: number;
}

export async function insertRefund(tx: Tx, r: RefundDraft): Promise<{ id: string; outRefundNo: string }> {
  refundMachine.start(r.state);
  const id = newId(r.at);
  // Made under the order's row lock, so the count is the order's own: R1, R2 … stay unique and readable.
  const count = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM refunds WHERE order_id = ?', [r.order.id]);
  const outRefundNo = `${r.order.order_no}-R${Number(count?.n ?? 0) + 1}`;
  await tx.run(
    `INSERT INTO refunds (id, tenant_id, order_id, payment_account_id, out_refund_no, out_trade_no, transaction_id, amount, total_amount, currency, reason,
       source, state, next_attempt_at, requested_by, created_at, requested_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      r.order.tenant_id,
      r.order.id,
      r.paymentAccountId,
      outRefundNo,
      r.outTradeNo,
      r.transactionId,
      r.amount,
      r.total,
      r.currency,
      r.reason,
      r.source,
      r.state,
      r.state === 'requested' ? r.at : null,
      r.by,
      r.at,
      r.state === 'requested' ? r.at : null,
      r.at,
    ],
  );
  await appendEvent(tx, {
    tenantId: r.order.tenant_id,
    type: r.state === 'requested' ? 'payment.refund_requested' : 'payment.refund_proposed',
    aggregateType: 'order',
    aggregateId: r.order.id,
    at: r.at,
    payload: { orderId: r.order.id, orderNo: r.order.order_no, refundId: id, outRefundNo, amount: r.amount, currency: r.currency },
  });
  return { id, outRefundNo };
}

// Refunds and payment exceptions as the console and the API show them (an exception with the actions open to it).
import { toIso } from '../../kernel/time.ts';
import type { Database } from '../../platform/db/database.ts';
import { orderNumbers } from '../orders/queries/order-facts.ts';
import type { ExceptionRow, RefundRow } from './rows.ts';

export function refundView(r: RefundRow) {
  return {
    id: r.id,
    orderId: r.order_id,
    paymentAccountId: r.payment_account_id,
    outRefundNo: r.out_refund_no,
    outTradeNo: r.out_trade_no,
    transactionId: r.transaction_id,
    amount: Number(r.amount),
    currency: r.currency,
    reason: r.reason,
    source: r.source,
    state: r.state,
    providerState: r.provider_state,
    providerRefundId: r.provider_refund_id,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    requestedBy: r.requested_by,
    decidedBy: r.decided_by,
    createdAt: toIso(Number(r.created_at)),
    requestedAt: toIso(r.requested_at === null ? null : Number(r.requested_at)),
    confirmedAt: toIso(r.confirmed_at === null ? null : Number(r.confirmed_at)),
  };
}

export function exceptionView(e: ExceptionRow & { order_no?: string | null; refund_state?: string | null; out_refund_no?: string | null; provider?: string | null }) {
  return {
    id: Number(e.id),
    code: e.code,
    reason: e.reason,
    state: e.state,
    paymentAccountId: e.payment_account_id,
    provider: e.provider ?? null,
    orderId: e.order_id,
    orderNo: e.order_no ?? null,
    noticeId: e.notice_row_id === null ? null : Number(e.notice_row_id),
    refund: e.refund_id ? { id: e.refund_id, state: e.refund_state ?? null, outRefundNo: e.out_refund_no ?? null } : null,
    actions: [
      ...(e.state === 'open' && e.refund_state === 'proposed' ? ['approve_refund', 'decline_refund'] : []),
      ...(e.state === 'open' && e.refund_state !== 'proposed' ? ['resolve'] : []),
      ...(e.order_id ? ['recheck'] : []),
    ],
    createdAt: toIso(Number(e.created_at)),
    resolvedAt: toIso(e.resolved_at === null ? null : Number(e.resolved_at)),
    resolvedBy: e.resolved_by,
    resolution: e.resolution,
  };
}

export const exceptionSelect = `SELECT e.*, r.state AS refund_state, r.out_refund_no, a.provider FROM payment_exceptions e
     LEFT JOIN refunds r ON r.id = e.refund_id LEFT JOIN payment_accounts a ON a.id = e.payment_account_id`;

/** Exception rows as the queue shows them: each named by its order's number (asked of the orders module). */
export async function exceptionViews(db: Database, rows: readonly ExceptionRow[]) {
  const numbers = await orderNumbers(db.read, [...new Set(rows.map((e) => e.order_id).filter((id): id is string => id !== null))]);
  return rows.map((e) => exceptionView({ ...e, order_no: e.order_id ? (numbers.get(e.order_id) ?? null) : null }));
}

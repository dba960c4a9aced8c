// An order's payment timeline, for the order's 360° view.
import { toIso } from '../../../kernel/time.ts';
import type { PaymentDeps } from '../deps.ts';
import type { ExceptionRow, RefundRow } from '../rows.ts';

/** The order's payment timeline: every notice with its verification, decision and effect; its refunds; its exceptions. */
export async function paymentTimeline(deps: PaymentDeps, orderId: string) {
  const [notices, refunds, exceptions] = await Promise.all([
    deps.db.read.all<{
      id: number;
      provider: string;
      payment_account_id: string;
      notice_id: string;
      kind: string;
      provider_state: string;
      success: number;
      transaction_id: string | null;
      out_refund_no: string | null;
      amount: number | null;
      currency: string | null;
      occurred_at: number | null;
      received_at: number;
      deliveries: number;
      via: string;
      effect: string;
      reason: string | null;
    }>(
      `SELECT id, provider, payment_account_id, notice_id, kind, provider_state, success, transaction_id, out_refund_no, amount, currency, occurred_at,
         received_at, deliveries, via, effect, reason FROM payment_notices WHERE order_id = ? ORDER BY id`,
      [orderId],
    ),
    deps.db.read.all<RefundRow>('SELECT * FROM refunds WHERE order_id = ? ORDER BY created_at, id', [orderId]),
    deps.db.read.all<ExceptionRow>(`${deps.refunds.exceptionSelect} WHERE e.order_id = ? ORDER BY e.id`, [orderId]),
  ]);
  return {
    notices: notices.map((n) => ({
      id: Number(n.id),
      provider: n.provider,
      paymentAccountId: n.payment_account_id,
      noticeId: n.notice_id,
      via: n.via,
      // Only notices whose signature (and decryption) checked out are stored; refused ones leave a log line.
      verification: n.via === 'query' ? 'signed query answer' : 'signature verified',
      kind: n.kind,
      providerState: n.provider_state,
      success: Number(n.success) === 1,
      transactionId: n.transaction_id,
      outRefundNo: n.out_refund_no,
      amount: n.amount === null ? null : Number(n.amount),
      currency: n.currency,
      occurredAt: toIso(n.occurred_at === null ? null : Number(n.occurred_at)),
      receivedAt: toIso(Number(n.received_at)),
      deliveries: Number(n.deliveries),
      effect: n.effect,
      reason: n.reason,
    })),
    refunds: refunds.map((r) => deps.refunds.refundView(r)),
    exceptions: await deps.refunds.exceptionViews(exceptions),
  };
}

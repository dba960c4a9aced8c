// Puts a payment exception in the queue inside the caller's transaction, with its alert and outbox event.
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { raiseAlert } from '../../health/alerts.ts';
import { paymentExceptionMachine } from '../domain/payment-exception-machine.ts';
import type { PaymentExceptionKind } from '../rows.ts';

/** What an exception is about: its order, the notice or refund that raised it, and why. */
export interface PaymentExceptionDraft {
  orderId: string | null;
  noticeRowId?: number | null;
  refundId?: string | null;
  code: PaymentExceptionKind;
  reason: string;
  at: number;
}

export async function raisePaymentException(tx: Tx, tenantId: string, paymentAccountId: string, provider: string, e: PaymentExceptionDraft): Promise<number> {
  paymentExceptionMachine.start('open');
  const row = await tx.get<{ id: number }>(
    `INSERT INTO payment_exceptions (tenant_id, payment_account_id, order_id, notice_row_id, refund_id, code, reason, state, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id`,
    [tenantId, paymentAccountId, e.orderId, e.noticeRowId ?? null, e.refundId ?? null, e.code, e.reason.slice(0, 1000), e.at],
  );
  const id = Number(row?.id);
  await raiseAlert(tx, {
    tenantId,
    accountId: paymentAccountId,
    platform: provider,
    kind: 'payment_exception',
    key: e.code,
    message: e.reason,
    detail: { exceptionId: id, orderId: e.orderId },
    at: e.at,
  });
  await appendEvent(tx, {
    tenantId,
    type: 'payment.exception',
    aggregateType: 'payment_account',
    aggregateId: paymentAccountId,
    at: e.at,
    payload: { exceptionId: id, code: e.code, orderId: e.orderId, reason: e.reason },
  });
  return id;
}

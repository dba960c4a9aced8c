// Refunds and payment exceptions as stored, and how one is locked before a decision about it.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { paymentExceptionScopeSql } from '../../kernel/scope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { forUpdate } from '../../platform/db/unit-of-work.ts';

export type PaymentExceptionKind =
  | 'UNKNOWN_ORDER'
  | 'MERCHANT_MISMATCH'
  | 'AMOUNT_MISMATCH'
  | 'CURRENCY_MISMATCH'
  | 'AMOUNT_MISSING'
  | 'NOTICE_REPLAYED'
  | 'PAID_NO_STOCK'
  | 'LATE_PAYMENT'
  | 'DUPLICATE_PAYMENT'
  | 'REFUND_UNKNOWN'
  | 'REFUND_FAILED'
  | 'REFUND_CLOSED'
  | 'REFUND_STUCK'
  | 'QUERY_FAILED';

export interface RefundRow {
  id: string;
  tenant_id: string;
  order_id: string;
  payment_account_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string | null;
  amount: number;
  total_amount: number;
  currency: string;
  reason: string;
  source: string;
  state: string;
  provider_refund_id: string | null;
  provider_state: string | null;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  requested_by: string | null;
  decided_by: string | null;
  stuck_alerted: number;
  created_at: number;
  requested_at: number | null;
  confirmed_at: number | null;
  updated_at: number;
  /** The claim token of the refund worker pass working it now, and when that claim lapses (migration 016). */
  claimed_by: string | null;
  claimed_until: number | null;
}

export interface ExceptionRow {
  id: number;
  tenant_id: string;
  payment_account_id: string;
  order_id: string | null;
  notice_row_id: number | null;
  refund_id: string | null;
  code: string;
  reason: string;
  state: string;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
}

/**
 * Locks a refund or payment-exception row (kind `refund` of the one lock order, after orders: unit-of-work.ts) and
 * returns the row-lock clause for its SELECT. Keys `exception:<id>` sort before `refund:<id>`: an exception is locked
 * before the refund it proposes.
 */
export function lockRefundRow(tx: Tx, key: string): string {
  tx.locks.take('refund', [key]);
  return forUpdate(tx);
}

/** An exception of the principal's tenant and scope, locked; one outside them answers like one that does not exist. */
export async function exceptionFor(tx: Tx, who: Principal, id: number): Promise<ExceptionRow> {
  const f = paymentExceptionScopeSql(who.scope, 'payment_exceptions');
  const e = await tx.get<ExceptionRow>(`SELECT * FROM payment_exceptions WHERE id = ? AND tenant_id = ? AND ${f.text}${lockRefundRow(tx, `exception:${id}`)}`, [id, who.tenantId, ...f.params]);
  if (!e) throw new HubError('PAYMENT_EXCEPTION_NOT_FOUND', `payment exception ${id} does not exist`);
  return e;
}

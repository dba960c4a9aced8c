// Records what the provider says of a refund inside the caller's transaction (its notice, or a refund query).
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { refundEffects, refundMove, type RefundStep } from '../refund-effects.ts';
import type { RefundRow } from '../rows.ts';

/** A refund's state as the provider reports it, in the hub's words and its own. */
export interface ProviderRefundStatus {
  state: 'succeeded' | 'processing' | 'failed' | 'closed' | 'not_found';
  providerState: string;
  providerRefundId: string | null;
}

/** What the provider says of a refund, by notice or query: the only ways a refund is confirmed. */
export async function settleRefund(tx: Tx, r: RefundRow, s: ProviderRefundStatus, at: number, cause: string): Promise<string> {
  if (r.state === 'succeeded') return 'refund_already_confirmed';
  if (s.state === 'processing' || s.state === 'not_found') {
    await tx.run('UPDATE refunds SET provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), updated_at = ? WHERE id = ?', [s.providerState, s.providerRefundId, at, r.id]);
    return 'refund_processing';
  }
  const state = s.state;
  const effects = refundMove(r, state, { by: 'provider' });
  await tx.run(
    'UPDATE refunds SET state = ?, provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), confirmed_at = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?',
    [state, s.providerState, s.providerRefundId, state === 'succeeded' ? at : null, at, r.id],
  );
  const account = await tx.get<{ provider: string }>('SELECT provider FROM payment_accounts WHERE id = ?', [r.payment_account_id]);
  const step: RefundStep = {
    tx,
    r,
    to: state,
    provider: account?.provider ?? '',
    at,
    why: state === 'succeeded' ? `confirmed by ${cause}` : `${state} at the provider (${s.providerState})`,
  };
  for (const e of effects.before) await refundEffects[e](step);
  await appendHistory(tx, {
    tenantId: r.tenant_id,
    orderId: r.order_id,
    at,
    kind: 'update',
    cause,
    detail: { refund: r.out_refund_no, state, amount: Number(r.amount), currency: r.currency },
  });
  await appendEvent(tx, {
    tenantId: r.tenant_id,
    type: state === 'succeeded' ? 'payment.refunded' : 'payment.refund_failed',
    aggregateType: 'order',
    aggregateId: r.order_id,
    at,
    payload: { orderId: r.order_id, refundId: r.id, outRefundNo: r.out_refund_no, amount: Number(r.amount), currency: r.currency, state },
  });
  for (const e of effects.after) await refundEffects[e](step);
  return `refund_${state}`;
}

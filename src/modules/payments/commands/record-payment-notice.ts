// Records a verified payment notice (pushed by the provider, or a payment query's answer) and applies what it means,
// in one transaction: stored raw (its content encrypted), decided once; the same notice again changes nothing, and
// the same notice id saying something else is a replay. The caller answers the provider after commit.
import type { Tx } from '../../../platform/db/database.ts';
import type { VerifiedNotice } from '../providers/types.ts';
import type { PaymentDeps } from '../deps.ts';
import type { NoticeDelivery, NoticeOutcome } from '../notice-delivery.ts';
import { decideNotice, findOrder } from '../notice-effects.ts';

/** The facts of two deliveries of one notice id must agree; a signed notice that says something else is a replay. */
function sameFacts(a: { kind: string; provider_state: string; out_trade_no: string | null; transaction_id: string | null; amount: number | null; currency: string | null }, n: VerifiedNotice): boolean {
  return (
    a.kind === n.kind &&
    a.provider_state === n.providerState &&
    (a.out_trade_no ?? null) === n.outTradeNo &&
    (a.transaction_id ?? null) === n.transactionId &&
    (a.amount === null ? null : Number(a.amount)) === (n.amount?.value ?? null) &&
    (a.currency ?? null) === (n.amount?.currency ?? null)
  );
}

/** Stores a verified notice and applies what it means, in one transaction; the caller answers the provider after. */
export async function recordPaymentNotice(deps: PaymentDeps, d: NoticeDelivery): Promise<NoticeOutcome> {
  return deps.db.transaction((tx) => applyNotice(deps, tx, d));
}

async function applyNotice(deps: PaymentDeps, tx: Tx, d: NoticeDelivery): Promise<NoticeOutcome> {
  const n = d.notice;
  const at = d.receivedAt;
  const inserted = await tx.get<{ id: number }>(
    `INSERT INTO payment_notices (tenant_id, payment_account_id, provider, notice_id, kind, provider_state, success, out_trade_no, transaction_id,
       out_refund_no, amount, currency, occurred_at, received_at, last_delivery_at, headers, body, body_sha256, via, effect)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received')
     ON CONFLICT (payment_account_id, notice_id) DO NOTHING RETURNING id`,
    [
      d.tenantId,
      d.paymentAccountId,
      d.provider,
      n.noticeId,
      n.kind,
      n.providerState,
      n.success ? 1 : 0,
      n.outTradeNo,
      n.transactionId,
      n.outRefundNo,
      n.amount?.value ?? null,
      n.amount?.currency ?? null,
      n.occurredAt,
      at,
      at,
      JSON.stringify(d.headers),
      // The content can name the payer (openid, buyer_logon_id): kept encrypted like raw events.
      deps.keyring.encryptBytes(d.body),
      d.bodySha256,
      d.via ?? 'notice',
    ],
  );
  if (!inserted) return redelivery(deps, tx, d);
  const rowId = Number(inserted.id);
  const out = await decideNotice(deps, tx, d, rowId);
  await tx.run('UPDATE payment_notices SET effect = ?, reason = ?, order_id = ? WHERE id = ?', [out.effect, out.reason, out.orderId, rowId]);
  return { duplicate: false, noticeRowId: rowId, ...out };
}

/** The same notice id again: a retry changes nothing; the same id saying something else is recorded as a replay. */
async function redelivery(deps: PaymentDeps, tx: Tx, d: NoticeDelivery): Promise<NoticeOutcome> {
  const prior = await tx.get<{
    id: number;
    kind: string;
    provider_state: string;
    out_trade_no: string | null;
    transaction_id: string | null;
    amount: number | null;
    currency: string | null;
    effect: string;
    reason: string | null;
    order_id: string | null;
  }>(
    'SELECT id, kind, provider_state, out_trade_no, transaction_id, amount, currency, effect, reason, order_id FROM payment_notices WHERE payment_account_id = ? AND notice_id = ?',
    [d.paymentAccountId, d.notice.noticeId],
  );
  if (!prior) throw new Error('payment notice vanished between insert and read');
  await tx.run('UPDATE payment_notices SET deliveries = deliveries + 1, last_delivery_at = ? WHERE id = ?', [d.receivedAt, prior.id]);
  // A retry of a payment whose order was not there yet: decided again, now that the order may have arrived.
  if (prior.order_id === null && prior.reason?.startsWith('UNKNOWN_ORDER') && sameFacts(prior, d.notice) && (await findOrder(tx, d, d.notice.outTradeNo))) {
    const out = await decideNotice(deps, tx, d, Number(prior.id));
    await tx.run('UPDATE payment_notices SET effect = ?, reason = ?, order_id = ? WHERE id = ?', [out.effect, out.reason, out.orderId, prior.id]);
    return { duplicate: false, noticeRowId: Number(prior.id), ...out };
  }
  if (!sameFacts(prior, d.notice)) {
    await deps.refunds.raiseException(tx, d.tenantId, d.paymentAccountId, d.provider, {
      orderId: prior.order_id,
      noticeRowId: Number(prior.id),
      code: 'NOTICE_REPLAYED',
      reason: `notice ${d.notice.noticeId} came again saying something else (${d.notice.providerState}, ${d.notice.amount?.value ?? 'no amount'}): only its first delivery counts`,
      at: d.receivedAt,
    });
  }
  return { duplicate: true, noticeRowId: Number(prior.id), effect: prior.effect, orderId: prior.order_id, reason: prior.reason };
}

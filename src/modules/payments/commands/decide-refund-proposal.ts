// A person approves (it is sent, through the outbox and the refund worker) or declines a refund the hub proposed.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { paymentExceptionMachine } from '../domain/payment-exception-machine.ts';
import { refundMachine } from '../domain/refund-machine.ts';
import type { RefundDeps } from '../deps.ts';
import { exceptionFor, lockRefundRow, type RefundRow } from '../rows.ts';
import { paymentException } from '../queries/payment-exception.ts';

/** Approves or declines the refund an exception proposes. Approving sends it (through the outbox and the worker). */
export async function decideRefundProposal(deps: RefundDeps, who: Principal, exceptionId: number, input: { approve: boolean; note: string }, now = Date.now()) {
  requirePermission(who, 'refunds.approve');
  await deps.db.transaction(async (tx) => {
    const e = await exceptionFor(tx, who, exceptionId);
    const r = e.refund_id ? await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockRefundRow(tx, `refund:${e.refund_id}`)}`, [e.refund_id]) : undefined;
    if (!r || r.state !== 'proposed') throw new HubError('CONFLICT', `payment exception ${exceptionId} has no refund proposal waiting for a decision`);
    if (input.approve) {
      refundMachine.check(r.state, 'requested', { by: 'person' });
      await tx.run(`UPDATE refunds SET state = 'requested', decided_by = ?, requested_by = ?, requested_at = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`, [who.name, who.name, now, now, now, r.id]);
      await appendEvent(tx, {
        tenantId: r.tenant_id,
        type: 'payment.refund_requested',
        aggregateType: 'order',
        aggregateId: r.order_id,
        at: now,
        payload: { orderId: r.order_id, refundId: r.id, outRefundNo: r.out_refund_no, amount: Number(r.amount), currency: r.currency },
      });
    } else {
      refundMachine.check(r.state, 'declined', { by: 'person' });
      paymentExceptionMachine.check(e.state, 'resolved', { refundState: 'declined' });
      await tx.run(`UPDATE refunds SET state = 'declined', decided_by = ?, updated_at = ? WHERE id = ?`, [who.name, now, r.id]);
      await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?`, [now, who.name, `refund declined: ${input.note}`, e.id]);
    }
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: input.approve ? 'refund.approve' : 'refund.decline', targetType: 'order', targetId: r.order_id, before: { state: 'proposed' }, after: { state: input.approve ? 'requested' : 'declined' }, detail: { outRefundNo: r.out_refund_no, note: input.note } },
      now,
    );
  });
  if (input.approve) deps.refundRequested();
  return paymentException(deps, who, exceptionId);
}

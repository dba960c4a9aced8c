// A person closes a payment exception with a note (one that proposes a refund is decided instead).
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import { paymentExceptionMachine } from '../domain/payment-exception-machine.ts';
import type { RefundDeps } from '../deps.ts';
import { exceptionFor } from '../rows.ts';
import { paymentException } from '../queries/payment-exception.ts';

export async function resolvePaymentException(deps: RefundDeps, who: Principal, exceptionId: number, note: string, now = Date.now()) {
  requirePermission(who, 'payments.manage');
  await deps.db.transaction(async (tx) => {
    const e = await exceptionFor(tx, who, exceptionId);
    if (e.state !== 'open') throw new HubError('CONFLICT', `payment exception ${exceptionId} is already resolved`);
    const r = e.refund_id ? await tx.get<{ state: string }>('SELECT state FROM refunds WHERE id = ?', [e.refund_id]) : undefined;
    if (r?.state === 'proposed') throw new HubError('CONFLICT', 'this exception proposes a refund: approve or decline it');
    paymentExceptionMachine.check(e.state, 'resolved', { refundState: r?.state ?? null });
    await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?`, [now, who.name, note, e.id]);
    await appendAudit(tx, deps.keyring, who, { action: 'payment_exception.resolve', targetType: 'payment_exception', targetId: String(e.id), before: { state: 'open', code: e.code }, after: { state: 'resolved' }, detail: { note } }, now);
  });
  return paymentException(deps, who, exceptionId);
}

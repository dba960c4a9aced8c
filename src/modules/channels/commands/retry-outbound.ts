// Retrying a platform write a person has fixed the cause of (a carrier added to the dictionary, a credential renewed,
// the platform's order released): due again at once, audited. The client checks the platform first, so a retry of a
// write the platform did take makes no second one.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { IntegrationDeps } from '../deps.ts';
import { isOpenException, outboundCallFor } from '../store/outbound.ts';
import { outboundView, type OutboundView } from '../queries/outbound-log.ts';

export async function retryOutbound(deps: IntegrationDeps, who: Principal, id: number, now = Date.now()): Promise<OutboundView> {
  requirePermission(who, 'orders.modify');
  const row = await deps.db.transaction(async (tx) => {
    const r = await outboundCallFor(tx, who, id);
    if (!r) throw new HubError('OUTBOUND_NOT_FOUND', `platform write ${id} does not exist`);
    if (!isOpenException(r)) throw new HubError('OUTBOUND_NOT_OPEN', `platform write ${id} is ${r.state}: only a refused, given-up or unconfirmed write can be retried`, { state: r.state });
    // A fresh round of attempts; the confirmation window starts again once the platform takes it.
    await tx.run(
      `UPDATE outbound_calls SET state = 'pending', attempts = 0, next_attempt_at = ?, done_at = NULL, unconfirmed_alerted_at = NULL, updated_at = ? WHERE id = ?`,
      [now, now, id],
    );
    await appendAudit(tx, deps.keyring, who, { action: 'outbound.retry', targetType: 'order', targetId: r.order_id, detail: { outbound: id, kind: r.kind, was: r.state, code: r.last_code } }, now);
    return (await outboundCallFor(tx, who, id))!;
  });
  deps.onOutboundDue?.();
  return outboundView(row);
}

// Closing a platform write's exception by hand (done on the platform's own back office, or nothing to do), with a
// note saying what was done: it leaves the queue, kept in the log, audited.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { IntegrationDeps } from '../deps.ts';
import { isOpenException, outboundCallFor } from '../store/outbound.ts';
import { outboundView, type OutboundView } from '../queries/outbound-log.ts';

export async function markOutboundHandled(deps: IntegrationDeps, who: Principal, id: number, note: string, now = Date.now()): Promise<OutboundView> {
  requirePermission(who, 'orders.modify');
  const text = note.trim();
  if (!text) throw new HubError('VALIDATION_FAILED', 'say what was done: a note is required');
  if ([...text].length > 500) throw new HubError('VALIDATION_FAILED', 'a note is at most 500 characters');
  const row = await deps.db.transaction(async (tx) => {
    const r = await outboundCallFor(tx, who, id);
    if (!r) throw new HubError('OUTBOUND_NOT_FOUND', `platform write ${id} does not exist`);
    if (!isOpenException(r)) throw new HubError('OUTBOUND_NOT_OPEN', `platform write ${id} is not an open exception`, { state: r.state });
    await tx.run('UPDATE outbound_calls SET handled_at = ?, handled_by = ?, handled_note = ?, updated_at = ? WHERE id = ?', [now, who.name, text, now, id]);
    await appendAudit(tx, deps.keyring, who, { action: 'outbound.handled', targetType: 'order', targetId: r.order_id, detail: { outbound: id, kind: r.kind, state: r.state, code: r.last_code, note: text } }, now);
    return (await outboundCallFor(tx, who, id))!;
  });
  return outboundView(row);
}

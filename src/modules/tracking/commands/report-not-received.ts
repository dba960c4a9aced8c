// "Not received": a customer says a delivered parcel never came; each of its orders gets an open case, urgent when it
// follows an untrusted delivery within the tenant's window; audited, with an event, in one transaction.
import { decideNotReceived } from '../domain/delivery-trust.ts';
import { caseMachine } from '../domain/case-machine.ts';
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentScopeSql } from '../../../kernel/scope.ts';
import { newId } from '../../../kernel/ids.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { TrackingDeps } from '../deps.ts';
import { caseRows, type CaseView } from '../queries/cases.ts';
import { trustPolicyIn } from '../queries/policies.ts';
import { isGrade, lockTracked } from '../store/tracked-shipments.ts';

export async function reportNotReceived(deps: TrackingDeps, who: Principal, shipmentId: string, input: { note?: string | undefined }, now = Date.now()): Promise<{ items: CaseView[] }> {
  const ids = await deps.db.transaction(async (tx) => {
    const f = shipmentScopeSql(who.scope, 'shipments');
    const [s] = await lockTracked(tx, `id = ? AND tenant_id = ? AND ${f.text}`, [shipmentId, who.tenantId, ...f.params], false);
    if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${shipmentId} does not exist`);
    const delivery = s.carrier_delivered_at !== null && isGrade(s.trust_grade) ? { at: Number(s.carrier_delivered_at), grade: s.trust_grade } : null;
    const decision = decideNotReceived({ complaintAt: now, delivery }, await trustPolicyIn(deps, tx, s.tenant_id));
    if (decision.action === 'no_delivery_recorded') throw new HubError('SHIPMENT_STATE', `shipment ${s.id}: ${decision.reason}; nothing to dispute yet`, { trackingStatus: s.tracking_status });
    const reason = input.note ? `${decision.reason} — ${input.note.slice(0, 500)}` : decision.reason;
    const out: string[] = [];
    for (const orderId of JSON.parse(s.order_ids) as string[]) {
      const open = await tx.get<{ id: string; priority: string }>(`SELECT id, priority FROM aftersale_cases WHERE shipment_id = ? AND order_id = ? AND kind = 'not_received' AND state = 'open'`, [s.id, orderId]);
      if (open) {
        // A second complaint never lowers a case; it raises a normal one that has become urgent.
        if (open.priority === 'normal' && decision.priority === 'urgent') await tx.run(`UPDATE aftersale_cases SET priority = 'urgent', reason = ?, updated_at = ? WHERE id = ?`, [reason, now, open.id]);
        out.push(open.id);
        continue;
      }
      const id = `AS-${newId(now)}`;
      caseMachine.start('open');
      await tx.run(
        `INSERT INTO aftersale_cases (id, tenant_id, order_id, shipment_id, kind, priority, state, reason, opened_by, opened_at, updated_at) VALUES (?, ?, ?, ?, 'not_received', ?, 'open', ?, ?, ?, ?)`,
        [id, s.tenant_id, orderId, s.id, decision.priority, reason, who.name, now, now],
      );
      await appendEvent(tx, { tenantId: s.tenant_id, type: 'aftersale_case.opened', aggregateType: 'aftersale_case', aggregateId: id, at: now, payload: { caseId: id, orderId, shipmentId: s.id, kind: 'not_received', priority: decision.priority } });
      await appendHistory(tx, { tenantId: s.tenant_id, orderId, at: now, kind: 'fulfilment', cause: `${who.name}: not received`, detail: { shipmentId: s.id, caseId: id, priority: decision.priority, reason: decision.reason } });
      await appendAudit(tx, deps.keyring, who, { action: 'aftersale_case.open', targetType: 'aftersale_case', targetId: id, after: { orderId, shipmentId: s.id, kind: 'not_received', priority: decision.priority } }, now);
      out.push(id);
    }
    return out;
  });
  return { items: await caseRows(deps, who, `id IN (${ids.map(() => '?').join(', ')})`, ids) };
}

// After a re-check of an untrusted delivery: the next one scheduled, the delivery confirmed (the tenant's trust
// settings now accept its proof), or none left and the delivery stays unconfirmed for good.
import { afterRecheck } from '../domain/delivery-trust.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { scheduleTimer } from '../../../platform/jobs/timer-store.ts';
import { shipmentMachine } from '../../fulfilment/domain/shipment-machine.ts';
import type { TrackingDeps } from '../deps.ts';
import { confirmDelivered, shipmentHistory } from '../effects.ts';
import { trustPolicyIn } from '../queries/policies.ts';
import { isGrade, lockTracked } from '../store/tracked-shipments.ts';

/**
 * One re-check done (its answer, if any, already applied in this transaction): still untrusted → the next one is
 * scheduled, or none is left and the delivery stays unconfirmed.
 */
export async function afterRecheckIn(deps: TrackingDeps, tx: Tx, shipmentId: string, now: number): Promise<void> {
  // A re-check may confirm the delivery (the tenant's settings changed): its orders are locked before it.
  const [s] = await lockTracked(tx, 'id = ?', [shipmentId], true);
  if (!s || s.recheck_state !== 'pending' || !isGrade(s.trust_grade)) return;
  const checksDone = Number(s.recheck_count) + 1;
  const decision = afterRecheck({ deliveredAt: Number(s.delivery_seen_at ?? now), checksDone, bestGrade: s.trust_grade }, await trustPolicyIn(deps, tx, s.tenant_id));
  if (decision.kind === 'recheck_at') {
    await tx.run('UPDATE shipments SET recheck_count = ?, recheck_due_at = ?, updated_at = ? WHERE id = ?', [checksDone, decision.at, now, s.id]);
    await scheduleTimer(tx, s.tenant_id, 'tracking_recheck', s.id, decision.at, now);
    return;
  }
  if (decision.kind === 'trusted') {
    // The proof did not change but the tenant's settings did: this grade is trusted now, so it is delivered.
    const at = Number(s.carrier_delivered_at ?? s.delivery_seen_at ?? now);
    const wasShipped = s.state === 'shipped';
    if (wasShipped) shipmentMachine.check(s.state, 'delivered', { trustedDelivery: true });
    await tx.run(
      `UPDATE shipments SET recheck_count = ?, recheck_due_at = NULL, recheck_state = 'confirmed', tracking_status = 'delivered',
         state = CASE WHEN state = 'shipped' THEN 'delivered' ELSE state END, delivered_at = COALESCE(delivered_at, ?), updated_at = ? WHERE id = ?`,
      [checksDone, at, now, s.id],
    );
    const cause = `delivered (${decision.grade}): the tenant's trust settings now accept this proof`;
    await confirmDelivered(deps, tx, s, { grade: decision.grade, at, wasShipped, source: 'trust_settings', via: 'recheck', cause }, now);
    return;
  }
  await tx.run(`UPDATE shipments SET recheck_count = ?, recheck_due_at = NULL, recheck_state = 'exhausted', updated_at = ? WHERE id = ?`, [checksDone, now, s.id]);
  await appendEvent(tx, { tenantId: s.tenant_id, type: 'shipment.delivery_unconfirmed_final', aggregateType: 'shipment', aggregateId: s.id, at: now, payload: { shipmentId: s.id, trustGrade: s.trust_grade, reason: decision.reason } });
  await shipmentHistory(tx, s, now, `delivery not confirmed: ${decision.reason}`, { shipmentId: s.id, checks: checksDone });
}

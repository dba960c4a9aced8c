// Tracking follows a corrected number: a shipped parcel's number or carrier fixed after it left (a typo) is registered
// with the tenant's tracking source again, in the transaction that corrects it (the caller holds the shipment).
// Pushes are matched to shipments by number and a subscription is a timer keyed by the shipment id (worker.ts), so the
// subscription timer is set due again; the source's own id for the old tracking (AfterShip's) is forgotten, or
// re-queries would keep asking about the old number.
import type { Tx } from '../../../platform/db/database.ts';
import { cancelTimer, scheduleTimer } from '../../../platform/jobs/timer-store.ts';

export interface Retracked {
  /** Tracking events of the old number dropped (another parcel's, or none: a mistyped number is not this parcel). */
  droppedEvents: number;
  /** The tenant has a tracking source: the new number is registered with it by the worker. */
  subscribing: boolean;
}

/**
 * With a new number, what tracking said under the old one is not this parcel's: its events, status, delivery evidence
 * and re-checks go (the raw pushes stay, kept as received). With only the carrier changed, the events stay — the number
 * is the parcel's — and the subscription is made again with the right carrier.
 */
export async function retrackShipmentIn(tx: Tx, s: { id: string; tenantId: string }, numberChanged: boolean, now: number): Promise<Retracked> {
  let droppedEvents = 0;
  if (numberChanged) {
    droppedEvents = await tx.run('DELETE FROM tracking_events WHERE shipment_id = ?', [s.id]);
    await tx.run(
      `UPDATE shipments SET tracking_status = NULL, tracking_raw_status = NULL, last_event_at = NULL, tracking_checked_at = NULL, carrier_delivered_at = NULL,
         delivery_seen_at = NULL, delivery_outlet = NULL, trust_grade = NULL, recheck_count = 0, recheck_due_at = NULL, recheck_state = NULL, updated_at = ? WHERE id = ?`,
      [now, s.id],
    );
    await cancelTimer(tx, 'tracking_recheck', s.id, now);
  }
  await tx.run('UPDATE shipments SET tracking_account_id = NULL, tracking_ref = NULL, subscribed_at = NULL, updated_at = ? WHERE id = ?', [now, s.id]);
  const source = await tx.get<{ id: string }>('SELECT id FROM tracking_accounts WHERE tenant_id = ? AND active = 1 AND deleted_at IS NULL LIMIT 1', [s.tenantId]);
  if (source) await scheduleTimer(tx, s.tenantId, 'tracking_subscribe', s.id, now, now);
  return { droppedEvents, subscribing: Boolean(source) };
}

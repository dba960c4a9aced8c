// The waybill rows the shipment's own transactions touch. In the transaction that stops a parcel (拦截, cancelled) or gives its number back by hand: the parcel's live waybill
// is owed a cancel, worked after commit by the waybill worker (waybills/issue.ts workCancel). A file of its own: the
// order lifecycle reaches it through the shipments store, and it needs nothing else.
import type { Tx } from '../../../platform/db/database.ts';
import type { WaybillsTable } from '../../../platform/db/schema.ts';

/** Orders nothing in the lock order: the waybill row belongs to the shipment the caller holds. */
export async function oweWaybillCancel(tx: Tx, shipmentId: string, reason: string, now: number): Promise<void> {
  await tx.run(`UPDATE waybills SET state = 'cancel_pending', cancel_reason = ?, next_attempt_at = ?, updated_at = ? WHERE shipment_id = ? AND state IN ('requesting', 'issued')`, [reason, now, now, shipmentId]);
}

/** The parcel's issued waybill, if it has one: shipping takes its number and carrier. */
export function issuedWaybill(tx: Tx, shipmentId: string): Promise<Pick<WaybillsTable, 'waybill_no' | 'carrier'> | undefined> {
  return tx.get<Pick<WaybillsTable, 'waybill_no' | 'carrier'>>(`SELECT waybill_no, carrier FROM waybills WHERE shipment_id = ? AND state = 'issued' AND waybill_no IS NOT NULL`, [shipmentId]);
}

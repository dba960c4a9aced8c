// Giving a parcel's waybill number back by hand (re-routed to another carrier, a damaged label): owed in one commit,
// given back at once, and retried by the waybill worker when the network does not answer.
import { HubError } from '../../../kernel/errors.ts';
import { systemPrincipal, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { liveWaybill, workCancel } from '../waybills/issue.ts';
import { oweWaybillCancel } from '../waybills/owe-cancel.ts';
import { notFound, toWaybillView, type WaybillDeps, type WaybillRow, type WaybillView } from '../waybills/views.ts';

export async function cancelWaybill(deps: WaybillDeps, who: Principal, shipmentId: string, now = Date.now()): Promise<WaybillView> {
  const owed = await deps.db.transaction(async (tx) => {
    const s = await shipmentRow(tx, who, shipmentId, true);
    if (['shipped', 'delivered', 'returned'].includes(s.state)) throw new HubError('SHIPMENT_ALREADY_SHIPPED', `shipment ${s.id} has left with ${s.tracking_no ?? ''}: its waybill cannot be given back`, { state: s.state });
    const live = await liveWaybill(tx, s.id);
    if (!live) throw notFound(s.id);
    await oweWaybillCancel(tx, s.id, 'manual', now);
    await appendAudit(tx, deps.keyring, who, { action: 'waybill.cancel', targetType: 'shipment', targetId: s.id, before: { waybillNo: live.waybill_no, state: live.state }, after: { state: 'cancel_pending' } }, now);
    return (await tx.get<WaybillRow>('SELECT * FROM waybills WHERE id = ?', [live.id])) as WaybillRow;
  });
  await workCancel(deps, who, owed, now);
  return toWaybillView((await deps.db.read.get<WaybillRow>('SELECT * FROM waybills WHERE id = ?', [owed.id])) as WaybillRow);
}

/** The owed cancels due at `now` (parcels stopped, cancels that failed), each claimed before it is worked. */
export async function cancelDueWaybills(deps: WaybillDeps, now = Date.now(), limit = 50): Promise<number> {
  const due = await deps.db.read.all<WaybillRow>(`SELECT * FROM waybills WHERE state = 'cancel_pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, [now, limit]);
  let worked = 0;
  for (const w of due) {
    // Claimed by moving its next attempt: a second process that read the same row finds it changed and skips it.
    const claimed = await deps.db.transaction((tx) => tx.run(`UPDATE waybills SET next_attempt_at = ? WHERE id = ? AND state = 'cancel_pending' AND next_attempt_at = ?`, [now + deps.callTimeoutMs * 2, w.id, w.next_attempt_at]));
    if (claimed !== 1) continue;
    await workCancel(deps, systemPrincipal(w.tenant_id), w, now);
    worked++;
  }
  return worked;
}

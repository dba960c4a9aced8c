// "Get waybill" (取号) at the pack station: one parcel, or every parcel of a wave. A parcel that has its number gets it
// again (reprint), one whose request was lost asks again under the same object id; see waybills/issue.ts for why this
// is a synchronous call between two commits and not an outbox job.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { waveRow, waveShipments } from '../queries/wave.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { systemPrincipal } from '../../../kernel/principal.ts';
import type { ShipmentRow } from '../views.ts';
import { chooseAccount, ensureDocument, liveWaybill, ordersOf, refuseStopped, requestNumber } from '../waybills/issue.ts';
import { toWaybillView, type WaybillDeps, type WaybillRow, type WaybillView } from '../waybills/views.ts';

export async function getWaybill(deps: WaybillDeps, who: Principal, shipmentId: string, now = Date.now()): Promise<WaybillView> {
  const s = await shipmentRow(deps.db.read, who, shipmentId);
  const orders = await ordersOf(deps, s);
  refuseStopped(s, orders);
  const live = await liveWaybill(deps.db.read, s.id);
  if (live?.state === 'issued') {
    await ensureDocument(deps, live, orders, now);
    return toWaybillView(live);
  }
  const account = live ? null : await chooseAccount(deps.db.read, s.tenant_id, orders, s.carrier);
  const row =
    live ??
    (await deps.db.transaction(async (tx) => {
      // The shipment is locked so a stop (拦截) and this request serialise: the stop then sees the row and owes its cancel.
      const held = await shipmentRow(tx, who, shipmentId, true);
      if (held.state === 'cancelled') throw new HubError('SHIPMENT_CANCELLED', `shipment ${s.id} was cancelled: it gets no waybill`, { state: held.state });
      const again = await liveWaybill(tx, s.id);
      if (again) return again;
      const a = account as NonNullable<typeof account>;
      const n = await tx.get<{ c: number }>('SELECT COUNT(*) AS c FROM waybills WHERE shipment_id = ?', [s.id]);
      // The network keeps the object id: the parcel's first waybill is asked under its id, a later one (after a cancel) under a new one.
      const count = Number(n?.c ?? 0);
      const objectId = count === 0 ? s.id : `${s.id}-${count + 1}`;
      await tx.run(
        `INSERT INTO waybills (tenant_id, shipment_id, account_id, network, carrier, object_id, state, attempts, requested_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'requesting', 0, ?, ?)`,
        [s.tenant_id, s.id, a.id, a.network, a.carrier, objectId, now, now],
      );
      return (await liveWaybill(tx, s.id)) as WaybillRow;
    }));
  if (row.state === 'issued') return toWaybillView(row);
  return toWaybillView(await requestNumber(deps, who, s, row, orders, now));
}

export interface WaveWaybills {
  waveId: string;
  items: { shipmentId: string; waybill: WaybillView | null; error: { code: string; message: string } | null }[];
}

/** Every parcel of a wave that is still to leave, one after another; a parcel's failure is reported, not fatal. */
export async function getWaveWaybills(deps: WaybillDeps, who: Principal, waveId: string, now = Date.now()): Promise<WaveWaybills> {
  await waveRow(deps, who, waveId);
  const rows = await waveShipments(deps.db.read, who.scope, waveId);
  const items: WaveWaybills['items'] = [];
  for (const s of rows.filter((r) => ['waved', 'picked', 'packed'].includes(r.state))) {
    try {
      items.push({ shipmentId: s.id, waybill: await getWaybill(deps, who, s.id, now), error: null });
    } catch (e) {
      if (!(e instanceof HubError)) throw e;
      items.push({ shipmentId: s.id, waybill: null, error: { code: e.code, message: e.message } });
    }
  }
  return { waveId, items };
}

/**
 * The numbers a network said to come back for (Shopee's number given a while after the arrangement, a rate limit):
 * each due `requesting` row is claimed and asked again under its object id, as the packer's retry would. A parcel
 * stopped or held meanwhile is left for the packer (its next request says why). Background: the waybill worker.
 */
export async function fillDueWaybills(deps: WaybillDeps, now = Date.now(), limit = 50): Promise<number> {
  const due = await deps.db.read.all<WaybillRow>(`SELECT * FROM waybills WHERE state = 'requesting' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, [now, limit]);
  let worked = 0;
  for (const w of due) {
    // Claimed by moving its next attempt: a second process that read the same row finds it changed and skips it.
    const claimed = await deps.db.transaction((tx) =>
      tx.run(`UPDATE waybills SET next_attempt_at = ? WHERE id = ? AND state = 'requesting' AND next_attempt_at = ?`, [now + deps.callTimeoutMs * 2, w.id, w.next_attempt_at]),
    );
    if (claimed !== 1) continue;
    const who = systemPrincipal(w.tenant_id);
    const s = await deps.db.read.get<ShipmentRow>('SELECT * FROM shipments WHERE id = ?', [w.shipment_id]);
    try {
      if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${w.shipment_id} is gone`);
      const orders = await ordersOf(deps, s);
      refuseStopped(s, orders);
      await requestNumber(deps, who, s, w, orders, now);
    } catch (e) {
      if (!(e instanceof HubError)) throw e;
      // Retryable failures set the next attempt themselves; anything else waits for the packer.
      if (e.code !== 'WAYBILL_UNAVAILABLE') await deps.db.transaction((tx) => tx.run(`UPDATE waybills SET next_attempt_at = NULL WHERE id = ? AND state = 'requesting'`, [w.id]));
    }
    worked++;
  }
  return worked;
}

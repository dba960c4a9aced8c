// Correcting a shipped parcel's carrier or tracking number (更正运单号): a typo found after the parcel left and the
// platform was told. In one transaction: the shipment takes the new number, tracking follows it, each platform order
// in the parcel gets a correction write superseding the one that carried the old number, the event, history and audit.
import { HubError } from '../../../kernel/errors.ts';
import { isCode } from '../../../kernel/codes.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { closeCorrectedByHand, enqueueShipBackCorrection, shipBackCorrectionMode, trackingCorrectionRefusal, type ShipBackCorrection } from '../../channels/store/ship-back-correction.ts';
import { lockOrders } from '../../orders/store/orders.ts';
import { retrackShipmentIn } from '../../tracking/commands/retrack-shipment.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { shipment } from '../queries/shipment.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { issuedWaybill } from '../waybills/owe-cancel.ts';
import type { ShipmentView } from '../views.ts';

export interface TrackingCorrectionInput {
  /** The right carrier; absent: the shipment's carrier stays. */
  carrier?: string | undefined;
  trackingNo: string;
  /**
   * The number was already corrected in the platform's own back office (JD and Shopee, which the hub cannot correct, or
   * by a person there): the hub corrects its own shipment and tracking, closes the old write, and tells no platform.
   */
  correctedOnPlatform?: boolean | undefined;
}

export interface TrackingCorrected {
  shipment: ShipmentView;
  from: { carrier: string | null; trackingNo: string | null };
  /** Per platform order of the parcel: the write queued to tell the platform, or why none was. */
  platformWrites: ({ orderId: string; platformOrderId: string } & ShipBackCorrection)[];
}

/** The shape the console and resend-ship-back take: 1–64 letters, digits and -. */
const trackingNoPattern = /^[A-Za-z0-9-]{1,64}$/;

export async function correctTracking(deps: WarehouseFlowDeps, who: Principal, shipmentId: string, input: TrackingCorrectionInput, now = Date.now()): Promise<TrackingCorrected> {
  requirePermission(who, 'orders.modify');
  const trackingNo = typeof input.trackingNo === 'string' ? input.trackingNo.trim() : '';
  const named = input.carrier?.trim();
  if (!trackingNoPattern.test(trackingNo)) throw new HubError('VALIDATION_FAILED', 'a tracking number is 1–64 letters, digits and -');
  if (named !== undefined && !isCode('carrier', named)) throw new HubError('VALIDATION_FAILED', `carrier ${JSON.stringify(named)} is not a carrier code`);

  const done = await deps.db.transaction(async (tx) => {
    const first = await shipmentRow(tx, who, shipmentId);
    // Orders first, in id order, then the shipment: the lock order every shipment command keeps (ship-shipment.ts).
    const orders = [...(await lockOrders(tx, JSON.parse(first.order_ids) as string[])).values()];
    const s = await shipmentRow(tx, who, shipmentId, true);
    if (s.state === 'cancelled') throw new HubError('SHIPMENT_CANCELLED', `shipment ${s.id} was cancelled before it left: it has no tracking number to correct`, { state: s.state });
    if (s.state === 'delivered' || s.state === 'returned') {
      throw new HubError('SHIPMENT_STATE', `shipment ${s.id} is ${s.state} already: its tracking number is history and is not corrected`, { state: s.state });
    }
    if (s.state !== 'shipped') {
      throw new HubError('SHIPMENT_STATE', `shipment ${s.id} has not left yet (${s.state}): it takes its carrier and number when it ships (POST /api/shipments/${s.id}/ship), nothing to correct`, { state: s.state });
    }
    const carrier = named || s.carrier;
    if (!carrier) throw new HubError('VALIDATION_FAILED', `shipment ${s.id} has no carrier: name one`);
    const from = { carrier: s.carrier, trackingNo: s.tracking_no };
    if (carrier === s.carrier && trackingNo === s.tracking_no) {
      throw new HubError('TRACKING_NO_UNCHANGED', `shipment ${s.id} already has ${carrier} ${trackingNo}: nothing to correct`, { carrier, trackingNo });
    }
    // A number that came from the carrier's e-waybill was not typed: another one means another label.
    const waybill = await issuedWaybill(tx, s.id);
    if (waybill) {
      throw new HubError('WAYBILL_MISMATCH', `shipment ${s.id} left with its e-waybill ${waybill.waybill_no ?? ''} (${waybill.carrier}), a number the carrier issued: it is not corrected by hand`, {
        waybillNo: waybill.waybill_no,
        carrier: waybill.carrier,
      });
    }
    const taken = await tx.get<{ id: string }>('SELECT id FROM shipments WHERE tenant_id = ? AND carrier = ? AND tracking_no = ? AND id <> ?', [who.tenantId, carrier, trackingNo, s.id]);
    if (taken) throw new HubError('TRACKING_NO_IN_USE', `${carrier} tracking number ${trackingNo} is already on shipment ${taken.id}`, { shipmentId: taken.id });
    // Every platform is asked before anything is written. Only a number the platform already holds needs its
    // correction method; one it never got is simply sent. A platform without that method refuses the whole of it —
    // unless the person corrected it there by hand.
    const byHand = input.correctedOnPlatform === true;
    if (!byHand) {
      for (const o of orders) {
        const refusal = trackingCorrectionRefusal(o.channel);
        if (refusal && (await shipBackCorrectionMode(tx, s.id, o.id)) === 'correct') {
          throw new HubError('CORRECTION_UNSUPPORTED', `order ${o.order_no}: ${refusal}; if you corrected it there already, correct the hub's record with correctedOnPlatform`, { orderId: o.id, channel: o.channel });
        }
      }
    }

    const changed = await tx.run(`UPDATE shipments SET carrier = ?, tracking_no = ?, updated_at = ? WHERE id = ? AND state = 'shipped'`, [carrier, trackingNo, now, s.id]);
    if (changed !== 1) throw new HubError('CONFLICT', `shipment ${s.id} changed meanwhile`);
    const retracked = await retrackShipmentIn(tx, { id: s.id, tenantId: s.tenant_id }, trackingNo !== s.tracking_no, now);
    const platformWrites: TrackingCorrected['platformWrites'] = [];
    for (const o of orders) {
      const draft = { shipmentId: s.id, orderId: o.id, carrier, trackingNo, at: now };
      const w = byHand ? await closeCorrectedByHand(tx, draft, who.name) : await enqueueShipBackCorrection(tx, draft);
      platformWrites.push({ orderId: o.id, platformOrderId: o.platform_order_id, ...w });
    }
    const queued = platformWrites.filter((w) => w.kind === 'queued').length;
    const orderIds = orders.map((o) => o.id);
    await appendEvent(tx, {
      tenantId: s.tenant_id,
      type: 'shipment.tracking_corrected',
      aggregateType: 'shipment',
      aggregateId: s.id,
      at: now,
      payload: { shipmentId: s.id, orderIds, from, to: { carrier, trackingNo }, platformWrites: queued },
    });
    for (const o of orders) {
      await appendHistory(tx, {
        tenantId: s.tenant_id,
        orderId: o.id,
        at: now,
        kind: 'fulfilment',
        cause: `${who.name}: tracking number corrected`,
        detail: { shipmentId: s.id, step: 'tracking_corrected', from, to: { carrier, trackingNo } },
      });
    }
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'shipment.correct_tracking',
        targetType: 'shipment',
        targetId: s.id,
        before: from,
        after: { carrier, trackingNo, platformWrites: platformWrites.map((w) => (w.kind === 'queued' ? { outbound: w.id, supersedes: w.supersedes } : { orderId: w.orderId, none: w.reason })), droppedTrackingEvents: retracked.droppedEvents },
      },
      now,
    );
    return { from, platformWrites };
  });
  return { shipment: await shipment(deps, who, shipmentId), ...done };
}

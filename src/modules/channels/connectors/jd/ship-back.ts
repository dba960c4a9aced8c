// JD ship-back (发货回传): jingdong.pop.order.shipment (orderId, logiCoprId = JD's numeric carrier id from the carrier
// dictionary, logiNo = the tracking number) on the JOS router, signed like the pull. The order then shows
// WAIT_GOODS_RECEIVE_CONFIRM (等待确认收货) with our number as its waybill. JOS takes no idempotency key and refuses to
// ship an order twice, so the order is read first (jingdong.pop.order.get): already out with our number is a retry
// after a lost answer, and nothing is sent. JD takes one waybill per order here: a later parcel of an order JD already
// has as shipped under another number is refused with that number, for a person to decide.
import { PlatformWriteError, platformCarrier, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import { jdCarriers } from './carriers.ts';
import type { JdCredentials } from './index.ts';
import { jdBusinessError, jdStr, jdWrite } from './write.ts';

const shipMethod = 'jingdong.pop.order.shipment';
const readMethod = 'jingdong.pop.order.get';
/** States an order has once the seller shipped it (等待确认收货, 完成). */
const sentStates = new Set(['WAIT_GOODS_RECEIVE_CONFIRM', 'FINISHED_L']);

/** The order as JD holds it now: its state and the waybill numbers it carries (JD joins several with commas). */
export async function readJdOrder(ctx: CallContext<JdCredentials>, orderId: string): Promise<{ status: number; state: string; waybills: string[] }> {
  const read = await jdWrite(ctx, readMethod, { order_id: orderId, optional_fields: 'orderId,orderState,waybill,logisticsId' });
  const detail = (read.body.orderDetailInfo ?? {}) as { apiResult?: Record<string, unknown>; orderInfo?: Record<string, unknown> };
  if (detail.apiResult?.success !== true && detail.apiResult?.success !== 'true') throw jdBusinessError(readMethod, detail.apiResult, read.status);
  const info = detail.orderInfo ?? {};
  return { status: read.status, state: jdStr(info.orderState), waybills: jdStr(info.waybill).split(/[,，;]/).map((s) => s.trim()).filter(Boolean) };
}

export async function shipBackJd(ctx: CallContext<JdCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const logiCoprId = platformCarrier(jdCarriers, parcel.carrier, 'JD');
  if (!/^\d{1,20}$/.test(parcel.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `JD orderId ${JSON.stringify(parcel.platformOrderId)} is not a number`, { refused: true });
  // A correction is refused before it is queued (trackingCorrectionRefused); one that got here anyway is not sent as a
  // second shipment.
  if (parcel.replacesTrackingNo !== undefined) throw new PlatformWriteError('CORRECTION_UNSUPPORTED', `JD documents no correction of a shipped order's waybill: correct ${parcel.replacesTrackingNo} → ${parcel.trackingNo} in the JD seller back office`, { refused: true });
  const now = await readJdOrder(ctx, parcel.platformOrderId);
  if (sentStates.has(now.state)) {
    if (now.waybills.includes(parcel.trackingNo)) return { platformRef: null, already: true, status: now.status };
    throw new PlatformWriteError('ALREADY_SHIPPED', `JD has order ${parcel.platformOrderId} as shipped (${now.state}) with waybill ${now.waybills.join(',') || '(none)'}, not ${parcel.trackingNo}: JD takes one waybill per order here`, { refused: true, status: now.status });
  }
  const sent = await jdWrite(ctx, shipMethod, { orderId: parcel.platformOrderId, logiCoprId: String(logiCoprId), logiNo: parcel.trackingNo });
  const result = sent.body.sopjosshipment_result as Record<string, unknown> | undefined;
  if (result?.success !== true && result?.success !== 'true') throw jdBusinessError(shipMethod, result, sent.status);
  return { platformRef: null, already: false, status: sent.status };
}

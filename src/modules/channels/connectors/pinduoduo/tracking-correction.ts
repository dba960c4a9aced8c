// Pinduoduo: a parcel's carrier or tracking number corrected after it was sent (a typo found later). PDD changes an
// order's shipment with the send itself: pdd.logistics.online.send with redelivery_type=2 (修改发货: "调用成功后将会覆盖原发货信息，
// 仅已发货订单可传入" — it overwrites the order's carrier and number, for orders already sent; per the request models of
// niltor/open-pdd-net-sdk SendLogisticsOnline.cs and the open-pdd Rust SDK). It reaches only the order's own number: a
// number uploaded later as an extra parcel (pdd.order.upload.extra.logistics, extra_delivery_list) has no documented
// change, so that correction is refused (CORRECTION_UNSUPPORTED) for a person to make in the PDD back office.
// The order is read first: its number already the new one is a retry after a lost answer, and nothing is sent.
import { PlatformWriteError, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import type { PinduoduoCredentials } from './index.ts';
import { pddWrite } from './ship-back.ts';

const sendType = 'pdd.logistics.online.send';
/** redelivery_type 2 = 修改发货 (1 = 首次发货, the default). */
const amendShipment = '2';
/** order_status 2 已发货待签收, 3 已签收. */
const sentStatuses = new Set(['2', '3']);

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export async function correctPinduoduoTracking(
  ctx: CallContext<PinduoduoCredentials>,
  parcel: ShipBackParcel & { replacesTrackingNo: string },
  logisticsId: number,
  read: { status: number; body: Record<string, unknown> },
): Promise<WriteResult> {
  const info = (read.body.order_info ?? {}) as { order_status?: unknown; tracking_number?: unknown; logistics_id?: unknown; extra_delivery_list?: unknown };
  const own = str(info.tracking_number);
  const extras = (Array.isArray(info.extra_delivery_list) ? (info.extra_delivery_list as Record<string, unknown>[]) : []).map((x) => str(x.tracking_number));
  const sameNumber = parcel.replacesTrackingNo === parcel.trackingNo;
  const sent = sentStatuses.has(str(info.order_status));
  if (sent && own === parcel.trackingNo && (!sameNumber || str(info.logistics_id) === String(logisticsId))) return { platformRef: null, already: true, status: read.status };
  if (sent && own === parcel.replacesTrackingNo) {
    const r = await pddWrite(ctx, sendType, 'logistics_online_send_response', {
      order_sn: parcel.platformOrderId,
      logistics_id: String(logisticsId),
      tracking_number: parcel.trackingNo,
      redelivery_type: amendShipment,
    });
    if (r.body.is_success !== true && r.body.is_success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `Pinduoduo ${sendType} (修改发货) did not answer is_success`, { status: r.status });
    return { platformRef: null, already: false, status: r.status };
  }
  if (extras.includes(parcel.replacesTrackingNo)) {
    throw new PlatformWriteError(
      'CORRECTION_UNSUPPORTED',
      `Pinduoduo has ${parcel.replacesTrackingNo} as an extra parcel of order ${parcel.platformOrderId} (pdd.order.upload.extra.logistics), and PDD documents no way to change an extra parcel's number: correct it in the PDD back office`,
      { refused: true, status: read.status },
    );
  }
  throw new PlatformWriteError('NOTHING_TO_CORRECT', `Pinduoduo order ${parcel.platformOrderId} does not hold ${parcel.replacesTrackingNo}${sent ? ` (it holds ${own || 'no number'})` : ' (not sent)'}: nothing to correct`, { refused: true, status: read.status });
}

// Douyin: a parcel's carrier or tracking number corrected after it was sent (a typo found later). The order is read
// first (order.orderDetail): its logistics_info lists each parcel with its tracking_no and delivery_id (包裹id). An order
// sent as one parcel is corrected with order.logisticsEdit (order_id, company_code, logistics_code); one of several
// parcels with order.logisticsEditByPack (order_id, pack_id = the parcel's delivery_id, company_code, logistics_code).
// Both replace what the buyer sees and take no idempotency key, so the read decides: the new number there and the old
// gone is a retry after a lost answer, and nothing is sent. Fields from the official Go SDK (zsmhub/doudian-sdk:
// api/order_logisticsEdit, api/order_logisticsEditByPack; LogisticsInfoItem.DeliveryId "包裹id" in api/order_orderDetail).
import { PlatformWriteError, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import type { DouyinCredentials } from './index.ts';
import { douyinCall } from './write.ts';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The parcel with `replacesTrackingNo`, told to Douyin as a correction of the parcel that carries the old number. */
export async function correctDouyinTracking(ctx: CallContext<DouyinCredentials>, parcel: ShipBackParcel & { replacesTrackingNo: string }, companyCode: string): Promise<WriteResult> {
  const read = await douyinCall(ctx, 'order.orderDetail', { shop_order_id: parcel.platformOrderId });
  const detail = obj(obj(read.data).shop_order_detail);
  const parcels = list(detail.logistics_info).map((x) => ({ trackingNo: str(obj(x).tracking_no), packId: str(obj(x).delivery_id), company: str(obj(x).company) }));
  const sameNumber = parcel.replacesTrackingNo === parcel.trackingNo;
  const old = parcels.find((p) => p.trackingNo === parcel.replacesTrackingNo);
  if (!old) {
    if (!sameNumber && parcels.some((p) => p.trackingNo === parcel.trackingNo)) return { platformRef: null, already: true, status: read.status };
    throw new PlatformWriteError('NOTHING_TO_CORRECT', `Douyin order ${parcel.platformOrderId} has no parcel ${parcel.replacesTrackingNo}: nothing to correct`, { refused: true, status: read.status });
  }
  if (sameNumber && old.company === companyCode) return { platformRef: old.packId || null, already: true, status: read.status };
  if (parcels.length === 1) {
    const edited = await douyinCall(ctx, 'order.logisticsEdit', { order_id: parcel.platformOrderId, company_code: companyCode, logistics_code: parcel.trackingNo });
    return { platformRef: old.packId || null, already: false, status: edited.status };
  }
  if (!old.packId) throw new PlatformWriteError('PACK_UNKNOWN', `Douyin order ${parcel.platformOrderId} shows parcel ${old.trackingNo} without its pack id: correct it in the Douyin back office`, { refused: true, status: read.status });
  const edited = await douyinCall(ctx, 'order.logisticsEditByPack', { order_id: parcel.platformOrderId, pack_id: old.packId, company_code: companyCode, logistics_code: parcel.trackingNo });
  return { platformRef: old.packId, already: false, status: edited.status };
}

// Douyin ship-back (发货回传). A parcel that carries the whole order goes with order.logisticsAdd (order_id,
// company_code from the carrier dictionary, logistics_code = the tracking number); a parcel that carries part of it
// (split parcels) with order.logisticsAddMultiPack, one pack naming the sku orders (shipped_order_id, shipped_num) it
// holds, its request_id the parcel's idempotency key (the platform answers a repeated request_id with the first
// result). logisticsAdd takes no idempotency key and refuses an order sent before, so the order is read first
// (order.orderDetail): our tracking number in its logistics_info is a retry after a lost answer, and nothing is sent;
// its product_info (sku_order_id, product_count per parcel) says what earlier parcels carried.
// Signed like the pull (./write.ts). Fields from the official Go SDK (zsmhub/doudian-sdk: api/order_logisticsAdd,
// api/order_logisticsAddMultiPack, api/order_orderDetail).
import { PlatformWriteError, platformCarrier, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import { douyinCarriers } from './carriers.ts';
import type { DouyinCredentials } from './index.ts';
import { correctDouyinTracking } from './tracking-correction.ts';
import { douyinCall } from './write.ts';

/** order_status 2 备货中 and 105 已支付: nothing of the order has left yet. */
const unsentStatuses = new Set(['2', '105']);

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface SkuOrder {
  id: string;
  code: string;
  /** What of it still waits to be sent: item_num less what earlier parcels (logistics_info.product_info) carried. */
  quantity: number;
}

/** The order's sku orders with what each still waits for. */
function skuOrdersOf(detail: Record<string, unknown>): SkuOrder[] {
  const sent = new Map<string, number>();
  for (const l of list(detail.logistics_info)) {
    for (const x of list(obj(l).product_info)) {
      const p = obj(x);
      const n = typeof p.product_count === 'number' ? p.product_count : 0;
      sent.set(str(p.sku_order_id), (sent.get(str(p.sku_order_id)) ?? 0) + n);
    }
  }
  return list(detail.sku_order_list).map((x) => {
    const s = obj(x);
    const id = str(s.order_id);
    return { id, code: str(s.code), quantity: Math.max(0, (typeof s.item_num === 'number' ? s.item_num : 0) - (sent.get(id) ?? 0)) };
  });
}

/** The sku orders this parcel carries, each parcel line laid over the order's sku orders of the same code in turn. */
function packOf(skuOrders: SkuOrder[], lines: ShipBackParcel['lines'], platformOrderId: string): { shipped_order_id: string; shipped_num: number }[] {
  const out = new Map<string, number>();
  for (const l of lines) {
    let left = l.quantity;
    for (const s of skuOrders.filter((x) => x.code === l.sku)) {
      const take = Math.min(left, s.quantity - (out.get(s.id) ?? 0));
      if (take > 0) {
        out.set(s.id, (out.get(s.id) ?? 0) + take);
        left -= take;
      }
    }
    if (left > 0) {
      // Douyin's order says what is left: a code it has, all sent already (under other numbers), or one it lacks.
      const known = skuOrders.some((x) => x.code === l.sku);
      throw new PlatformWriteError(
        known ? 'ALREADY_SENT' : 'LINE_UNKNOWN',
        known ? `Douyin order ${platformOrderId} has no more ${JSON.stringify(l.sku)} waiting to be sent (${left} of this parcel are over)` : `Douyin order ${platformOrderId} has no line ${JSON.stringify(l.sku)}`,
        { refused: true },
      );
    }
  }
  return [...out].map(([id, n]) => ({ shipped_order_id: id, shipped_num: n }));
}

export async function shipBackDouyin(ctx: CallContext<DouyinCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const companyCode = platformCarrier(douyinCarriers, parcel.carrier, 'Douyin');
  if (!/^\d{1,30}$/.test(parcel.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `Douyin order_id ${JSON.stringify(parcel.platformOrderId)} is not a number`, { refused: true });
  const replaces = parcel.replacesTrackingNo;
  if (replaces !== undefined) return correctDouyinTracking(ctx, { ...parcel, replacesTrackingNo: replaces }, companyCode);
  const read = await douyinCall(ctx, 'order.orderDetail', { shop_order_id: parcel.platformOrderId });
  const detail = obj(obj(read.data).shop_order_detail);
  if (list(detail.logistics_info).some((l) => str(obj(l).tracking_no) === parcel.trackingNo)) return { platformRef: null, already: true, status: read.status };

  const skuOrders = skuOrdersOf(detail);
  const pack = parcel.lines.length === 0 ? null : packOf(skuOrders, parcel.lines, parcel.platformOrderId);
  const carried = new Map((pack ?? []).map((p) => [p.shipped_order_id, p.shipped_num]));
  // logisticsAdd sends the whole order: only for an order nothing of which has left, and a parcel carrying all of it.
  const whole = unsentStatuses.has(str(detail.order_status)) && (pack === null || skuOrders.every((s) => (carried.get(s.id) ?? 0) >= s.quantity));
  if (whole || pack === null) {
    const sent = await douyinCall(ctx, 'order.logisticsAdd', { order_id: parcel.platformOrderId, company_code: companyCode, logistics_code: parcel.trackingNo });
    return { platformRef: null, already: false, status: sent.status };
  }
  const sent = await douyinCall(ctx, 'order.logisticsAddMultiPack', {
    order_id: parcel.platformOrderId,
    pack_list: [{ shipped_order_info: pack, logistics_code: parcel.trackingNo, company_code: companyCode }],
    request_id: parcel.idempotencyKey,
  });
  const packId = list(obj(sent.data).pack_list).map((p) => str(obj(p).pack_id)).find(Boolean);
  return { platformRef: packId ?? null, already: false, status: sent.status };
}

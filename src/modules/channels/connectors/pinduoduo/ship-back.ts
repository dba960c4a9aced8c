// Pinduoduo ship-back (发货回传): pdd.logistics.online.send (order_sn, logistics_id from the carrier dictionary,
// tracking_number) on the PDD router, signed like the pull (MD5). The order then shows 已发货待签收 (order_status 2).
// PDD takes no idempotency key and refuses to send an order twice, so the order is read first
// (pdd.order.information.get): already sent with our tracking number is a retry after a lost answer. A later parcel
// of an order already sent goes with pdd.order.upload.extra.logistics (its number then in extra_delivery_list).
import { PlatformWriteError, platformCarrier, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { pinduoduoCarriers } from './carriers.ts';
import { pinduoduoSign, type PinduoduoCredentials } from './index.ts';
import { correctPinduoduoTracking } from './tracking-correction.ts';

const productionBase = 'https://gw-api.pinduoduo.com';
const sendType = 'pdd.logistics.online.send';
const readType = 'pdd.order.information.get';
const extraType = 'pdd.order.upload.extra.logistics';
/** extra_track_type 1 = 分包发货 (2 补发商品, 3 发放赠品). */
const splitParcel = '1';
/** order_status 2 已发货待签收, 3 已签收. */
const sentStatuses = new Set(['2', '3']);
/** 70031/70032 调用过于频繁, 52101 当前接口被限流: PDD names no duration. */
const limitCodes = new Set(['70031', '70032', '52101']);
const callLimitedBackoffMs = 10_000;
/** 50000 系统内部错误: the platform's trouble, unlike a business refusal (50001 with PDD's reason). */
const platformCodes = new Set(['50000']);

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function writeErrorFor(type: string, e: Record<string, unknown>, status: number): PlatformWriteError {
  const code = str(e.error_code) || 'UNKNOWN';
  const sub = str(e.sub_code);
  const message = `${str(e.sub_msg) || str(e.error_msg) || 'PDD error'} (${type}: ${code}${sub ? ` ${sub}` : ''})`;
  if (limitCodes.has(code)) return new PlatformWriteError(code, message, { status, retryAfterMs: callLimitedBackoffMs });
  const retryable = platformCodes.has(code) || sub.startsWith('isp.');
  return new PlatformWriteError(sub || code, message, { status, refused: !retryable });
}

/** One signed PDD call: the type's response object, or a PlatformWriteError (stock writes and listing reads use it too). */
export async function pddWrite(ctx: CallContext<PinduoduoCredentials>, type: string, responseKey: string, business: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const c = ctx.credentials;
  const params: Record<string, string> = { type, client_id: c.clientId, access_token: c.accessToken, timestamp: String(Math.floor(ctx.now() / 1000)), data_type: 'JSON', version: 'V1', ...business };
  params.sign = pinduoduoSign(params, c.clientSecret);
  const res = await sendPlatformRequest(ctx, 'Pinduoduo', `${(c.apiBase ?? productionBase).replace(/\/+$/, '')}/api/router`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    op: type,
  });
  const parsed = res.body;
  const b = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  const err = b?.error_response;
  if (err && typeof err === 'object') throw writeErrorFor(type, err as Record<string, unknown>, res.status);
  // A gateway's 5xx page, or an answer cut short: the platform's trouble, retried.
  if (!res.ok || !b) throw new PlatformWriteError(`HTTP_${res.status}`, `Pinduoduo ${type} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, { status: res.status, refused: res.ok ? false : res.status < 500 && res.status !== 429 });
  const r = b[responseKey];
  if (!r || typeof r !== 'object') throw new PlatformWriteError('BAD_RESPONSE', `Pinduoduo ${type}: no ${responseKey} in the answer`, { status: res.status });
  return { status: res.status, body: r as Record<string, unknown> };
}

export async function shipBackPinduoduo(ctx: CallContext<PinduoduoCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const logisticsId = platformCarrier(pinduoduoCarriers, parcel.carrier, 'Pinduoduo');
  if (!/^[0-9A-Za-z-]{1,64}$/.test(parcel.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `PDD order_sn ${JSON.stringify(parcel.platformOrderId)} is malformed`, { refused: true });
  const read = await pddWrite(ctx, readType, 'order_info_get_response', { order_sn: parcel.platformOrderId });
  const replaces = parcel.replacesTrackingNo;
  if (replaces !== undefined) return correctPinduoduoTracking(ctx, { ...parcel, replacesTrackingNo: replaces }, logisticsId, read);
  const info = (read.body.order_info ?? {}) as { order_status?: unknown; tracking_number?: unknown; extra_delivery_list?: unknown };
  const extras = (Array.isArray(info.extra_delivery_list) ? (info.extra_delivery_list as Record<string, unknown>[]) : []).map((x) => str(x.tracking_number));
  if (sentStatuses.has(str(info.order_status)) && (str(info.tracking_number) === parcel.trackingNo || extras.includes(parcel.trackingNo))) return { platformRef: null, already: true, status: read.status };
  if (sentStatuses.has(str(info.order_status))) {
    // The order left already with another parcel's number: this one is an extra parcel of it (分包发货). PDD shows
    // extra numbers to the buyer only; the order's own number stays the first one.
    const extra = await pddWrite(ctx, extraType, 'upload_extra_logistics_response', {
      order_sn: parcel.platformOrderId,
      extra_track_list: JSON.stringify([{ shipping_id: logisticsId, tracking_number: parcel.trackingNo }]),
      extra_track_type: splitParcel,
    });
    if (extra.body.success !== true && extra.body.success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `Pinduoduo ${extraType} did not answer success`, { status: extra.status });
    return { platformRef: null, already: false, status: extra.status };
  }
  const sent = await pddWrite(ctx, sendType, 'logistics_online_send_response', { order_sn: parcel.platformOrderId, logistics_id: String(logisticsId), tracking_number: parcel.trackingNo });
  if (sent.body.is_success !== true && sent.body.is_success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `Pinduoduo ${sendType} did not answer is_success`, { status: sent.status });
  return { platformRef: null, already: false, status: sent.status };
}

// Douyin e-waybills (抖店电子面单): /logistics/newCreateOrder and /logistics/cancelOrder on Douyin's open API, signed like
// every Douyin call (the channel connector's douyinCall: sign over app_key, method, param_json, timestamp, v with the
// app secret, hmac-sha256 or md5). The receiver goes as Douyin gave it — the order's encrypt_post_receiver /
// encrypt_post_tel / encrypt_detail ciphertexts ("剩余详细地址，支持密文") — so the hub never decrypts it. Only
// translates: the waybill service decides when to call.
//
// Fields from Douyin's Go SDK (zsmhub/doudian-sdk api/logistics_newCreateOrder, api/logistics_cancelOrder):
// sender_info{address{province_name, city_name, district_name, detail_address}, contact{name, mobile}},
// logistics_code, order_infos[{order_id, pack_id, receiver_info{address, contact}, items[{item_name, item_count}],
// combine_orders}]; the answer's data.ebill_infos[{order_id, pack_id, track_no, sort_code, short_address_name, …}] and
// data.err_infos[{order_id, pack_id, err_code, err_msg}]; cancelOrder {logistics_code, track_no} →
// data.cancel_result.success.
//
// Not confirmed (nothing read says it): that asking again with the same order_id + pack_id answers the same track_no
// (the hub's idempotency rests on it, as on Cainiao's object_id: the simulator does so); which err_codes are Douyin's
// trouble rather than the request's (read here from the message: 系统/繁忙/超时 retried, the rest refused); whether
// 加盟 carriers need net_info{category, net_code} for a seller on a network site (not sent: the shop's default site);
// the ciphertext shapes (#…# for text, $…$ for the phone, as the order pull receives them).
import { douyin } from '../../channels/connectors/douyin/index.ts';
import type { DouyinCredentials } from '../../channels/connectors/douyin/index.ts';
import { douyinCall } from '../../channels/connectors/douyin/write.ts';
import { codeFor, douyinWaybillCarriers } from './carriers.ts';
import { isRecord, PlatformWriteError, str, type IssuedWaybill, type WaybillClient, type WaybillRequest } from './types.ts';

const createMethod = 'logistics.newCreateOrder';
const cancelMethod = 'logistics.cancelOrder';

/** Douyin's ciphertexts as the order pull receives them: text wrapped in # (address, name) or $ (phone). */
const looksEncrypted = (v: string) => /^#.+#$/s.test(v) || /^\$.+\$$/s.test(v);

/**
 * pack_id takes digits, letters and underscores only. The hub's object ids are shipment ids (DP-20261207-3677D93E35-1:
 * letters, digits and '-', with a '-N' suffix for a parcel's later numbers), never '_', so '-' → '_' keeps one pack_id
 * per object id.
 */
export const douyinPackId = (objectId: string): string => objectId.replace(/[^0-9A-Za-z_]/g, '_');

function carrierOf(carrier: string): string {
  const code = codeFor(douyinWaybillCarriers, carrier);
  if (!code) throw new PlatformWriteError('CARRIER_UNKNOWN', `Douyin has no logistics_code for carrier ${JSON.stringify(carrier)}`, { refused: true });
  return code;
}

/** A per-order error of the batch answer: Douyin's own trouble is retried, the request's is refused with its reason. */
function orderError(e: Record<string, unknown>, status: number): PlatformWriteError {
  const code = str(e.err_code) || 'NOT_ISSUED';
  const reason = str(e.err_msg) || 'Douyin issued no waybill';
  return new PlatformWriteError(code, `${reason} (${createMethod}: ${code})`, { status, refused: !/系统|繁忙|超时|稍后|system|busy|timeout/i.test(reason) });
}

export const douyinWaybills: WaybillClient<DouyinCredentials> = {
  network: 'douyin',
  label: 'Douyin',
  credentialProblems: (v) => (isRecord(v) ? douyin.credentialProblems(v) : ['credentials must be an object']),
  carrierCode: (carrier) => codeFor(douyinWaybillCarriers, carrier),

  async issue(ctx, req: WaybillRequest): Promise<IssuedWaybill> {
    const logisticsCode = carrierOf(req.carrier);
    const orders = req.orders.filter((o) => o.channel === 'douyin');
    const first = orders[0];
    if (!first) throw new PlatformWriteError('ORDER_CHANNEL', 'a Douyin waybill is for Douyin orders', { refused: true });
    const r = req.receiver;
    if (![r.name, r.phone, r.address].every(looksEncrypted)) {
      throw new PlatformWriteError('RECEIVER_CIPHERTEXT_MISSING', 'a Douyin waybill needs the order’s receiver as Douyin encrypts it (the hub does not decrypt it): pull the order again', { refused: true });
    }
    const packId = douyinPackId(req.objectId);
    const params = {
      logistics_code: logisticsCode,
      sender_info: {
        address: { country_code: 'CHN', province_name: req.sender.province, city_name: req.sender.city, district_name: req.sender.district, detail_address: req.sender.address },
        contact: { name: req.sender.name, mobile: req.sender.phone },
      },
      order_infos: [
        {
          order_id: first.platformOrderId,
          pack_id: packId,
          // A merged parcel (合单): one order id is enough, the others ride along.
          ...(orders.length > 1 ? { combine_orders: orders.slice(1).map((o) => o.platformOrderId) } : {}),
          receiver_info: {
            address: { country_code: 'CHN', province_name: r.province, city_name: r.city, district_name: r.district, detail_address: r.address },
            contact: { name: r.name, mobile: r.phone },
          },
          items: req.items.map((i) => ({ item_name: i.name.slice(0, 100), item_count: i.count })),
        },
      ],
    };
    const res = await douyinCall(ctx, createMethod, params);
    const data = isRecord(res.data) ? res.data : {};
    const mine = (list: unknown) => (Array.isArray(list) ? list.filter(isRecord) : []).find((x) => str(x.pack_id) === packId || (!str(x.pack_id) && str(x.order_id) === first.platformOrderId));
    const bill = mine(data.ebill_infos);
    const trackNo = str(bill?.track_no);
    if (!trackNo) {
      const err = mine(data.err_infos);
      if (err) throw orderError(err, res.status);
      throw new PlatformWriteError('BAD_RESPONSE', `Douyin ${createMethod} answered no track_no for pack ${packId}`, { status: res.status });
    }
    // 大头笔 (short_address_name) and 三段码 (sort_code) are what a sorting centre reads off the label.
    const sortCode = [str(bill?.short_address_name), str(bill?.sort_code)].filter(Boolean).join(' ') || undefined;
    return { waybillNo: trackNo, print: { sortCode, raw: JSON.stringify(bill) }, status: res.status };
  },

  async cancel(ctx, w) {
    const res = await douyinCall(ctx, cancelMethod, { logistics_code: carrierOf(w.carrier), track_no: w.waybillNo });
    const result = isRecord(res.data) && isRecord(res.data.cancel_result) ? res.data.cancel_result : {};
    if (result.success !== true) throw new PlatformWriteError('NOT_SUCCESS', `Douyin ${cancelMethod} did not answer cancel_result.success`, { status: res.status });
    return { status: res.status };
  },
};

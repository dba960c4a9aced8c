// Douyin's e-waybill service (抖店电子面单) as openapi-fxg.jinritemai.com answers it: POST /logistics/newCreateOrder and
// /logistics/cancelOrder with the system parameters in the query and param_json as the body, the sign checked the way
// Douyin checks it (app_secret + "app_key"… "method"… "param_json"… "timestamp"… "v"… + app_secret, MD5 or
// HMAC-SHA256 keyed by the secret, lower-case hex), then the timestamp window and the access_token; every answer an HTTP
// 200 with {code, msg, sub_code, sub_msg, log_id, data} (10000 is success). A Douyin order's receiver must come as
// Douyin's ciphertexts; a number is issued per (logistics_code, order_id, pack_id) and issued again for the same
// (the hub's idempotency), a per-order failure comes back in data.err_infos. Written apart from the hub's client.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { issuer, obj, type Obj, type WaybillSimulator } from './waybills.ts';
import type { SimRequest, SimResponse, SimulatorFactory, SimulatorOptions } from './types.ts';

const SKEW_MS = 10 * 60_000;
/** Douyin's company codes this simulated shop has e-waybill contracts with, and their numbers' prefixes. */
const prefixes: Readonly<Record<string, string>> = { zhongtong: '7', yuantong: 'YT', shentong: '77', yunda: '43', shunfeng: 'SF', ems: '11', jtexpress: 'JT' };
const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const isCipher = (v: string) => /^#.+#$/s.test(v) || /^\$.+\$$/s.test(v);

export function createDouyinWaybillSimulator(opts: SimulatorOptions): WaybillSimulator {
  const seed = opts.seed ?? 'douyin-waybill';
  const core = issuer(`douyin:${seed}`, Object.keys(prefixes), prefixes);
  const appKey = String(7_000_000_000_000_000_000n + (BigInt(`0x${core.h.slice(0, 15)}`) % 999_999_999_999_999_999n));
  const appSecret = `${core.h.slice(16, 24)}-${core.h.slice(24, 28)}-${core.h.slice(28, 32)}-${core.h.slice(32, 36)}-${core.h.slice(36, 48)}`;
  const accessToken = `${core.h.slice(48, 56)}-${createHash('sha256').update(`token:${core.h}`).digest('hex').slice(0, 24)}`;
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;
  let logSeq = 0;
  const logId = () => `2026${String(++logSeq).padStart(6, '0')}${core.h.slice(0, 12).toUpperCase()}`;
  const answer = (code: number, data: unknown, msg = 'success', subCode = '', subMsg = ''): SimResponse => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, data, log_id: logId(), msg, sub_code: subCode, sub_msg: subMsg }),
  });
  const invalid = (subCode: string, subMsg: string) => answer(40003, {}, '非法的参数（平台校验）', subCode, subMsg);
  const business = (subMsg: string) => answer(40004, {}, '非法的参数（业务校验）', 'isv.business-failed', subMsg);

  function address(a: Obj): Obj {
    return { province: text(a.province_name), city: text(a.city_name), district: text(a.district_name), detail: text(a.detail_address) };
  }

  function create(p: Obj): SimResponse {
    const code = text(p.logistics_code);
    if (!core.known(code)) return business('物流服务商编码不正确或未开通电子面单');
    const sender = obj(p.sender_info);
    const sc = obj(sender.contact);
    const sa = obj(sender.address);
    if (!text(sc.name) || (!text(sc.mobile) && !text(sc.phone)) || !text(sa.province_name) || !text(sa.detail_address)) return business('sender_info 寄件人信息不完整');
    const infos = Array.isArray(p.order_infos) ? p.order_infos.map(obj) : [];
    if (!infos.length) return business('order_infos 不能为空');
    for (const o of infos) {
      if (!text(o.order_id)) return business('order_id 不能为空');
      if (text(o.pack_id) && !/^\w+$/.test(text(o.pack_id))) return business('pack_id 只能包含数字、字母和下划线');
      const items = Array.isArray(o.items) ? o.items.map(obj) : [];
      if (!items.length || items.some((i) => !text(i.item_name) || typeof i.item_count !== 'number')) return business('items 商品明细不完整');
    }
    const f = core.takeFailure();
    const ebills: Obj[] = [];
    const errs: Obj[] = [];
    for (const o of infos) {
      const r = obj(o.receiver_info);
      const c = obj(r.contact);
      const a = obj(r.address);
      // 抖音订单取号须使用密文: the order's encrypted name, phone and address as the order API gave them.
      if (![text(c.name), text(c.mobile), text(a.detail_address)].every(isCipher)) {
        errs.push({ order_id: text(o.order_id), pack_id: text(o.pack_id), err_code: '2000005', err_msg: '抖音订单请使用密文收件人信息取号' });
        continue;
      }
      if (f && !f.applied) {
        errs.push({ order_id: text(o.order_id), pack_id: text(o.pack_id), err_code: f.code ?? '2000003', err_msg: f.message ?? '电子面单余额不足' });
        continue;
      }
      const w = core.issue(code, { object_id: text(o.pack_id) || text(o.order_id), order_info: { trade_order_list: [text(o.order_id), ...(Array.isArray(o.combine_orders) ? o.combine_orders.map(text) : [])] }, recipient: { name: text(c.name), mobile: text(c.mobile), address: address(a) } }, `${text(o.order_id)}:${text(o.pack_id)}`);
      const printed = obj(JSON.parse(core.printData(w)));
      const routing = obj(obj(printed.data).routingInfo);
      const city = text(a.city_name).replace(/市$/, '');
      ebills.push({ company: code, order_id: text(o.order_id), pack_id: text(o.pack_id), track_no: w.waybillNo, sort_code: text(routing.routeCode), short_address_name: city, short_address_code: text(routing.routeCode).slice(0, 3), package_center_name: `${city}转运中心`, package_center_code: '571' });
    }
    if (f?.applied) return f.code?.startsWith('isp.') ? answer(20000, {}, '服务不可用', f.code, '服务超时，请稍后重试') : { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return answer(10000, { ebill_infos: ebills, err_infos: errs });
  }

  function cancel(p: Obj): SimResponse {
    const code = text(p.logistics_code);
    const no = text(p.track_no);
    if (!code || !no) return business('logistics_code、track_no 必填');
    if (!core.cancel(code, no)) return business('运单号不存在');
    return answer(10000, { cancel_result: { success: true } });
  }

  function signOf(method: string, pattern: string): Buffer | null {
    if (method === 'md5') return createHash('md5').update(pattern, 'utf8').digest();
    if (method === 'hmac-sha256') return createHmac('sha256', appSecret).update(pattern, 'utf8').digest();
    return null;
  }

  return {
    platform: 'douyin-waybill',
    credentials: { appKey, appSecret, accessToken, signMethod: 'hmac-sha256', apiBase: opts.apiBase },
    stats,
    record: () => [],
    throttleNext(n) {
      throttle = n;
    },
    failNextWrite(f) {
      core.setFailure(f);
    },
    issued: () => core.list.map((w) => ({ ...w })),
    handle(req: SimRequest): SimResponse {
      stats.calls++;
      const q = req.query;
      const method = q.get('method') ?? '';
      if (req.method !== 'POST' || !['logistics.newCreateOrder', 'logistics.cancelOrder'].includes(method) || req.path !== `/${method.replaceAll('.', '/')}`) {
        return answer(70000, {}, '接口服务已下线', 'isp.api-service-off', 'API不存在或API已下线');
      }
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return answer(60000, {}, '触发限流，请稍后重试', 'isp.flow-limit', '请求过于频繁');
      }
      const sign = q.get('sign') ?? '';
      if (!sign) return answer(40001, {}, '缺少必选参数（平台校验）', 'isv.signature-missing', '获取签名失败');
      if (q.get('app_key') !== appKey) return answer(40001, {}, '缺少必选参数（平台校验）', 'isv.app-id-missing', '认证失败，app_key不存在');
      if (q.get('v') !== '2') return invalid('isv.parameter-format-invalid', 'v 必须为 2');
      const timestamp = q.get('timestamp') ?? '';
      const paramJson = req.body.toString('utf8');
      const pattern = `${appSecret}app_key${appKey}method${method}param_json${paramJson}timestamp${timestamp}v2${appSecret}`;
      const expected = signOf((q.get('sign_method') ?? 'md5').toLowerCase(), pattern);
      const given = /^[0-9a-f]+$/i.test(sign) ? Buffer.from(sign, 'hex') : Buffer.alloc(0);
      if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        stats.refusedSignature++;
        return invalid('isv.signature-invalid', '签名校验失败');
      }
      if (!/^\d{9,11}$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp) * 1000) > SKEW_MS) return invalid('isv.timestamp-invalid', '时间戳不合法');
      if (q.get('access_token') !== accessToken) return invalid('isv.access-token-no-existed', 'access_token不存在，请使用最新的access_token访问');
      let p: Obj;
      try {
        const parsed: unknown = JSON.parse(paramJson);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        p = parsed as Obj;
      } catch {
        return invalid('isv.parameter-format-invalid', '业务参数json解析失败');
      }
      return method === 'logistics.newCreateOrder' ? create(p) : cancel(p);
    },
  };
}

export const douyinWaybillSimulator: SimulatorFactory = (opts) => createDouyinWaybillSimulator(opts);

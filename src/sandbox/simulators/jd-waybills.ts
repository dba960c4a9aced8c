// JD's 无界电子面单 on the JOS router (api.jd.com/routerjson) as JD answers it: jingdong.ldop.alpha.waybill.receive
// (one `content` JSON text in 360buy_param_json), jingdong.ldop.alpha.vendor.bigshot.query (大头笔, 三段码) and
// jingdong.ldop.alpha.waybill.api.unbind (the number given back). The gateway checks first, as JOS does: app_key (20/21),
// method (14/15), v (4/5), the 'yyyy-MM-dd HH:mm:ss' GMT+8 timestamp within 6 minutes (7/8), the MD5 sign over every
// parameter but sign, sorted, wrapped in the secret, upper-case hex (11/12), access_token (18/19), the call limit (2);
// then the method answers in `<method>_responce`.resultInfo {statusCode (0 = success), statusMessage, data}. A number is
// issued per (providerCode, vendorCode, vendorOrderCode) and issued again for the same; a JD order's receiver must come
// as JD's ciphertexts or its oaid, never in clear. Written apart from the hub's client (nothing imported from it).
import { createHash, timingSafeEqual } from 'node:crypto';
import { issuer, obj, type Obj, type WaybillSimulator } from './waybills.ts';
import type { SimRequest, SimResponse, SimulatorFactory, SimulatorOptions } from './types.ts';

const SKEW_MS = 6 * 60_000;
const RECEIVE = 'jingdong.ldop.alpha.waybill.receive';
const BIGSHOT = 'jingdong.ldop.alpha.vendor.bigshot.query';
const UNBIND = 'jingdong.ldop.alpha.waybill.api.unbind';
const gateway: Readonly<Record<string, [string, string]>> = {
  '2': ['限制时间内调用失败次数', 'App Call Limited'],
  '4': ['缺少版本参数', 'Missing Version'],
  '5': ['不支持的版本号', 'Unsupported Version'],
  '7': ['缺少时间戳参数', 'Missing Timestamp'],
  '8': ['非法的时间戳参数', 'Invalid Timestamp'],
  '11': ['缺少签名参数', 'Missing Signature'],
  '12': ['无效签名', 'Invalid Signature'],
  '14': ['缺少方法名参数', 'Missing Method'],
  '15': ['不存在的方法名', 'Invalid Method'],
  '18': ['缺少access_token参数', 'Missing access_token'],
  '19': ['无效access_token', 'Invalid access_token'],
  '20': ['缺少app_key参数', 'Missing app_key'],
  '21': ['无效app_key', 'Invalid app_key'],
};
const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** JD's TDE ciphertext: base64 (or ~…~ wrapped). */
const isCipher = (v: string) => /^[A-Za-z0-9+/]{24,}={0,2}$/.test(v) || /^~[A-Za-z0-9+/=]{8,}~/.test(v);

function beijingMs(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - 8 * 3_600_000 : null;
}

export function createJdWaybillSimulator(opts: SimulatorOptions): WaybillSimulator {
  const seed = opts.seed ?? 'jd-waybill';
  const core = issuer(`jd:${seed}`, ['ZTO', 'YTO', 'STO', 'YUNDA', 'SF', 'EMS']);
  const appKey = core.h.slice(0, 32).toUpperCase();
  const appSecret = core.h.slice(32, 64);
  const accessToken = createHash('sha256').update(`token:${core.h}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
  const vendorCode = String(10_000 + (parseInt(core.h.slice(0, 6), 16) % 900_000));
  const branchCode = `571${core.h.slice(6, 9).toUpperCase()}`;
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;
  const routes = new Map<string, { city: string; code: string }>();

  const json = (body: unknown): SimResponse => ({ status: 200, headers: { 'content-type': 'application/json;charset=utf-8' }, body: JSON.stringify(body) });
  const gatewayError = (code: string) => json({ error_response: { code, zh_desc: gateway[code]?.[0] ?? '', en_desc: gateway[code]?.[1] ?? '' } });
  const result = (method: string, statusCode: number, statusMessage: string, data?: unknown) =>
    json({ [`${method.replaceAll('.', '_')}_responce`]: { code: '0', resultInfo: { statusCode, statusMessage, ...(data === undefined ? {} : { data }) } } });

  function receive(business: Obj): SimResponse {
    const no = (m: string, code = 1) => result(RECEIVE, code, m);
    let c: Obj;
    try {
      c = obj(JSON.parse(text(business.content)));
    } catch {
      return no('content 不是合法的JSON');
    }
    if (text(c.vendorCode) !== vendorCode) return no('商家编码不存在或未授权');
    const provider = text(c.providerCode);
    if (!core.known(provider)) return no('承运商编码不正确或未签约');
    if (!text(c.branchCode) && !text(c.settlementCode)) return no('网点编码或结算编码不能为空');
    if (text(c.branchCode) && text(c.branchCode) !== branchCode) return no('网点编码与签约信息不符');
    const vendorOrderCode = text(c.vendorOrderCode);
    if (!vendorOrderCode || !text(c.platformOrderNo)) return no('商家订单号、平台订单号不能为空');
    const from = obj(c.fromAddress);
    if (!text(from.provinceName) || !text(from.address) || !text(from.contact) || (!text(from.mobile) && !text(from.phone))) return no('寄件人信息不完整');
    const to = obj(c.toAddress);
    // 京东订单: the receiver as JD encrypted it, or its oaid; an address in clear is refused.
    if (text(c.salePlatform) === '0010001' && !text(to.oaid) && !(isCipher(text(to.contact)) && isCipher(text(to.address)))) return no('京东订单请使用密文或oaid取号');
    const f = core.takeFailure();
    if (f && !f.applied) return no(f.message ?? '面单余额不足', Number(f.code ?? 130));
    const w = core.issue(provider, { object_id: vendorOrderCode, order_info: { trade_order_list: [text(c.platformOrderNo)] }, recipient: { name: text(to.contact), mobile: text(to.mobile), address: { province: text(to.provinceName), city: text(to.cityName), district: text(to.countryName), detail: text(to.address) } } }, `${vendorCode}:${vendorOrderCode}`);
    const routing = obj(obj(obj(JSON.parse(core.printData(w))).data).routingInfo);
    routes.set(`${provider}:${w.waybillNo}`, { city: text(to.cityName).replace(/市$/, ''), code: text(routing.routeCode) });
    if (f) return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return result(RECEIVE, 0, '成功', { platformOrderNo: text(c.platformOrderNo), waybillCodeList: [w.waybillNo] });
  }

  function bigshot(business: Obj): SimResponse {
    const r = routes.get(`${text(business.providerCode)}:${text(business.waybillCode)}`);
    if (!r) return result(BIGSHOT, 1, '运单号不存在');
    const [second, third] = r.code.split('-');
    return result(BIGSHOT, 0, '成功', [{ waybillCode: text(business.waybillCode), bigShotName: r.city, bigShotCode: r.code.slice(0, 3), secondSectionCode: second, thirdSectionCode: third, gatherCenterName: `${r.city}集包中心`, gatherCenterCode: '571' }]);
  }

  function unbind(business: Obj): SimResponse {
    if (!text(business.waybillCode) || (!text(business.providerCode) && !text(business.providerId))) return result(UNBIND, 1, '运单号、承运商编码不能为空');
    if (!core.cancel(text(business.providerCode), text(business.waybillCode))) return result(UNBIND, 1, '运单号不存在');
    return result(UNBIND, 0, '解绑成功');
  }

  function checkGateway(p: URLSearchParams): SimResponse | null {
    const get = (k: string) => p.get(k) ?? '';
    if (!get('app_key')) return gatewayError('20');
    if (get('app_key') !== appKey) return gatewayError('21');
    if (!get('method')) return gatewayError('14');
    if (!get('v')) return gatewayError('4');
    if (get('v') !== '2.0') return gatewayError('5');
    if (!get('timestamp')) return gatewayError('7');
    const ts = beijingMs(get('timestamp'));
    if (ts === null || Math.abs(Date.now() - ts) > SKEW_MS) return gatewayError('8');
    const given = get('sign');
    if (!given) {
      stats.refusedSignature++;
      return gatewayError('11');
    }
    let plain = appSecret;
    for (const k of [...new Set(p.keys())].filter((k) => k !== 'sign').sort()) if (get(k) !== '') plain += k + get(k);
    plain += appSecret;
    const want = Buffer.from(createHash('md5').update(plain, 'utf8').digest('hex').toUpperCase());
    const got = Buffer.from(given);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      stats.refusedSignature++;
      return gatewayError('12');
    }
    if (!get('access_token')) return gatewayError('18');
    if (get('access_token') !== accessToken) return gatewayError('19');
    if (throttle > 0) {
      throttle--;
      stats.throttled++;
      return gatewayError('2');
    }
    if (![RECEIVE, BIGSHOT, UNBIND].includes(get('method'))) return gatewayError('15');
    return null;
  }

  return {
    platform: 'jd-waybill',
    credentials: { appKey, appSecret, accessToken, vendorCode, branchCode, apiBase: opts.apiBase },
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
      if (req.path !== '/routerjson') return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' };
      stats.calls++;
      const p = new URLSearchParams(req.query);
      if (req.method === 'POST' && req.body.length && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) p.append(k, v);
      }
      const refused = checkGateway(p);
      if (refused) return refused;
      let business: Obj;
      try {
        business = obj(JSON.parse(p.get('360buy_param_json') ?? '{}'));
      } catch {
        return result(p.get('method') ?? '', 1, '360buy_param_json 不是合法的JSON');
      }
      const method = p.get('method');
      return method === RECEIVE ? receive(business) : method === BIGSHOT ? bigshot(business) : unbind(business);
    },
  };
}

export const jdWaybillSimulator: SimulatorFactory = (opts) => createJdWaybillSimulator(opts);

// Carrier networks' e-waybill services (电子面单) as the platforms run them: Cainiao's cainiao.waybill.ii.get / cancel
// on a TOP router (/router/rest, form-encoded, TOP's sign and timestamp checked) and PDD's pdd.waybill.get / cancel on
// a PDD router (/api/router, JSON body, PDD's sign checked). A number is issued per object_id and issued again for the
// same object_id (the networks' idempotency); a Taobao order's recipient must come as oaid + tid, never as an address
// in clear; print_data carries the masked recipient and a sort code. Written apart from the hub's clients (nothing
// imported), so a test of one against the other can fail.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { PlatformSimulator, SimRequest, SimResponse, SimulatorFactory, SimulatorOptions } from './types.ts';

const BEIJING = 8 * 3_600_000;
const SKEW_MS = 10 * 60_000;

export interface IssuedSimWaybill {
  objectId: string;
  code: string;
  waybillNo: string;
  tradeOrders: string[];
  recipient: Record<string, unknown>;
  cancelled: boolean;
}

/** A waybill network simulator: what it issued, besides the usual simulator's face (record() pushes nothing). */
export interface WaybillSimulator extends PlatformSimulator {
  /** Every number issued, oldest first (a re-issue for the same object id is not a new one). */
  issued(): IssuedSimWaybill[];
}

/** Numbers per carrier, shaped like the carriers' own (prefix, then digits). */
const numberPrefix: Readonly<Record<string, string>> = { ZTO: '7', YTO: 'YT', STO: '77', YUNDA: '43', SF: 'SF', EMS: '11', POSTB: '98', HTKY: 'JT', JTSD: 'JT' };

const maskName = (n: string) => (n.includes('*') || n.startsWith('~') ? n : n ? `${[...n][0]}**` : '');

function beijingToMs(s: string | undefined): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s ?? '');
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - BEIJING;
}

function topSignature(p: Map<string, string>, secret: string, method: string): string | null {
  let s = '';
  for (const k of [...p.keys()].filter((k) => k !== 'sign').sort()) {
    const v = p.get(k) ?? '';
    if (v !== '') s += k + v;
  }
  if (method === 'md5') return createHash('md5').update(secret + s + secret, 'utf8').digest('hex').toUpperCase();
  if (method === 'hmac') return createHmac('md5', secret).update(s, 'utf8').digest('hex').toUpperCase();
  if (method === 'hmac-sha256') return createHmac('sha256', secret).update(s, 'utf8').digest('hex').toUpperCase();
  return null;
}

function pddSignature(p: Map<string, string>, secret: string): string {
  const s = [...p.keys()]
    .filter((k) => k !== 'sign')
    .sort()
    .map((k) => k + (p.get(k) ?? ''))
    .join('');
  return createHash('md5').update(secret + s + secret, 'utf8').digest('hex').toUpperCase();
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/**
 * The issuing core the networks share (Douyin's and JD's in their own files): numbers per (code, object id — or the
 * network's own request key), the print data, cancels, lost answers. `prefixOf` names a network's codes by the
 * carriers' number prefixes when its codes are not the carriers' (Douyin's pinyin).
 */
export function issuer(seed: string, codes: readonly string[], prefixOf: Readonly<Record<string, string>> = numberPrefix) {
  const h = createHash('sha256').update(`waybill-sim:${seed}`).digest('hex');
  const byObject = new Map<string, IssuedSimWaybill>();
  const list: IssuedSimWaybill[] = [];
  let serial = parseInt(h.slice(0, 6), 16) % 100_000;
  let failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;
  return {
    h,
    known: (code: string) => codes.includes(code),
    takeFailure() {
      const f = failWrite;
      failWrite = null;
      return f;
    },
    setFailure(f: typeof failWrite) {
      failWrite = f;
    },
    issue(code: string, dto: Obj, requestKey?: string): IssuedSimWaybill {
      const objectId = s(dto.object_id);
      const key = `${code}:${requestKey ?? objectId}`;
      const prior = byObject.get(key);
      if (prior) return prior;
      serial++;
      const digits = `${Date.now()}`.slice(-6) + String(serial).padStart(6, '0');
      const w: IssuedSimWaybill = { objectId, code, waybillNo: `${prefixOf[code] ?? code}${digits}`, tradeOrders: ((obj(dto.order_info).trade_order_list as unknown[]) ?? []).map(s), recipient: obj(dto.recipient), cancelled: false };
      byObject.set(key, w);
      list.push(w);
      return w;
    },
    printData(w: IssuedSimWaybill): string {
      const r = w.recipient;
      const a = obj(r.address);
      const city = s(a.city);
      // 大头笔: the destination's sorting name and a route code, as the networks print them.
      const route = `${createHash('md5').update(`${city}:${w.code}`).digest('hex').slice(0, 3).toUpperCase()}-${String(city.length * 7).padStart(2, '0')}`;
      return JSON.stringify({
        encryptedData: createHash('sha256').update(w.waybillNo).digest('base64'),
        signature: createHash('md5').update(`${w.waybillNo}:${h}`).digest('hex'),
        templateURL: 'http://cloudprint.example/template/standard',
        data: {
          waybillCode: w.waybillNo,
          recipient: { name: maskName(s(r.name)), mobile: s(r.mobile).startsWith('~') ? '' : s(r.mobile), address: { province: s(a.province), city, district: s(a.district), detail: s(a.detail).startsWith('~') ? '' : s(a.detail) } },
          routingInfo: { sortation: { name: `${city.replace(/市$/, '')} ${route}` }, routeCode: route },
        },
      });
    },
    cancel(code: string, waybillNo: string): boolean {
      const w = list.find((x) => x.code === code && x.waybillNo === waybillNo);
      if (!w) return false;
      w.cancelled = true;
      return true;
    },
    list,
  };
}

/** Cainiao's e-waybill on the TOP router (Taobao/Tmall orders). */
export function createCainiaoWaybillSimulator(opts: SimulatorOptions): WaybillSimulator {
  const seed = opts.seed ?? 'cainiao';
  const core = issuer(`cainiao:${seed}`, ['ZTO', 'YTO', 'STO', 'YUNDA', 'SF', 'EMS', 'POSTB', 'HTKY']);
  const appKey = String(30_000_000 + (parseInt(core.h.slice(0, 6), 16) % 9_000_000));
  const appSecret = core.h.slice(8, 40);
  const session = `6200${core.h.slice(40, 64)}`;
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;
  let requestNo = 0;
  const answer = (body: unknown, status = 200): SimResponse => ({ status, headers: { 'content-type': 'application/json;charset=UTF-8' }, body: JSON.stringify(body) });
  const error = (code: number, msg: string, subCode?: string, subMsg?: string) =>
    answer({ error_response: { code, msg, ...(subCode ? { sub_code: subCode } : {}), ...(subMsg ? { sub_msg: subMsg } : {}), request_id: `cn${++requestNo}` } });

  function get(p: Map<string, string>): SimResponse {
    let req: Obj;
    try {
      req = obj(JSON.parse(p.get('param_waybill_cloud_print_apply_new_request') ?? ''));
    } catch {
      return error(40, 'Missing required arguments:param_waybill_cloud_print_apply_new_request', 'isv.missing-parameter');
    }
    const code = s(req.cp_code);
    if (!core.known(code)) return error(15, 'Remote service error', 'isv.cp-code-invalid', '物流公司编码不正确或未开通电子面单');
    const dtos = Array.isArray(req.trade_order_info_dtos) ? req.trade_order_info_dtos.map(obj) : [];
    if (!dtos.length) return error(41, 'Invalid arguments:trade_order_info_dtos', 'isv.invalid-parameter');
    for (const d of dtos) {
      if (!s(d.object_id)) return error(41, 'Invalid arguments:object_id', 'isv.invalid-parameter', 'object_id不能为空');
      const r = obj(d.recipient);
      // 淘系订单使用oaid: a Taobao order's recipient is resolved by Cainiao from oaid + tid.
      if (s(obj(d.order_info).order_channels_type) === 'TB' && (!s(r.oaid) || !s(r.tid))) return error(15, 'Remote service error', 'isv.oaid-required', '淘系订单请使用oaid取号');
    }
    const f = core.takeFailure();
    if (f && !f.applied) return error(15, 'Remote service error', f.code ?? 'isv.waybill-get-error', f.message ?? '面单余额不足');
    const issued = dtos.map((d) => core.issue(code, d));
    if (f) return f.code?.startsWith('isp.') ? error(15, 'Remote service error', f.code, '服务超时') : { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body>502 Bad Gateway</body></html>' };
    return answer({
      cainiao_waybill_ii_get_response: {
        modules: { waybill_cloud_print_response: issued.map((w) => ({ object_id: w.objectId, waybill_code: w.waybillNo, print_data: core.printData(w) })) },
        request_id: `cn${++requestNo}`,
      },
    });
  }

  function cancel(p: Map<string, string>): SimResponse {
    const code = p.get('cp_code') ?? '';
    const no = p.get('waybill_code') ?? '';
    if (!core.cancel(code, no)) return error(15, 'Remote service error', 'isv.waybill-not-exist', '面单号不存在');
    return answer({ cainiao_waybill_ii_cancel_response: { cancel_result: true, request_id: `cn${++requestNo}` } });
  }

  return {
    platform: 'cainiao',
    credentials: { appKey, appSecret, session, signMethod: 'md5', apiBase: opts.apiBase },
    stats,
    record: () => [],
    throttleNext(n) {
      throttle = n;
    },
    failNextWrite(f) {
      core.setFailure(f);
    },
    issued: () => core.list.map((w) => ({ ...w })),
    handle(req: SimRequest) {
      if (req.path !== '/router/rest') return { status: 404, body: '' };
      stats.calls++;
      const p = new Map<string, string>(req.query);
      if (req.body.length && String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) p.set(k, v);
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return error(7, 'App Call Limited', 'accesscontrol.limited-by-app-access-count', 'This ban will last for 1 more seconds');
      }
      if (p.get('app_key') !== appKey) return error(29, 'Invalid app Key');
      const ts = beijingToMs(p.get('timestamp'));
      if (ts === null || Math.abs(Date.now() - ts) > SKEW_MS) return error(31, 'Invalid timestamp');
      const expected = topSignature(p, appSecret, p.get('sign_method') ?? 'md5');
      if (expected === null) return error(41, 'Invalid arguments:sign_method');
      if (!same(p.get('sign') ?? '', expected)) {
        stats.refusedSignature++;
        return error(25, 'Invalid signature');
      }
      if (p.get('session') !== session) return error(27, 'Invalid session', 'invalid-sessionkey');
      if (p.get('method') === 'cainiao.waybill.ii.get') return get(p);
      if (p.get('method') === 'cainiao.waybill.ii.cancel') return cancel(p);
      return error(22, 'Invalid method');
    },
  };
}

/** PDD's e-waybill on the PDD router (PDD orders). */
export function createPddWaybillSimulator(opts: SimulatorOptions): WaybillSimulator {
  const seed = opts.seed ?? 'pdd-waybill';
  const core = issuer(`pdd:${seed}`, ['ZTO', 'YTO', 'STO', 'YUNDA', 'SF', 'EMS', 'JTSD']);
  const clientId = core.h.slice(0, 32);
  const clientSecret = core.h.slice(32, 64);
  const accessToken = createHash('sha256').update(`token:${core.h}`).digest('hex').slice(0, 40);
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;
  let requestNo = 0;
  const answer = (body: unknown, status = 200): SimResponse => ({ status, headers: { 'content-type': 'application/json;charset=UTF-8' }, body: JSON.stringify(body) });
  const error = (code: number, msg: string, subCode?: string, subMsg?: string) => answer({ error_response: { error_msg: msg, sub_msg: subMsg ?? '', sub_code: subCode ?? null, error_code: code, request_id: `pw${++requestNo}` } });

  function get(p: Map<string, string>): SimResponse {
    let req: Obj;
    try {
      req = obj(JSON.parse(p.get('param_waybill_apply_new_request') ?? ''));
    } catch {
      return error(20007, '缺少必填请求参数', 'isv.missing-parameter:param_waybill_apply_new_request');
    }
    const code = s(req.wp_code);
    if (!core.known(code)) return error(50001, '业务错误', 'wp_code_invalid', '快递公司编码错误或未开通');
    const dtos = Array.isArray(req.trade_order_info_dtos) ? req.trade_order_info_dtos.map(obj) : [];
    if (!dtos.length || dtos.some((d) => !s(d.object_id))) return error(10000, '参数错误', 'isv.invalid-parameter', 'object_id不能为空');
    const f = core.takeFailure();
    if (f && !f.applied) return error(50001, '业务错误', f.code ?? 'waybill_balance_insufficient', f.message ?? '面单余额不足');
    const issued = dtos.map((d) => core.issue(code, d));
    if (f) return f.code?.startsWith('isp.') ? error(50000, '系统内部错误', f.code, '服务繁忙') : { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body>502 Bad Gateway</body></html>' };
    return answer({ pdd_waybill_get_response: { modules: issued.map((w) => ({ object_id: w.objectId, waybill_code: w.waybillNo, print_data: core.printData(w) })), request_id: `pw${++requestNo}` } });
  }

  function cancel(p: Map<string, string>): SimResponse {
    if (!core.cancel(p.get('wp_code') ?? '', p.get('waybill_code') ?? '')) return error(50001, '业务错误', 'waybill_not_exist', '面单号不存在');
    return answer({ pdd_waybill_cancel_response: { cancel_result: true, request_id: `pw${++requestNo}` } });
  }

  return {
    platform: 'pinduoduo-waybill',
    credentials: { clientId, clientSecret, accessToken, apiBase: opts.apiBase },
    stats,
    record: () => [],
    throttleNext(n) {
      throttle = n;
    },
    failNextWrite(f) {
      core.setFailure(f);
    },
    issued: () => core.list.map((w) => ({ ...w })),
    handle(req: SimRequest) {
      if (req.path !== '/api/router') return { status: 404, body: '' };
      stats.calls++;
      let body: Obj;
      try {
        body = obj(JSON.parse(req.body.toString('utf8')));
      } catch {
        return error(10000, '参数错误', 'isv.invalid-parameter', 'body is not JSON');
      }
      const p = new Map<string, string>(Object.entries(body).map(([k, v]) => [k, s(v)]));
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return error(70031, '调用过于频繁，请调整调用频率');
      }
      if (p.get('client_id') !== clientId) return error(10016, 'client_id不正确');
      const ts = Number(p.get('timestamp'));
      if (!Number.isSafeInteger(ts) || Math.abs(Math.floor(Date.now() / 1000) - ts) > SKEW_MS / 1000) return error(10001, '公共参数错误', 'isv.invalid-parameter:timestamp', 'timestamp已过期');
      if (!same(p.get('sign') ?? '', pddSignature(p, clientSecret))) {
        stats.refusedSignature++;
        return error(20004, '签名sign校验失败');
      }
      if (p.get('access_token') !== accessToken) return error(10019, 'access_token已过期');
      if (p.get('type') === 'pdd.waybill.get') return get(p);
      if (p.get('type') === 'pdd.waybill.cancel') return cancel(p);
      return error(20031, '用户没有授权访问此接口');
    },
  };
}

export const cainiaoWaybillSimulator: SimulatorFactory = (opts) => createCainiaoWaybillSimulator(opts);
export const pddWaybillSimulator: SimulatorFactory = (opts) => createPddWaybillSimulator(opts);

// Cainiao e-waybills (菜鸟电子面单) for Taobao/Tmall orders: cainiao.waybill.ii.get and cainiao.waybill.ii.cancel on the
// TOP router, signed like every TOP call (the seller's app key, secret and session). The recipient goes as the trade's
// oaid with its tid ("淘系订单使用oaid"), so the hub never decrypts the buyer's address; the masked text rides along.
// Cainiao keeps object_id per request: asking again for the same object_id answers the same waybill_code.
// Only translates: the waybill service decides when to call.
import { formatTaobaoTime, parseTopJson, taobaoSign, taobaoSignMethods, type TaobaoSignMethod } from '../../channels/connectors/taobao/index.ts';
import { apiBaseProblems } from '../../channels/connectors/types.ts';
import { sendPlatformRequest } from '../../channels/connectors/write-http.ts';
import { cainiaoCarriers, codeFor } from './carriers.ts';
import { isRecord, PlatformWriteError, readPrintData, str, type CallContext, type IssuedWaybill, type WaybillClient, type WaybillRequest } from './types.ts';

export interface CainiaoCredentials {
  appKey: string;
  appSecret: string;
  session: string;
  signMethod?: TaobaoSignMethod;
  apiBase?: string;
}

const productionBase = 'https://eco.taobao.com';
const getMethod = 'cainiao.waybill.ii.get';
const cancelMethod = 'cainiao.waybill.ii.cancel';

/** A TOP error as a write error: isv.* is the caller's (refused), isp.* and call limits the platform's (retried). */
function writeErrorFor(method: string, e: Record<string, unknown>, status: number): PlatformWriteError {
  const code = str(e.code) || 'UNKNOWN';
  const sub = str(e.sub_code);
  const message = `${str(e.sub_msg) || str(e.msg) || 'TOP error'} (${method}: ${code}${sub ? ` ${sub}` : ''})`;
  if (code === '7' || sub.startsWith('accesscontrol.limited')) return new PlatformWriteError(sub || code, message, { status, retryAfterMs: 60_000 });
  const retryable = code === '10' || sub.startsWith('isp.');
  return new PlatformWriteError(sub || code, message, { status, refused: !retryable });
}

async function topCall(ctx: CallContext<CainiaoCredentials>, method: string, business: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const c = ctx.credentials;
  const signMethod = c.signMethod ?? 'md5';
  const params: Record<string, string> = { method, app_key: c.appKey, session: c.session, timestamp: formatTaobaoTime(ctx.now()), format: 'json', v: '2.0', sign_method: signMethod, ...business };
  params.sign = taobaoSign(params, c.appSecret, signMethod);
  const res = await sendPlatformRequest(
    ctx,
    'Cainiao',
    `${(c.apiBase ?? productionBase).replace(/\/+$/, '')}/router/rest`,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(params).toString(), op: method },
    parseTopJson,
  );
  const b = isRecord(res.body) ? res.body : null;
  if (b && isRecord(b.error_response)) throw writeErrorFor(method, b.error_response, res.status);
  if (!res.ok || !b) throw new PlatformWriteError(`HTTP_${res.status}`, `Cainiao ${method} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, { status: res.status, refused: res.ok ? false : res.status < 500 && res.status !== 429 });
  const key = `${method.replaceAll('.', '_')}_response`;
  const r = b[key];
  if (!isRecord(r)) throw new PlatformWriteError('BAD_RESPONSE', `Cainiao ${method}: no ${key} in the answer`, { status: res.status });
  return { status: res.status, body: r };
}

const address = (a: { province: string; city: string; district: string; address: string }) => ({ province: a.province, city: a.city, district: a.district, detail: a.address });

export const cainiaoWaybills: WaybillClient<CainiaoCredentials> = {
  network: 'cainiao',
  label: 'Cainiao',
  credentialProblems(v) {
    if (!isRecord(v)) return ['credentials must be an object'];
    const p: string[] = [];
    for (const k of ['appKey', 'appSecret', 'session']) if (typeof v[k] !== 'string' || !v[k]) p.push(`credentials.${k} is required`);
    if (v.signMethod !== undefined && !taobaoSignMethods.includes(v.signMethod as TaobaoSignMethod)) p.push(`credentials.signMethod must be one of ${taobaoSignMethods.join(', ')}`);
    return [...p, ...apiBaseProblems(v.apiBase)];
  },
  carrierCode: (carrier) => codeFor(cainiaoCarriers, carrier),

  async issue(ctx, req: WaybillRequest): Promise<IssuedWaybill> {
    const cpCode = codeFor(cainiaoCarriers, req.carrier);
    if (!cpCode) throw new PlatformWriteError('CARRIER_UNKNOWN', `Cainiao has no cp_code for carrier ${JSON.stringify(req.carrier)}`, { refused: true });
    const taobaoOrders = req.orders.filter((o) => o.channel === 'taobao');
    const first = taobaoOrders[0];
    if (!first || !first.receiverHandle) {
      throw new PlatformWriteError('RECEIVER_HANDLE_MISSING', 'a Cainiao waybill for a Taobao/Tmall order needs the trade’s oaid (the hub does not decrypt the receiver): pull the order again', { refused: true });
    }
    const request = {
      cp_code: cpCode,
      sender: { name: req.sender.name, mobile: req.sender.phone, address: address(req.sender) },
      trade_order_info_dtos: [
        {
          object_id: req.objectId,
          order_info: { order_channels_type: 'TB', trade_order_list: taobaoOrders.map((o) => o.platformOrderId) },
          package_info: { id: req.objectId, items: req.items, weight: req.weightGrams },
          // The masked text as Taobao gave it, with the oaid and tid Cainiao resolves the real address from.
          recipient: { name: req.receiver.name, mobile: req.receiver.phone, address: address(req.receiver), oaid: first.receiverHandle, tid: first.platformOrderId },
          template_url: 'http://cloudprint.cainiao.com/template/standard/101/',
          user_id: 0,
        },
      ],
    };
    const r = await topCall(ctx, getMethod, { param_waybill_cloud_print_apply_new_request: JSON.stringify(request) });
    const modules = isRecord(r.body.modules) ? r.body.modules.waybill_cloud_print_response : undefined;
    const list = Array.isArray(modules) ? modules.filter(isRecord) : [];
    const mine = list.find((m) => str(m.object_id) === req.objectId) ?? list[0];
    const waybillNo = str(mine?.waybill_code);
    if (!waybillNo) throw new PlatformWriteError('BAD_RESPONSE', `Cainiao ${getMethod} answered no waybill_code`, { status: r.status });
    return { waybillNo, print: readPrintData(str(mine?.print_data)), status: r.status };
  },

  async cancel(ctx, w) {
    const cpCode = codeFor(cainiaoCarriers, w.carrier);
    if (!cpCode) throw new PlatformWriteError('CARRIER_UNKNOWN', `Cainiao has no cp_code for carrier ${JSON.stringify(w.carrier)}`, { refused: true });
    const r = await topCall(ctx, cancelMethod, { cp_code: cpCode, waybill_code: w.waybillNo });
    if (r.body.cancel_result !== true && r.body.cancel_result !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `Cainiao ${cancelMethod} did not answer cancel_result`, { status: r.status });
    return { status: r.status };
  },
};

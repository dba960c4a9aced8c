// PDD e-waybills (拼多多电子面单): pdd.waybill.get and pdd.waybill.cancel on the PDD router, MD5-signed like every PDD
// call. The recipient goes as PDD gave it — its ~…~ ciphertexts while the order awaits shipment — so the hub never
// decrypts it. PDD keeps object_id per request: the same object_id answers the same waybill_code.
// Only translates: the waybill service decides when to call.
import { pinduoduoSign } from '../../channels/connectors/pinduoduo/index.ts';
import { apiBaseProblems } from '../../channels/connectors/types.ts';
import { sendPlatformRequest } from '../../channels/connectors/write-http.ts';
import { codeFor, pinduoduoWaybillCarriers } from './carriers.ts';
import { isRecord, PlatformWriteError, readPrintData, str, type CallContext, type IssuedWaybill, type WaybillClient, type WaybillRequest } from './types.ts';

export interface PddWaybillCredentials {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  apiBase?: string;
}

const productionBase = 'https://gw-api.pinduoduo.com';
const getType = 'pdd.waybill.get';
const cancelType = 'pdd.waybill.cancel';
const limitCodes = new Set(['70031', '70032', '52101']);

function writeErrorFor(type: string, e: Record<string, unknown>, status: number): PlatformWriteError {
  const code = str(e.error_code) || 'UNKNOWN';
  const sub = str(e.sub_code);
  const message = `${str(e.sub_msg) || str(e.error_msg) || 'PDD error'} (${type}: ${code}${sub ? ` ${sub}` : ''})`;
  if (limitCodes.has(code)) return new PlatformWriteError(code, message, { status, retryAfterMs: 10_000 });
  const retryable = code === '50000' || sub.startsWith('isp.');
  return new PlatformWriteError(sub || code, message, { status, refused: !retryable });
}

async function pddCall(ctx: CallContext<PddWaybillCredentials>, type: string, responseKey: string, business: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const c = ctx.credentials;
  const params: Record<string, string> = { type, client_id: c.clientId, access_token: c.accessToken, timestamp: String(Math.floor(ctx.now() / 1000)), data_type: 'JSON', version: 'V1', ...business };
  params.sign = pinduoduoSign(params, c.clientSecret);
  const res = await sendPlatformRequest(ctx, 'Pinduoduo', `${(c.apiBase ?? productionBase).replace(/\/+$/, '')}/api/router`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    op: type,
  });
  const b = isRecord(res.body) ? res.body : null;
  if (b && isRecord(b.error_response)) throw writeErrorFor(type, b.error_response, res.status);
  if (!res.ok || !b) throw new PlatformWriteError(`HTTP_${res.status}`, `Pinduoduo ${type} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, { status: res.status, refused: res.ok ? false : res.status < 500 && res.status !== 429 });
  const r = b[responseKey];
  if (!isRecord(r)) throw new PlatformWriteError('BAD_RESPONSE', `Pinduoduo ${type}: no ${responseKey} in the answer`, { status: res.status });
  return { status: res.status, body: r };
}

const address = (a: { province: string; city: string; district: string; address: string }) => ({ province: a.province, city: a.city, district: a.district, detail: a.address });

export const pinduoduoWaybills: WaybillClient<PddWaybillCredentials> = {
  network: 'pinduoduo',
  label: 'Pinduoduo',
  credentialProblems(v) {
    if (!isRecord(v)) return ['credentials must be an object'];
    const p: string[] = [];
    for (const k of ['clientId', 'clientSecret', 'accessToken']) if (typeof v[k] !== 'string' || !v[k]) p.push(`credentials.${k} is required`);
    return [...p, ...apiBaseProblems(v.apiBase)];
  },
  carrierCode: (carrier) => codeFor(pinduoduoWaybillCarriers, carrier),

  async issue(ctx, req: WaybillRequest): Promise<IssuedWaybill> {
    const wpCode = codeFor(pinduoduoWaybillCarriers, req.carrier);
    if (!wpCode) throw new PlatformWriteError('CARRIER_UNKNOWN', `PDD has no wp_code for carrier ${JSON.stringify(req.carrier)}`, { refused: true });
    const pddOrders = req.orders.filter((o) => o.channel === 'pinduoduo');
    const channelsType = pddOrders.length ? 'PDD' : 'OTHERS';
    const request = {
      wp_code: wpCode,
      sender: { name: req.sender.name, mobile: req.sender.phone, address: address(req.sender) },
      trade_order_info_dtos: [
        {
          object_id: req.objectId,
          order_info: { order_channels_type: channelsType, trade_order_list: (pddOrders.length ? pddOrders : req.orders).map((o) => o.platformOrderId) },
          package_info: { id: req.objectId, items: req.items },
          // PDD's own ciphertexts (or the text as stored for other channels' orders): never decrypted here.
          recipient: { name: req.receiver.name, mobile: req.receiver.phone, address: address(req.receiver) },
          template_url: 'https://file-link.pinduoduo.com/template/standard',
          user_id: 0,
        },
      ],
    };
    const r = await pddCall(ctx, getType, 'pdd_waybill_get_response', { param_waybill_apply_new_request: JSON.stringify(request) });
    const list = Array.isArray(r.body.modules) ? r.body.modules.filter(isRecord) : [];
    const mine = list.find((m) => str(m.object_id) === req.objectId) ?? list[0];
    const waybillNo = str(mine?.waybill_code);
    if (!waybillNo) throw new PlatformWriteError('BAD_RESPONSE', `Pinduoduo ${getType} answered no waybill_code`, { status: r.status });
    return { waybillNo, print: readPrintData(str(mine?.print_data)), status: r.status };
  },

  async cancel(ctx, w) {
    const wpCode = codeFor(pinduoduoWaybillCarriers, w.carrier);
    if (!wpCode) throw new PlatformWriteError('CARRIER_UNKNOWN', `PDD has no wp_code for carrier ${JSON.stringify(w.carrier)}`, { refused: true });
    const r = await pddCall(ctx, cancelType, 'pdd_waybill_cancel_response', { wp_code: wpCode, waybill_code: w.waybillNo });
    if (r.body.cancel_result !== true && r.body.cancel_result !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `Pinduoduo ${cancelType} did not answer cancel_result`, { status: r.status });
    return { status: r.status };
  },
};

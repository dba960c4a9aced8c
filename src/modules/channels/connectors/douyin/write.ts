// One signed Douyin (抖店) call for the hub's writes and listing reads: signed exactly as the order pull signs
// (utils/sign_util.go: param_json with keys sorted, no spaces; sign over app_secret + "app_key"… "method"…
// "param_json"… "timestamp"… "v2" + app_secret), sent through the shared write transport, and the answer read with
// Douyin's error codes (guide-docs/212/1427): 10000 success; 60000 触发限流 and 20000 服务不可用 / isp.* sub-codes
// are the platform's trouble (retried); the rest — 30001/30002 permission, 40001–40004 parameters, 50002 业务处理失败
// with the platform's reason — are refusals: sending the same again cannot help.
import { PlatformWriteError, type CallContext } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { douyinParamJson, douyinRequestSign, parseExactJson, type DouyinCredentials } from './index.ts';

const productionApi = 'https://openapi-fxg.jinritemai.com';
/** The platform's limits are per second: back off a second when it names no duration. */
const limitBackoffMs = 1000;

/**
 * A 19-digit id Douyin takes as a JSON number (product_id, sku_id: int64 in the SDK), beyond what a double holds: kept
 * as its decimal text and written bare into param_json.
 */
export class DouyinBigId {
  constructor(readonly digits: string) {
    if (!/^\d{1,20}$/.test(digits)) throw new PlatformWriteError('ID_INVALID', `Douyin id ${JSON.stringify(digits)} is not a number`, { refused: true });
  }
}

const marker = (d: string) => `@@douyin-big:${d}@@`;

function withMarkers(v: unknown): unknown {
  if (v instanceof DouyinBigId) return marker(v.digits);
  if (Array.isArray(v)) return v.map(withMarkers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, withMarkers(x)]));
  return v;
}

/** param_json as the pull writes it, with big ids as bare numbers. */
export function douyinWriteParamJson(params: Record<string, unknown>): string {
  return douyinParamJson(withMarkers(params) as Record<string, unknown>).replace(/"@@douyin-big:(\d+)@@"/g, '$1');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export interface DouyinAnswer {
  status: number;
  /** The answer's `data`, its big ids as strings. */
  data: unknown;
}

/** The Douyin answer as a write error, or null when it is a success. */
function writeErrorFor(method: string, b: Record<string, unknown>, status: number): PlatformWriteError {
  const code = str(b.code) || 'UNKNOWN';
  const sub = str(b.sub_code);
  const reason = [str(b.sub_msg), str(b.msg)].filter(Boolean).join(': ');
  const message = `${reason || 'Douyin error'} (${method}: ${code}${sub ? ` ${sub}` : ''}${str(b.log_id) ? ` log_id ${str(b.log_id)}` : ''})`;
  if (code === '60000') return new PlatformWriteError(sub || code, message, { status, retryAfterMs: limitBackoffMs });
  const retryable = code === '20000' || sub.startsWith('isp.');
  return new PlatformWriteError(sub || code, message, { status, refused: !retryable });
}

export async function douyinCall(ctx: CallContext<DouyinCredentials>, method: string, params: Record<string, unknown>): Promise<DouyinAnswer> {
  const c = ctx.credentials;
  const signMethod = c.signMethod ?? 'hmac-sha256';
  const paramJson = douyinWriteParamJson(params);
  const timestamp = String(Math.floor(ctx.now() / 1000));
  const sign = douyinRequestSign(c.appSecret, signMethod, { appKey: c.appKey, method, paramJson, timestamp });
  const query = new URLSearchParams({ app_key: c.appKey, method, timestamp, v: '2', sign, sign_method: signMethod, access_token: c.accessToken });
  const base = (c.apiBase ?? productionApi).replace(/\/+$/, '');
  const res = await sendPlatformRequest(
    ctx,
    'Douyin',
    `${base}/${method.replaceAll('.', '/')}?${query.toString()}`,
    { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-open-no-old-err-code': '1' }, body: paramJson, op: method },
    parseExactJson,
  );
  const b = res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? (res.body as Record<string, unknown>) : null;
  if (b && b.code !== undefined && str(b.code) !== '10000') throw writeErrorFor(method, b, res.status);
  // A gateway's 5xx page or 429, or an answer cut short: retried; another 4xx without Douyin's envelope is refused.
  if (!res.ok || !b) {
    const limited = res.status === 429;
    throw new PlatformWriteError(`HTTP_${res.status}`, `Douyin ${method} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, {
      status: res.status,
      refused: !res.ok && res.status < 500 && !limited,
      ...(limited ? { retryAfterMs: res.retryAfterMs ?? limitBackoffMs } : {}),
    });
  }
  if (b.code === undefined) throw new PlatformWriteError('BAD_RESPONSE', `Douyin ${method}: no code in the answer`, { status: res.status });
  return { status: res.status, data: b.data };
}

// One signed JOS write (or the read a write makes first) on the router, signed as the pull signs: system parameters
// in the query, 360buy_param_json in the form body, sign = UPPER(hex(MD5(secret + k1v1… + secret))). JD's answers
// are read here once for every write: the gateway's error_response (网关系统错误码) and the method's own
// `<method>_responce` object ("responce": JD's spelling).
import { PlatformWriteError, type CallContext } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { jdSign, jdTime, type JdCredentials } from './index.ts';

const productionBase = 'https://api.jd.com';
/** How long to back off after code 2 (App Call Limited): JD names no duration. */
const callLimitedBackoffMs = 60_000;
/**
 * Gateway codes that are JD's trouble, not the call's: 1 服务不可用, 3 (服务调用超时), 66/67 平台连接后端服务不可用 /
 * 处理过程中出错, and isp.* (a service behind the gateway failed). Retried. Every other gateway code (a bad key, token
 * or signature, a missing parameter) is refused: sending the same again cannot help. (1/3/66/67 as JOS's gateway error
 * table lists them; not confirmed against a live answer.)
 */
const platformCodes = new Set(['1', '3', '66', '67']);
const isPlatformTrouble = (code: string) => platformCodes.has(code) || code.startsWith('isp');

export const jdStr = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

/**
 * One signed JOS call — every JD write, and the reads the writes and the listing pull make: the method's response
 * object (`code` '0'), or a PlatformWriteError.
 */
export async function jdWrite(ctx: CallContext<JdCredentials>, method: string, business: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const c = ctx.credentials;
  const paramJson = JSON.stringify(business);
  const system: Record<string, string> = { method, access_token: c.accessToken, app_key: c.appKey, timestamp: jdTime(ctx.now()), format: 'json', v: '2.0' };
  const sign = jdSign(c.appSecret, { ...system, '360buy_param_json': paramJson });
  const res = await sendPlatformRequest(ctx, 'JD', `${(c.apiBase ?? productionBase).replace(/\/+$/, '')}/routerjson?${new URLSearchParams({ ...system, sign }).toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: new URLSearchParams({ '360buy_param_json': paramJson }).toString(),
    op: method,
  });
  const b = res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? (res.body as Record<string, unknown>) : null;
  const err = b?.error_response;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const code = jdStr(e.code) || 'UNKNOWN';
    const message = `${jdStr(e.zh_desc) || jdStr(e.en_desc) || 'JD error'} (${method}: ${code})`;
    if (code === '2') throw new PlatformWriteError(code, message, { status: res.status, retryAfterMs: res.retryAfterMs ?? callLimitedBackoffMs });
    throw new PlatformWriteError(code, message, { status: res.status, refused: !isPlatformTrouble(code) });
  }
  // A gateway's 5xx page, or an answer cut short: JD's trouble, retried.
  if (!res.ok || !b) {
    throw new PlatformWriteError(`HTTP_${res.status}`, `JD ${method} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, {
      status: res.status,
      refused: res.ok ? false : res.status < 500 && res.status !== 429,
      ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
    });
  }
  const key = `${method.replaceAll('.', '_')}_responce`;
  const r = b[key];
  if (!r || typeof r !== 'object') throw new PlatformWriteError('BAD_RESPONSE', `JD ${method}: no ${key} in the answer`, { status: res.status });
  const body = r as Record<string, unknown>;
  if (jdStr(body.code) !== '0') throw new PlatformWriteError(`CODE_${jdStr(body.code) || 'UNKNOWN'}`, `JD ${method} answered code ${jdStr(body.code)}`, { status: res.status });
  return { status: res.status, body };
}

/**
 * A JD business answer (OperatorResult / apiResult: success, chineseErrCode, englishErrCode, errorCode) that says no.
 * A refusal with JD's reason, except JD's own 系统异常/系统繁忙 (its trouble, retried).
 */
export function jdBusinessError(method: string, result: Record<string, unknown> | undefined, status: number): PlatformWriteError {
  const zh = jdStr(result?.chineseErrCode) || jdStr(result?.errorMessage);
  const code = jdStr(result?.englishErrCode) || jdStr(result?.errorCode) || jdStr(result?.numberCode) || 'NOT_SUCCESS';
  const message = `${zh || 'JD said no'} (${method}: ${code})`;
  return new PlatformWriteError(code, message, { status, refused: !/系统异常|系统繁忙|system ?(error|busy)/i.test(`${zh} ${code}`) });
}

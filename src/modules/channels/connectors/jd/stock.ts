// JD stock writes (库存同步): jingdong.stock.write.updateSkuStock with 360buy_param_json {skuId, stockNum} (the full
// quantity: absolute, so a resend after a lost answer sets the same number again), signed like the pull (MD5 over the
// sorted parameters, 360buy_param_json included). A third-party adapter reports the method "推下线" in favour of
// jingdong.ware.stock.sku.set — not confirmed (shared/research/platform-writes.md, D8); the answer's shape below
// (code "0", success) is read from JOS's common envelope, not from a captured answer.
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { jdSign, jdTime, type JdCredentials } from './index.ts';

const productionBase = 'https://api.jd.com';
const updateMethod = 'jingdong.stock.write.updateSkuStock';
/** JOS's call limit (code 2) names no duration. */
const callLimitedBackoffMs = 10_000;
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/**
 * One signed JOS call: the method's response object (JD spells it `_responce`), or a PlatformWriteError. Code 2 (call
 * limit) and a JOS service failure (code 1, isp.*) are retried; any other error_response is a refusal with JD's words.
 */
export async function josCall(ctx: CallContext<JdCredentials>, method: string, business: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const c = ctx.credentials;
  const paramJson = JSON.stringify(business);
  const system: Record<string, string> = { method, access_token: c.accessToken, app_key: c.appKey, timestamp: jdTime(ctx.now()), format: 'json', v: '2.0' };
  const sign = jdSign(c.appSecret, { ...system, '360buy_param_json': paramJson });
  const res = await sendPlatformRequest(ctx, 'JD', `${(c.apiBase ?? productionBase).replace(/\/+$/, '')}/routerjson?${new URLSearchParams({ ...system, sign }).toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: new URLSearchParams({ '360buy_param_json': paramJson }).toString(),
  });
  const b = res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? (res.body as Record<string, unknown>) : null;
  const err = b?.error_response;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const code = str(e.code) || 'UNKNOWN';
    const message = `${str(e.zh_desc) || str(e.en_desc) || 'JOS error'} (${method}: ${code})`;
    if (code === '2') throw new PlatformWriteError(code, message, { status: res.status, retryAfterMs: res.retryAfterMs ?? callLimitedBackoffMs });
    throw new PlatformWriteError(code, message, { status: res.status, refused: !(code === '1' || code.startsWith('isp')) });
  }
  if (!res.ok || !b) throw new PlatformWriteError(`HTTP_${res.status}`, `JD ${method} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, { status: res.status, refused: res.ok ? false : res.status < 500 && res.status !== 429, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) });
  const key = `${method.replaceAll('.', '_')}_responce`;
  const r = b[key];
  if (!r || typeof r !== 'object') throw new PlatformWriteError('BAD_RESPONSE', `JD ${method}: no ${key} in the answer`, { status: res.status });
  const body = r as Record<string, unknown>;
  if (str(body.code) !== '0') throw new PlatformWriteError(str(body.code) || 'UNKNOWN', `JD ${method} answered code ${str(body.code)}`, { status: res.status });
  return { status: res.status, body };
}

export async function setJdStock(ctx: CallContext<JdCredentials>, w: StockWrite): Promise<WriteResult> {
  if (!Number.isSafeInteger(w.quantity) || w.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${w.quantity} cannot be written`, { refused: true });
  // A JD listing is a SKU (skuId); an item without one cannot be written.
  const skuId = w.listing.platformSkuId || w.listing.platformItemId;
  if (!/^\d{1,20}$/.test(skuId)) throw new PlatformWriteError('SKU_ID_INVALID', `JD skuId ${JSON.stringify(skuId)} is not a number`, { refused: true });
  const r = await josCall(ctx, updateMethod, { skuId: Number(skuId), stockNum: w.quantity });
  if (r.body.success !== true && r.body.success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `JD ${updateMethod} did not answer success`, { status: r.status, refused: true });
  return { platformRef: null, already: false, status: r.status };
}

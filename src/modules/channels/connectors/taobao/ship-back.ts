// Taobao/Tmall ship-back (发货回传): taobao.logistics.offline.send (tid, out_sid = the tracking number, company_code
// from the carrier dictionary) on the TOP router, signed like the pull. The trade then shows 卖家已发货
// (WAIT_BUYER_CONFIRM_GOODS). TOP takes no idempotency key and refuses to send a trade twice, so the trade is read
// first (taobao.trade.fullinfo.get): already shipped with our tracking number is a retry after a lost answer.
// Split parcels go with is_split/sub_tid and a wrong number is corrected with taobao.logistics.consign.resend.
// open.taobao.com/api.htm?docId=10690&docType=2
import { PlatformWriteError, platformCarrier, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { taobaoCarriers } from './carriers.ts';
import { formatTaobaoTime, parseTopJson, taobaoSign, type TaobaoCredentials } from './index.ts';

const productionBase = 'https://eco.taobao.com';
const sendMethod = 'taobao.logistics.offline.send';
const readMethod = 'taobao.trade.fullinfo.get';
const resendMethod = 'taobao.logistics.consign.resend';
/** Statuses a trade has once the seller sent it (卖家已发货 and later). */
const sentStatuses = new Set(['WAIT_BUYER_CONFIRM_GOODS', 'SELLER_CONSIGNED_PART', 'TRADE_BUYER_SIGNED', 'TRADE_FINISHED']);
/** How long to back off after a call limit that names no duration. */
const callLimitedBackoffMs = 60_000;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/**
 * A TOP error_response as a write error. TOP's sub_code says whose fault it is: isv.* is the caller's (a trade that
 * cannot be sent, the buyer's refund, a bad parameter), so resending cannot help; isp.* is the platform's (a service
 * timeout, a busy back end), so it is retried, as is code 7 App Call Limited and the other call limits.
 */
function writeErrorFor(method: string, e: Record<string, unknown>, status: number): PlatformWriteError {
  const code = str(e.code) || 'UNKNOWN';
  const sub = str(e.sub_code);
  const message = `${str(e.sub_msg) || str(e.msg) || 'TOP error'} (${method}: ${code}${sub ? ` ${sub}` : ''})`;
  if (code === '7' || sub.startsWith('accesscontrol.limited') || /call-limited/.test(sub)) {
    const seconds = /(\d+)\s*more seconds/.exec(str(e.sub_msg));
    return new PlatformWriteError(sub || code, message, { status, retryAfterMs: seconds ? Number(seconds[1]) * 1000 : callLimitedBackoffMs });
  }
  // Code 10 (service unavailable) and any isp.* are the platform's trouble.
  const retryable = code === '10' || sub.startsWith('isp.');
  return new PlatformWriteError(sub || code, message, { status, refused: !retryable });
}

/** One signed TOP call: the method's response object, or a PlatformWriteError (stock writes and listing reads use it too). */
export async function topWrite(ctx: CallContext<TaobaoCredentials>, method: string, business: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const c = ctx.credentials;
  const signMethod = c.signMethod ?? 'md5';
  const params: Record<string, string> = { method, app_key: c.appKey, session: c.session, timestamp: formatTaobaoTime(ctx.now()), format: 'json', v: '2.0', sign_method: signMethod, ...business };
  params.sign = taobaoSign(params, c.appSecret, signMethod);
  const res = await sendPlatformRequest(
    ctx,
    'Taobao',
    `${(c.apiBase ?? productionBase).replace(/\/+$/, '')}/router/rest`,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(params).toString(), op: method },
    parseTopJson,
  );
  const parsed = res.body;
  const b = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  const err = b?.error_response;
  if (err && typeof err === 'object') throw writeErrorFor(method, err as Record<string, unknown>, res.status);
  // A gateway's 5xx page, or an answer cut short: the platform's trouble, retried.
  if (!res.ok || !b) throw new PlatformWriteError(`HTTP_${res.status}`, `Taobao ${method} answered HTTP ${res.status}${b ? '' : ', not JSON'}`, { status: res.status, refused: res.ok ? false : res.status < 500 && res.status !== 429 });
  const key = `${method.replace(/^taobao\./, '').replaceAll('.', '_')}_response`;
  const r = b[key];
  if (!r || typeof r !== 'object') throw new PlatformWriteError('BAD_RESPONSE', `Taobao ${method}: no ${key} in the answer`, { status: res.status });
  return { status: res.status, body: r as Record<string, unknown> };
}

/** The trade's sub-orders as TOP holds them: each oid with the tracking number it left with ('' while not sent). */
function subOrders(trade: { orders?: { order?: unknown } }): { oid: string; invoiceNo: string }[] {
  const list = Array.isArray(trade.orders?.order) ? (trade.orders.order as Record<string, unknown>[]) : [];
  return list.map((o) => ({ oid: str(o.oid_str) || str(o.oid), invoiceNo: str(o.invoice_no) }));
}

/**
 * A parcel's send. The whole trade: offline.send (tid, out_sid, company_code). Part of it (the parcel says `partial` and
 * its lines carry their oids): offline.send with is_split=1 and sub_tid = the oids not yet sent; TOP moves the trade to
 * SELLER_CONSIGNED_PART until every oid has left. A correction (`replacesTrackingNo`): taobao.logistics.consign.resend
 * with the new number for the same oids. The trade is read first in every case, so a retry after a lost answer finds
 * its number there and sends nothing.
 */
export async function shipBackTaobao(ctx: CallContext<TaobaoCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const companyCode = platformCarrier(taobaoCarriers, parcel.carrier, 'Taobao');
  if (!/^\d{1,30}$/.test(parcel.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `Taobao tid ${JSON.stringify(parcel.platformOrderId)} is not a number`, { refused: true });
  const oids = [...new Set(parcel.lines.map((l) => l.platformLineId ?? '').filter((x) => x !== ''))];
  if (oids.some((o) => !/^\d{1,30}$/.test(o))) throw new PlatformWriteError('LINE_ID_INVALID', `Taobao oids must be numbers: ${oids.join(',')}`, { refused: true });
  // A part of a trade whose lines carry no oid (ingested before the hub kept them) is sent as the whole trade.
  const split = parcel.partial === true && oids.length > 0;
  const read = await topWrite(ctx, readMethod, { tid: parcel.platformOrderId, fields: 'tid,status,orders' });
  const trade = (read.body.trade ?? {}) as { status?: unknown; orders?: { order?: unknown } };
  const subs = subOrders(trade);
  const mine = split ? subs.filter((o) => oids.includes(o.oid)) : subs;
  if (split && mine.length !== oids.length) throw new PlatformWriteError('LINE_NOT_IN_TRADE', `Taobao trade ${parcel.platformOrderId} has no sub-order ${oids.filter((o) => !subs.some((x) => x.oid === o)).join(',')}`, { refused: true, status: read.status });
  const done = (r: { status: number }, already: boolean): WriteResult => ({ platformRef: null, already, status: r.status });
  const succeeded = (method: string, r: { status: number; body: Record<string, unknown> }) => {
    const shipping = r.body.shipping as { is_success?: unknown } | undefined;
    if (shipping?.is_success !== true && shipping?.is_success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `Taobao ${method} did not answer is_success`, { status: r.status });
    return done(r, false);
  };

  if (parcel.replacesTrackingNo !== undefined) {
    // Only the carrier changed (the same number): resent as asked (the read here compares numbers, not companies).
    if (parcel.replacesTrackingNo !== parcel.trackingNo && mine.length > 0 && mine.every((o) => o.invoiceNo === parcel.trackingNo)) return done(read, true);
    const wrong = mine.filter((o) => o.invoiceNo === parcel.replacesTrackingNo).map((o) => o.oid);
    if (wrong.length === 0) throw new PlatformWriteError('NOTHING_TO_CORRECT', `Taobao trade ${parcel.platformOrderId} does not hold ${parcel.replacesTrackingNo} on these lines: nothing to correct`, { refused: true, status: read.status });
    const resent = await topWrite(ctx, resendMethod, { tid: parcel.platformOrderId, out_sid: parcel.trackingNo, company_code: companyCode, ...(split ? { is_split: '1', sub_tid: wrong.join(',') } : {}) });
    return succeeded(resendMethod, resent);
  }

  if (!split) {
    if (sentStatuses.has(str(trade.status)) && subs.some((o) => o.invoiceNo === parcel.trackingNo)) return done(read, true);
    return succeeded(sendMethod, await topWrite(ctx, sendMethod, { tid: parcel.platformOrderId, out_sid: parcel.trackingNo, company_code: companyCode }));
  }
  if (mine.every((o) => o.invoiceNo === parcel.trackingNo)) return done(read, true);
  const waiting = mine.filter((o) => o.invoiceNo === '').map((o) => o.oid);
  if (waiting.length === 0) {
    // TOP sends a sub-order once: its units in a later parcel (one line split over two parcels) cannot be named again.
    throw new PlatformWriteError('LINES_ALREADY_SENT', `Taobao has sub-orders ${oids.join(',')} of ${parcel.platformOrderId} sent already (${[...new Set(mine.map((o) => o.invoiceNo))].join(',')}); correct the number with consign.resend if it is wrong`, { refused: true, status: read.status });
  }
  return succeeded(sendMethod, await topWrite(ctx, sendMethod, { tid: parcel.platformOrderId, out_sid: parcel.trackingNo, company_code: companyCode, is_split: '1', sub_tid: waiting.join(',') }));
}

// A local stand-in for Alipay, written apart from notice.ts and client.ts so that each checks the other: it signs
// notices as Alipay's servers do (form-encoded, RSA2 over the sorted decoded fields minus sign/sign_type) and serves
// the OpenAPI gateway on loopback, verifying each request's RSA2 signature with the app public key the way the
// gateway does and answering in Alipay's response shape, errors included. Trades and refunds live in memory.
import { createPrivateKey, createPublicKey, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface FakeAlipayOptions {
  appId: string;
  /** The app's public key: verifies the client's requests. */
  appPublicKey: KeyObject | string;
  /** Alipay's private key: signs notices and responses (its public half is the hub's alipayPublicKey). */
  alipayPrivateKey: KeyObject | string;
  sellerId?: string;
  now?: () => number;
}

export interface FakeTrade {
  outTradeNo: string;
  tradeNo: string;
  /** Fen. */
  total: number;
  status: 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_FINISHED';
  createdAt: number;
  paidAt: number | null;
  closedAt: number | null;
  subject: string;
  storeName?: string;
  refunds: Map<string, { amount: number; reason: string; at: number }>;
}

export interface FakeNotice {
  headers: Record<string, string>;
  rawBody: Buffer;
  /** The fields as sent, sign included. */
  fields: Record<string, string>;
}

/** Ways the next gateway answer can go wrong. */
export type FakeFault = 'unavailable' | 'system-error' | 'http-502' | 'not-json' | 'unsigned-success' | 'bad-signature' | 'escaped-slashes';

const beijing = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const beijingMs = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 23).replace('T', ' ');
const toYuan = (fen: number) => (fen / 100).toFixed(2);

/** "12.30" → 1230, by digits; null when it is not a positive amount with at most two decimals. */
function fen(s: unknown): number | null {
  const m = typeof s === 'string' ? /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(s) : null;
  if (!m) return null;
  const v = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return v > 0 ? v : null;
}

/** Alipay's sign string: keys sorted by code unit, k=v joined with &. */
function signString(fields: Record<string, string>, skip: (k: string, v: string) => boolean): string {
  return Object.keys(fields)
    .filter((k) => !skip(k, fields[k] as string))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

/** x-www-form-urlencoded as Java's URLEncoder writes it (space as +). */
function formEncode(fields: Record<string, string>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(fields)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
}

export class FakeAlipay {
  readonly trades = new Map<string, FakeTrade>();
  /** Every gateway call received, with whether its signature checked out. */
  readonly received: { method: string; params: Record<string, string>; signatureOk: boolean }[] = [];
  private readonly appKey: KeyObject;
  private readonly alipayKey: KeyObject;
  private readonly faults: FakeFault[] = [];
  private seq = 0;
  private server: Server | null = null;

  constructor(private readonly opts: FakeAlipayOptions) {
    this.appKey = typeof opts.appPublicKey === 'string' ? createPublicKey(opts.appPublicKey) : opts.appPublicKey;
    this.alipayKey = typeof opts.alipayPrivateKey === 'string' ? createPrivateKey(opts.alipayPrivateKey) : opts.alipayPrivateKey;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private sign(content: string): string {
    return createSign('RSA-SHA256').update(content, 'utf8').sign(this.alipayKey, 'base64');
  }

  // ---- trades -------------------------------------------------------------------------------------------------

  createTrade(t: { outTradeNo: string; total: number; subject?: string; storeName?: string; paid?: boolean }): FakeTrade {
    const at = this.now();
    const day = beijing(at).slice(0, 10).replace(/-/g, '');
    const trade: FakeTrade = {
      outTradeNo: t.outTradeNo,
      tradeNo: `${day}22001${String(4_000_000_000 + ++this.seq).padStart(17, '0')}`,
      total: t.total,
      status: t.paid ? 'TRADE_SUCCESS' : 'WAIT_BUYER_PAY',
      createdAt: at,
      paidAt: t.paid ? at : null,
      closedAt: null,
      subject: t.subject ?? '订单 Order',
      refunds: new Map(),
      ...(t.storeName !== undefined ? { storeName: t.storeName } : {}),
    };
    this.trades.set(t.outTradeNo, trade);
    return trade;
  }

  pay(outTradeNo: string): FakeTrade {
    const t = this.trade(outTradeNo);
    t.status = 'TRADE_SUCCESS';
    t.paidAt = this.now();
    return t;
  }

  private trade(outTradeNo: string): FakeTrade {
    const t = this.trades.get(outTradeNo);
    if (!t) throw new Error(`fake Alipay: no trade ${outTradeNo}`);
    return t;
  }

  private refunded(t: FakeTrade): number {
    return [...t.refunds.values()].reduce((a, r) => a + r.amount, 0);
  }

  // ---- notices ------------------------------------------------------------------------------------------------

  /** Signs fields as Alipay does (sign/sign_type left out, empty values kept) and form-encodes them in this order. */
  signNotice(fields: Record<string, string>): FakeNotice {
    const withType = { ...fields, sign_type: fields.sign_type ?? 'RSA2' };
    const sign = this.sign(signString(withType, (k) => k === 'sign' || k === 'sign_type'));
    const all = { ...withType, sign };
    return {
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'user-agent': 'Mozilla/4.0' },
      rawBody: Buffer.from(formEncode(all), 'latin1'),
      fields: all,
    };
  }

  private commonNoticeFields(t: FakeTrade, notifyId?: string): Record<string, string> {
    return {
      gmt_create: beijing(t.createdAt),
      charset: 'utf-8',
      seller_email: 'merchant@example.com',
      subject: t.subject,
      buyer_id: '2088102177846880',
      notify_id: notifyId ?? `2026${randomBytes(14).toString('hex')}`,
      notify_type: 'trade_status_sync',
      app_id: this.opts.appId,
      seller_id: this.opts.sellerId ?? '2088102177296610',
      notify_time: beijing(this.now()),
      version: '1.0',
      out_trade_no: t.outTradeNo,
      total_amount: toYuan(t.total),
      trade_no: t.tradeNo,
      auth_app_id: this.opts.appId,
      buyer_logon_id: '159****5620',
    };
  }

  /** The notice Alipay sends when a trade's state changes (TRADE_SUCCESS after payment). */
  paymentNotice(outTradeNo: string, overrides: Record<string, string> = {}): FakeNotice {
    const t = this.trade(outTradeNo);
    const fields: Record<string, string> = { ...this.commonNoticeFields(t, overrides.notify_id), trade_status: t.status };
    if (t.paidAt !== null) {
      Object.assign(fields, {
        gmt_payment: beijing(t.paidAt),
        receipt_amount: toYuan(t.total),
        invoice_amount: toYuan(t.total),
        buyer_pay_amount: toYuan(t.total),
        point_amount: '0.00',
        fund_bill_list: JSON.stringify([{ amount: toYuan(t.total), fundChannel: 'ALIPAYACCOUNT' }]),
      });
    }
    return this.signNotice({ ...fields, ...overrides });
  }

  /** The notice after a refund: trade_status TRADE_SUCCESS (partial) or TRADE_CLOSED (full), refund_fee the total. */
  refundNotice(outTradeNo: string, outRequestNo: string, overrides: Record<string, string> = {}): FakeNotice {
    const t = this.trade(outTradeNo);
    const r = t.refunds.get(outRequestNo);
    if (!r) throw new Error(`fake Alipay: no refund ${outRequestNo} on ${outTradeNo}`);
    const fields: Record<string, string> = {
      ...this.commonNoticeFields(t, overrides.notify_id),
      trade_status: t.status,
      gmt_payment: beijing(t.paidAt ?? t.createdAt),
      refund_fee: toYuan(this.refunded(t)),
      gmt_refund: beijingMs(r.at),
      out_biz_no: outRequestNo,
      receipt_amount: toYuan(t.total),
      buyer_pay_amount: toYuan(t.total),
    };
    if (t.status === 'TRADE_CLOSED' && t.closedAt !== null) fields.gmt_close = beijing(t.closedAt);
    return this.signNotice({ ...fields, ...overrides });
  }

  /** POSTs a notice to the hub's notify_url; Alipay counts only the body `success` as delivered. */
  async deliver(url: string, notice: FakeNotice): Promise<{ status: number; body: string; delivered: boolean }> {
    const res = await fetch(url, { method: 'POST', headers: notice.headers, body: notice.rawBody });
    const body = await res.text();
    return { status: res.status, body, delivered: body === 'success' };
  }

  // ---- gateway ------------------------------------------------------------------------------------------------

  /** The next gateway answer goes wrong this way (queued, one per call). */
  failNext(fault: FakeFault): void {
    this.faults.push(fault);
  }

  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = this.answer(req.url ?? '/', req.headers['content-type'] ?? '', Buffer.concat(chunks));
      res.writeHead(answer.status, { 'content-type': 'text/html;charset=utf-8' });
      res.end(answer.body);
    });
  };

  async listen(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer(this.handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/gateway.do`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  /** A response as the gateway writes it: the inner object's JSON, then a sign over exactly that text. */
  private respond(key: string, inner: Record<string, unknown>, signIt = true): { status: number; body: string } {
    const fault = this.faults.shift();
    if (fault === 'http-502') return { status: 502, body: '<html>502 Bad Gateway</html>' };
    if (fault === 'not-json') return { status: 200, body: '<html>upstream error</html>' };
    if (fault === 'unavailable') inner = { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' };
    if (fault === 'system-error') inner = { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' };
    const text = JSON.stringify(inner);
    if (!signIt || fault === 'unsigned-success') return { status: 200, body: `{"${key}":${text}}` };
    let sign = this.sign(text);
    if (fault === 'bad-signature') sign = `${sign.slice(0, 10)}${sign[10] === 'A' ? 'B' : 'A'}${sign.slice(11)}`;
    // Alipay signs before its JSON writer escapes slashes; the Java SDK verifies again with them unescaped.
    const written = fault === 'escaped-slashes' ? text.replaceAll('/', '\\/') : text;
    return { status: 200, body: `{"${key}":${written},"sign":"${sign}"}` };
  }

  private answer(url: string, contentType: string, body: Buffer): { status: number; body: string } {
    const params: Record<string, string> = {};
    const dup = new Set<string>();
    const take = (sp: URLSearchParams) =>
      sp.forEach((v, k) => {
        if (k in params) dup.add(k);
        params[k] = v;
      });
    take(new URL(url, 'http://gateway').searchParams);
    if (/application\/x-www-form-urlencoded/i.test(contentType)) take(new URLSearchParams(body.toString('utf8')));
    const method = params.method ?? '';
    const key = /^[a-z.]+$/.test(method) ? `${method.replace(/\./g, '_')}_response` : 'error_response';
    const invalid = (sub: string, msg: string, code = '40002', signIt = true) =>
      this.respond(key, { code, msg: code === '40001' ? 'Missing Required Arguments' : 'Invalid Arguments', sub_code: sub, sub_msg: msg }, signIt);

    const content = signString(params, (k, v) => k === 'sign' || v === '');
    const signatureOk =
      params.sign_type === 'RSA2' && !!params.sign && createVerify('RSA-SHA256').update(content, 'utf8').verify(this.appKey, params.sign, 'base64');
    this.received.push({ method, params, signatureOk });

    if (dup.size) return invalid('isv.invalid-parameter', `重复参数 ${[...dup].join(',')}`);
    if (!params.app_id) return invalid('isv.missing-app-id', '缺少AppID参数', '40001');
    if (params.app_id !== this.opts.appId) return invalid('isv.invalid-app-id', '无效的AppID参数');
    if (!['alipay.trade.query', 'alipay.trade.refund', 'alipay.trade.fastpay.refund.query'].includes(method)) {
      return this.respond('error_response', { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-method', sub_msg: '不存在的方法名' }, false);
    }
    if (!params.sign) return invalid('isv.missing-signature', '缺少签名参数', '40001');
    if (params.sign_type !== 'RSA2') return invalid('isv.invalid-signature-type', '无效的签名类型');
    if (params.charset && params.charset.toLowerCase() !== 'utf-8') return invalid('isv.invalid-charset', '字符集不合法');
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(params.timestamp ?? '')) return invalid('isv.invalid-timestamp', '非法的时间戳参数');
    if (!signatureOk) return invalid('isv.invalid-signature', `验签出错，网关生成的验签字符串为：${content}`);

    let biz: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(params.biz_content ?? '');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      biz = parsed as Record<string, unknown>;
    } catch {
      return invalid('isv.invalid-parameter', 'biz_content 不是 JSON 对象');
    }
    const business = (sub: string, msg: string, extra: Record<string, unknown> = {}) =>
      this.respond(key, { code: '40004', msg: 'Business Failed', sub_code: sub, sub_msg: msg, ...extra });
    const outTradeNo = typeof biz.out_trade_no === 'string' ? biz.out_trade_no : '';
    if (!outTradeNo) return invalid('isv.missing-parameter', '缺少 out_trade_no', '40001');
    const t = this.trades.get(outTradeNo);
    if (!t) return business('ACQ.TRADE_NOT_EXIST', '交易不存在');
    const paid = t.paidAt !== null;

    if (method === 'alipay.trade.query') {
      const inner: Record<string, unknown> = { code: '10000', msg: 'Success', buyer_logon_id: '159****5620', buyer_pay_amount: paid ? toYuan(t.total) : '0.00' };
      Object.assign(inner, { buyer_user_id: '2088102177846880', invoice_amount: paid ? toYuan(t.total) : '0.00', out_trade_no: t.outTradeNo, point_amount: '0.00' });
      Object.assign(inner, { receipt_amount: paid ? toYuan(t.total) : '0.00', total_amount: toYuan(t.total), trade_no: t.tradeNo, trade_status: t.status });
      if (t.paidAt !== null) inner.send_pay_date = beijing(t.paidAt);
      if (t.storeName !== undefined) inner.store_name = t.storeName;
      return this.respond(key, inner);
    }

    const outRequestNo = typeof biz.out_request_no === 'string' && biz.out_request_no ? biz.out_request_no : t.outTradeNo;
    if (method === 'alipay.trade.fastpay.refund.query') {
      const r = t.refunds.get(outRequestNo);
      // Found or not, the query itself succeeded: no refund fields means no refund.
      const inner: Record<string, unknown> = { code: '10000', msg: 'Success', out_trade_no: t.outTradeNo, trade_no: t.tradeNo };
      if (r) {
        Object.assign(inner, { out_request_no: outRequestNo, refund_amount: toYuan(r.amount), total_amount: toYuan(t.total), refund_status: 'REFUND_SUCCESS' });
        if (Array.isArray(biz.query_options) && biz.query_options.includes('gmt_refund_pay')) inner.gmt_refund_pay = beijing(r.at);
      }
      return this.respond(key, inner);
    }

    // alipay.trade.refund
    const amount = fen(biz.refund_amount);
    if (amount === null) return invalid('isv.invalid-parameter', 'refund_amount 不合法');
    const refundBody = (fundChange: 'Y' | 'N', at: number, sendBack: number) => ({
      code: '10000',
      msg: 'Success',
      buyer_logon_id: '159****5620',
      fund_change: fundChange,
      gmt_refund_pay: beijing(at),
      out_trade_no: t.outTradeNo,
      refund_fee: toYuan(this.refunded(t)),
      send_back_fee: toYuan(sendBack),
      trade_no: t.tradeNo,
    });
    const earlier = t.refunds.get(outRequestNo);
    if (earlier) {
      // The same out_request_no again: nothing moves; a different amount under it is a discordant repeat.
      if (earlier.amount !== amount) return business('ACQ.DISCORDANT_REPEAT_REQUEST', '不一致的请求');
      return this.respond(key, refundBody('N', earlier.at, 0));
    }
    if (!paid || t.status === 'WAIT_BUYER_PAY') return business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (t.status === 'TRADE_FINISHED') return business('ACQ.TRADE_HAS_FINISHED', '交易已完结');
    if (t.status === 'TRADE_CLOSED') return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
    if (amount > t.total - this.refunded(t)) return business('ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额无效', { refund_fee: '0.00', send_back_fee: '0.00' });
    const at = this.now();
    t.refunds.set(outRequestNo, { amount, reason: typeof biz.refund_reason === 'string' ? biz.refund_reason : '', at });
    if (this.refunded(t) === t.total) {
      t.status = 'TRADE_CLOSED';
      t.closedAt = at;
    }
    return this.respond(key, refundBody('Y', at, amount));
  }

  close(): Promise<void> {
    const s = this.server;
    return s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
  }
}

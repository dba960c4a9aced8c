// A local WeChat Pay (APIv3) for tests and demos, written apart from notice.ts and client.ts (it imports neither, so
// a shared mistake cannot make both sides agree): it signs and encrypts callbacks as WeChat does, and serves the
// payment query, refund and refund query on loopback, checking the merchant's Authorization as WeChat does and
// signing its answers with the platform key (or the WeChat Pay public key). Payments and refunds live in memory.
import { createCipheriv, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WechatPayFakeOptions {
  mchid: string;
  appid: string;
  /** The merchant's APIv3 key (32 bytes): encrypts callback resources. */
  apiV3Key: string;
  /** The key WeChat signs with: serial is a platform-certificate serial (hex) or a public key id (PUB_KEY_ID_…). */
  platform: { serial: string; privateKey: KeyObject | string };
  /** The merchant API certificates WeChat knows: serial → public key (checks Authorization). */
  merchantKeys: Record<string, KeyObject | string>;
  /** Epoch ms. */
  now?: () => number;
}

/** A callback as WeChat would POST it: lower-cased headers and the exact body bytes. */
export interface FakeNotice {
  headers: Record<string, string>;
  rawBody: Buffer;
}

export interface FakePayment {
  outTradeNo: string;
  transactionId: string;
  tradeState: 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
  total: number;
  payerTotal: number;
  currency: string;
  successTime: string | null;
  refunded: number;
}

export interface FakeRefund {
  outRefundNo: string;
  refundId: string;
  outTradeNo: string;
  transactionId: string;
  refund: number;
  total: number;
  currency: string;
  reason: string | null;
  notifyUrl: string | null;
  status: 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';
  createTime: string;
  successTime: string | null;
}

/** One request the fake saw, for tests to inspect. */
export interface FakeRequestLog {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
  /** Why the Authorization was refused; undefined when it was accepted. */
  refused?: string;
}

/** An error answer to give the next authenticated request (SYSTEM_ERROR 500, FREQUENCY_LIMITED 429, NOT_ENOUGH 403 …). */
export interface FakeFailure {
  status: number;
  code: string;
  message: string;
  /** Whether the error answer carries WeChat's signature (default true). */
  signed?: boolean;
}

/** RFC 3339 in Beijing time, as WeChat writes times: 2026-05-01T10:34:56+08:00. */
export function beijingRfc3339(ms: number): string {
  return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

function keyObject(k: KeyObject | string, kind: 'public' | 'private'): KeyObject {
  if (typeof k !== 'string') return k;
  return kind === 'private' ? createPrivateKey(k) : createPublicKey(k);
}

/** WeChat's nonces: 32 characters of [0-9A-Za-z] for signatures, 12 for the AES-GCM resource. */
function randomText(n: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** base64 SHA256withRSA over the lines, each ended by \n, as WeChat signs answers and callbacks. */
export function fakeSignLines(privateKey: KeyObject, lines: (string | Buffer)[]): string {
  const message = Buffer.concat(lines.flatMap((l) => [Buffer.isBuffer(l) ? l : Buffer.from(l, 'utf8'), Buffer.from('\n')]));
  return sign('RSA-SHA256', message, privateKey).toString('base64');
}

export class WechatPayFake {
  readonly payments = new Map<string, FakePayment>();
  readonly refunds = new Map<string, FakeRefund>();
  readonly requests: FakeRequestLog[] = [];
  /** Error answers to give, in order, to the next authenticated requests. */
  readonly failures: FakeFailure[] = [];
  /** Alter one byte of the next answer after signing it (a man in the middle). */
  tamperNextAnswer = false;
  private readonly platformKey: KeyObject;
  private readonly merchantKeys = new Map<string, KeyObject>();
  private readonly now: () => number;
  private seq = 0;

  constructor(readonly opts: WechatPayFakeOptions) {
    if (Buffer.byteLength(opts.apiV3Key) !== 32) throw new Error('the APIv3 key is 32 bytes');
    this.platformKey = keyObject(opts.platform.privateKey, 'private');
    for (const [serial, k] of Object.entries(opts.merchantKeys)) this.merchantKeys.set(serial.toUpperCase(), keyObject(k, 'public'));
    this.now = opts.now ?? Date.now;
  }

  private nextId(prefix: string, width: number): string {
    this.seq += 1;
    return prefix + String(this.now()).slice(-10) + String(this.seq).padStart(width - prefix.length - 10, '0');
  }

  /** A payment WeChat knows about (paid unless `tradeState` says otherwise). */
  addPayment(p: { outTradeNo: string; total: number; payerTotal?: number; currency?: string; tradeState?: FakePayment['tradeState'] }): FakePayment {
    const state = p.tradeState ?? 'SUCCESS';
    const payment: FakePayment = {
      outTradeNo: p.outTradeNo,
      transactionId: this.nextId('42000', 28),
      tradeState: state,
      total: p.total,
      payerTotal: p.payerTotal ?? p.total,
      currency: p.currency ?? 'CNY',
      successTime: state === 'SUCCESS' ? beijingRfc3339(this.now()) : null,
      refunded: 0,
    };
    this.payments.set(p.outTradeNo, payment);
    return payment;
  }

  /**
   * A callback: the resource JSON encrypted with AES-256-GCM (APIv3 key, a 12-character nonce, associated_data),
   * ciphertext‖tag in base64, the envelope signed over `timestamp\nnonce\nbody\n`. Overrides let tests forge.
   */
  notice(
    eventType: string,
    originalType: string,
    resource: object,
    o: { id?: string; summary?: string; timestamp?: number; nonce?: string; associatedData?: string; serial?: string; signWith?: KeyObject } = {},
  ): FakeNotice {
    const resourceNonce = randomText(12);
    const aad = o.associatedData ?? originalType;
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(this.opts.apiV3Key, 'utf8'), Buffer.from(resourceNonce, 'utf8'));
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(resource), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const envelope = {
      id: o.id ?? randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
      create_time: beijingRfc3339(this.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: o.summary ?? (eventType === 'TRANSACTION.SUCCESS' ? '支付成功' : eventType === 'REFUND.SUCCESS' ? '退款成功' : eventType === 'REFUND.CLOSED' ? '退款关闭' : '退款异常'),
      resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext: sealed.toString('base64'), associated_data: aad, nonce: resourceNonce },
    };
    const rawBody = Buffer.from(JSON.stringify(envelope), 'utf8');
    const timestamp = String(o.timestamp ?? Math.floor(this.now() / 1000));
    const nonce = o.nonce ?? randomText(32);
    return {
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-serial': o.serial ?? this.opts.platform.serial,
        'wechatpay-signature': fakeSignLines(o.signWith ?? this.platformKey, [timestamp, nonce, rawBody]),
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
        'request-id': randomBytes(16).toString('hex'),
      },
      rawBody,
    };
  }

  /** The transaction as the query and TRANSACTION.SUCCESS carry it. */
  transactionJson(p: FakePayment): Record<string, unknown> {
    const paid = p.tradeState === 'SUCCESS' || p.tradeState === 'REFUND';
    const desc: Record<FakePayment['tradeState'], string> = {
      SUCCESS: '支付成功', REFUND: '转入退款', NOTPAY: '订单未支付', CLOSED: '订单已关闭', REVOKED: '已撤销', USERPAYING: '用户支付中', PAYERROR: '支付失败',
    };
    return {
      appid: this.opts.appid,
      mchid: this.opts.mchid,
      out_trade_no: p.outTradeNo,
      ...(paid ? { transaction_id: p.transactionId, trade_type: 'JSAPI', bank_type: 'OTHERS', success_time: p.successTime, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } } : {}),
      trade_state: p.tradeState,
      trade_state_desc: desc[p.tradeState],
      attach: '',
      amount: paid ? { total: p.total, payer_total: p.payerTotal, currency: p.currency, payer_currency: p.currency } : { total: p.total, currency: p.currency, payer_currency: p.currency },
    };
  }

  /** The refund as the refund API answers it. */
  refundJson(r: FakeRefund): Record<string, unknown> {
    return {
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      transaction_id: r.transactionId,
      out_trade_no: r.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(r.successTime ? { success_time: r.successTime } : {}),
      create_time: r.createTime,
      status: r.status,
      funds_account: 'AVAILABLE',
      amount: {
        total: r.total, refund: r.refund, from: [], payer_total: r.total, payer_refund: r.refund,
        settlement_refund: r.refund, settlement_total: r.total, discount_refund: 0, currency: r.currency,
      },
      promotion_detail: [],
    };
  }

  /** TRANSACTION.SUCCESS for a paid payment. */
  paymentNotice(outTradeNo: string, o: Parameters<WechatPayFake['notice']>[3] = {}): FakeNotice {
    const p = this.payments.get(outTradeNo);
    if (!p) throw new Error(`no payment ${outTradeNo}`);
    return this.notice('TRANSACTION.SUCCESS', 'transaction', this.transactionJson(p), o);
  }

  /** REFUND.SUCCESS / REFUND.CLOSED / REFUND.ABNORMAL for a refund that reached one of those states. */
  refundNotice(outRefundNo: string, o: Parameters<WechatPayFake['notice']>[3] = {}): FakeNotice {
    const r = this.refunds.get(outRefundNo);
    if (!r || r.status === 'PROCESSING') throw new Error(`refund ${outRefundNo} has no result yet`);
    const resource = {
      mchid: this.opts.mchid,
      out_trade_no: r.outTradeNo,
      transaction_id: r.transactionId,
      out_refund_no: r.outRefundNo,
      refund_id: r.refundId,
      refund_status: r.status,
      ...(r.successTime ? { success_time: r.successTime } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund },
    };
    return this.notice(`REFUND.${r.status}`, 'refund', resource, o);
  }

  /** WeChat finishes a refund; returns the callback it would send to the refund's notify_url. */
  settleRefund(outRefundNo: string, status: 'SUCCESS' | 'CLOSED' | 'ABNORMAL' = 'SUCCESS'): FakeNotice {
    const r = this.refunds.get(outRefundNo);
    if (!r) throw new Error(`no refund ${outRefundNo}`);
    r.status = status;
    if (status === 'SUCCESS') r.successTime = beijingRfc3339(this.now());
    // A closed refund gives the money back to what may be refunded.
    if (status === 'CLOSED') {
      const p = this.payments.get(r.outTradeNo);
      if (p) p.refunded -= r.refund;
    }
    return this.refundNotice(outRefundNo);
  }

  /** POSTs a callback to a URL, as WeChat does (the hub's endpoint in an end-to-end test). */
  async deliver(url: string, n: FakeNotice): Promise<Response> {
    return fetch(url, { method: 'POST', headers: n.headers, body: n.rawBody });
  }

  /** WeChat's check of Authorization: scheme, mchid, a known merchant serial, timestamp within 5 min, signature. */
  private checkAuthorization(method: string, url: string, auth: string | undefined, body: Buffer): string | null {
    if (!auth) return 'Authorization is missing';
    const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(auth);
    if (!m) return 'the scheme is not WECHATPAY2-SHA256-RSA2048';
    const fields = new Map<string, string>();
    for (const part of m[1]!.split(',')) {
      const kv = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
      if (!kv) return 'Authorization is malformed';
      if (fields.has(kv[1]!)) return `${kv[1]} is repeated`;
      fields.set(kv[1]!, kv[2]!);
    }
    const [mchid, nonce, signature, timestamp, serial] = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'].map((k) => fields.get(k));
    if (!mchid || !nonce || !signature || !timestamp || !serial) return 'Authorization lacks a field';
    if (mchid !== this.opts.mchid) return `mchid ${mchid} is not this merchant`;
    const key = this.merchantKeys.get(serial.toUpperCase());
    if (!key) return `serial_no ${serial} is not a certificate of this merchant`;
    if (!/^\d+$/.test(timestamp) || Math.abs(this.now() / 1000 - Number(timestamp)) >= 300) return 'timestamp is outside 5 minutes';
    const message = Buffer.concat([Buffer.from(`${method}\n${url}\n${timestamp}\n${nonce}\n`), body, Buffer.from('\n')]);
    return verify('RSA-SHA256', message, key, Buffer.from(signature, 'base64')) ? null : 'the signature does not verify';
  }

  private answer(res: ServerResponse, status: number, payload: unknown, signed = true): void {
    let body = Buffer.from(payload === undefined ? '' : JSON.stringify(payload), 'utf8');
    const headers: Record<string, string> = { 'request-id': randomBytes(16).toString('hex') };
    if (body.length) headers['content-type'] = 'application/json; charset=utf-8';
    if (signed) {
      const timestamp = String(Math.floor(this.now() / 1000));
      const nonce = randomText(32);
      headers['wechatpay-timestamp'] = timestamp;
      headers['wechatpay-nonce'] = nonce;
      headers['wechatpay-serial'] = this.opts.platform.serial;
      headers['wechatpay-signature'] = fakeSignLines(this.platformKey, [timestamp, nonce, body]);
      headers['wechatpay-signature-type'] = 'WECHATPAY2-SHA256-RSA2048';
    }
    if (this.tamperNextAnswer && body.length) {
      this.tamperNextAnswer = false;
      body = Buffer.from(body);
      // One digit of the body changed: an amount, say.
      const i = body.findIndex((b) => b >= 0x30 && b <= 0x39);
      body[i >= 0 ? i : 0] = (body[i >= 0 ? i : 0]! ^ 0x01) & 0xff;
    }
    res.writeHead(status, headers).end(body);
  }

  private fail(res: ServerResponse, status: number, code: string, message: string, signed = true): void {
    this.answer(res, status, { code, message }, signed);
  }

  /** The node:http handler. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        this.route(req.method ?? 'GET', req.url ?? '/', req.headers.authorization, Buffer.concat(chunks), res);
      } catch (e) {
        this.fail(res, 500, 'SYSTEM_ERROR', e instanceof Error ? e.message : 'error');
      }
    });
  };

  private route(method: string, url: string, auth: string | undefined, body: Buffer, res: ServerResponse): void {
    const log: FakeRequestLog = { method, url, authorization: auth, body: body.toString('utf8') };
    this.requests.push(log);
    const refused = this.checkAuthorization(method, url, auth, body);
    if (refused) {
      log.refused = refused;
      // WeChat does not sign its answer to a request it could not authenticate.
      return this.fail(res, 401, 'SIGN_ERROR', `签名错误: ${refused}`, false);
    }
    const failure = this.failures.shift();
    if (failure) return this.fail(res, failure.status, failure.code, failure.message, failure.signed ?? true);
    const u = new URL(url, 'http://fake.invalid');
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(u.pathname))) {
      if (u.searchParams.get('mchid') !== this.opts.mchid) return this.fail(res, 400, 'PARAM_ERROR', '商户号mchid与订单不符或缺失');
      const p = this.payments.get(decodeURIComponent(m[1]!));
      if (!p) return this.fail(res, 404, 'ORDER_NOT_EXIST', '订单不存在');
      return this.answer(res, 200, this.transactionJson(p));
    }
    if (method === 'POST' && u.pathname === '/v3/refund/domestic/refunds') return this.createRefund(body, res);
    if (method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(u.pathname))) {
      const r = this.refunds.get(decodeURIComponent(m[1]!));
      if (!r) return this.fail(res, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
      return this.answer(res, 200, this.refundJson(r));
    }
    return this.fail(res, 404, 'NOT_FOUND', `no such API: ${method} ${u.pathname}`);
  }

  private createRefund(body: Buffer, res: ServerResponse): void {
    let b: { out_trade_no?: unknown; transaction_id?: unknown; out_refund_no?: unknown; reason?: unknown; notify_url?: unknown; amount?: { refund?: unknown; total?: unknown; currency?: unknown } };
    try {
      b = JSON.parse(body.toString('utf8')) as typeof b;
    } catch {
      return this.fail(res, 400, 'PARAM_ERROR', '请求体不是合法的JSON');
    }
    const a = b.amount;
    const isFen = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
    if (typeof b.out_refund_no !== 'string' || !b.out_refund_no || !a || !isFen(a.refund) || !isFen(a.total) || a.currency !== 'CNY') {
      return this.fail(res, 400, 'PARAM_ERROR', '参数错误: out_refund_no, amount.refund, amount.total, amount.currency(CNY)');
    }
    const p = typeof b.out_trade_no === 'string'
      ? this.payments.get(b.out_trade_no)
      : [...this.payments.values()].find((x) => x.transactionId === b.transaction_id);
    if (!p) return this.fail(res, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const existing = this.refunds.get(b.out_refund_no);
    if (existing) {
      // One out_refund_no is one refund: the same request again gets the same refund, never a second one.
      if (existing.outTradeNo !== p.outTradeNo || existing.refund !== a.refund || existing.total !== a.total) {
        return this.fail(res, 400, 'INVALID_REQUEST', '同一商户退款单号的请求参数与原请求不一致');
      }
      return this.answer(res, 200, this.refundJson(existing));
    }
    if (p.tradeState !== 'SUCCESS' && p.tradeState !== 'REFUND') return this.fail(res, 400, 'INVALID_REQUEST', '订单未支付或已关闭，不能退款');
    if (a.total !== p.total) return this.fail(res, 400, 'PARAM_ERROR', '订单金额total与原订单金额不一致');
    if (a.refund > p.total - p.refunded) return this.fail(res, 400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    const r: FakeRefund = {
      outRefundNo: b.out_refund_no,
      refundId: this.nextId('50', 29),
      outTradeNo: p.outTradeNo,
      transactionId: p.transactionId,
      refund: a.refund,
      total: a.total,
      currency: 'CNY',
      reason: typeof b.reason === 'string' ? b.reason : null,
      notifyUrl: typeof b.notify_url === 'string' ? b.notify_url : null,
      status: 'PROCESSING',
      createTime: beijingRfc3339(this.now()),
      successTime: null,
    };
    this.refunds.set(r.outRefundNo, r);
    p.refunded += a.refund;
    p.tradeState = 'REFUND';
    return this.answer(res, 200, this.refundJson(r));
  }

  /** Serves the API on 127.0.0.1 (a free port); `url` is the apiBase to configure. */
  async listen(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer(this.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
    };
  }
}

// Alipay (OpenAPI v1, RSA2): the notice verifier, the API client and the fake, each checked against alipay-sdk (v4)
// as the independent oracle and against each other.
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlipaySdk } from 'alipay-sdk';
import { HubError } from '../../src/kernel/errors.ts';
import { alipayAnswers, configProblems, decodeAlipayForm, verifyAlipayNotice, type AlipayNoticeOptions } from '../../src/modules/payments/providers/alipay/notice.ts';
import { AlipayApiError, createAlipayClient, rawMembers, requestSignContent, type AlipayClientOptions } from '../../src/modules/payments/providers/alipay/client.ts';
import { appPrivateKeyObject, rsa2Sign, type AlipayConfig } from '../../src/modules/payments/providers/alipay/common.ts';
import { FakeAlipay, type FakeNotice } from '../../src/sandbox/fakes/alipay.ts';

const appId = '2021000123456789';
const sellerId = '2088102177296610';
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ali = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

const pem = (k: { export(o: { type: 'pkcs8' | 'spki' | 'pkcs1'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki' | 'pkcs1') => String(k.export({ type, format: 'pem' }));
const bare = (p: string) => p.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
const appPrivatePem = pem(app.privateKey, 'pkcs8');
// As the Alipay console shows it: bare base64 SPKI.
const alipayPublicBare = bare(pem(ali.publicKey, 'spki'));

const start = Date.UTC(2026, 10, 22, 2, 0, 0); // 2026-11-22 10:00:00 Beijing
let clock = start;
const now = () => clock;

const config: AlipayConfig = { appId, appPrivateKey: appPrivatePem, alipayPublicKey: alipayPublicBare, sellerId };
let fake: FakeAlipay;
let gateway: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  fake = new FakeAlipay({ appId, appPublicKey: app.publicKey, alipayPrivateKey: ali.privateKey, sellerId, now });
  gateway = await fake.listen();
});
afterAll(async () => {
  await gateway.close();
});
beforeEach(() => {
  clock = start;
  fake.trades.clear();
});

const sdk = () => new AlipaySdk({ appId, privateKey: appPrivatePem, keyType: 'PKCS8', alipayPublicKey: alipayPublicBare, gateway: gateway.url });
const client = (over: Partial<AlipayConfig> = {}, opts: AlipayClientOptions = {}) => createAlipayClient({ ...config, gateway: gateway.url, ...over }, { now, ...opts });
const verify = (n: Pick<FakeNotice, 'headers' | 'rawBody'>, opts: AlipayNoticeOptions = {}, cfg: AlipayConfig = config) =>
  verifyAlipayNotice({ headers: n.headers, rawBody: n.rawBody, now: clock }, cfg, opts);
/** What a web framework hands alipay-sdk: the decoded form fields. */
const postData = (n: Pick<FakeNotice, 'rawBody'>) => Object.fromEntries(new URLSearchParams(n.rawBody.toString('latin1')));

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof HubError) return e.code;
    throw e;
  }
  return 'accepted';
}

async function apiFailure(p: Promise<unknown>): Promise<AlipayApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AlipayApiError) return e;
    throw e;
  }
  throw new Error('expected an AlipayApiError');
}

/** The raw body with one field's encoded value replaced (the rest byte for byte as sent). */
function withField(n: FakeNotice, key: string, value: string | null): FakeNotice {
  const parts = n.rawBody
    .toString('latin1')
    .split('&')
    .filter((p) => value !== null || !p.startsWith(`${key}=`))
    .map((p) => (p.startsWith(`${key}=`) ? `${key}=${encodeURIComponent(value ?? '')}` : p));
  return { ...n, rawBody: Buffer.from(parts.join('&'), 'latin1') };
}

describe('Alipay notices', () => {
  it('verifies a payment notice exactly as alipay-sdk does, and says what it claims', () => {
    fake.createTrade({ outTradeNo: 'HUB-1', total: 8800, paid: true });
    const n = fake.paymentNotice('HUB-1');
    expect(sdk().checkNotifySignV2(postData(n))).toBe(true);
    const v = verify(n);
    expect(v).toMatchObject({
      provider: 'alipay',
      noticeId: n.fields.notify_id,
      kind: 'payment',
      providerState: 'TRADE_SUCCESS',
      success: true,
      outTradeNo: 'HUB-1',
      transactionId: fake.trades.get('HUB-1')?.tradeNo,
      outRefundNo: null,
      amount: { value: 8800, currency: 'CNY' },
      merchant: { app_id: appId, auth_app_id: appId, seller_id: sellerId },
      occurredAt: start,
    });
    expect((v.content as Record<string, string>).fund_bill_list).toBe('[{"amount":"88.00","fundChannel":"ALIPAYACCOUNT"}]');
  });

  it('decodes the form (+, %XX, UTF-8) and keeps empty values in the signed string, as the SDKs do', () => {
    fake.createTrade({ outTradeNo: 'HUB-2', total: 1999, paid: true, subject: '中文 & = + % 100%/订单' });
    const n = fake.paymentNotice('HUB-2', { body: '', passback_params: 'a=1&b=2' });
    expect(n.rawBody.toString('latin1')).toContain('subject=%E4%B8%AD%E6%96%87+%26+%3D+%2B+%25+100%25%2F');
    expect(sdk().checkNotifySignV2(postData(n))).toBe(true);
    const v = verify(n);
    expect((v.content as Record<string, string>).subject).toBe('中文 & = + % 100%/订单');
    expect((v.content as Record<string, string>).body).toBe('');

    // Signed with the empty field left out: neither the SDK nor the verifier accepts it.
    const fields = { ...n.fields };
    delete fields.sign;
    const content = Object.keys(fields)
      .filter((k) => k !== 'sign_type' && fields[k] !== '')
      .sort()
      .map((k) => `${k}=${fields[k]}`)
      .join('&');
    const skipped = withField(n, 'sign', createSign('RSA-SHA256').update(content, 'utf8').sign(ali.privateKey, 'base64'));
    expect(sdk().checkNotifySignV2(postData(skipped))).toBe(false);
    expect(refusal(() => verify(skipped))).toBe('SIGNATURE_INVALID');
  });

  it('refuses one tampered byte anywhere, agreeing with the SDK', () => {
    fake.createTrade({ outTradeNo: 'HUB-3', total: 8800, paid: true });
    const n = fake.paymentNotice('HUB-3');
    const cases: [string, FakeNotice, string][] = [
      ['amount', withField(n, 'total_amount', '88.01'), 'SIGNATURE_INVALID'],
      ['notify_time (the timestamp)', withField(n, 'notify_time', '2026-11-22 10:00:01'), 'SIGNATURE_INVALID'],
      ['notify_id (the nonce)', withField(n, 'notify_id', `${n.fields.notify_id?.slice(0, -1)}${n.fields.notify_id?.endsWith('0') ? '1' : '0'}`), 'SIGNATURE_INVALID'],
      ['out_trade_no', withField(n, 'out_trade_no', 'HUB-4'), 'SIGNATURE_INVALID'],
      ['app_id', withField(n, 'app_id', '2021000123456788'), 'SIGNATURE_INVALID'],
      ['seller_id', withField(n, 'seller_id', '2088102177296611'), 'SIGNATURE_INVALID'],
      ['trade_status', withField(n, 'trade_status', 'TRADE_FINISHED'), 'SIGNATURE_INVALID'],
      ['an extra field', { ...n, rawBody: Buffer.concat([n.rawBody, Buffer.from('&x=1')]) }, 'SIGNATURE_INVALID'],
      ['a field removed', withField(n, 'buyer_id', null), 'SIGNATURE_INVALID'],
      ['the signature', withField(n, 'sign', `${n.fields.sign?.slice(0, 20)}${n.fields.sign?.[20] === 'A' ? 'B' : 'A'}${n.fields.sign?.slice(21)}`), 'SIGNATURE_INVALID'],
      ['sign_type RSA (SHA1)', withField(n, 'sign_type', 'RSA'), 'SIGNATURE_INVALID'],
      ['no sign', withField(n, 'sign', null), 'SIGNATURE_MISSING'],
    ];
    expect(refusal(() => verify(n))).toBe('accepted');
    for (const [what, t, code] of cases) {
      expect(refusal(() => verify(t)), what).toBe(code);
      expect(sdk().checkNotifySignV2(postData(t)), what).toBe(false);
    }
    // Every single-byte flip in the body is refused.
    for (let i = 0; i < n.rawBody.length; i += 7) {
      const b = Buffer.from(n.rawBody);
      b[i] = (b[i] as number) ^ 0x01;
      expect(refusal(() => verify({ ...n, rawBody: b })), `byte ${i}`).not.toBe('accepted');
    }
    // No sign_type at all is refused too, though alipay-sdk would assume RSA2.
    expect(refusal(() => verify(withField(n, 'sign_type', null)))).toBe('SIGNATURE_MISSING');
  });

  it('verifies with Alipay’s key only (the previous one during a change of keys)', () => {
    fake.createTrade({ outTradeNo: 'HUB-5', total: 100, paid: true });
    const other = new FakeAlipay({ appId, appPublicKey: app.publicKey, alipayPrivateKey: stranger.privateKey, now });
    other.createTrade({ outTradeNo: 'HUB-5', total: 100, paid: true });
    const forged = other.paymentNotice('HUB-5');
    expect(refusal(() => verify(forged))).toBe('SIGNATURE_INVALID');
    const rotated = { ...config, alipayPublicKey: bare(pem(stranger.publicKey, 'spki')), previousAlipayPublicKey: alipayPublicBare };
    expect(refusal(() => verify(fake.paymentNotice('HUB-5'), {}, rotated))).toBe('accepted');
    // The app's own key (a common misconfiguration) verifies nothing.
    expect(refusal(() => verify(fake.paymentNotice('HUB-5'), {}, { ...config, alipayPublicKey: pem(app.publicKey, 'spki') }))).toBe('SIGNATURE_INVALID');
  });

  it('accepts Alipay’s retries for 25 h (same notify_id) and refuses older or future notices as replays', () => {
    fake.createTrade({ outTradeNo: 'HUB-6', total: 100, paid: true });
    const n = fake.paymentNotice('HUB-6');
    clock = start + 24 * 3_600_000 + 22 * 60_000; // the last retry, 24 h 22 min on
    expect(verify(n).noticeId).toBe(n.fields.notify_id);
    clock = start + 25 * 3_600_000 + 1000;
    expect(refusal(() => verify(n))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(refusal(() => verify(n, { maxAgeMs: 5 * 60_000 }))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    clock = start - 6 * 60_000;
    expect(refusal(() => verify(n))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    clock = start - 4 * 60_000;
    expect(refusal(() => verify(n))).toBe('accepted');
    clock = start;
    expect(refusal(() => verify(fake.paymentNotice('HUB-6', { notify_time: '2026-11-22T10:00:00+08:00' })))).toBe('TIMESTAMP_INVALID');
    expect(refusal(() => verify(fake.paymentNotice('HUB-6', { notify_time: '2026-02-30 10:00:00' })))).toBe('TIMESTAMP_INVALID');
    expect(refusal(() => verify(fake.paymentNotice('HUB-6', { notify_id: '' })))).toBe('EVENT_ID_MISSING');
  });

  it('parses amounts to fen exactly', () => {
    fake.createTrade({ outTradeNo: 'HUB-7', total: 100, paid: true });
    const amount = (total_amount: string) => verify(fake.paymentNotice('HUB-7', { total_amount })).amount?.value;
    expect(amount('0.01')).toBe(1);
    expect(amount('19.99')).toBe(1999);
    expect(amount('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(amount('88')).toBe(8800);
    expect(amount('1234567.80')).toBe(123456780);
    expect(refusal(() => amount('19.999'))).toBe('VALIDATION_FAILED');
    expect(refusal(() => amount('1,000.00'))).toBe('VALIDATION_FAILED');
  });

  it('calls only TRADE_SUCCESS and TRADE_FINISHED paid', () => {
    fake.createTrade({ outTradeNo: 'HUB-8', total: 100, paid: true });
    const states: [string, boolean][] = [
      ['TRADE_SUCCESS', true],
      ['TRADE_FINISHED', true],
      ['WAIT_BUYER_PAY', false],
      ['TRADE_CLOSED', false],
      ['TRADE_PENDING', false],
      ['SUCCESS', false],
      ['trade_success', false],
    ];
    for (const [trade_status, paid] of states) {
      const v = verify(fake.paymentNotice('HUB-8', { trade_status }));
      expect([v.kind, v.success], trade_status).toEqual(['payment', paid]);
    }
    const other = verify(fake.paymentNotice('HUB-8', { notify_type: 'trade_settle_sync' }));
    expect([other.kind, other.success, other.providerState]).toEqual(['other', false, 'trade_settle_sync']);
    // A TRADE_FINISHED after refunds (the refund window ended) is about the payment, not a refund.
    const finished = verify(fake.paymentNotice('HUB-8', { trade_status: 'TRADE_FINISHED', refund_fee: '0.50', gmt_refund: '2026-11-22 10:00:00.123' }));
    expect([finished.kind, finished.success]).toEqual(['payment', true]);
  });

  it('refuses other charsets and malformed forms clearly', () => {
    fake.createTrade({ outTradeNo: 'HUB-9', total: 100, paid: true });
    const n = fake.paymentNotice('HUB-9');
    expect(refusal(() => verify(fake.paymentNotice('HUB-9', { charset: 'GBK' })))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(refusal(() => verify({ ...n, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=GBK' } }))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(refusal(() => verify({ ...n, headers: { 'content-type': 'application/json' } }))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(refusal(() => verify({ ...n, headers: {} }))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(refusal(() => verify({ ...n, rawBody: Buffer.from(`${n.rawBody.toString('latin1')}&body=%FF`) }))).toBe('VALIDATION_FAILED');
    expect(refusal(() => verify({ ...n, rawBody: Buffer.from(`${n.rawBody.toString('latin1')}&body=%G1`) }))).toBe('VALIDATION_FAILED');
    expect(refusal(() => verify({ ...n, rawBody: Buffer.from(`${n.rawBody.toString('latin1')}&total_amount=1.00`) }))).toBe('VALIDATION_FAILED');
    expect(refusal(() => verify({ ...n, rawBody: Buffer.alloc(0) }))).toBe('SIGNATURE_MISSING');
    expect(decodeAlipayForm(Buffer.from('a=1+2&b=%E4%B8%AD&&c&d='))).toEqual(new Map([['a', '1 2'], ['b', '中'], ['c', ''], ['d', '']]));
  });

  it('answers `success` only as the 7 bytes Alipay waits for', () => {
    expect(alipayAnswers.success).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' });
    expect(alipayAnswers.failure.body).not.toBe('success');
  });
});

describe('Alipay client against the fake gateway', () => {
  it('signs requests byte for byte as alipay-sdk does', () => {
    const sdkQuery = new URLSearchParams(sdk().sdkExecute('alipay.trade.refund', { bizContent: { outTradeNo: 'HUB-1', refundAmount: '1.00', outRequestNo: 'RF-1' } }));
    const params = Object.fromEntries(sdkQuery);
    const { sign, ...unsigned } = params;
    // RSA PKCS#1 v1.5 is deterministic: the same canonical string gives the same signature.
    expect(rsa2Sign(requestSignContent(unsigned), appPrivateKeyObject(appPrivatePem))).toBe(sign);
    expect(requestSignContent({ b: '2', a: '1', empty: '', sign: 'x' })).toBe('a=1&b=2');

    const ours = client().signedParams('alipay.trade.query', { out_trade_no: 'HUB-1' });
    expect(ours).toMatchObject({ app_id: appId, method: 'alipay.trade.query', format: 'JSON', charset: 'utf-8', sign_type: 'RSA2', version: '1.0', timestamp: '2026-11-22 10:00:00' });
    expect(ours.biz_content).toBe('{"out_trade_no":"HUB-1"}');
  });

  it('the fake accepts alipay-sdk’s own requests and the SDK accepts the fake’s signed responses', async () => {
    fake.createTrade({ outTradeNo: 'HUB-10', total: 8800, paid: true });
    const r = await sdk().exec('alipay.trade.query', { bizContent: { out_trade_no: 'HUB-10' } }, { validateSign: true });
    expect(r).toMatchObject({ code: '10000', tradeStatus: 'TRADE_SUCCESS', totalAmount: '88.00', outTradeNo: 'HUB-10' });
    expect(fake.received.at(-1)?.signatureOk).toBe(true);
  });

  it('queries a trade, verified and in fen', async () => {
    const t = fake.createTrade({ outTradeNo: 'HUB-11', total: 12345, paid: true });
    const trade = await client().queryTrade('HUB-11');
    expect(trade).toMatchObject({ outTradeNo: 'HUB-11', tradeNo: t.tradeNo, tradeStatus: 'TRADE_SUCCESS', paid: true, totalAmount: 12345, receiptAmount: 12345, paidAt: start });
    expect(fake.received.at(-1)).toMatchObject({ method: 'alipay.trade.query', signatureOk: true });
    fake.createTrade({ outTradeNo: 'HUB-12', total: 100 });
    expect(await client().queryTrade('HUB-12')).toMatchObject({ tradeStatus: 'WAIT_BUYER_PAY', paid: false });
    expect(await client().queryTrade('NOPE')).toBeNull();
  });

  it('is refused by the gateway when a request is tampered with or signed by another key', async () => {
    fake.createTrade({ outTradeNo: 'HUB-13', total: 100, paid: true });
    fake.createTrade({ outTradeNo: 'HUB-14', total: 100, paid: true });
    const rewrite = (edit: (url: URL, body: string) => string): typeof fetch => (input, init) => {
      const url = new URL(String(input));
      const body = edit(url, String(init?.body ?? ''));
      return fetch(url, { ...init, body });
    };
    const cases: [string, AlipayClientOptions, Partial<AlipayConfig>][] = [
      ['biz_content', { fetch: rewrite((_u, b) => b.replace('HUB-13', 'HUB-14')) }, {}],
      ['timestamp', { fetch: rewrite((u, b) => (u.searchParams.set('timestamp', '2026-11-22 10:00:01'), b)) }, {}],
      ['sign', { fetch: rewrite((u, b) => (u.searchParams.set('sign', `A${u.searchParams.get('sign')?.slice(1)}`), b)) }, {}],
      ['key', {}, { appPrivateKey: pem(stranger.privateKey, 'pkcs8') }],
    ];
    for (const [what, opts, over] of cases) {
      const e = await apiFailure(client(over, opts).queryTrade('HUB-13'));
      expect([e.code, e.info.subCode, e.retryable], what).toEqual(['CONFIG_INVALID', 'isv.invalid-signature', false]);
      expect(fake.received.at(-1)?.signatureOk, what).toBe(false);
    }
    const wrongApp = await apiFailure(client({ appId: '2021000123456780' }).queryTrade('HUB-13'));
    expect([wrongApp.code, wrongApp.info.subCode]).toEqual(['CONFIG_INVALID', 'isv.invalid-app-id']);
  });

  it('trusts a response only when Alipay’s signature covers its exact raw text', async () => {
    fake.createTrade({ outTradeNo: 'HUB-15', total: 100, storeName: 'A/B 店' });
    const editResponse = (edit: (t: string) => string): typeof fetch => async (input, init) => {
      const r = await fetch(input, init);
      return new Response(edit(await r.text()), { status: r.status });
    };
    const forged = await apiFailure(client({}, { fetch: editResponse((t) => t.replace('WAIT_BUYER_PAY', 'TRADE_SUCCESS')) }).queryTrade('HUB-15'));
    expect([forged.code, forged.retryable]).toEqual(['SIGNATURE_INVALID', false]);
    // Re-serialised JSON (spaces) no longer matches the bytes Alipay signed.
    const reserialised = await apiFailure(client({}, { fetch: editResponse((t) => t.replace('"code":"10000"', '"code": "10000"')) }).queryTrade('HUB-15'));
    expect(reserialised.code).toBe('SIGNATURE_INVALID');
    fake.failNext('bad-signature');
    expect((await apiFailure(client().queryTrade('HUB-15'))).code).toBe('SIGNATURE_INVALID');
    fake.failNext('unsigned-success');
    expect((await apiFailure(client().queryTrade('HUB-15'))).code).toBe('SIGNATURE_MISSING');
    fake.failNext('escaped-slashes');
    expect(await client().queryTrade('HUB-15')).toMatchObject({ tradeStatus: 'WAIT_BUYER_PAY', raw: { store_name: 'A/B 店' } });
    // The extraction is the SDK's too: a raw response verifies with alipay-sdk's checkResponseSign.
    const text = await (await fetch(new URL(`${gateway.url}?${new URLSearchParams(client().signedParams('alipay.trade.query', { out_trade_no: 'HUB-15' }))}`), { method: 'POST' })).text();
    const sign = JSON.parse(text).sign as string;
    expect(() => sdk().checkResponseSign(text, 'alipay_trade_query_response', sign, 't')).not.toThrow();
    expect(JSON.parse(rawMembers(text).get('alipay_trade_query_response') ?? '')).toMatchObject({ code: '10000' });
  });

  it('maps errors: retryable (20000, ACQ.SYSTEM_ERROR, 5xx, network, timeout, garbage) or not', async () => {
    fake.createTrade({ outTradeNo: 'HUB-16', total: 100, paid: true });
    const c = client();
    const expectations: [Parameters<FakeAlipay['failNext']>[0], string, string][] = [
      ['unavailable', 'NOT_READY', '20000'],
      ['system-error', 'NOT_READY', '40004'],
      ['http-502', 'NOT_READY', 'HTTP_502'],
      ['not-json', 'BODY_INVALID_JSON', 'RESPONSE'],
    ];
    for (const [fault, code, alipayCode] of expectations) {
      fake.failNext(fault);
      const e = await apiFailure(c.queryTrade('HUB-16'));
      expect([e.code, e.info.alipayCode, e.retryable], fault).toEqual([code, alipayCode, true]);
    }
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gateway.do`;
    await new Promise<void>((r) => closed.close(() => r()));
    const network = await apiFailure(client({ gateway: deadUrl }).queryTrade('HUB-16'));
    expect([network.code, network.info.alipayCode, network.retryable]).toEqual(['NOT_READY', 'NETWORK', true]);
    const hang: typeof fetch = (_i, init) => new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const timeout = await apiFailure(client({}, { fetch: hang, timeoutMs: 30 }).queryTrade('HUB-16'));
    expect([timeout.info.alipayCode, timeout.retryable]).toEqual(['TIMEOUT', true]);

    const notFound = await apiFailure(c.refund({ outTradeNo: 'NOPE', outRequestNo: 'RF-X', amount: 100 }));
    expect([notFound.code, notFound.info.alipayCode, notFound.info.subCode, notFound.retryable, notFound.info.signed]).toEqual(['ORDER_NOT_FOUND', '40004', 'ACQ.TRADE_NOT_EXIST', false, true]);
    const tooMuch = await apiFailure(c.refund({ outTradeNo: 'HUB-16', outRequestNo: 'RF-Y', amount: 101 }));
    expect([tooMuch.code, tooMuch.info.subCode, tooMuch.retryable]).toEqual(['CONFLICT', 'ACQ.REASON_TRADE_REFUND_FEE_ERR', false]);
    // An unsigned gateway error is reported as an error, marked unsigned.
    const unsigned: typeof fetch = async () =>
      new Response('{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-method","sub_msg":"不存在的方法名"}}');
    const invalid = await apiFailure(client({}, { fetch: unsigned }).queryTrade('HUB-16'));
    expect([invalid.code, invalid.info.subCode, invalid.info.signed, invalid.retryable]).toEqual(['VALIDATION_FAILED', 'isv.invalid-method', false, false]);
    // …and an unsigned "trade does not exist" is not taken as a fact.
    const unsignedMissing: typeof fetch = async () =>
      new Response('{"alipay_trade_query_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}}');
    expect((await apiFailure(client({}, { fetch: unsignedMissing }).queryTrade('HUB-16'))).code).toBe('ORDER_NOT_FOUND');
  });

  it('refunds once per out_request_no, however often it is sent', async () => {
    fake.createTrade({ outTradeNo: 'HUB-17', total: 5000, paid: true });
    const c = client();
    const first = await c.refund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-1', amount: 1250, reason: '缺货' });
    expect(first).toMatchObject({ fundChange: true, refundedTotal: 1250, refundedAt: start });
    const again = await c.refund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-1', amount: 1250, reason: '缺货' });
    expect(again).toMatchObject({ fundChange: false, refundedTotal: 1250 });
    expect(fake.trades.get('HUB-17')?.refunds.size).toBe(1);
    const discordant = await apiFailure(c.refund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-1', amount: 1300 }));
    expect([discordant.code, discordant.info.subCode]).toEqual(['CONFLICT', 'ACQ.DISCORDANT_REPEAT_REQUEST']);

    // The refund went through but its answer was lost (the fake answers ACQ.SYSTEM_ERROR after doing it): the retry
    // with the same out_request_no moves no money and says fund_change N, so only the refund query tells.
    clock += 1000;
    fake.failNext('system-error');
    expect((await apiFailure(c.refund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-2', amount: 750 }))).retryable).toBe(true);
    expect(await c.refund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-2', amount: 750 })).toMatchObject({ fundChange: false, refundedTotal: 2000 });
    expect(fake.trades.get('HUB-17')?.refunds.size).toBe(2);
    expect(await c.queryRefund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-2' })).toMatchObject({ refunded: true, refundAmount: 750, outRequestNo: 'RF-2', refundedAt: start + 1000 });
    expect(await c.queryRefund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-9' })).toMatchObject({ refunded: false, refundAmount: null });
    await expect(c.refund({ outTradeNo: 'HUB-17', outRequestNo: 'RF-3', amount: 12.5 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('sends refund notices afterwards: partial (TRADE_SUCCESS), full (TRADE_CLOSED), delivered until `success`', async () => {
    fake.createTrade({ outTradeNo: 'HUB-18', total: 3000, paid: true });
    const c = client();
    clock += 60_000;
    await c.refund({ outTradeNo: 'HUB-18', outRequestNo: 'RF-A', amount: 1000 });
    const partial = verify(fake.refundNotice('HUB-18', 'RF-A'));
    expect(partial).toMatchObject({ kind: 'refund', success: true, providerState: 'TRADE_SUCCESS', outRefundNo: 'RF-A', amount: { value: 1000, currency: 'CNY' }, occurredAt: start + 60_000 });
    expect(sdk().checkNotifySignV2(postData(fake.refundNotice('HUB-18', 'RF-A')))).toBe(true);
    await c.refund({ outTradeNo: 'HUB-18', outRequestNo: 'RF-B', amount: 2000 });
    const full = verify(fake.refundNotice('HUB-18', 'RF-B'));
    // refund_fee is the trade's refunded total.
    expect(full).toMatchObject({ kind: 'refund', success: true, providerState: 'TRADE_CLOSED', outRefundNo: 'RF-B', amount: { value: 3000, currency: 'CNY' } });
    expect(await c.queryTrade('HUB-18')).toMatchObject({ tradeStatus: 'TRADE_CLOSED', paid: false });
    // A trade closed unpaid is a payment notice that did not succeed.
    fake.createTrade({ outTradeNo: 'HUB-19', total: 100 });
    expect(verify(fake.paymentNotice('HUB-19', { trade_status: 'TRADE_CLOSED' }))).toMatchObject({ kind: 'payment', success: false });

    // Alipay's view of delivery: only the body `success` stops the retries.
    let committed = false;
    const hub = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        let answer = alipayAnswers.failure;
        try {
          verifyAlipayNotice({ headers: req.headers, rawBody: Buffer.concat(chunks), now: clock }, config);
          if (committed) answer = alipayAnswers.success;
        } catch {
          answer = alipayAnswers.failure;
        }
        res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      });
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/notify/alipay`;
    const notice = fake.refundNotice('HUB-18', 'RF-B');
    expect((await fake.deliver(url, notice)).delivered).toBe(false);
    committed = true;
    expect(await fake.deliver(url, notice)).toEqual({ status: 200, body: 'success', delivered: true });
    await new Promise<void>((r) => hub.close(() => r()));
  });
});

describe('Alipay configuration', () => {
  it('accepts keys as the console and key tool give them, and names the usual mistakes', () => {
    expect(configProblems(config)).toEqual([]);
    expect(configProblems({ ...config, appPrivateKey: bare(pem(app.privateKey, 'pkcs1')), alipayPublicKey: pem(ali.publicKey, 'pkcs1') })).toEqual([]);
    expect(configProblems({ ...config, appPrivateKey: bare(appPrivatePem) })).toEqual([]);
    expect(configProblems({ ...config, alipayPublicKey: bare(pem(app.publicKey, 'spki')) })).toEqual([
      "alipayPublicKey is the app's own public key: use the Alipay public key (支付宝公钥)",
    ]);
    expect(configProblems({ ...config, appId: '123', alipayPublicKey: 'not a key!', gateway: 'http://example.com/gateway.do' })).toEqual([
      'appId must be the 16-digit APPID',
      'key is neither PEM nor base64',
      'gateway must be an https URL (plain http only on loopback)',
    ]);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(configProblems({ ...config, appPrivateKey: pem(small.privateKey, 'pkcs8') })).toEqual(['appPrivateKey is shorter than 2048 bits (RSA2 keys are 2048)']);
    expect(configProblems({ ...config, sellerId: '1234' })).toEqual(['sellerId must be the 16-digit PID starting with 2088']);
    expect(configProblems(undefined)).toHaveLength(3);
  });
});

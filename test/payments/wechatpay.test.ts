// WeChat Pay APIv3: the callback verifier and the API client against an independent oracle (wechatpay-axios-plugin's
// Rsa, Aes.AesGcm and Formatter, and its whole axios client) and against the local fake, which shares no code with
// either. Both key modes: platform certificate (an X.509 fixture) and WeChat Pay public key (PUB_KEY_ID_…).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { HubError } from '../../src/kernel/errors.ts';
import type { NoticeRequest } from '../../src/modules/payments/providers/types.ts';
import { WechatPayApiError, createWechatPayClient, wechatPayAuthorization } from '../../src/modules/payments/providers/wechatpay/client.ts';
import { WechatPayFake, type FakeNotice } from '../../src/sandbox/fakes/wechatpay.ts';
import {
  configProblems,
  verifyWechatPayNotice,
  wechatPayNoticeFailure,
  wechatPayNoticeSuccess,
  type WechatPayConfig,
} from '../../src/modules/payments/providers/wechatpay/notice.ts';
import { platformCertificatePem, platformCertificatePrivatePem, platformCertificateSerial, rsaKeyPair } from './support/wechatpay.ts';

const mchid = '1900000109';
const appid = 'wxd678efh567hg6787';
const apiV3Key = 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE';
const otherApiV3Key = 'Zz3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE';
const merchantSerialNo = '3775B6A45ACD588826D15E583A95F5DD0D0F8D21';
const publicKeyId = 'PUB_KEY_ID_0114232134912410000000000000';
/** A fixed "now" for the callback tests: Beijing 2027-01-15 10:00:00. */
const NOW = Date.UTC(2027, 0, 15, 2, 0, 0);

const merchant = rsaKeyPair();
const wechatPub = rsaKeyPair();
const stranger = rsaKeyPair();

const config: WechatPayConfig = {
  mchid,
  appids: [appid],
  apiV3Key,
  merchantSerialNo,
  merchantPrivateKey: merchant.privatePem,
  platformCertificates: { [platformCertificateSerial]: platformCertificatePem },
  publicKeys: { [publicKeyId]: wechatPub.publicPem },
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof HubError) return e.code;
    throw e;
  }
  return 'ACCEPTED';
}

function hubErrorOf(fn: () => unknown): HubError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
  throw new Error('accepted');
}

const req = (n: FakeNotice, now = NOW): NoticeRequest => ({ headers: { ...n.headers }, rawBody: n.rawBody, now });

/**
 * A callback built with the oracle only: AesGcm.encrypt seals the resource, Formatter.response builds the signed
 * message, Rsa.sign signs it. Knobs let a test sign something WeChat would not (a wrong AAD, a changed ciphertext).
 */
function oracleNotice(
  eventType: string,
  resource: object,
  o: {
    serial?: string;
    key?: string;
    now?: number;
    aadForEncrypt?: string;
    aadInBody?: string;
    mutateCiphertext?: (b64: string) => string;
    resourceNonceInBody?: string;
    apiKey?: string;
    envelope?: (e: Record<string, unknown>) => Record<string, unknown>;
    rawPlaintext?: string;
  } = {},
): FakeNotice {
  const originalType = eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
  const nonce12 = 'fdasflkja484';
  const aad = o.aadForEncrypt ?? originalType;
  let ciphertext = Aes.AesGcm.encrypt(o.rawPlaintext ?? JSON.stringify(resource), o.apiKey ?? apiV3Key, nonce12, aad);
  if (o.mutateCiphertext) ciphertext = o.mutateCiphertext(ciphertext);
  let envelope: Record<string, unknown> = {
    id: 'EV-2018022511223320873',
    create_time: '2027-01-15T09:59:58+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: o.aadInBody ?? aad, nonce: o.resourceNonceInBody ?? nonce12 },
  };
  if (o.envelope) envelope = o.envelope(envelope);
  const body = JSON.stringify(envelope);
  const timestamp = Math.floor((o.now ?? NOW) / 1000);
  const nonce = Formatter.nonce();
  const signature = Rsa.sign(Formatter.response(timestamp, nonce, body), o.key ?? wechatPub.privatePem);
  return {
    headers: {
      'wechatpay-timestamp': String(timestamp),
      'wechatpay-nonce': nonce,
      'wechatpay-serial': o.serial ?? publicKeyId,
      'wechatpay-signature': signature,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    rawBody: Buffer.from(body),
  };
}

const transaction = (over: Record<string, unknown> = {}, amount: Record<string, unknown> = {}) => ({
  mchid,
  appid,
  out_trade_no: 'HUB20270115000001',
  transaction_id: '1217752501201407033233368018',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'CMC',
  attach: '',
  success_time: '2027-01-15T09:59:56+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 8800, payer_total: 8700, currency: 'CNY', payer_currency: 'CNY', ...amount },
  ...over,
});

const refundResource = (status: string, over: Record<string, unknown> = {}) => ({
  mchid,
  out_trade_no: 'HUB20270115000001',
  transaction_id: '1217752501201407033233368018',
  out_refund_no: 'RF20270115000001',
  refund_id: '50000000382019052709732678859',
  refund_status: status,
  ...(status === 'SUCCESS' ? { success_time: '2027-01-15T09:59:00+08:00' } : {}),
  user_received_account: '招商银行信用卡0403',
  amount: { total: 8800, refund: 3050, payer_total: 8800, payer_refund: 3050 },
  ...over,
});

/** The fake, as WeChat, on the fixed clock: public-key mode unless told otherwise. */
function fakeAt(now: number, platform: { serial: string; privateKey: string } = { serial: publicKeyId, privateKey: wechatPub.privatePem }): WechatPayFake {
  return new WechatPayFake({ mchid, appid, apiV3Key, platform, merchantKeys: { [merchantSerialNo]: merchant.publicPem }, now: () => now });
}

describe('WeChat Pay callbacks: oracle and verifier agree', () => {
  it('accepts a TRANSACTION.SUCCESS the oracle signed in public-key mode, to the fen', () => {
    const v = verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction())), config);
    expect(v).toMatchObject({
      provider: 'wechatpay',
      noticeId: 'EV-2018022511223320873',
      kind: 'payment',
      providerState: 'SUCCESS',
      success: true,
      outTradeNo: 'HUB20270115000001',
      transactionId: '1217752501201407033233368018',
      outRefundNo: null,
      refundId: null,
      amount: { value: 8800, currency: 'CNY' },
      merchant: { mchid, appid },
      occurredAt: Date.UTC(2027, 0, 15, 1, 59, 56),
    });
    expect(v.content).toEqual(transaction());
  });

  it('accepts one the oracle signed with the platform certificate key (serial of the X.509 certificate)', () => {
    const n = oracleNotice('TRANSACTION.SUCCESS', transaction(), { serial: platformCertificateSerial, key: platformCertificatePrivatePem });
    expect(verifyWechatPayNotice(req(n), config).success).toBe(true);
    // Serials are hex: a lower-case header still finds the certificate.
    n.headers['wechatpay-serial'] = platformCertificateSerial.toLowerCase();
    expect(verifyWechatPayNotice(req(n), config).success).toBe(true);
  });

  it("the fake's callbacks pass the oracle's RSA and AES-GCM checks, in both modes, and the verifier reads the same", () => {
    const modes = [
      { serial: publicKeyId, privateKey: wechatPub.privatePem, publicPem: wechatPub.publicPem },
      { serial: platformCertificateSerial, privateKey: platformCertificatePrivatePem, publicPem: platformCertificatePem },
    ];
    for (const m of modes) {
      const fake = fakeAt(NOW, m);
      fake.addPayment({ outTradeNo: 'HUB1', total: 1, payerTotal: 1 });
      const n = fake.paymentNotice('HUB1');
      const h = n.headers;
      const body = n.rawBody.toString();
      expect(h['wechatpay-serial']).toBe(m.serial);
      expect(Rsa.verify(Formatter.response(h['wechatpay-timestamp']!, h['wechatpay-nonce']!, body), h['wechatpay-signature']!, Rsa.from(m.publicPem, 'public'))).toBe(true);
      const env = JSON.parse(body) as { resource: { ciphertext: string; nonce: string; associated_data: string; algorithm: string } };
      expect(env.resource.algorithm).toBe('AEAD_AES_256_GCM');
      expect(env.resource.nonce).toHaveLength(12);
      const plain = JSON.parse(Aes.AesGcm.decrypt(env.resource.ciphertext, apiV3Key, env.resource.nonce, env.resource.associated_data)) as unknown;
      const v = verifyWechatPayNotice(req(n), config);
      expect(v.content).toEqual(plain);
      expect(v).toMatchObject({ kind: 'payment', success: true, amount: { value: 1, currency: 'CNY' }, outTradeNo: 'HUB1' });
    }
  });

  it('reads REFUND.* callbacks: only REFUND.SUCCESS (with refund_status SUCCESS) is a success', () => {
    const ok = verifyWechatPayNotice(req(oracleNotice('REFUND.SUCCESS', refundResource('SUCCESS'))), config);
    expect(ok).toMatchObject({
      kind: 'refund',
      providerState: 'REFUND.SUCCESS',
      success: true,
      outRefundNo: 'RF20270115000001',
      refundId: '50000000382019052709732678859',
      amount: { value: 3050, currency: 'CNY' },
      merchant: { mchid },
      occurredAt: Date.UTC(2027, 0, 15, 1, 59, 0),
    });
    for (const [event, status] of [['REFUND.ABNORMAL', 'ABNORMAL'], ['REFUND.CLOSED', 'CLOSED'], ['REFUND.SUCCESS', 'PROCESSING']] as const) {
      const v = verifyWechatPayNotice(req(oracleNotice(event, refundResource(status))), config);
      expect(v.kind).toBe('refund');
      expect(v.providerState).toBe(event);
      expect(v.success).toBe(false);
    }
  });

  it('only TRANSACTION.SUCCESS with trade_state SUCCESS is a paid payment', () => {
    for (const state of ['NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR', 'REFUND', 'ACCEPT', 'success']) {
      const v = verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction({ trade_state: state }))), config);
      expect(v.success, state).toBe(false);
      expect(v.providerState).toBe(state);
    }
    const other = verifyWechatPayNotice(req(oracleNotice('TRANSACTION.CLOSED', transaction({ trade_state: 'SUCCESS' }))), config);
    expect(other.success).toBe(false);
    const unknown = verifyWechatPayNotice(req(oracleNotice('PARTNER.SOMETHING', { mchid })), config);
    expect(unknown).toMatchObject({ kind: 'other', success: false, providerState: 'PARTNER.SOMETHING', amount: null });
  });

  it('amounts are integer fen, exactly; anything else is refused', () => {
    for (const total of [1, 99, 8800, 123456789, Number.MAX_SAFE_INTEGER]) {
      const v = verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction({}, { total }))), config);
      expect(v.amount).toEqual({ value: total, currency: 'CNY' });
    }
    for (const total of [88.5, '8800', -1, null, 2 ** 60]) {
      expect(codeOf(() => verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction({}, { total }))), config)), String(total)).toBe('VALIDATION_FAILED');
    }
    // Float text such as 88.00 in the JSON is still a number; only integers are fen.
    const raw = JSON.stringify(transaction()).replace('"total":8800', '"total":88.01');
    expect(codeOf(() => verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', {}, { rawPlaintext: raw })), config))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => verifyWechatPayNotice(req(oracleNotice('REFUND.SUCCESS', refundResource('SUCCESS', { amount: { total: 8800, refund: 30.5 } }))), config))).toBe('VALIDATION_FAILED');
  });
});

describe('WeChat Pay callbacks: tampering and replay are refused', () => {
  const good = () => oracleNotice('TRANSACTION.SUCCESS', transaction());

  it('one byte changed anywhere in the body', () => {
    const n = good();
    expect(codeOf(() => verifyWechatPayNotice(req(n), config))).toBe('ACCEPTED');
    for (let i = 0; i < n.rawBody.length; i += 17) {
      const body = Buffer.from(n.rawBody);
      body[i] = body[i]! ^ 0x01;
      expect(codeOf(() => verifyWechatPayNotice({ ...req(n), rawBody: body }, config)), `byte ${i}`).toBe('SIGNATURE_INVALID');
    }
  });

  it('one character changed in the signature, the nonce or the timestamp', () => {
    const n = good();
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const sig = n.headers['wechatpay-signature']!;
    for (const i of [0, 100, sig.length - 3]) {
      expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-signature': flip(sig, i) } }), config))).toBe('SIGNATURE_INVALID');
    }
    const nonce = n.headers['wechatpay-nonce']!;
    expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-nonce': flip(nonce, 5) } }), config))).toBe('SIGNATURE_INVALID');
    const ts = n.headers['wechatpay-timestamp']!;
    const lastDigit = ts.slice(0, -1) + String((Number(ts.at(-1)) + 1) % 10);
    expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-timestamp': lastDigit } }), config))).toBe('SIGNATURE_INVALID');
    const firstDigit = String((Number(ts[0]) % 9) + 1) + ts.slice(1);
    expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-timestamp': firstDigit } }), config))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-timestamp': `${ts}x` } }), config))).toBe('TIMESTAMP_INVALID');
  });

  it('a changed serial is refused, and an unknown one says which serial, for the rotation alert', () => {
    const n = good();
    const e = hubErrorOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-serial': `${publicKeyId.slice(0, -1)}1` } }), config));
    expect(e.code).toBe('SIGNATURE_INVALID');
    expect(e.details).toMatchObject({ unknownSerial: `${publicKeyId.slice(0, -1)}1`, mode: 'public-key' });
    // Naming the other configured key: known, but its key does not verify.
    const other = hubErrorOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-serial': platformCertificateSerial } }), config));
    expect(other.code).toBe('SIGNATURE_INVALID');
    expect(other.details).toBeUndefined();
    // A new platform certificate WeChat rotated to, not yet configured.
    const rotated = oracleNotice('TRANSACTION.SUCCESS', transaction(), { serial: '7132D72A03E93CDDF8C03BBD1F37EEDF0000AAAA', key: stranger.privatePem });
    const r = hubErrorOf(() => verifyWechatPayNotice(req(rotated), config));
    expect(r.code).toBe('SIGNATURE_INVALID');
    expect(r.details).toMatchObject({ unknownSerial: '7132D72A03E93CDDF8C03BBD1F37EEDF0000AAAA', mode: 'platform-certificate' });
    expect(r.message).toContain('7132D72A03E93CDDF8C03BBD1F37EEDF0000AAAA');
    // A stranger's key under a known serial.
    expect(codeOf(() => verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction(), { key: stranger.privatePem })), config))).toBe('SIGNATURE_INVALID');
  });

  it('a resource altered before signing does not decrypt: associated_data, nonce, ciphertext, tag, APIv3 key', () => {
    const cases = [
      oracleNotice('TRANSACTION.SUCCESS', transaction(), { aadInBody: 'transactioN' }),
      oracleNotice('TRANSACTION.SUCCESS', transaction(), { aadInBody: '' }),
      oracleNotice('TRANSACTION.SUCCESS', transaction(), { resourceNonceInBody: 'fdasflkja485' }),
      oracleNotice('TRANSACTION.SUCCESS', transaction(), {
        mutateCiphertext: (c) => {
          const b = Buffer.from(c, 'base64');
          b[3] = b[3]! ^ 0x01;
          return b.toString('base64');
        },
      }),
      oracleNotice('TRANSACTION.SUCCESS', transaction(), {
        mutateCiphertext: (c) => {
          const b = Buffer.from(c, 'base64');
          b[b.length - 1] = b[b.length - 1]! ^ 0x80;
          return b.toString('base64');
        },
      }),
      // The tag cut short: the last 16 bytes are no longer the tag.
      oracleNotice('TRANSACTION.SUCCESS', transaction(), { mutateCiphertext: (c) => Buffer.from(c, 'base64').subarray(0, -4).toString('base64') }),
      oracleNotice('TRANSACTION.SUCCESS', transaction(), { apiKey: otherApiV3Key }),
    ];
    for (const [i, n] of cases.entries()) expect(codeOf(() => verifyWechatPayNotice(req(n), config)), `case ${i}`).toBe('SIGNATURE_INVALID');
    // The key before a reset still opens callbacks sealed with it.
    expect(verifyWechatPayNotice(req(cases[6]!), { ...config, previousApiV3Key: otherApiV3Key }).success).toBe(true);
    // An empty associated_data is allowed when WeChat sealed with it.
    expect(verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction(), { aadForEncrypt: '' })), config).success).toBe(true);
  });

  it('a replay of an old callback is refused: 5 minutes either way', () => {
    const n = good();
    expect(codeOf(() => verifyWechatPayNotice(req(n, NOW + 299_000), config))).toBe('ACCEPTED');
    expect(codeOf(() => verifyWechatPayNotice(req(n, NOW + 300_000), config))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(codeOf(() => verifyWechatPayNotice(req(n, NOW + 24 * 3600_000), config))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(codeOf(() => verifyWechatPayNotice(req(n, NOW - 301_000), config))).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(codeOf(() => verifyWechatPayNotice(req(n, NOW + 30_000), config, { toleranceSeconds: 20 }))).toBe('TIMESTAMP_OUT_OF_WINDOW');
  });

  it('missing headers, foreign signature types, bad JSON, no id and other algorithms', () => {
    const n = good();
    for (const h of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial']) {
      const headers: Record<string, string> = { ...n.headers };
      delete headers[h];
      expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers }), config)), h).toBe('SIGNATURE_MISSING');
    }
    expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-signature-type': 'WECHATPAY2-SM2-WITH-SM3' } }), config))).toBe('SIGNATURE_INVALID');
    // WeChat's probe of whether merchants verify: a signature that is not one.
    expect(codeOf(() => verifyWechatPayNotice(req({ ...n, headers: { ...n.headers, 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc' } }), config))).toBe('SIGNATURE_INVALID');
    const signedRaw = (body: string): FakeNotice => {
      const ts = Math.floor(NOW / 1000);
      return {
        headers: { 'wechatpay-timestamp': String(ts), 'wechatpay-nonce': 'n0nce', 'wechatpay-serial': publicKeyId, 'wechatpay-signature': Rsa.sign(Formatter.response(ts, 'n0nce', body), wechatPub.privatePem) },
        rawBody: Buffer.from(body),
      };
    };
    expect(codeOf(() => verifyWechatPayNotice(req(signedRaw('not json')), config))).toBe('BODY_INVALID_JSON');
    expect(codeOf(() => verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', {}, { rawPlaintext: '{oops' })), config))).toBe('BODY_INVALID_JSON');
    expect(codeOf(() => verifyWechatPayNotice(req(oracleNotice('TRANSACTION.SUCCESS', transaction(), { envelope: (e) => ({ ...e, id: undefined }) })), config))).toBe('EVENT_ID_MISSING');
    const otherAlgo = oracleNotice('TRANSACTION.SUCCESS', transaction(), { envelope: (e) => ({ ...e, resource: { ...(e.resource as object), algorithm: 'AEAD_SM4_GCM' } }) });
    expect(codeOf(() => verifyWechatPayNotice(req(otherAlgo), config))).toBe('VALIDATION_FAILED');
  });

  it('answers WeChat as documented: 200 with no body, or 4xx/5xx with {"code":"FAIL"}', () => {
    expect(wechatPayNoticeSuccess()).toMatchObject({ status: 200, body: '' });
    const f = wechatPayNoticeFailure('验签失败', 401);
    expect(f.status).toBe(401);
    expect(JSON.parse(f.body)).toEqual({ code: 'FAIL', message: '验签失败' });
    expect(wechatPayNoticeFailure('x', 200).status).toBe(500);
  });
});

describe('WeChat Pay configuration', () => {
  it('a full configuration has no problems; broken parts are named', () => {
    expect(configProblems(config, NOW)).toEqual([]);
    const p = configProblems({ ...config, mchid: 'abc', apiV3Key: 'short', merchantSerialNo: 'zz', merchantPrivateKey: 'nope', apiBase: 'http://example.com' }, NOW);
    expect(p.join('\n')).toMatch(/mchid/);
    expect(p.join('\n')).toMatch(/apiV3Key/);
    expect(p.join('\n')).toMatch(/merchantSerialNo/);
    expect(p.join('\n')).toMatch(/merchantPrivateKey/);
    expect(p.join('\n')).toMatch(/apiBase/);
    expect(configProblems({ ...config, platformCertificates: undefined, publicKeys: undefined }, NOW).join()).toMatch(/public key .*platform certificates/);
    expect(configProblems({ ...config, publicKeys: { PUB_KEY_ID_1: 'not a pem' } }, NOW).join()).toMatch(/PEM public key/);
    expect(configProblems({ ...config, platformCertificates: { ABCDEF: platformCertificatePem } }, NOW).join()).toMatch(/certificate's serial is 5157F09E/);
    expect(configProblems(config, Date.UTC(2127, 0, 1)).join()).toMatch(/expired/);
    expect(configProblems({ ...config, platformCertificates: { ...config.platformCertificates, [merchantSerialNo]: merchant.publicPem } }, NOW).join()).toMatch(/merchant's own/);
    expect(configProblems(null)).toEqual(['config must be an object']);
  });
});

describe('WeChat Pay API client against the fake', () => {
  let fake: WechatPayFake;
  let api: { url: string; close: () => Promise<void> };
  /** Every request the client sent, as fetch saw it. */
  const sent: { method: string; url: string; headers: Headers; body: string }[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    sent.push({ method: init?.method ?? 'GET', url: String(input), headers, body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(input, init);
  };
  const clientConfig = () => ({ ...config, apiBase: api.url });

  beforeAll(async () => {
    fake = new WechatPayFake({ mchid, appid, apiV3Key, platform: { serial: publicKeyId, privateKey: wechatPub.privateKey }, merchantKeys: { [merchantSerialNo]: merchant.publicKey } });
    api = await fake.listen();
    fake.addPayment({ outTradeNo: 'HUB-PAID-1', total: 8800, payerTotal: 8700 });
    fake.addPayment({ outTradeNo: 'HUB-UNPAID-1', total: 1999, tradeState: 'NOTPAY' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('queries a payment; the Authorization verifies under the oracle and equals its own signing', async () => {
    const client = createWechatPayClient(clientConfig(), { fetch: recordingFetch });
    sent.length = 0;
    const t = await client.queryPayment('HUB-PAID-1');
    expect(t).toMatchObject({ outTradeNo: 'HUB-PAID-1', tradeState: 'SUCCESS', success: true, amount: { value: 8800, currency: 'CNY' }, payerTotal: 8700, merchant: { mchid, appid } });
    expect(t.transactionId).toMatch(/^\d{28}$/);
    const r = sent[0]!;
    const u = new URL(r.url);
    expect(u.pathname + u.search).toBe(`/v3/pay/transactions/out-trade-no/HUB-PAID-1?mchid=${mchid}`);
    const auth = r.headers.get('authorization')!;
    const m = /^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="(\w+)",signature="([^"]+)",timestamp="(\d+)",serial_no="(\w+)"$/.exec(auth);
    expect(m).not.toBeNull();
    const [, authMchid, nonce, signature, timestamp, serial] = m!;
    expect([authMchid, serial]).toEqual([mchid, merchantSerialNo]);
    const message = Formatter.request('GET', u.pathname + u.search, timestamp!, nonce!, '');
    expect(Rsa.verify(message, signature!, merchant.publicPem)).toBe(true);
    // PKCS#1 v1.5 is deterministic: the oracle's signature over the same message is the same string.
    expect(Rsa.sign(message, merchant.privatePem)).toBe(signature);
    expect(wechatPayAuthorization({ mchid, serialNo: merchantSerialNo, privateKey: merchant.privatePem }, 'GET', u.pathname + u.search, '', Number(timestamp), nonce!)).toBe(auth);
    expect(fake.requests.at(-1)!.refused).toBeUndefined();
  });

  it('an unpaid order is no success; an unknown one is ORDER_NOT_EXIST, not retryable', async () => {
    const client = createWechatPayClient(clientConfig());
    const t = await client.queryPayment('HUB-UNPAID-1');
    expect(t).toMatchObject({ tradeState: 'NOTPAY', success: false, transactionId: null, amount: { value: 1999, currency: 'CNY' } });
    const e = await client.queryPayment('HUB-NONE').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WechatPayApiError);
    expect(e).toMatchObject({ code: 'ORDER_NOT_EXIST', info: { status: 404, retryable: false, notFound: true, signed: true } });
  });

  it('the fake refuses requests whose signed parts were changed (as WeChat: 401 SIGN_ERROR, unsigned)', async () => {
    const client = createWechatPayClient(clientConfig(), { fetch: recordingFetch });
    fake.addPayment({ outTradeNo: 'HUB-TAMPER-1', total: 8800 });
    sent.length = 0;
    await client.refund({ outTradeNo: 'HUB-TAMPER-1', outRefundNo: 'RF-TAMPER-0', refund: 1, total: 8800, reason: '测试' });
    const orig = sent[0]!;
    const replay = async (o: { url?: string; body?: string; auth?: string }) => {
      const res = await fetch(o.url ?? orig.url, { method: 'POST', headers: { authorization: o.auth ?? orig.headers.get('authorization')!, 'content-type': 'application/json' }, body: o.body ?? orig.body });
      return { status: res.status, body: (await res.json()) as { code: string }, signed: res.headers.has('wechatpay-signature') };
    };
    const auth = orig.headers.get('authorization')!;
    // The untouched request again is accepted (and, with the same out_refund_no, is the same refund).
    expect((await replay({})).status).toBe(200);
    const tampered = [
      { body: orig.body.replace('"refund":1', '"refund":2') },
      { url: orig.url.replace('/refunds', '/refundz') },
      { url: `${orig.url}?x=1` },
      { auth: auth.replace(/timestamp="(\d+)"/, (_s, t: string) => `timestamp="${Number(t) + 1}"`) },
      { auth: auth.replace(/nonce_str="(\w)/, 'nonce_str="Z') },
      { auth: auth.replace(/signature="(\w)/, (_s, c: string) => `signature="${c === 'A' ? 'B' : 'A'}`) },
      { auth: auth.replace(merchantSerialNo, `${merchantSerialNo.slice(0, -1)}0`) },
      { auth: auth.replace(`mchid="${mchid}"`, 'mchid="1900000108"') },
      { auth: auth.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SHA256-RSA2049') },
    ];
    for (const t of tampered) {
      const r = await replay(t);
      expect(r, JSON.stringify(t).slice(0, 80)).toMatchObject({ status: 401, body: { code: 'SIGN_ERROR' }, signed: false });
    }
    expect(fake.refunds.get('RF-TAMPER-0')!.refund).toBe(1);
  });

  it('refunds once per out_refund_no; the settled refund comes back as a REFUND.SUCCESS the verifier accepts', async () => {
    const client = createWechatPayClient({ ...clientConfig() });
    fake.addPayment({ outTradeNo: 'HUB-RF-1', total: 8800 });
    const first = await client.refund({ outTradeNo: 'HUB-RF-1', outRefundNo: 'RF-1', refund: 3050, total: 8800, reason: '商品缺货', notifyUrl: 'https://hub.example.com/pay/wechat/notify' });
    expect(first).toMatchObject({ outRefundNo: 'RF-1', status: 'PROCESSING', success: false, amount: { value: 3050, currency: 'CNY' }, total: 8800, outTradeNo: 'HUB-RF-1' });
    const again = await client.refund({ outTradeNo: 'HUB-RF-1', outRefundNo: 'RF-1', refund: 3050, total: 8800, reason: '商品缺货', notifyUrl: 'https://hub.example.com/pay/wechat/notify' });
    expect(again.refundId).toBe(first.refundId);
    expect([...fake.refunds.values()].filter((r) => r.outTradeNo === 'HUB-RF-1')).toHaveLength(1);
    expect(fake.payments.get('HUB-RF-1')!.refunded).toBe(3050);
    // Same number, other amount: refused, not a second refund.
    const changed = await client.refund({ outTradeNo: 'HUB-RF-1', outRefundNo: 'RF-1', refund: 3051, total: 8800 }).catch((x: unknown) => x);
    expect(changed).toMatchObject({ code: 'INVALID_REQUEST', info: { status: 400, retryable: false } });
    const tooMuch = await client.refund({ outTradeNo: 'HUB-RF-1', outRefundNo: 'RF-2', refund: 5751, total: 8800 }).catch((x: unknown) => x);
    expect(tooMuch).toMatchObject({ code: 'INVALID_REQUEST', info: { retryable: false } });
    expect(fake.refunds.get('RF-1')!.notifyUrl).toBe('https://hub.example.com/pay/wechat/notify');

    const notice = fake.settleRefund('RF-1');
    const v = verifyWechatPayNotice({ headers: notice.headers, rawBody: notice.rawBody, now: Date.now() }, config);
    expect(v).toMatchObject({ kind: 'refund', providerState: 'REFUND.SUCCESS', success: true, outRefundNo: 'RF-1', refundId: first.refundId, amount: { value: 3050, currency: 'CNY' } });
    const q = await client.queryRefund('RF-1');
    expect(q).toMatchObject({ status: 'SUCCESS', success: true, refundId: first.refundId });
    expect(q.successAt).not.toBeNull();
    expect((await client.queryPayment('HUB-RF-1')).tradeState).toBe('REFUND');
    // A refund WeChat could not pay out, and one it closed: callbacks that are no success.
    await client.refund({ outTradeNo: 'HUB-RF-1', outRefundNo: 'RF-3', refund: 100, total: 8800 });
    await client.refund({ outTradeNo: 'HUB-RF-1', outRefundNo: 'RF-4', refund: 200, total: 8800 });
    for (const [no, status] of [['RF-3', 'ABNORMAL'], ['RF-4', 'CLOSED']] as const) {
      const n = fake.settleRefund(no, status);
      expect(verifyWechatPayNotice({ headers: n.headers, rawBody: n.rawBody, now: Date.now() }, config)).toMatchObject({ providerState: `REFUND.${status}`, success: false });
    }
    // The closed refund's 200 fen may be refunded again, under a new out_refund_no.
    expect(fake.payments.get('HUB-RF-1')!.refunded).toBe(3150);
    const missing = await client.queryRefund('RF-NONE').catch((x: unknown) => x);
    expect(missing).toMatchObject({ code: 'RESOURCE_NOT_EXISTS', info: { notFound: true, retryable: false } });
  });

  it('maps errors: 5xx, 429 and SYSTEM_ERROR are retryable; NOT_ENOUGH, PARAM_ERROR, SIGN_ERROR are not', async () => {
    const client = createWechatPayClient(clientConfig());
    fake.addPayment({ outTradeNo: 'HUB-ERR-1', total: 500 });
    const cases: [Parameters<typeof fake.failures.push>[0], Record<string, unknown>][] = [
      [{ status: 500, code: 'SYSTEM_ERROR', message: '系统错误' }, { code: 'SYSTEM_ERROR', info: { status: 500, retryable: true, signed: true } }],
      [{ status: 429, code: 'FREQUENCY_LIMITED', message: '频率超限' }, { code: 'FREQUENCY_LIMITED', info: { status: 429, retryable: true } }],
      [{ status: 503, code: 'SYSTEM_ERROR', message: 'x', signed: false }, { code: 'SYSTEM_ERROR', info: { status: 503, retryable: true, signed: false } }],
      [{ status: 403, code: 'NOT_ENOUGH', message: '基本账户余额不足，请充值后重新发起' }, { code: 'NOT_ENOUGH', info: { status: 403, retryable: false } }],
      [{ status: 400, code: 'PARAM_ERROR', message: '参数错误' }, { code: 'PARAM_ERROR', info: { status: 400, retryable: false } }],
    ];
    for (const [failure, expected] of cases) {
      fake.failures.push(failure);
      const e = await client.refund({ outTradeNo: 'HUB-ERR-1', outRefundNo: 'RF-ERR-1', refund: 100, total: 500 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(WechatPayApiError);
      expect(e, failure.code).toMatchObject(expected);
    }
    // After the failures, the same out_refund_no goes through once.
    expect((await client.refund({ outTradeNo: 'HUB-ERR-1', outRefundNo: 'RF-ERR-1', refund: 100, total: 500 })).status).toBe('PROCESSING');
    // A wrong merchant key: WeChat answers 401 SIGN_ERROR, unsigned.
    const wrongKey = createWechatPayClient({ ...clientConfig(), merchantPrivateKey: stranger.privatePem });
    expect(await wrongKey.queryPayment('HUB-PAID-1').catch((x: unknown) => x)).toMatchObject({ code: 'SIGN_ERROR', info: { status: 401, retryable: false, authFailed: true, signed: false } });
  });

  it('network failures and timeouts are retryable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = createWechatPayClient({ ...config, apiBase: `http://127.0.0.1:${port}` });
    expect(await down.queryPayment('HUB-PAID-1').catch((x: unknown) => x)).toMatchObject({ code: 'NETWORK', info: { status: null, retryable: true } });

    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const slow = createWechatPayClient({ ...config, apiBase: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }, { timeoutMs: 200 });
    expect(await slow.queryPayment('HUB-PAID-1').catch((x: unknown) => x)).toMatchObject({ code: 'TIMEOUT', info: { retryable: true } });
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it("believes an answer only with WeChat's signature: tampered, unsigned, unknown serial, stale", async () => {
    const client = createWechatPayClient(clientConfig());
    fake.tamperNextAnswer = true;
    expect(await client.queryPayment('HUB-PAID-1').catch((x: unknown) => (x as HubError).code)).toBe('SIGNATURE_INVALID');

    const strip: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.delete('wechatpay-signature');
      return new Response(await res.arrayBuffer(), { status: res.status, headers });
    };
    expect(await createWechatPayClient(clientConfig(), { fetch: strip }).queryPayment('HUB-PAID-1').catch((x: unknown) => (x as HubError).code)).toBe('SIGNATURE_MISSING');

    // WeChat signing with a key the merchant has not configured (its public key was replaced).
    const rotated = new WechatPayFake({ mchid, appid, apiV3Key, platform: { serial: 'PUB_KEY_ID_0114232134912410000000000999', privateKey: stranger.privateKey }, merchantKeys: { [merchantSerialNo]: merchant.publicKey } });
    rotated.addPayment({ outTradeNo: 'HUB-PAID-1', total: 1 });
    const rotatedApi = await rotated.listen();
    try {
      const e = (await createWechatPayClient({ ...config, apiBase: rotatedApi.url }).queryPayment('HUB-PAID-1').catch((x: unknown) => x)) as HubError;
      expect(e).toBeInstanceOf(HubError);
      expect(e.code).toBe('SIGNATURE_INVALID');
      expect(e.details).toMatchObject({ unknownSerial: 'PUB_KEY_ID_0114232134912410000000000999', mode: 'public-key' });
    } finally {
      await rotatedApi.close();
    }

    // The fake's clock 4 minutes behind: the request is inside WeChat's window, the answer outside the client's 60 s.
    const behind = new WechatPayFake({ mchid, appid, apiV3Key, platform: { serial: publicKeyId, privateKey: wechatPub.privateKey }, merchantKeys: { [merchantSerialNo]: merchant.publicKey }, now: () => Date.now() - 240_000 });
    behind.addPayment({ outTradeNo: 'HUB-PAID-1', total: 1 });
    const behindApi = await behind.listen();
    try {
      const c = createWechatPayClient({ ...config, apiBase: behindApi.url }, { toleranceSeconds: 60 });
      expect(await c.queryPayment('HUB-PAID-1').catch((x: unknown) => (x as HubError).code)).toBe('TIMESTAMP_OUT_OF_WINDOW');
    } finally {
      await behindApi.close();
    }
  });

  it('checks its input before sending anything', async () => {
    const client = createWechatPayClient(clientConfig(), { fetch: recordingFetch });
    sent.length = 0;
    const bad = [
      () => client.queryPayment('has space'),
      () => client.queryPayment('x'.repeat(33)),
      () => client.refund({ outTradeNo: 'HUB-PAID-1', outRefundNo: 'RF#1', refund: 1, total: 2 }),
      () => client.refund({ outTradeNo: 'HUB-PAID-1', outRefundNo: 'RF-9', refund: 1.5, total: 2 }),
      () => client.refund({ outTradeNo: 'HUB-PAID-1', outRefundNo: 'RF-9', refund: 3, total: 2 }),
      () => client.refund({ outTradeNo: 'HUB-PAID-1', outRefundNo: 'RF-9', refund: 1, total: 2, notifyUrl: 'https://x.example/n?a=1' }),
      () => client.queryRefund(''),
    ];
    for (const f of bad) expect(await f().catch((x: unknown) => (x as HubError).code)).toBe('VALIDATION_FAILED');
    expect(sent).toHaveLength(0);
  });

  it("the oracle's own client (axios) is accepted by the fake and verifies the fake's signed answers", async () => {
    const wxpay = new Wechatpay({ mchid, serial: merchantSerialNo, privateKey: merchant.privatePem, certs: { [publicKeyId]: wechatPub.publicPem }, baseURL: `${api.url}/` });
    const before = fake.requests.length;
    const { data } = await wxpay.chain('v3/pay/transactions/out-trade-no/{out_trade_no}').get({ params: { mchid }, out_trade_no: 'HUB-PAID-1' });
    expect(data).toMatchObject({ out_trade_no: 'HUB-PAID-1', trade_state: 'SUCCESS', amount: { total: 8800 } });
    fake.addPayment({ outTradeNo: 'HUB-ORACLE-1', total: 100 });
    const refund = await wxpay.chain('v3/refund/domestic/refunds').post({ out_trade_no: 'HUB-ORACLE-1', out_refund_no: 'RF-ORACLE-1', amount: { refund: 100, total: 100, currency: 'CNY' } });
    expect(refund.data).toMatchObject({ out_refund_no: 'RF-ORACLE-1', status: 'PROCESSING' });
    expect(fake.requests.slice(before).every((r) => r.refused === undefined)).toBe(true);
    // And the oracle refuses the fake's answer once it is altered.
    fake.tamperNextAnswer = true;
    await expect(wxpay.chain('v3/refund/domestic/refunds/{out_refund_no}').get({ out_refund_no: 'RF-ORACLE-1' })).rejects.toThrow(/Verify the response's data/);
  });
});

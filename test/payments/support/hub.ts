// Payment notices signed by independent code (wechatpay-axios-plugin for WeChat Pay, node:crypto createSign for
// Alipay, stripe's generateTestHeaderString) and sent over real HTTP to a hub on loopback; the WeChat Pay fake answers
// the hub's queries and refunds.
import { createSign, randomUUID } from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import Stripe from 'stripe';
import { WechatPayFake } from '../../../src/sandbox/fakes/wechatpay.ts';
import type { TestServer } from '../../support/server.ts';
import { rsaKeyPair } from './wechatpay.ts';

export const mchid = '1900000109';
export const appid = 'wxd678efh567hg6787';
export const apiV3Key = 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE';
export const merchantSerialNo = '3775B6A45ACD588826D15E583A95F5DD0D0F8D21';
export const publicKeyId = 'PUB_KEY_ID_0114232134912410000000000000';
export const merchantKeys = rsaKeyPair();
export const wechatKeys = rsaKeyPair();

export interface WechatSetup {
  fake: WechatPayFake;
  apiBase: string;
  close: () => Promise<void>;
}

export async function wechatFake(): Promise<WechatSetup> {
  const fake = new WechatPayFake({
    mchid,
    appid,
    apiV3Key,
    platform: { serial: publicKeyId, privateKey: wechatKeys.privatePem },
    merchantKeys: { [merchantSerialNo]: merchantKeys.publicPem },
  });
  const l = await fake.listen();
  return { fake, apiBase: l.url, close: l.close };
}

export function wechatCredentials(apiBase: string) {
  return {
    mchid,
    appids: [appid],
    apiV3Key,
    merchantSerialNo,
    merchantPrivateKey: merchantKeys.privatePem,
    publicKeys: { [publicKeyId]: wechatKeys.publicPem },
    apiBase,
  };
}

export async function createPaymentAccount(s: TestServer, provider: string, credentials: unknown, channelAccounts: string[]): Promise<string> {
  const r = await s.api<{ id: string }>('POST', '/api/payment-accounts', { provider, name: `${provider} merchant`, credentials, channelAccounts });
  if (r.status !== 201) throw new Error(`payment account: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export interface SignedNotice {
  headers: Record<string, string>;
  body: string;
}

export function transaction(outTradeNo: string, total: number, over: Record<string, unknown> = {}) {
  return {
    mchid,
    appid,
    out_trade_no: outTradeNo,
    transaction_id: `4200${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
    ...over,
  };
}

/** A WeChat Pay callback made with the oracle only: AesGcm seals the resource, Formatter and Rsa sign the message. */
export function wechatNotice(
  eventType: string,
  resource: object,
  o: { id?: string; now?: number; aad?: string; aadInBody?: string; /** The resource as this exact JSON text instead. */ resourceText?: string } = {},
): SignedNotice {
  const originalType = eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
  const nonce12 = Formatter.nonce(12);
  const aad = o.aad ?? originalType;
  const ciphertext = Aes.AesGcm.encrypt(o.resourceText ?? JSON.stringify(resource), apiV3Key, nonce12, aad);
  const body = JSON.stringify({
    id: o.id ?? randomUUID(),
    create_time: new Date((o.now ?? Date.now()) + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: o.aadInBody ?? aad, nonce: nonce12 },
  });
  const timestamp = Math.floor((o.now ?? Date.now()) / 1000);
  const nonce = Formatter.nonce();
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': String(timestamp),
      'wechatpay-nonce': nonce,
      'wechatpay-serial': publicKeyId,
      'wechatpay-signature': Rsa.sign(Formatter.response(timestamp, nonce, body), wechatKeys.privatePem),
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    body,
  };
}

export async function deliver(s: TestServer, path: string, n: SignedNotice): Promise<{ status: number; text: string }> {
  const r = await fetch(`${s.url}${path}`, { method: 'POST', headers: n.headers, body: n.body });
  return { status: r.status, text: await r.text() };
}

// ---------------------------------------------------------------- Alipay

export const alipayAppId = '2021000123456789';
export const alipaySellerId = '2088101122136241';
export const alipayKeys = rsaKeyPair();
export const alipayAppKeys = rsaKeyPair();

export function alipayCredentials(gateway?: string) {
  return { appId: alipayAppId, sellerId: alipaySellerId, appPrivateKey: alipayAppKeys.privatePem, alipayPublicKey: alipayKeys.publicPem, ...(gateway ? { gateway } : {}) };
}

const beijing = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

/** An Alipay notify form, signed with node:crypto over the sorted k=v&… of every field but sign and sign_type. */
export function alipayNotice(fields: Record<string, string>): SignedNotice {
  const all: Record<string, string> = { notify_time: beijing(Date.now()), notify_type: 'trade_status_sync', charset: 'utf-8', version: '1.0', ...fields };
  const content = Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`)
    .join('&');
  const sign = createSign('RSA-SHA256').update(content, 'utf8').sign(alipayKeys.privateKey, 'base64');
  const form = new URLSearchParams({ ...all, sign_type: 'RSA2', sign });
  return { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: form.toString() };
}

export function alipayPaid(outTradeNo: string, yuan: string, over: Record<string, string> = {}) {
  return alipayNotice({
    notify_id: `2027${randomUUID().replace(/-/g, '')}`,
    app_id: alipayAppId,
    seller_id: alipaySellerId,
    out_trade_no: outTradeNo,
    trade_no: `2027${Date.now()}`,
    trade_status: 'TRADE_SUCCESS',
    total_amount: yuan,
    gmt_payment: beijing(Date.now()),
    ...over,
  });
}

// ---------------------------------------------------------------- Stripe

export const stripeWebhookSecret = 'whsec_test_0123456789abcdefghij';
const stripe = new Stripe('sk_test_unused_for_signing', { apiVersion: '2026-10-28.endive' as Stripe.LatestApiVersion });

export function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomUUID().replace(/-/g, '')}`): SignedNotice {
  const body = JSON.stringify({ id, object: 'event', type, api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: stripeWebhookSecret });
  return { headers: { 'content-type': 'application/json', 'stripe-signature': header }, body };
}

export function stripeIntent(orderNo: string, amount: number, currency = 'cny') {
  return {
    id: `pi_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    object: 'payment_intent',
    amount,
    amount_received: amount,
    currency,
    status: 'succeeded',
    metadata: { order_no: orderNo },
    created: Math.floor(Date.now() / 1000),
    livemode: false,
  };
}

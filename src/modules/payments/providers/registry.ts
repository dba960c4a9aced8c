// The payment providers behind one shape, for the payment service: verify a notice, say which merchant ids it must
// name, answer it, ask about a payment, send a refund and ask about it. Each provider's own folder does the work.
import { HubError } from '../../../kernel/errors.ts';
import type { NoticeRequest, ProviderAnswer, VerifiedNotice } from './types.ts';
import { configProblems as wechatProblems, verifyWechatPayNotice, wechatPayNoticeFailure, wechatPayNoticeSuccess, type WechatPayConfig } from './wechatpay/notice.ts';
import { WechatPayApiError, createWechatPayClient } from './wechatpay/client.ts';
import { alipayAnswers, configProblems as alipayProblems, verifyAlipayNotice, type AlipayConfig } from './alipay/notice.ts';
import { AlipayApiError, createAlipayClient } from './alipay/client.ts';
import { configProblems as stripeProblems, stripeFailureAnswer, stripeSuccessAnswer, verifyStripeNotice, type StripeConfig } from './stripe/notice.ts';
import { StripeApiError, StripeClient } from './stripe/client.ts';

export const paymentProviders = ['wechatpay', 'alipay', 'stripe'] as const;
export type PaymentProviderName = (typeof paymentProviders)[number];

export function isPaymentProvider(p: string): p is PaymentProviderName {
  return (paymentProviders as readonly string[]).includes(p);
}

/** What a payment query found, in the payment service's terms. */
export interface PaymentQueryResult {
  /** paid: a provider success state; unpaid: the provider knows it and it is not paid; not_found: the provider has no such payment. */
  state: 'paid' | 'unpaid' | 'not_found';
  providerState: string;
  transactionId: string | null;
  amount: { value: number; currency: string } | null;
  merchant: Record<string, string>;
  occurredAt: number | null;
}

/** Where a refund stands at the provider. */
export interface RefundStatus {
  state: 'succeeded' | 'processing' | 'failed' | 'closed' | 'not_found';
  providerState: string;
  providerRefundId: string | null;
}

export interface RefundOrder {
  outTradeNo: string;
  transactionId: string | null;
  outRefundNo: string;
  amount: number;
  total: number;
  currency: string;
  reason: string;
  notifyUrl?: string | undefined;
}

export interface CallOptions {
  fetch?: typeof fetch;
  now?: () => number;
}

export interface PaymentProvider {
  name: PaymentProviderName;
  label: string;
  /** The credential fields, for the console's form and the README. */
  credentialFields: readonly string[];
  credentialProblems(c: unknown): string[];
  verify(req: NoticeRequest, c: Record<string, unknown>, toleranceSeconds: number): VerifiedNotice;
  /** The ids every payment notice must name exactly (decidePayment checks them), and a reason when one it lists is wrong. */
  expectedMerchant(c: Record<string, unknown>, named: Record<string, string>): { expected: Record<string, string>; mismatch: string | null };
  success(): ProviderAnswer;
  failure(status: number): ProviderAnswer;
  queryPayment(c: Record<string, unknown>, outTradeNo: string, o: CallOptions): Promise<PaymentQueryResult>;
  refund(c: Record<string, unknown>, r: RefundOrder, o: CallOptions): Promise<RefundStatus>;
  queryRefund(c: Record<string, unknown>, r: RefundOrder, o: CallOptions): Promise<RefundStatus>;
}

/** Whether sending the same request again can help (a refund resent with the same out_refund_no is idempotent). */
export function retryableCallError(e: unknown): boolean {
  if (e instanceof WechatPayApiError) return e.info.retryable;
  if (e instanceof AlipayApiError) return e.retryable;
  if (e instanceof StripeApiError) return e.stripe.retryable || e.stripe.outcomeUnknown;
  if (e instanceof HubError) return e.code === 'OVERLOADED' || e.code === 'RATE_LIMITED' || e.code === 'NOT_READY';
  // A network failure or a timeout: the request may or may not have arrived; resending it is safe.
  return true;
}

/** A short description of a failed call for the refund row and the logs (never a credential). */
export function callErrorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.slice(0, 300);
}

const wechatpay: PaymentProvider = {
  name: 'wechatpay',
  label: 'WeChat Pay (APIv3)',
  credentialFields: ['mchid', 'appids', 'apiV3Key', 'previousApiV3Key', 'merchantSerialNo', 'merchantPrivateKey', 'platformCertificates', 'publicKeys', 'apiBase'],
  credentialProblems: (c) => wechatProblems(c),
  verify: (req, c, tolerance) => verifyWechatPayNotice(req, c as unknown as WechatPayConfig, { toleranceSeconds: tolerance }),
  expectedMerchant(c, named) {
    const cfg = c as unknown as WechatPayConfig;
    const appids = cfg.appids ?? [];
    const mismatch = appids.length && named.appid !== undefined && !appids.includes(named.appid) ? `appid ${JSON.stringify(named.appid)} is not one of the account's app ids` : null;
    return { expected: { mchid: cfg.mchid }, mismatch };
  },
  success: () => wechatPayNoticeSuccess(),
  failure: (status) => wechatPayNoticeFailure(status === 401 ? 'signature verification failed' : 'failed', status),
  async queryPayment(c, outTradeNo, o) {
    const client = createWechatPayClient(c as unknown as WechatPayConfig, o);
    try {
      const t = await client.queryPayment(outTradeNo);
      return {
        state: t.success ? 'paid' : 'unpaid',
        providerState: t.tradeState,
        transactionId: t.transactionId,
        amount: t.amount,
        merchant: t.merchant,
        occurredAt: t.successAt,
      };
    } catch (e) {
      if (e instanceof WechatPayApiError && e.info.notFound && e.info.signed) {
        return { state: 'not_found', providerState: e.code, transactionId: null, amount: null, merchant: {}, occurredAt: null };
      }
      throw e;
    }
  },
  async refund(c, r, o) {
    const client = createWechatPayClient(c as unknown as WechatPayConfig, o);
    const x = await client.refund({
      outTradeNo: r.outTradeNo,
      outRefundNo: r.outRefundNo,
      refund: r.amount,
      total: r.total,
      currency: r.currency,
      reason: r.reason.slice(0, 80),
      ...(r.notifyUrl ? { notifyUrl: r.notifyUrl } : {}),
    });
    return wechatRefundStatus(x.status, x.refundId);
  },
  async queryRefund(c, r, o) {
    const client = createWechatPayClient(c as unknown as WechatPayConfig, o);
    try {
      const x = await client.queryRefund(r.outRefundNo);
      return wechatRefundStatus(x.status, x.refundId);
    } catch (e) {
      if (e instanceof WechatPayApiError && e.info.notFound && e.info.signed) return { state: 'not_found', providerState: e.code, providerRefundId: null };
      throw e;
    }
  },
};

function wechatRefundStatus(status: string, refundId: string | null): RefundStatus {
  const state = status === 'SUCCESS' ? 'succeeded' : status === 'CLOSED' ? 'closed' : status === 'ABNORMAL' ? 'failed' : 'processing';
  return { state, providerState: status, providerRefundId: refundId };
}

const alipay: PaymentProvider = {
  name: 'alipay',
  label: 'Alipay (OpenAPI, RSA2)',
  credentialFields: ['appId', 'appPrivateKey', 'alipayPublicKey', 'previousAlipayPublicKey', 'sellerId', 'gateway'],
  credentialProblems: (c) => alipayProblems(c),
  // notify_time bounds a replay: Alipay retries for 25 h with the same notify_id (kept by the hub for good).
  verify: (req, c) => verifyAlipayNotice(req, c as unknown as AlipayConfig),
  expectedMerchant(c) {
    const cfg = c as unknown as AlipayConfig;
    return { expected: { app_id: cfg.appId, ...(cfg.sellerId ? { seller_id: cfg.sellerId } : {}) }, mismatch: null };
  },
  success: () => alipayAnswers.success,
  failure: (status) => ({ ...alipayAnswers.failure, status }),
  async queryPayment(c, outTradeNo, o) {
    const t = await createAlipayClient(c as unknown as AlipayConfig, o).queryTrade(outTradeNo);
    if (!t) return { state: 'not_found', providerState: 'ACQ.TRADE_NOT_EXIST', transactionId: null, amount: null, merchant: {}, occurredAt: null };
    const cfg = c as unknown as AlipayConfig;
    return {
      state: t.paid ? 'paid' : 'unpaid',
      providerState: t.tradeStatus,
      transactionId: t.tradeNo || null,
      amount: { value: t.totalAmount, currency: 'CNY' },
      // The query answers for this app only (its signature is the app's counterpart): the app id is the account's.
      merchant: { app_id: cfg.appId, ...(cfg.sellerId ? { seller_id: cfg.sellerId } : {}) },
      occurredAt: t.paidAt,
    };
  },
  async refund(c, r, o) {
    const client = createAlipayClient(c as unknown as AlipayConfig, o);
    await client.refund({ outTradeNo: r.outTradeNo, outRequestNo: r.outRefundNo, amount: r.amount, reason: r.reason.slice(0, 256) });
    // fund_change alone is not proof (N for a repeat); the refund query says whether it went through.
    const q = await client.queryRefund({ outTradeNo: r.outTradeNo, outRequestNo: r.outRefundNo });
    return { state: q.refunded ? 'succeeded' : 'processing', providerState: q.refunded ? 'REFUND_SUCCESS' : 'REFUND_PENDING', providerRefundId: null };
  },
  async queryRefund(c, r, o) {
    const q = await createAlipayClient(c as unknown as AlipayConfig, o).queryRefund({ outTradeNo: r.outTradeNo, outRequestNo: r.outRefundNo });
    // An absent refund_status means not received or failed: the same request may be sent again.
    return { state: q.refunded ? 'succeeded' : 'not_found', providerState: q.refunded ? 'REFUND_SUCCESS' : 'NONE', providerRefundId: null };
  },
};

function stripeMerchant(c: Record<string, unknown>): Record<string, string> {
  const cfg = c as unknown as StripeConfig;
  const out: Record<string, string> = {};
  if (cfg.accountId) out.account = cfg.accountId;
  return out;
}

function stripeClient(c: Record<string, unknown>, o: CallOptions): StripeClient {
  const cfg = c as unknown as StripeConfig;
  if (!cfg.secretKey) throw new HubError('CONFIG_INVALID', 'the Stripe account has no secretKey: queries and refunds need one');
  return new StripeClient({
    secretKey: cfg.secretKey,
    ...(cfg.apiBase ? { apiBase: cfg.apiBase } : {}),
    ...(cfg.apiVersion ? { apiVersion: cfg.apiVersion } : {}),
    ...(cfg.accountId ? { accountId: cfg.accountId } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
}

const stripe: PaymentProvider = {
  name: 'stripe',
  label: 'Stripe',
  credentialFields: ['webhookSecret', 'previousWebhookSecret', 'secretKey', 'accountId', 'apiBase', 'apiVersion'],
  credentialProblems: (c) => stripeProblems(c),
  verify: (req, c, tolerance) => verifyStripeNotice(req, c as unknown as StripeConfig, { toleranceSec: tolerance }),
  expectedMerchant: (c) => ({ expected: stripeMerchant(c), mismatch: null }),
  success: () => stripeSuccessAnswer(),
  failure: (status) => stripeFailureAnswer(status),
  async queryPayment(c, outTradeNo, o) {
    const found = await stripeClient(c, o).findPaymentIntentsByOrderNo(outTradeNo);
    const paid = found.find((p) => p.success);
    const p = paid ?? found[0];
    if (!p) return { state: 'not_found', providerState: 'none', transactionId: null, amount: null, merchant: {}, occurredAt: null };
    return {
      state: p.success ? 'paid' : 'unpaid',
      providerState: p.status,
      transactionId: p.transactionId,
      amount: p.success ? p.amountReceived : p.amount,
      merchant: stripeMerchant(c),
      occurredAt: p.createdAt,
    };
  },
  async refund(c, r, o) {
    if (!r.transactionId) throw new HubError('VALIDATION_FAILED', 'a Stripe refund needs the PaymentIntent id the order was paid with');
    const x = await stripeClient(c, o).createRefund({
      paymentIntentId: r.transactionId,
      outRefundNo: r.outRefundNo,
      amount: { value: r.amount, currency: r.currency.toUpperCase() },
      orderNo: r.outTradeNo,
      reason: 'requested_by_customer',
    });
    return stripeRefundStatus(x.status, x.refundId);
  },
  async queryRefund(c, r, o) {
    if (!r.transactionId) return { state: 'not_found', providerState: 'none', providerRefundId: null };
    const x = await stripeClient(c, o).findRefund(r.transactionId, r.outRefundNo);
    return x ? stripeRefundStatus(x.status, x.refundId) : { state: 'not_found', providerState: 'none', providerRefundId: null };
  },
};

function stripeRefundStatus(status: string, id: string): RefundStatus {
  const state = status === 'succeeded' ? 'succeeded' : status === 'failed' ? 'failed' : status === 'canceled' ? 'closed' : 'processing';
  return { state, providerState: status, providerRefundId: id };
}

export const providers: Record<PaymentProviderName, PaymentProvider> = { wechatpay, alipay, stripe };

export function providerFor(name: string): PaymentProvider | null {
  return isPaymentProvider(name) ? providers[name] : null;
}

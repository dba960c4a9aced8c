// A verified payment notice on its way into the store, and the same shape made from a payment query's answer.
import { createHash } from 'node:crypto';
import { providerFor, type PaymentQueryResult } from './providers/registry.ts';
import type { VerifiedNotice } from './providers/types.ts';
import type { OrderRef, PaymentAccount } from './account-view.ts';

/** A verified notice on its way into the store: plain data, so it crosses into the writer thread. */
export interface NoticeDelivery {
  tenantId: string;
  paymentAccountId: string;
  provider: string;
  receivedAt: number;
  /** The signature headers as received (no secrets in them). */
  headers: Record<string, string>;
  /** The body's bytes as received (JSON or a percent-encoded form), kept byte for byte, and their SHA-256. */
  body: Uint8Array;
  bodySha256: string;
  notice: VerifiedNotice;
  /** The merchant ids the account expects, and a mismatch found against a list (WeChat app ids). */
  expectedMerchant: Record<string, string>;
  merchantMismatch: string | null;
  orderRef: OrderRef;
  channelAccounts: string[];
  /** notice: pushed by the provider; query: what a payment query answered (before auto-close, or a re-check). */
  via?: 'notice' | 'query';
}

export interface NoticeOutcome {
  duplicate: boolean;
  noticeRowId: number;
  effect: string;
  orderId: string | null;
  reason: string | null;
}

/** A notice-shaped account of what a payment query answered, for the same decision as a pushed notice. */
export function queryDelivery(a: PaymentAccount, o: { tenant_id: string }, outTradeNo: string, q: PaymentQueryResult, now: number): NoticeDelivery {
  const provider = providerFor(a.provider);
  const em = provider ? provider.expectedMerchant(a.credentials, q.merchant) : { expected: {}, mismatch: null };
  const body = JSON.stringify({ query: outTradeNo, state: q.state, providerState: q.providerState, transactionId: q.transactionId, amount: q.amount });
  return {
    tenantId: o.tenant_id,
    paymentAccountId: a.id,
    provider: a.provider,
    receivedAt: now,
    headers: {},
    body: Buffer.from(body, 'utf8'),
    bodySha256: createHash('sha256').update(body).digest('hex'),
    notice: {
      provider: a.provider,
      noticeId: `query:${q.transactionId ?? outTradeNo}`,
      kind: 'payment',
      providerState: q.providerState,
      success: q.state === 'paid',
      outTradeNo,
      transactionId: q.transactionId,
      outRefundNo: null,
      refundId: null,
      amount: q.amount,
      merchant: q.merchant,
      occurredAt: q.occurredAt,
      content: null,
    },
    expectedMerchant: em.expected,
    merchantMismatch: em.mismatch,
    orderRef: a.orderRef,
    channelAccounts: a.channelAccounts,
    via: 'query',
  };
}

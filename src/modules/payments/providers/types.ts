// Payment providers (issue 6): each provider verifies its notifications exactly as it signs them, and turns them into
// one shape; its API client (payment query, refund) signs requests as the provider requires. Providers translate;
// the payment service (to come) decides whether a notice makes an order paid ("paid" is a conjunction: signature,
// merchant ids, amount and a success state), and answers the provider only after that is committed.

export interface NoticeRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** Epoch ms. */
  now: number;
}

/** A notification whose signature (and, for WeChat Pay, encryption) checked out: what it says, not yet believed. */
export interface VerifiedNotice {
  provider: string;
  /** The notification's own id: a retry carries the same one (WeChat `id`, Alipay `notify_id`, Stripe event `id`). */
  noticeId: string;
  kind: 'payment' | 'refund' | 'other';
  /** The provider's own state or event type, e.g. SUCCESS, TRADE_SUCCESS, payment_intent.succeeded, REFUND.ABNORMAL. */
  providerState: string;
  /** True only for the provider's documented success states of this kind. */
  success: boolean;
  /** The merchant's order number as sent to the provider (out_trade_no; Stripe: metadata.order_no). */
  outTradeNo: string | null;
  /** The provider's payment id (transaction_id, trade_no, payment_intent id). */
  transactionId: string | null;
  /** For refunds: the merchant's refund number (out_refund_no) and the provider's refund id. */
  outRefundNo: string | null;
  refundId: string | null;
  /** The amount the notice is about, in minor units (refunds: the refund amount). */
  amount: { value: number; currency: string } | null;
  /** Who the money went to, to check against the account: WeChat mchid/appid, Alipay app_id/seller_id, Stripe account. */
  merchant: Record<string, string>;
  /** When the provider says it happened (epoch ms), if it says. */
  occurredAt: number | null;
  /** The decrypted or decoded content, for the raw-event store (never logged). */
  content: unknown;
}

export interface ProviderAnswer {
  status: number;
  contentType: string;
  body: string;
}

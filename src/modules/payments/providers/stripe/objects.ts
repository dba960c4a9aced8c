// Stripe's PaymentIntent and Refund objects as the hub reads them, the same way whether they arrive in a webhook
// event or an API answer: ids and the merchant's numbers from metadata, amounts in hub minor units, and "success"
// only for Stripe's documented terminal success status.
import { HubError } from '../../../../kernel/errors.ts';
import { stripeCurrency, stripeToMinor } from './currency.ts';

export type StripeObject = Record<string, unknown>;

export const isObject = (v: unknown): v is StripeObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function text(o: StripeObject, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** An id field that may come expanded into an object (`payment_intent: {id…}`) or as the id itself. */
export function idOf(o: StripeObject, key: string): string | null {
  const v = o[key];
  if (isObject(v)) return text(v, 'id');
  return typeof v === 'string' && v !== '' ? v : null;
}

export function metadataValue(o: StripeObject, key: string): string | null {
  const m = o.metadata;
  return isObject(m) ? text(m, key) : null;
}

function need(o: StripeObject, object: string): string {
  const id = text(o, 'id');
  if (o.object !== object || !id) throw new HubError('VALIDATION_FAILED', `expected a Stripe ${object} object with an id`);
  return id;
}

export interface Money {
  value: number;
  currency: string;
}

export interface StripePayment {
  /** pi_… */
  transactionId: string;
  /** metadata.order_no: the merchant's order number as the hub set it when creating the intent. */
  outTradeNo: string | null;
  /** requires_payment_method, requires_confirmation, requires_action, processing, requires_capture, canceled, succeeded. */
  status: string;
  /** Only `succeeded` means the money was received. */
  success: boolean;
  /** What the intent asks for. */
  amount: Money;
  /** What was actually received (amount_received): the figure to hold against the order. */
  amountReceived: Money;
  latestCharge: string | null;
  livemode: boolean | null;
  /** Epoch ms. */
  createdAt: number | null;
  raw: StripeObject;
}

export function toPayment(pi: StripeObject): StripePayment {
  const transactionId = need(pi, 'payment_intent');
  const currency = stripeCurrency(pi.currency);
  const status = text(pi, 'status') ?? '';
  return {
    transactionId,
    outTradeNo: metadataValue(pi, 'order_no'),
    status,
    success: status === 'succeeded',
    amount: { value: stripeToMinor(pi.amount, currency, 'amount'), currency },
    amountReceived: { value: stripeToMinor(pi.amount_received ?? 0, currency, 'amount_received'), currency },
    latestCharge: idOf(pi, 'latest_charge'),
    livemode: typeof pi.livemode === 'boolean' ? pi.livemode : null,
    createdAt: typeof pi.created === 'number' ? pi.created * 1000 : null,
    raw: pi,
  };
}

export interface StripeRefund {
  /** re_… */
  refundId: string;
  /** metadata.out_refund_no: the merchant's refund number, which was also the Idempotency-Key. */
  outRefundNo: string | null;
  /** metadata.order_no when the hub set it. */
  outTradeNo: string | null;
  /** The refunded PaymentIntent (pi_…). */
  transactionId: string | null;
  charge: string | null;
  /** pending, requires_action, succeeded, failed, canceled. */
  status: string;
  /** Only `succeeded` means the money went back. */
  success: boolean;
  amount: Money;
  failureReason: string | null;
  /** Epoch ms. */
  createdAt: number | null;
  raw: StripeObject;
}

export function toRefund(r: StripeObject): StripeRefund {
  const refundId = need(r, 'refund');
  const currency = stripeCurrency(r.currency);
  const status = text(r, 'status') ?? '';
  return {
    refundId,
    outRefundNo: metadataValue(r, 'out_refund_no'),
    outTradeNo: metadataValue(r, 'order_no'),
    transactionId: idOf(r, 'payment_intent'),
    charge: idOf(r, 'charge'),
    status,
    success: status === 'succeeded',
    amount: { value: stripeToMinor(r.amount, currency, 'amount'), currency },
    failureReason: text(r, 'failure_reason'),
    createdAt: typeof r.created === 'number' ? r.created * 1000 : null,
    raw: r,
  };
}

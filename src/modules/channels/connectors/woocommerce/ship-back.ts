// WooCommerce ship-back (发货回传): the parcel's tracking item through the Shipment Tracking extension
// (POST /wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings), then the order `completed`
// (PUT /wp-json/wc/v3/orders/{id}). WooCommerce has no idempotency key, so the tracking items are read first and a
// tracking number already there is not added again; setting `completed` twice changes nothing.
// woocommerce.com/document/shipment-tracking/shipment-tracking-rest-api-create-tracking-item/
import { PlatformWriteError, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { wooAuthorized } from './auth.ts';
import { wooProviderFields } from './carriers.ts';
import type { WooCommerceCredentials } from './index.ts';
import { correctWooTracking } from './tracking-correction.ts';

interface Answer {
  status: number;
  body: unknown;
}

export async function wooCall(ctx: CallContext<WooCommerceCredentials>, method: string, path: string, body?: unknown): Promise<Answer> {
  const { consumerKey: key, consumerSecret: secret } = ctx.credentials;
  if (!key || !secret) throw new PlatformWriteError('CREDENTIALS_MISSING', 'consumerKey and consumerSecret (read/write) are needed to ship back to WooCommerce', { refused: true });
  const base = (ctx.credentials.apiBase ?? ctx.credentials.storeUrl).replace(/\/+$/, '');
  const { url, headers } = wooAuthorized(method, `${base}${path}`, [], key, secret, ctx.now());
  const res = await sendPlatformRequest(ctx, 'WooCommerce', url, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.ok) return { status: res.status, body: res.body };
  const err = (res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body : {}) as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : `HTTP_${res.status}`;
  const message = typeof err.message === 'string' ? err.message : `HTTP ${res.status}`;
  // 429 comes from a host or firewall in front of WordPress; 5xx from PHP or the host: both pass.
  const refused = res.status !== 429 && res.status < 500 && code !== 'rate_limit_exceeded';
  throw new PlatformWriteError(code, message, { refused, status: res.status, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) });
}

/** YYYY-MM-DD, the format `date_shipped` takes. */
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function shipBackWoo(ctx: CallContext<WooCommerceCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const provider = wooProviderFields(parcel.carrier);
  if (!provider) throw new PlatformWriteError('CARRIER_UNKNOWN', `carrier ${JSON.stringify(parcel.carrier)} is not in the WooCommerce carrier dictionary: add it before shipping back`, { refused: true });
  if (!/^\d{1,20}$/.test(parcel.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `WooCommerce order id ${JSON.stringify(parcel.platformOrderId)} is not a number`, { refused: true });
  const replaces = parcel.replacesTrackingNo;
  if (replaces !== undefined) return correctWooTracking(ctx, { ...parcel, replacesTrackingNo: replaces }, provider);
  const trackings = `/wp-json/wc-shipment-tracking/v3/orders/${parcel.platformOrderId}/shipment-trackings`;
  const existing = await wooCall(ctx, 'GET', trackings);
  const items = Array.isArray(existing.body) ? (existing.body as { tracking_number?: unknown; tracking_id?: unknown }[]) : [];
  const found = items.find((t) => t.tracking_number === parcel.trackingNo);
  let ref = found && typeof found.tracking_id === 'string' ? found.tracking_id : null;
  if (!found) {
    const made = await wooCall(ctx, 'POST', trackings, { ...provider, tracking_number: parcel.trackingNo, date_shipped: day(parcel.shippedAt) });
    const id = (made.body as { tracking_id?: unknown } | null)?.tracking_id;
    ref = typeof id === 'string' ? id : null;
  }
  // After the tracking item: the "completed" email WooCommerce sends the buyer then carries the tracking number.
  const done = await wooCall(ctx, 'PUT', `/wp-json/wc/v3/orders/${parcel.platformOrderId}`, { status: 'completed' });
  return { platformRef: ref, already: Boolean(found), status: done.status };
}

// Shopify ship-back (发货回传) through fulfillment orders, on the REST Admin API the pull already uses
// (shopify.dev/docs/api/admin-rest/2025-10/resources/fulfillment: POST fulfillments.json with
// line_items_by_fulfillment_order and tracking_info). REST is "legacy" for new public apps (platform-writes.md §1);
// the GraphQL fulfillmentCreate takes the same FulfillmentInput, so moving is a change of transport here alone.
// All fulfillment orders of one request must share a location: one request per location. Shopify takes no
// idempotency key here, so the order's fulfillments are read first and a location that already has a fulfillment
// with this tracking number is not fulfilled again.
import { PlatformWriteError, platformCarrier, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { shopifyCarriers } from './carriers.ts';
import { shopifyApiVersion, type ShopifyPullCredentials } from './pull.ts';
import { correctShopifyTracking } from './tracking-correction.ts';

interface FulfillmentOrderLine {
  id: number;
  line_item_id: number;
  fulfillable_quantity: number;
}
interface FulfillmentOrder {
  id: number;
  assigned_location_id: number;
  status: string;
  line_items: FulfillmentOrderLine[];
}
interface Fulfillment {
  id: number;
  location_id: number | null;
  status: string;
  tracking_number: string | null;
  tracking_numbers?: string[];
}

/** Fulfillment orders Shopify lets an app fulfil now. */
const fulfillable = new Set(['open', 'in_progress']);

function errorText(body: unknown, status: number): string {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (typeof errors === 'string') return errors;
  if (errors && typeof errors === 'object') return JSON.stringify(errors).slice(0, 500);
  return `HTTP ${status}`;
}

export async function shopifyCall(ctx: CallContext<ShopifyPullCredentials>, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const { accessToken, shopDomain } = ctx.credentials;
  if (!accessToken) throw new PlatformWriteError('CREDENTIALS_MISSING', 'an Admin API access token (write_merchant_managed_fulfillment_orders) is needed to ship back to Shopify', { refused: true });
  const base = (ctx.credentials.apiBase ?? `https://${shopDomain}`).replace(/\/+$/, '');
  const res = await sendPlatformRequest(ctx, 'Shopify', `${base}/admin/api/${shopifyApiVersion}${path}`, {
    method,
    headers: { 'x-shopify-access-token': accessToken, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.ok) return { status: res.status, body: res.body };
  const refused = res.status !== 429 && res.status < 500;
  throw new PlatformWriteError(`HTTP_${res.status}`, errorText(res.body, res.status), { refused, status: res.status, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) });
}

export function list<T>(body: unknown, key: string): T[] {
  const v = (body as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(v)) throw new PlatformWriteError('INVALID_RESPONSE', `Shopify answered without ${key}`);
  return v as T[];
}

export async function shipBackShopify(ctx: CallContext<ShopifyPullCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const carrier = platformCarrier(shopifyCarriers, parcel.carrier, 'Shopify');
  if (!/^\d{1,20}$/.test(parcel.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `Shopify order id ${JSON.stringify(parcel.platformOrderId)} is not a number`, { refused: true });
  const order = parcel.platformOrderId;
  const replaces = parcel.replacesTrackingNo;
  if (replaces !== undefined) return correctShopifyTracking(ctx, { ...parcel, replacesTrackingNo: replaces }, carrier);

  const fulfillments = list<Fulfillment>((await shopifyCall(ctx, 'GET', `/orders/${order}/fulfillments.json`)).body, 'fulfillments');
  const ours = fulfillments.filter((f) => f.status !== 'cancelled' && (f.tracking_number === parcel.trackingNo || (f.tracking_numbers ?? []).includes(parcel.trackingNo)));
  const doneAt = new Set(ours.map((f) => f.location_id));

  const fos = list<FulfillmentOrder>((await shopifyCall(ctx, 'GET', `/orders/${order}/fulfillment_orders.json`)).body, 'fulfillment_orders');
  const orderBody = (await shopifyCall(ctx, 'GET', `/orders/${order}.json?fields=id,line_items`)).body as { order?: unknown } | null;
  const items = list<{ id: number; sku: string | null }>(orderBody?.order, 'line_items');
  const skuOf = new Map(items.map((l) => [l.id, l.sku ?? '']));

  // What this parcel carries, by SKU, spread over the fulfillment order lines of the same SKU, grouped by location.
  const want = new Map<string, number>();
  for (const l of parcel.lines) want.set(l.sku, (want.get(l.sku) ?? 0) + l.quantity);
  const byLocation = new Map<number, Map<number, { id: number; quantity: number }[]>>();
  for (const fo of fos) {
    if (!fulfillable.has(fo.status) || doneAt.has(fo.assigned_location_id)) continue;
    for (const line of fo.line_items) {
      const sku = skuOf.get(line.line_item_id) ?? '';
      const left = want.get(sku) ?? 0;
      const take = Math.min(left, line.fulfillable_quantity);
      if (take <= 0) continue;
      want.set(sku, left - take);
      const at = byLocation.get(fo.assigned_location_id) ?? new Map<number, { id: number; quantity: number }[]>();
      at.set(fo.id, [...(at.get(fo.id) ?? []), { id: line.id, quantity: take }]);
      byLocation.set(fo.assigned_location_id, at);
    }
  }
  if (byLocation.size === 0) {
    if (ours.length) return { platformRef: String(ours[0]?.id), already: true, status: 200 };
    throw new PlatformWriteError('NOTHING_TO_FULFIL', `Shopify order ${order} has nothing left to fulfil for this parcel (fulfilled elsewhere or cancelled)`, { refused: true });
  }

  const tracking = { number: parcel.trackingNo, company: carrier.company, ...(carrier.url ? { url: carrier.url.replace('{n}', encodeURIComponent(parcel.trackingNo)) } : {}) };
  const refs: string[] = ours.map((f) => String(f.id));
  let status = 200;
  for (const [, perOrder] of [...byLocation].sort((a, b) => a[0] - b[0])) {
    const made = await shopifyCall(ctx, 'POST', '/fulfillments.json', {
      fulfillment: {
        line_items_by_fulfillment_order: [...perOrder].map(([id, lines]) => ({ fulfillment_order_id: id, fulfillment_order_line_items: lines })),
        tracking_info: tracking,
        notify_customer: true,
      },
    });
    status = made.status;
    const id = (made.body as { fulfillment?: { id?: unknown } } | null)?.fulfillment?.id;
    if (id !== undefined) refs.push(String(id));
  }
  return { platformRef: refs.join(',') || null, already: false, status };
}

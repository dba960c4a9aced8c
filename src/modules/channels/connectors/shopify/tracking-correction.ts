// Shopify: a parcel's carrier or tracking number corrected after it was fulfilled (a typo found later). The order's
// fulfillments are read; each live one that carries the old number (one per location the parcel was fulfilled from)
// gets the new tracking info with POST /fulfillments/{id}/update_tracking.json ({fulfillment: {tracking_info,
// notify_customer}}: shopify.dev admin-rest fulfillment "update_tracking"; GraphQL's fulfillmentTrackingInfoUpdate takes
// the same FulfillmentTrackingInput). No idempotency key: the read decides — the new number there and the old gone is a
// retry after a lost answer, and nothing is sent.
import { PlatformWriteError, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import type { ShopifyCarrier } from './carriers.ts';
import type { ShopifyPullCredentials } from './pull.ts';
import { list, shopifyCall } from './ship-back.ts';

interface LiveFulfillment {
  id: number;
  status: string;
  tracking_company: string | null;
  tracking_number: string | null;
  tracking_numbers?: string[];
}

const holds = (f: LiveFulfillment, n: string) => f.tracking_number === n || (f.tracking_numbers ?? []).includes(n);

export async function correctShopifyTracking(ctx: CallContext<ShopifyPullCredentials>, parcel: ShipBackParcel & { replacesTrackingNo: string }, carrier: ShopifyCarrier): Promise<WriteResult> {
  const order = parcel.platformOrderId;
  const read = await shopifyCall(ctx, 'GET', `/orders/${order}/fulfillments.json`);
  const live = list<LiveFulfillment>(read.body, 'fulfillments').filter((f) => f.status !== 'cancelled');
  const sameNumber = parcel.replacesTrackingNo === parcel.trackingNo;
  const wrong = live.filter((f) => holds(f, parcel.replacesTrackingNo) && !(sameNumber && f.tracking_company === carrier.company)).sort((a, b) => a.id - b.id);
  if (wrong.length === 0) {
    const right = live.filter((f) => holds(f, parcel.trackingNo));
    if (right.length) return { platformRef: right.map((f) => String(f.id)).join(','), already: true, status: read.status };
    throw new PlatformWriteError('NOTHING_TO_CORRECT', `Shopify order ${order} has no fulfillment with ${parcel.replacesTrackingNo}: nothing to correct`, { refused: true, status: read.status });
  }
  const trackingInfo = { number: parcel.trackingNo, company: carrier.company, ...(carrier.url ? { url: carrier.url.replace('{n}', encodeURIComponent(parcel.trackingNo)) } : {}) };
  let status = read.status;
  for (const f of wrong) {
    const r = await shopifyCall(ctx, 'POST', `/fulfillments/${f.id}/update_tracking.json`, { fulfillment: { tracking_info: trackingInfo, notify_customer: true } });
    status = r.status;
  }
  return { platformRef: wrong.map((f) => String(f.id)).join(','), already: false, status };
}

// WooCommerce: a parcel's carrier or tracking number corrected after it was shipped back (a typo found later). The
// Shipment Tracking extension has no update of a tracking item, so the item with the new number is added
// (POST …/shipment-trackings, the provider fields as the ship-back sends them: a Chinese carrier as a custom provider)
// and then each item with the old number is deleted (DELETE …/shipment-trackings/{tracking_id}; the tracking_id, not
// the number, names the item: woocommerce.com/document/shipment-tracking/ REST API). Added before deleted: a correction
// cut short leaves both, never neither, and its retry reads the items first — the new one there is not added again.
import { PlatformWriteError, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import type { WooCommerceCredentials } from './index.ts';
import { wooCall } from './ship-back.ts';

interface TrackingItem {
  tracking_id?: unknown;
  tracking_number?: unknown;
}

/** YYYY-MM-DD, the format `date_shipped` takes. */
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function correctWooTracking(
  ctx: CallContext<WooCommerceCredentials>,
  parcel: ShipBackParcel & { replacesTrackingNo: string },
  provider: { tracking_provider: string } | { custom_tracking_provider: string; custom_tracking_link: string },
): Promise<WriteResult> {
  const trackings = `/wp-json/wc-shipment-tracking/v3/orders/${parcel.platformOrderId}/shipment-trackings`;
  const read = await wooCall(ctx, 'GET', trackings);
  const items = Array.isArray(read.body) ? (read.body as TrackingItem[]) : [];
  const idOf = (t: TrackingItem) => (typeof t.tracking_id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(t.tracking_id) ? t.tracking_id : null);
  // Only the carrier changed: every item with the number is replaced by one with the new provider (the list shows
  // providers as formatted names, so whether it is done already cannot be read back; doing it again is harmless).
  const sameNumber = parcel.replacesTrackingNo === parcel.trackingNo;
  const old = items.filter((t) => t.tracking_number === parcel.replacesTrackingNo);
  const found = sameNumber ? undefined : items.find((t) => t.tracking_number === parcel.trackingNo);
  if (old.length === 0) {
    if (found) return { platformRef: idOf(found), already: true, status: read.status };
    throw new PlatformWriteError('NOTHING_TO_CORRECT', `WooCommerce order ${parcel.platformOrderId} has no tracking item ${parcel.replacesTrackingNo}: nothing to correct`, { refused: true, status: read.status });
  }
  let ref = found ? idOf(found) : null;
  if (!found) {
    const made = await wooCall(ctx, 'POST', trackings, { ...provider, tracking_number: parcel.trackingNo, date_shipped: day(parcel.shippedAt) });
    ref = idOf((made.body ?? {}) as TrackingItem);
  }
  let status = read.status;
  for (const t of old) {
    const id = idOf(t);
    if (!id) throw new PlatformWriteError('INVALID_RESPONSE', `WooCommerce listed tracking item ${String(t.tracking_number)} without a usable tracking_id`, { status: read.status });
    status = (await wooCall(ctx, 'DELETE', `${trackings}/${id}`)).status;
  }
  return { platformRef: ref, already: false, status };
}

// Shopee as a waybill network: on Shopee the seller brings no number, the hub arranges the shipment of the order's
// package (v2.logistics.get_shipping_parameter → ship_order with pickup or dropoff, as the seller chose) and takes the
// number Shopee's logistics channel gives (get_tracking_number) — so a Shopee parcel gets its number like a Cainiao
// one, from the pack station, and ships with it. The calls are signed with the order's own shop (its channel
// account): the waybill account holds only the seller's choices. Shopee's shipping document (a PDF) is its label.
//
// Idempotent without an object id: the order is read first, and an order Shopee has arranged already (by a call whose
// answer was lost, or a second packer) is not arranged again — the number is read. A number Shopee has not given yet
// is a retryable failure with a time to come back. Shopee has no call to give a number back (keepsNumbers).
// Only translates: the waybill service decides when to call.
import type { ShopeeCredentials } from '../../channels/connectors/shopee/index.ts';
import { ensureArranged, shippingDocumentTypes, shopeeShippingDocument, shopeeTrackingNumber, type ShippingDocumentType } from '../../channels/connectors/shopee/logistics.ts';
import { shopeeIssuedCarrier } from '../../channels/connectors/shopee/ship-back.ts';
import { canonicalCarrier } from '../../../kernel/carriers.ts';
import { isRecord, PlatformWriteError, str, type IssuedWaybill, type WaybillClient, type WaybillRequest } from './types.ts';

/** The waybill account's settings, with the order's shop beside them (added by the waybill service per call). */
export interface ShopeeWaybillCredentials {
  shop: ShopeeCredentials;
  /** Pickup (the default where Shopee offers it) or drop-off. */
  method?: 'pickup' | 'dropoff';
  /** The pickup address (get_shipping_parameter's address_id); default: Shopee's pickup address. */
  pickupAddressId?: number;
  /** The drop-off branch where the channel asks for one; default: the first Shopee lists. */
  branchId?: number;
  /** For drop-off channels that want the sender's real name. */
  senderRealName?: string;
  /** Shopee's document type for the label; default NORMAL_AIR_WAYBILL (a PDF). */
  documentType?: ShippingDocumentType;
}

/** How long to leave Shopee before asking again for a number it has not given yet. */
export const trackingNumberRetryMs = 10_000;

const settingKeys = new Set(['method', 'pickupAddressId', 'branchId', 'senderRealName', 'documentType']);

export const shopeeWaybills: WaybillClient<ShopeeWaybillCredentials> = {
  network: 'shopee',
  label: 'Shopee',
  signedByShop: 'shopee',
  keepsNumbers: true,

  credentialProblems(v) {
    if (!isRecord(v)) return ['credentials must be an object (the Shopee shop of each order signs; put only the shipping settings here)'];
    const p: string[] = [];
    for (const k of Object.keys(v)) if (!settingKeys.has(k)) p.push(`credentials.${k} is not a Shopee shipping setting (the order's shop signs the calls: ${[...settingKeys].join(', ')})`);
    if (v.method !== undefined && v.method !== 'pickup' && v.method !== 'dropoff') p.push('credentials.method must be pickup or dropoff');
    for (const k of ['pickupAddressId', 'branchId']) if (v[k] !== undefined && !(Number.isSafeInteger(v[k]) && (v[k] as number) > 0)) p.push(`credentials.${k} must be Shopee's id (a positive integer)`);
    if (v.senderRealName !== undefined && (typeof v.senderRealName !== 'string' || !v.senderRealName.trim() || v.senderRealName.length > 100)) p.push('credentials.senderRealName must be a name (1–100 characters)');
    if (v.documentType !== undefined && !shippingDocumentTypes.includes(v.documentType as ShippingDocumentType)) p.push(`credentials.documentType must be one of ${shippingDocumentTypes.join(', ')}`);
    return p;
  },

  /** Shopee's logistics channel is the carrier: the account and its parcels name it `shopee`. */
  carrierCode: (carrier) => (canonicalCarrier(carrier) === shopeeIssuedCarrier ? 'SHOPEE' : null),

  async issue(ctx, req: WaybillRequest): Promise<IssuedWaybill> {
    const shopee = req.orders.filter((o) => o.channel === 'shopee');
    if (shopee.length !== 1 || req.orders.length !== 1) {
      throw new PlatformWriteError('ONE_ORDER_PER_PARCEL', `Shopee arranges each order's package on its own: a parcel with ${req.orders.length} orders (${shopee.length} from Shopee) cannot take one Shopee number; pack them apart`, { refused: true });
    }
    const orderSn = (shopee[0] as { platformOrderId: string }).platformOrderId;
    const c = ctx.credentials;
    const shopCtx = { ...ctx, credentials: c.shop };
    const arranged = await ensureArranged(shopCtx, orderSn, { kind: 'integrated', choice: { method: c.method, pickupAddressId: c.pickupAddressId, branchId: c.branchId, senderRealName: c.senderRealName } });
    const t = await shopeeTrackingNumber(shopCtx, orderSn, arranged.packageNumber);
    if (!t.trackingNo) {
      // Shopee's channel gives the number a while after the arrangement: asked again later, nothing is arranged twice.
      throw new PlatformWriteError('TRACKING_NUMBER_PENDING', `Shopee arranged order ${orderSn} but has no tracking number for it yet${t.hint ? ` (${t.hint})` : ''}: it is asked again shortly`, { status: t.status, retryAfterMs: trackingNumberRetryMs });
    }
    const pkg = arranged.order.packages[0];
    return {
      waybillNo: t.trackingNo,
      print: {
        carrierName: pkg?.shippingCarrier || arranged.order.shippingCarrier || undefined,
        networkRef: { orderSn, ...(arranged.packageNumber ? { packageNumber: arranged.packageNumber } : {}) },
      },
      status: t.status,
    };
  },

  /** Nothing to give back: Shopee keeps the arrangement on its order (cancelling the order there ends it). */
  cancel() {
    return Promise.resolve({ status: 0 });
  },

  async document(ctx, w, opts) {
    const ref = w.print.networkRef ?? {};
    const orderSn = str(ref.orderSn);
    if (!orderSn) return null;
    const got = await shopeeShippingDocument(
      { ...ctx, credentials: ctx.credentials.shop },
      { orderSn, packageNumber: str(ref.packageNumber) || undefined, trackingNo: w.waybillNo, type: ctx.credentials.documentType ?? 'NORMAL_AIR_WAYBILL', polls: opts.polls, pollMs: opts.pollMs },
    );
    return got ? { contentType: got.contentType, body: got.bytes } : null;
  },
};

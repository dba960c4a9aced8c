// Shopee's inverted shipping flow (v2.logistics): the seller does not bring a tracking number, the shop arranges the
// shipment of an order's package with its logistics channel (get_shipping_parameter → ship_order with pickup or
// dropoff) and takes the number Shopee's channel gives (get_tracking_number, empty for a while after arranging). A
// non-integrated channel is the other way round: ship_order carries the seller's own number (non_integrated).
// Shopee's own label is its shipping document (create_shipping_document → get_shipping_document_result →
// download_shipping_document), printable from arranging until the parcel is picked up.
//
// Shopee takes no idempotency key, and ship_order on an order already arranged is refused ("logistic status not ready
// to ship"): so the order is read first, and a refused ship_order is read again — arranged by a call whose answer was
// lost is arranged, not an error. Only translates; the callers (the waybill network `shopee`, the ship-back) decide.
import { PlatformWriteError, type CallContext } from '../types.ts';
import type { ShopeeCredentials } from './index.ts';
import { isObject, shopeeFileCall, shopeeProductCall, type Json } from './product-call.ts';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const names = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(str) : null);

/** The order can be arranged now. */
const readyStatuses = new Set(['READY_TO_SHIP']);
/**
 * Shopee has the shipment arranged (PROCESSED) or past it. RETRY_SHIP (the 3PL's pickup failed) keeps its arrangement
 * and number: a new pickup time is the seller's to choose (update_shipping_order), not a second ship_order.
 */
export const arrangedStatuses: ReadonlySet<string> = new Set(['PROCESSED', 'RETRY_SHIP', 'SHIPPED', 'TO_CONFIRM_RECEIVE', 'COMPLETED']);

export interface ShopeePackage {
  packageNumber: string;
  logisticsStatus: string;
  shippingCarrier: string;
}

/** What the shipping flow reads of an order (v2.order.get_order_detail). */
export interface ShopeeOrderState {
  orderSn: string;
  status: string;
  shippingCarrier: string;
  packages: ShopeePackage[];
  cancelBy: string;
  cancelReason: string;
}

const detailFields = 'package_list,shipping_carrier,cancel_by,cancel_reason,buyer_cancel_reason';

export async function readShopeeOrder(ctx: CallContext<ShopeeCredentials>, orderSn: string): Promise<ShopeeOrderState> {
  const r = await shopeeProductCall(ctx, '/api/v2/order/get_order_detail', { order_sn_list: orderSn, response_optional_fields: detailFields });
  const o = list(r.response.order_list).find((x) => str(x.order_sn) === orderSn);
  if (!o) throw new PlatformWriteError('ORDER_NOT_FOUND', `Shopee has no order ${orderSn} in this shop`, { status: r.status, refused: true });
  return {
    orderSn,
    status: str(o.order_status),
    shippingCarrier: str(o.shipping_carrier),
    packages: list(o.package_list).map((p) => ({ packageNumber: str(p.package_number), logisticsStatus: str(p.logistics_status), shippingCarrier: str(p.shipping_carrier) })),
    cancelBy: str(o.cancel_by),
    cancelReason: str(o.cancel_reason) || str(o.buyer_cancel_reason),
  };
}

/**
 * The one package the hub ships for the order. An order the seller split on Shopee (several packages) is refused:
 * which hub parcel is which Shopee package is not known to the hub (split_order is not called by it).
 */
export function onePackage(o: ShopeeOrderState): string | undefined {
  if (o.packages.length > 1) {
    throw new PlatformWriteError('PACKAGE_SPLIT', `Shopee order ${o.orderSn} is split into ${o.packages.length} packages (${o.packages.map((p) => p.packageNumber).join(', ')}): ship it from Shopee's Seller Centre, or unsplit it`, { refused: true });
  }
  return o.packages[0]?.packageNumber || undefined;
}

/** Why an order that is neither ready nor arranged cannot be shipped, in Shopee's words where it has them. */
export function notShippable(o: ShopeeOrderState, said?: string): PlatformWriteError {
  const why = o.cancelReason ? ` (${o.cancelBy ? `by ${o.cancelBy}: ` : ''}${o.cancelReason})` : '';
  const tail = said ? `; Shopee said: ${said}` : '';
  const text: Record<string, string> = {
    CANCELLED: `Shopee order ${o.orderSn} is CANCELLED${why}: it must not be shipped`,
    IN_CANCEL: `the buyer asked to cancel Shopee order ${o.orderSn}${why}: accept or refuse the request in Shopee first`,
    TO_RETURN: `Shopee order ${o.orderSn} is being returned (TO_RETURN): it must not be shipped`,
    UNPAID: `Shopee order ${o.orderSn} is not paid yet (UNPAID)`,
    INVOICE_PENDING: `Shopee order ${o.orderSn} waits for its invoice (INVOICE_PENDING): upload it before arranging the shipment`,
  };
  // PENDING: Shopee's own processing (KYC, the 3PL's capacity) holds it for a while; asking later may work.
  if (o.status === 'PENDING') return new PlatformWriteError('ORDER_PENDING', `Shopee holds order ${o.orderSn} (PENDING): it cannot be arranged yet${tail}`, { retryAfterMs: 300_000 });
  return new PlatformWriteError(`ORDER_${o.status || 'UNKNOWN'}`, `${text[o.status] ?? `Shopee order ${o.orderSn} is ${o.status || 'in no known status'}: it cannot be arranged`}${tail}`, { refused: true });
}

/** The seller's choices for an integrated channel, as the waybill account holds them. */
export interface ShipChoice {
  method?: 'pickup' | 'dropoff' | undefined;
  pickupAddressId?: number | undefined;
  branchId?: number | undefined;
  /** Some drop-off channels want the sender's real name. */
  senderRealName?: string | undefined;
}

export type Arrangement = { kind: 'integrated'; choice: ShipChoice } | { kind: 'non_integrated'; trackingNo: string };

/** What ship_order carries for this order, from get_shipping_parameter's info_needed and the seller's choice. */
function shipBody(orderSn: string, p: Json, how: Arrangement): Json {
  const needed = isObject(p.info_needed) ? p.info_needed : {};
  const pickupNeeds = names(needed.pickup);
  const dropoffNeeds = names(needed.dropoff);
  const nonIntegratedNeeds = names(needed.non_integrated);
  const refuse = (code: string, message: string) => new PlatformWriteError(code, message, { refused: true });
  if (how.kind === 'non_integrated') {
    if (!nonIntegratedNeeds) throw refuse('CHANNEL_INTEGRATED', `Shopee order ${orderSn} ships with a Shopee-integrated logistics channel: its tracking number comes from Shopee (get it with the shopee waybill network), not from another courier`);
    return { non_integrated: { tracking_number: how.trackingNo } };
  }
  const { choice } = how;
  if (!pickupNeeds && !dropoffNeeds) {
    if (nonIntegratedNeeds) throw refuse('CHANNEL_NOT_INTEGRATED', `Shopee order ${orderSn} ships with a non-integrated channel: Shopee issues no number for it; ship with your carrier's tracking number`);
    throw refuse('NO_SHIPPING_METHOD', `Shopee offers no way to ship order ${orderSn} (no pickup, drop-off or non-integrated parameters)`);
  }
  const method = choice.method === 'dropoff' && dropoffNeeds ? 'dropoff' : choice.method === 'pickup' && pickupNeeds ? 'pickup' : pickupNeeds ? 'pickup' : 'dropoff';
  if (method === 'pickup') {
    const needs = pickupNeeds ?? [];
    if (needs.includes('tracking_number') || needs.includes('tracking_no')) throw refuse('TRACKING_NUMBER_NEEDED', `Shopee's channel for order ${orderSn} wants the seller's tracking number at pickup: it issues none`);
    const pickup = isObject(p.pickup) ? p.pickup : {};
    const addresses = list(pickup.address_list);
    const address =
      (choice.pickupAddressId !== undefined ? addresses.find((a) => Number(a.address_id) === choice.pickupAddressId) : undefined) ??
      addresses.find((a) => names(a.address_flag)?.includes('pickup_address')) ??
      addresses[0];
    if (!address) throw refuse('PICKUP_ADDRESS_MISSING', `Shopee has no pickup address for order ${orderSn}: add one in the Seller Centre`);
    const body: Json = { address_id: Number(address.address_id) };
    if (needs.includes('pickup_time_id')) {
      const slots = list(address.time_slot_list);
      const slot = slots.find((t) => names(t.flags)?.includes('recommended')) ?? slots[0];
      if (!slot) throw refuse('PICKUP_TIME_MISSING', `Shopee offers no pickup time for order ${orderSn} (its ship-by date may have passed)`);
      body.pickup_time_id = str(slot.pickup_time_id);
    }
    return { pickup: body };
  }
  const needs = dropoffNeeds ?? [];
  if (needs.includes('tracking_no') || needs.includes('tracking_number')) throw refuse('TRACKING_NUMBER_NEEDED', `Shopee's drop-off channel for order ${orderSn} wants the seller's tracking number: it issues none`);
  const dropoff = isObject(p.dropoff) ? p.dropoff : {};
  const body: Json = {};
  if (needs.includes('branch_id')) {
    const branches = list(dropoff.branch_list);
    const branch = (choice.branchId !== undefined ? branches.find((b) => Number(b.branch_id) === choice.branchId) : undefined) ?? branches[0];
    if (!branch) throw refuse('DROPOFF_BRANCH_MISSING', `Shopee offers no drop-off branch for order ${orderSn}`);
    body.branch_id = Number(branch.branch_id);
  }
  if (needs.includes('sender_real_name')) {
    if (!choice.senderRealName) throw refuse('SENDER_REAL_NAME_MISSING', `Shopee's drop-off channel for order ${orderSn} wants the sender's real name: set senderRealName on the waybill account`);
    body.sender_real_name = choice.senderRealName;
  }
  if (needs.includes('slug')) {
    const slug = list(dropoff.slug_list)[0];
    if (slug) body.slug = str(slug.slug);
  }
  return { dropoff: body };
}

async function shipOrder(ctx: CallContext<ShopeeCredentials>, orderSn: string, packageNumber: string | undefined, how: Arrangement): Promise<number> {
  const pkg: Record<string, string> = packageNumber ? { package_number: packageNumber } : {};
  const p = await shopeeProductCall(ctx, '/api/v2/logistics/get_shipping_parameter', { order_sn: orderSn, ...pkg });
  const body = shipBody(orderSn, p.response, how);
  const r = await shopeeProductCall(ctx, '/api/v2/logistics/ship_order', {}, { order_sn: orderSn, ...pkg, ...body });
  return r.status;
}

/**
 * The order arranged with Shopee: read first (already arranged: nothing is sent), else get_shipping_parameter and
 * ship_order. A ship_order Shopee refuses is read again: arranged meanwhile (an earlier call whose answer was lost, a
 * second packer) counts as arranged. Returns the order as Shopee has it and whether this call arranged it.
 */
export async function ensureArranged(ctx: CallContext<ShopeeCredentials>, orderSn: string, how: Arrangement): Promise<{ order: ShopeeOrderState; packageNumber: string | undefined; arrangedNow: boolean; status: number }> {
  const order = await readShopeeOrder(ctx, orderSn);
  const packageNumber = onePackage(order);
  if (arrangedStatuses.has(order.status)) return { order, packageNumber, arrangedNow: false, status: 200 };
  if (!readyStatuses.has(order.status)) throw notShippable(order);
  try {
    const status = await shipOrder(ctx, orderSn, packageNumber, how);
    return { order, packageNumber, arrangedNow: true, status };
  } catch (e) {
    if (!(e instanceof PlatformWriteError && e.opts.refused) || e.code === 'CHANNEL_INTEGRATED' || e.code === 'CHANNEL_NOT_INTEGRATED') throw e;
    const again = await readShopeeOrder(ctx, orderSn);
    if (arrangedStatuses.has(again.status)) return { order: again, packageNumber: onePackage(again), arrangedNow: false, status: 200 };
    if (!readyStatuses.has(again.status)) throw notShippable(again, e.message);
    throw e;
  }
}

/** The package's tracking number as Shopee holds it: '' while its channel has not given one yet (ask again later). */
export async function shopeeTrackingNumber(ctx: CallContext<ShopeeCredentials>, orderSn: string, packageNumber: string | undefined): Promise<{ trackingNo: string; hint: string; status: number }> {
  const r = await shopeeProductCall(ctx, '/api/v2/logistics/get_tracking_number', { order_sn: orderSn, ...(packageNumber ? { package_number: packageNumber } : {}) });
  return { trackingNo: str(r.response.tracking_number).trim(), hint: str(r.response.hint), status: r.status };
}

/** Shopee's shipping document types (Data Definition: ShippingDocumentType). */
export const shippingDocumentTypes = ['NORMAL_AIR_WAYBILL', 'THERMAL_AIR_WAYBILL', 'NORMAL_JOB_AIR_WAYBILL', 'THERMAL_JOB_AIR_WAYBILL'] as const;
export type ShippingDocumentType = (typeof shippingDocumentTypes)[number];

export interface DocumentRequest {
  orderSn: string;
  packageNumber: string | undefined;
  trackingNo: string;
  type: ShippingDocumentType;
  /** How often to ask for the task's result before giving up for now, and how long to wait between asks. */
  polls: number;
  pollMs: number;
}

/**
 * Shopee's label for the package as a PDF: the document task is created, its result asked for until READY, then the
 * file downloaded. Null when Shopee is still making it after the polls (ask again later) or serves something that is
 * not a PDF (TW's HTML, a thermal printer's ZIP): the caller prints its own label then. A task Shopee FAILED is
 * refused with its reason.
 */
export async function shopeeShippingDocument(ctx: CallContext<ShopeeCredentials>, d: DocumentRequest): Promise<{ contentType: string; bytes: Buffer } | null> {
  const pkg = d.packageNumber ? { package_number: d.packageNumber } : {};
  const created = await shopeeProductCall(ctx, '/api/v2/logistics/create_shipping_document', {}, { order_list: [{ order_sn: d.orderSn, ...pkg, tracking_number: d.trackingNo, shipping_document_type: d.type }] });
  const made = list(created.response.result_list).find((x) => str(x.order_sn) === d.orderSn);
  // A task already made for this package is reported per order; its result below says whether it is usable.
  const createFailure = made && str(made.fail_error) ? `${str(made.fail_message) || str(made.fail_error)} (${str(made.fail_error)})` : '';
  for (let i = 0; i < Math.max(1, d.polls); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, d.pollMs));
    const r = await shopeeProductCall(ctx, '/api/v2/logistics/get_shipping_document_result', {}, { order_list: [{ order_sn: d.orderSn, ...pkg, shipping_document_type: d.type }] });
    const res = list(r.response.result_list).find((x) => str(x.order_sn) === d.orderSn);
    const status = str(res?.status);
    if (status === 'READY') {
      const file = await shopeeFileCall(ctx, '/api/v2/logistics/download_shipping_document', { shipping_document_type: d.type, order_list: [{ order_sn: d.orderSn, ...pkg }] });
      const pdf = file.bytes.subarray(0, 5).toString('latin1') === '%PDF-';
      return pdf ? { contentType: 'application/pdf', bytes: file.bytes } : null;
    }
    if (status === 'FAILED' || (!status && res && str(res.fail_error))) {
      const why = `${str(res?.fail_message) || str(res?.fail_error) || 'no reason given'}${createFailure ? `; on creating: ${createFailure}` : ''}`;
      throw new PlatformWriteError(str(res?.fail_error) || 'DOCUMENT_FAILED', `Shopee could not make the shipping document of order ${d.orderSn}: ${why}`, { status: r.status, refused: true });
    }
  }
  return null;
}

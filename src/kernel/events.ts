// The typed event catalogue: every event the hub appends to its outbox, its payload, and where it is published.
import { HubError } from './errors.ts';

/** The order fields most order events carry, so a subscriber can tell orders apart without a read. */
export interface OrderRef {
  orderId: string;
  orderNo: string;
  channel: string;
  accountId: string;
  platformOrderId: string;
}

export interface OrderAmounts {
  total: number;
  goods: number;
  shipping: number;
  discountPlatform: number;
  discountSeller: number;
  tax: number;
}

export interface StockLine {
  sku: string;
  warehouse: string;
  quantity: number;
}

interface FromTo {
  from: number;
  to: number;
}

/** What every warehouse step of a shipment says (shipment.waved … shipment.shipped). */
export interface ShipmentStepRef {
  shipmentId: string;
  planId: string;
  warehouse: string;
  orderIds: string[];
}

/** The warehouse steps of a shipment, each an event with ShipmentStepRef and what the step adds. */
export type ShipmentStepEvent = 'shipment.waved' | 'shipment.picked' | 'shipment.packed' | 'shipment.shipped';

/** An order taken out of a shipment before it left (拦截): which one, why, and the units the warehouse puts back. */
export interface ShipmentWithdrawal {
  shipmentId: string;
  planId: string;
  warehouse: string;
  orderId: string;
  orderNo: string;
  reason: string;
  orderIds: string[];
  lines: { lineNo: number; sku: string; quantity: number; putBack: number }[];
  putBack: { sku: string; quantity: number }[];
}

interface AccountChanged {
  id: string;
  fields: string[];
}

/** Event name → payload. Money is integer minor units; times inside payloads are epoch ms unless named ISO. */
export interface EventPayloads {
  'order.created': OrderRef & { totalAmount: number; currency: string };
  'order.status_changed': OrderRef & { from: string; to: string; cause: string };
  'order.held': OrderRef & { code: string | null; reason: string | null };
  'order.hold_released': OrderRef & { code: string | null; reason: string | null };
  'order.stock_reserved': OrderRef & { lines: StockLine[] };
  'order.stock_deducted': OrderRef & { lines: StockLine[] };
  'order.amounts_changed': OrderRef & { before: OrderAmounts; after: OrderAmounts };
  'order.remark_set': OrderRef & { flag: number | null; length: number; toPlatform: boolean };
  'order.price_changed': OrderRef & {
    lines: { lineNo: number; sku: string; quantity: number; from: { unitPrice: number; discount: number }; to: { unitPrice: number; discount: number } }[];
    shippingFee: FromTo | null;
    discountSeller: FromTo | null;
    total: FromTo;
  };
  'order.routed': {
    orderId: string;
    planId: string;
    mergedWith: string[];
    shipments: { id: string; warehouse: string; shipBy: string | null; lines: { sku: string; quantity: number }[] }[];
  };
  'order.routing_failed': { orderId: string; orderNo: string; reasons: { code: string; message: string; sku?: string }[] };
  'routing.rules_changed': { rules: readonly unknown[] };
  'shipment.planned': {
    shipmentId: string;
    planId: string;
    warehouse: string;
    carrier: string | null;
    orderIds: string[];
    shipBy: string | null;
    lines: { orderId: string; lineId: string; sku: string; quantity: number }[];
  };
  'shipment.waved': ShipmentStepRef & { waveId: string };
  'shipment.picked': ShipmentStepRef & { waveId?: string };
  'shipment.packed': ShipmentStepRef & { units: number };
  'shipment.shipped': ShipmentStepRef & { carrier: string; trackingNo: string; lines: { orderId: string; sku: string; quantity: number }[] };
  'shipment.cancelled': ShipmentWithdrawal & { from: string };
  'shipment.order_withdrawn': ShipmentWithdrawal & { repack: boolean };
  'shipment.tracking_corrected': {
    shipmentId: string;
    orderIds: string[];
    from: { carrier: string | null; trackingNo: string | null };
    to: { carrier: string; trackingNo: string };
    platformWrites: number;
  };
  'shipment.tracking_subscribed': { shipmentId: string; source: string; trackingAccountId: string };
  'shipment.tracking_updated': { shipmentId: string; source: string; via: 'push' | 'query'; status: string | null; lastEventAt: number | null; newEvents: number };
  'shipment.delivered': { shipmentId: string; orderIds: string[]; trustGrade: string; deliveredAt: number; source: string; via: string };
  'shipment.delivery_unconfirmed': { shipmentId: string; orderIds: string[]; trustGrade: string; deliveredAt: number; recheckAt: number[] };
  'shipment.delivery_unconfirmed_final': { shipmentId: string; trustGrade: string; reason: string };
  'wave.created': { waveId: string; warehouse: string; shipmentIds: string[] };
  'aftersale_case.opened': { caseId: string; orderId: string; shipmentId: string; kind: 'not_received'; priority: 'urgent' | 'normal' };
  'payment.received': {
    orderId: string;
    orderNo: string;
    provider: string;
    paymentAccountId: string;
    transactionId: string | null;
    amount: number | null;
    currency: string | null;
    late: boolean;
  };
  'payment.exception': { exceptionId: number; code: string; orderId: string | null; reason: string };
  'payment.refund_proposed': { orderId: string; orderNo: string; refundId: string; outRefundNo: string; amount: number; currency: string };
  'payment.refund_requested': { orderId: string; orderNo?: string; refundId: string; outRefundNo: string; amount: number; currency: string };
  'payment.refunded': { orderId: string; refundId: string; outRefundNo: string; amount: number; currency: string; state: string };
  'payment.refund_failed': { orderId: string; refundId: string; outRefundNo: string; amount: number; currency: string; state: string };
  'payment_account.created': { id: string; provider: string; name: string };
  'payment_account.updated': AccountChanged;
  'channel_account.created': { id: string; platform: string; name: string };
  'channel_account.updated': AccountChanged;
  'channel_account.deleted': { id: string; platform: string; name: string };
  'channel.alert': { accountId: string; platform: string; kind: string; key: string; message: string };
  'stock.set': { sku: string; warehouse: string; onHand: number; safetyStock: number | null; cause: string };
  'stock.adjusted': { changes: { sku: string; warehouse: string; onHand: number; safetyStock: number }[]; cause: string };
  'stock.changed': { skus: string[]; cause: string };
  'stock.allocation_changed': { accountId: string | null; sku: string | null };
  'sku.mapped': { externalSku: string; sku: string; accountId: string | null; rematchedOrders: string[] };
  'tracking_account.created': { id: string; source: string; name: string };
  'tracking_account.updated': AccountChanged;
  'tracking_account.deleted': { id: string };
  'tracking_settings.updated': { changed: string[] };
  'wms_account.created': { id: string; name: string; warehouse: string };
  'wms_account.updated': AccountChanged;
  'wms_account.deleted': { id: string };
  'waybill_account.created': { id: string; network: string; name: string; carrier: string };
  'waybill.issued': { shipmentId: string; network: string; carrier: string; waybillNo: string; accountId: string };
  'waybill.cancelled': { shipmentId: string; network: string; carrier: string; waybillNo: string | null; reason: string };
  'listings.pulled': { accountId: string; platform: string; seen: number; matched: number; unmatched: number; gone: number; errorCode: string | null };
  'listing.ignored': { accountId: string; listingId: number; merchantCode: string | null; ignored: boolean };
  'sku.created': { sku: string; title: string };
}

export type EventType = keyof EventPayloads;
export type EventPayload<T extends EventType> = EventPayloads[T];

/** One line per payload field, every field named (the compiler checks it), for docs/events.md. */
type FieldDocs<T extends EventType> = { readonly [K in keyof EventPayloads[T]]-?: string };

export interface EventSpec<T extends EventType> {
  /** The aggregate the event is about: its id is the event's aggregateId. */
  aggregate: string;
  about: string;
  fields: FieldDocs<T>;
}

const orderRef: { readonly [K in keyof OrderRef]: string } = {
  orderId: 'the hub order id',
  orderNo: 'the hub order number (ORD-…)',
  channel: 'the platform the order came from',
  accountId: 'the channel account (shop)',
  platformOrderId: "the platform's own order id",
};
const stepRef = {
  shipmentId: 'the shipment (parcel) id',
  planId: 'the dispatch plan it belongs to',
  warehouse: 'the warehouse code',
  orderIds: 'the orders in the parcel',
};
const withdrawal = {
  shipmentId: 'the shipment',
  planId: 'its dispatch plan',
  warehouse: 'the warehouse code',
  orderId: 'the order taken out',
  orderNo: 'its number',
  reason: 'order_cancelled or shipped_elsewhere',
  orderIds: 'the orders the shipment carries afterwards',
  lines: 'the withdrawn lines, with putBack: units already off the shelf',
  putBack: 'units per SKU the warehouse puts back on the shelf',
};
const changed = { id: 'the account id', fields: 'the names of the fields changed (values are not repeated)' };
const refund = {
  orderId: 'the order refunded',
  refundId: 'the hub refund id',
  outRefundNo: 'the merchant refund number sent to the provider',
  amount: 'minor units',
  currency: 'ISO 4217',
};

/** The catalogue: what each event means, the aggregate it is about, and every payload field. */
export const eventCatalogue: { readonly [T in EventType]: EventSpec<T> } = {
  'order.created': {
    aggregate: 'order',
    about: 'An order the hub had not seen, numbered and stored (before its status or stock is applied).',
    fields: { ...orderRef, totalAmount: 'the order total, minor units', currency: 'ISO 4217' },
  },
  'order.status_changed': {
    aggregate: 'order',
    about: 'One step along the status anchor (a platform that skipped steps yields one event per step).',
    fields: { ...orderRef, from: 'the status before', to: 'the status after', cause: 'what caused it, e.g. `ownshop push evt-1`' },
  },
  'order.held': {
    aggregate: 'order',
    about: 'The order was put on hold (stock short, SKU unmatched, platform state unclear …).',
    fields: { ...orderRef, code: 'the hold code, e.g. STOCK_SHORT', reason: 'why, in words' },
  },
  'order.hold_released': {
    aggregate: 'order',
    about: 'The hold was lifted.',
    fields: { ...orderRef, code: 'the hold that was lifted', reason: 'null' },
  },
  'order.stock_reserved': {
    aggregate: 'order',
    about: 'Stock held for an unpaid order (until payment or the payment timeout).',
    fields: { ...orderRef, lines: 'sku, warehouse, quantity taken' },
  },
  'order.stock_deducted': {
    aggregate: 'order',
    about: 'Stock taken firm for a paid order.',
    fields: { ...orderRef, lines: 'sku, warehouse, quantity taken' },
  },
  'order.remark_set': {
    aggregate: 'order',
    about: "A person wrote the seller's remark (卖家备注) and flag on the order; it goes back to the platform where the platform takes remarks.",
    fields: { ...orderRef, flag: 'the flag, 0 (none) to 5, or null', length: 'how many characters the remark has (its text stays out of the event)', toPlatform: 'true when a write to the platform was queued' },
  },
  'order.amounts_changed': {
    aggregate: 'order',
    about: "The platform sent other amounts for the order (a price changed before payment, 改价).",
    fields: { ...orderRef, before: 'total, goods, shipping, discountPlatform, discountSeller, tax before', after: 'the same, after' },
  },
  'order.price_changed': {
    aggregate: 'order',
    about: 'A person changed prices in the hub (possibly after an approval).',
    fields: {
      ...orderRef,
      lines: 'lines changed: lineNo, sku, quantity, from and to {unitPrice, discount}',
      shippingFee: '{from, to} or null',
      discountSeller: '{from, to} or null',
      total: '{from, to}',
    },
  },
  'order.routed': {
    aggregate: 'order',
    about: 'The order was put in a dispatch plan: its shipments, warehouses and ship-by times.',
    fields: { orderId: 'the hub order id', planId: 'the dispatch plan', mergedWith: 'other orders shipped with it', shipments: 'id, warehouse, shipBy (ISO), lines {sku, quantity}' },
  },
  'order.routing_failed': {
    aggregate: 'order',
    about: 'Routing could not plan the order (a new reason; the same reason again is not repeated).',
    fields: { orderId: 'the hub order id', orderNo: 'its number', reasons: 'code, message, sku?' },
  },
  'routing.rules_changed': {
    aggregate: 'routing_rules',
    about: "The tenant's routing rules were saved.",
    fields: { rules: 'the rules as saved (GET /api/routing/rules)' },
  },
  'shipment.planned': {
    aggregate: 'shipment',
    about: 'A shipment created by routing, waiting for the warehouse.',
    fields: {
      shipmentId: 'the shipment id',
      planId: 'its dispatch plan',
      warehouse: 'the warehouse code',
      carrier: 'the chosen carrier, or null',
      orderIds: 'the orders it carries',
      shipBy: 'ISO time it must leave by',
      lines: 'orderId, lineId, sku, quantity',
    },
  },
  'shipment.waved': { aggregate: 'shipment', about: 'Put in a pick wave (波次).', fields: { ...stepRef, waveId: 'the wave' } },
  'shipment.picked': { aggregate: 'shipment', about: 'Picked from the shelves (by a wave, or reported by a WMS).', fields: { ...stepRef, waveId: 'the wave, when picked in one' } },
  'shipment.packed': { aggregate: 'shipment', about: 'Every unit scanned into the parcel.', fields: { ...stepRef, units: 'units packed' } },
  'shipment.shipped': {
    aggregate: 'shipment',
    about: 'Handed to the carrier with its tracking number; its units left on-hand.',
    fields: { ...stepRef, carrier: 'the carrier', trackingNo: 'the tracking number', lines: 'orderId, sku, quantity shipped' },
  },
  'shipment.cancelled': {
    aggregate: 'shipment',
    about: 'Stopped before it left (拦截): its last order was cancelled or shipped another way.',
    fields: { ...withdrawal, from: 'the state it was stopped in' },
  },
  'shipment.order_withdrawn': {
    aggregate: 'shipment',
    about: 'One order taken out of a merged shipment that goes on for the others.',
    fields: { ...withdrawal, repack: 'true when a packed parcel must be scanned again' },
  },
  'shipment.tracking_corrected': {
    aggregate: 'shipment',
    about: 'A shipped parcel’s carrier or tracking number corrected (a typo found after it left): tracking follows the new number, and each platform that was told the old one is told the correction.',
    fields: {
      shipmentId: 'the shipment',
      orderIds: 'the orders it carries',
      from: 'carrier and trackingNo before',
      to: 'carrier and trackingNo after',
      platformWrites: 'platform writes queued for it (a correction, or a send with the new number where the first one never went out)',
    },
  },
  'shipment.tracking_subscribed': {
    aggregate: 'shipment',
    about: 'The tracking source was asked to push updates for the parcel.',
    fields: { shipmentId: 'the shipment', source: 'kuaidi100, aftership or track17', trackingAccountId: 'the tracking account' },
  },
  'shipment.tracking_updated': {
    aggregate: 'shipment',
    about: 'New tracking events or a new tracking status.',
    fields: {
      shipmentId: 'the shipment',
      source: 'the tracking source',
      via: 'push or query',
      status: 'the tracking status now',
      lastEventAt: 'epoch ms of the newest event',
      newEvents: 'events not seen before',
    },
  },
  'shipment.delivered': {
    aggregate: 'shipment',
    about: 'A delivery the hub trusts (delivery trust); its orders move to delivered once all their parcels are.',
    fields: {
      shipmentId: 'the shipment',
      orderIds: 'its orders',
      trustGrade: 'signature_or_otp, photo, locker_or_station or scan_only',
      deliveredAt: 'epoch ms the carrier delivered',
      source: 'the tracking source (or trust_settings)',
      via: 'push, query or recheck',
    },
  },
  'shipment.delivery_unconfirmed': {
    aggregate: 'shipment',
    about: 'The carrier says delivered, but the proof is not trusted: the customer is not told, it is checked again.',
    fields: { shipmentId: 'the shipment', orderIds: 'its orders', trustGrade: 'the grade of the proof', deliveredAt: 'epoch ms the carrier claims', recheckAt: 'epoch ms of the re-checks' },
  },
  'shipment.delivery_unconfirmed_final': {
    aggregate: 'shipment',
    about: 'No re-check confirmed the delivery: it stays unconfirmed.',
    fields: { shipmentId: 'the shipment', trustGrade: 'the best grade seen', reason: 'why' },
  },
  'wave.created': { aggregate: 'wave', about: 'A pick wave made.', fields: { waveId: 'the wave', warehouse: 'the warehouse code', shipmentIds: 'the shipments in it' } },
  'aftersale_case.opened': {
    aggregate: 'aftersale_case',
    about: 'A "not received" complaint opened a case.',
    fields: { caseId: 'the case id', orderId: 'the order', shipmentId: 'the parcel', kind: 'not_received', priority: 'urgent or normal' },
  },
  'payment.received': {
    aggregate: 'order',
    about: "A verified payment notice (or query) moved the order to paid.",
    fields: {
      orderId: 'the order',
      orderNo: 'its number',
      provider: 'wechatpay, alipay or stripe',
      paymentAccountId: 'the payment account',
      transactionId: "the provider's transaction id",
      amount: 'minor units',
      currency: 'ISO 4217',
      late: 'true when it reopened an order the payment timeout had cancelled',
    },
  },
  'payment.exception': {
    aggregate: 'payment_account',
    about: 'Something about a payment or refund needs a person (payment exceptions queue).',
    fields: { exceptionId: 'the exception id', code: 'e.g. AMOUNT_MISMATCH, REFUND_FAILED', orderId: 'the order, when known', reason: 'why, in words' },
  },
  'payment.refund_proposed': {
    aggregate: 'order',
    about: 'The hub proposes a refund (late or duplicate payment, paid without stock); a person approves or declines it.',
    fields: { ...refund, orderNo: 'the order number' },
  },
  'payment.refund_requested': {
    aggregate: 'order',
    about: 'A refund to be sent to the provider (asked for by a person, or a proposal approved).',
    fields: { ...refund, orderNo: 'the order number (absent when a proposal was approved)' },
  },
  'payment.refunded': { aggregate: 'order', about: 'The provider confirmed the refund (notice or query).', fields: { ...refund, state: 'succeeded' } },
  'payment.refund_failed': { aggregate: 'order', about: 'The provider says the refund failed or was closed.', fields: { ...refund, state: 'failed or closed' } },
  'payment_account.created': { aggregate: 'payment_account', about: 'A payment account added.', fields: { id: 'the account id', provider: 'the provider', name: 'its name' } },
  'payment_account.updated': { aggregate: 'payment_account', about: 'A payment account changed.', fields: changed },
  'channel_account.created': { aggregate: 'channel_account', about: 'A shop added.', fields: { id: 'the account id', platform: 'the platform', name: 'its name' } },
  'channel_account.updated': { aggregate: 'channel_account', about: 'A shop changed.', fields: changed },
  'channel_account.deleted': { aggregate: 'channel_account', about: 'A shop deleted.', fields: { id: 'the account id', platform: 'the platform', name: 'its name' } },
  'channel.alert': {
    aggregate: 'channel_account',
    about: 'An integration alert raised (or raised again after it was acknowledged).',
    fields: { accountId: 'the account', platform: 'the platform or provider', kind: 'the alert kind', key: 'what it is about', message: 'in words' },
  },
  'stock.set': {
    aggregate: 'sku',
    about: 'On-hand stock of a SKU at a warehouse set by hand or a stock count.',
    fields: { sku: 'the SKU', warehouse: 'the warehouse code', onHand: 'units on hand now', safetyStock: 'the safety stock set, or null', cause: 'why' },
  },
  'stock.adjusted': { aggregate: 'stock', about: 'A bulk stock adjustment (possibly approved).', fields: { changes: 'sku, warehouse, onHand, safetyStock after', cause: 'why' } },
  'stock.changed': {
    aggregate: 'sku',
    about: "What a SKU's channels may sell changed (a reservation, a release, a shipment, a count, an adjustment): its listings are synced.",
    fields: { skus: 'the SKUs whose stock moved', cause: 'reserve, release, restock, ship or count' },
  },
  'stock.allocation_changed': {
    aggregate: 'stock_allocation',
    about: "A channel account's share of stock (ratio, safety stock, sync on or off), a SKU's exclusive account, or a listing's fixed quantity or cap changed.",
    fields: { accountId: 'the account whose settings changed, or null', sku: 'the SKU whose exclusive account or listing overrides changed, or null' },
  },
  'sku.mapped': {
    aggregate: 'sku',
    about: "A platform's SKU code mapped to a hub SKU; orders waiting on it are matched again.",
    fields: { externalSku: "the platform's code", sku: 'the hub SKU', accountId: 'the shop, or null for every shop', rematchedOrders: 'order numbers matched again' },
  },
  'tracking_account.created': { aggregate: 'tracking_account', about: 'A tracking source account added.', fields: { id: 'the account id', source: 'the source', name: 'its name' } },
  'tracking_account.updated': { aggregate: 'tracking_account', about: 'A tracking source account changed.', fields: changed },
  'tracking_account.deleted': { aggregate: 'tracking_account', about: 'A tracking source account deleted.', fields: { id: 'the account id' } },
  'tracking_settings.updated': { aggregate: 'tracking_settings', about: "The tenant's tracking and delivery-trust settings saved.", fields: { changed: 'the names of the settings changed' } },
  'wms_account.created': { aggregate: 'wms_account', about: 'An external WMS connected.', fields: { id: 'the account id', name: 'its name', warehouse: 'the warehouse it runs' } },
  'wms_account.updated': { aggregate: 'wms_account', about: 'An external WMS account changed.', fields: changed },
  'wms_account.deleted': { aggregate: 'wms_account', about: 'An external WMS account deleted.', fields: { id: 'the account id' } },
  'waybill_account.created': {
    aggregate: 'waybill_account',
    about: 'A carrier network’s e-waybill account (电子面单) added.',
    fields: { id: 'the account id', network: 'cainiao, pinduoduo, douyin or jd', name: 'its name', carrier: 'the hub carrier its numbers belong to' },
  },
  'waybill.issued': {
    aggregate: 'shipment',
    about: 'A parcel got its waybill number from the carrier network.',
    fields: { shipmentId: 'the parcel', network: 'the network', carrier: 'the hub carrier', waybillNo: 'the waybill (tracking) number', accountId: 'the waybill account' },
  },
  'waybill.cancelled': {
    aggregate: 'shipment',
    about: 'A parcel’s waybill number given back (the parcel was stopped, or cancelled by hand).',
    fields: { shipmentId: 'the parcel', network: 'the network', carrier: 'the hub carrier', waybillNo: 'the number, when one was issued', reason: 'why' },
  },
  'listings.pulled': {
    aggregate: 'channel_account',
    about: "A pull of a shop's listings (商品下载) ended: what it found, how much of it is matched to hub SKUs.",
    fields: {
      accountId: 'the shop',
      platform: 'the platform',
      seen: 'listings on the platform',
      matched: 'of them matched to a hub SKU',
      unmatched: 'of them neither matched nor ignored (商品未匹配)',
      gone: 'listings no longer on the platform',
      errorCode: 'why the pull stopped, or null when it ran to the end',
    },
  },
  'listing.ignored': {
    aggregate: 'channel_account',
    about: 'A listing ignored by a person (neither matched nor shown as unmatched), or the ignore taken back.',
    fields: { accountId: 'the shop', listingId: 'the listing', merchantCode: 'its merchant code', ignored: 'true when ignored, false when taken back' },
  },
  'sku.created': { aggregate: 'sku', about: 'A hub SKU added to the catalogue (for a listing that had none).', fields: { sku: 'the hub SKU', title: 'its title' } },
};

export const eventTypes = Object.keys(eventCatalogue) as EventType[];

export function isEventType(s: string): s is EventType {
  return Object.hasOwn(eventCatalogue, s);
}

/** An event as it is appended: its name decides its payload, so a wrong payload does not compile. */
export interface HubEvent<T extends EventType> {
  tenantId: string;
  type: T;
  aggregateType: string;
  aggregateId: string;
  payload: EventPayload<T>;
  at: number;
}

/** A NATS subject token: no dots, spaces or wildcards. */
const subjectToken = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The NATS subject an event is published on: `orderhub.<tenant>.<event type>`. The type's own dots make tokens, so a
 * consumer can take `orderhub.<tenant>.order.>` or `orderhub.*.shipment.delivered`.
 */
export function subjectFor(tenantId: string, type: EventType): string {
  if (!subjectToken.test(tenantId)) {
    throw new HubError('VALIDATION_FAILED', `tenant id "${tenantId}" cannot be a NATS subject token (letters, digits, _ and - only)`);
  }
  if (!isEventType(type)) throw new HubError('VALIDATION_FAILED', `unknown event type "${String(type)}"`);
  return `orderhub.${tenantId}.${type}`;
}

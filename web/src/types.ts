// What the hub's API answers, as the console reads it (the OpenAPI document at /docs is the contract).
export interface Me {
  user: { id: string; username: string; displayName: string; roles: string[] } | null;
  name: string;
  kind: string;
  tenant: string;
  timezone: string;
  permissions: string[];
  scope: { accounts: string[] | null; warehouses: string[] | null; provinces: string[] | null };
  csrfToken: string | null;
}

export interface OrderSummary {
  id: string;
  orderNo: string;
  channel: string;
  accountId: string;
  platformOrderId: string;
  status: string;
  platformStatus: string;
  paymentStatus: string;
  fulfilmentStatus: string;
  reservationState: string;
  hold: { code: string; reason: string | null } | null;
  totalAmount: number;
  paidAmount: number;
  currency: string;
  receiverName: string;
  receiverPhone: string | null;
  receiverRegion: string;
  platformCreatedAt: string | null;
  createdAt: string | null;
  /** Kinds of the requests on the order waiting for a second person (the list only). */
  pendingApprovals?: string[];
}

export interface OrderDetail extends Omit<OrderSummary, 'pendingApprovals'> {
  piiRevealed: boolean;
  receiver: { name: string; phone: string | null; province: string; city: string; district: string; address: string; protection: string | null };
  buyer: { id: string | null; name: string | null; phone: string | null };
  amounts: { goods: number; lineDiscounts: number; shippingFee: number; discountPlatform: number; discountSeller: number; tax: number; total: number; paid: number };
  lines: { lineNo: number; sku: string | null; platformSku: string; title: string; quantity: number; unitPrice: number; discount: number }[];
  reservation: { state: string; items: { sku: string; warehouse: string; quantity: number; state: string }[] };
  cancelCause: string | null;
  paidAt: string | null;
  cancelledAt: string | null;
  version: number;
  allowedTransitions: string[];
  blockedActions: { priceChange: string | null; ship: string | null };
  pendingApprovals: { id: string; kind: string }[];
  history: { at: string | null; kind: string; from: string | null; to: string | null; cause: string; sourceTime: string | null; rawEventId: number | null; detail: unknown }[];
  rawEvents: { id: number; eventId: string; channel: string; receivedAt: string | null; deliveries: number; outcome: string }[];
  notes: { id: number; at: string | null; author: string; text: string }[];
  /** Only in the single-order view. */
  payments?: PaymentTimeline;
  routing?: { planId: string | null; checkedAt: string | null; problems: { code: string; message: string; sku?: string }[] | null };
  shipments?: Shipment[];
}

export interface PaymentRefund {
  id: string;
  outRefundNo: string;
  amount: number;
  currency: string;
  reason: string;
  source: string;
  state: string;
  providerState: string | null;
  attempts: number;
  lastError: string | null;
  requestedAt: string | null;
  confirmedAt: string | null;
}

export interface PaymentException {
  id: number;
  code: string;
  reason: string;
  state: string;
  provider: string | null;
  orderId: string | null;
  orderNo: string | null;
  refund: { id: string; state: string | null; outRefundNo: string | null } | null;
  actions: string[];
  createdAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export interface PaymentTimeline {
  notices: {
    id: number;
    provider: string;
    noticeId: string;
    via: string;
    verification: string;
    kind: string;
    providerState: string;
    transactionId: string | null;
    amount: number | null;
    currency: string | null;
    receivedAt: string | null;
    deliveries: number;
    effect: string;
    reason: string | null;
  }[];
  refunds: PaymentRefund[];
  exceptions: PaymentException[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface StockView {
  sku: string;
  /** The product's name from the catalogue ('' when none). */
  title?: string;
  onHand: number;
  reserved: number;
  available: number;
  safetyStock: number;
  sellable: number;
  lowStock: boolean;
  byWarehouse: { warehouse: string; onHand: number; reserved: number; available: number; safetyStock: number; sellable: number; lowStock: boolean; updatedAt: string | null }[];
  /** A bundle (组合装): its components per unit of the bundle, with their own stock. */
  components?: { sku: string; quantity: number; onHand: number; available: number; sellable: number }[];
}

export interface Account {
  id: string;
  platform: string;
  name: string;
  active: boolean;
  credentialKeys: string[];
  /** The seller's settings for the shop (Shopify stockLocationId). */
  settings: Record<string, unknown>;
  /** What the hub read from the shop once (Shopify primaryLocationId, primaryLocationName). */
  learned: Record<string, string>;
  webhookUrl: string | null;
  createdAt: string | null;
}

export interface Platform {
  platform: string;
  label: string;
  push: string | null;
  pull: string | null;
  credentialFields: { name: string; label: string; secret: boolean; optional: boolean; hint?: string }[];
  /** Settings beyond the credentials (PATCH settings), e.g. Shopify stockLocationId. */
  settingFields: { name: string; label: string; hint?: string }[];
  statuses: { raw: string; anchor: string | null; hold: string | null; doc: string }[];
}

export interface PullRun {
  id?: number;
  startedAt: string | null;
  durationMs: number;
  windowFrom: string | null;
  windowTo: string | null;
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  recovered: number;
  errorCode: string | null;
  error: string | null;
  rateLimited: boolean;
}

export interface ChannelAlert {
  id: number;
  accountId: string;
  platform: string;
  kind: string;
  key: string;
  message: string;
  firstAt: string | null;
  lastAt: string | null;
  occurrences: number;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface RawEventRow {
  id: number;
  eventId: string;
  receivedAt: string | null;
  deliveries: number;
  outcome: string;
  orderId: string | null;
  via: string;
  detail: string | null;
}

export interface Integration {
  account: { id: string; platform: string; name: string; active: boolean };
  push: { supported: boolean };
  pull: { supported: boolean; configured: boolean };
  last24h: { pushed: number; pushDeliveries: number; fetched: number; pulled: number; recovered: number; byOutcome: Record<string, number> };
  recoveredAllTime: number;
  pullState: { watermark: string | null; nextRunAt: string | null; failures: number; lastError: string | null } | null;
  lastPull: PullRun | null;
  openAlerts: number;
  sinceStart: {
    refused: { total: number; byCode: Record<string, number>; recent: { at: string; code: string; message: string }[] };
    answers: { count: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; overDeadline: number; deadlineMs: number };
  };
}

type Change = { from: number; to: number };

/** What a request would change, per kind (money in minor units). */
export type ApprovalDiff =
  | {
      kind: 'order.price_change';
      orderId: string;
      orderNo: string;
      currency: string;
      lines: { lineNo: number; sku: string; quantity: number; unitPrice: Change; discount: Change }[];
      shippingFee: Change | null;
      discountSeller: Change | null;
      total: Change;
    }
  | { kind: 'order.cancel_paid'; orderId: string; orderNo: string; currency: string | null; status: { from: string; to: string }; paidAmount: number }
  | { kind: 'stock.bulk_adjust'; rows: { sku: string; warehouse: string; before: number | null; after: number | null; delta: number | null; safetyStock: { from: number | null; to: number } | null }[] }
  | { kind: 'channel_account.delete'; accountId: string; name: string; platform: string }
  | { kind: 'user.delete'; userId: string; username: string };

export interface Approval {
  id: string;
  kind: string;
  label: string;
  state: string;
  summary: string;
  targetType: string;
  targetId: string | null;
  payload: Record<string, unknown>;
  diff: ApprovalDiff | null;
  requestedBy: string;
  requestedAt: string | null;
  expiresAt: string | null;
  mine: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  active: boolean;
  locked: boolean;
  lastSignInAt: string | null;
  scope: Me['scope'];
}

export interface Role {
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
}

export interface AuditEntry {
  seq: number;
  at: string | null;
  actor: { kind: string; name: string };
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  detail: unknown;
}

export interface Dashboard {
  day: string;
  timezone: string;
  ordersToday: number;
  paidAmountToday: { currency: string; amount: number }[];
  byChannel: { channel: string; orders: number }[];
  byStatus: { status: string; orders: number }[];
  waitingToShip: number;
  exceptions: number;
  perMinute: { minute: string; orders: number }[];
}

/** A parcel of a dispatch plan: planned → waved → picked → packed → shipped → delivered / returned; or cancelled before it left. */
export interface Shipment {
  id: string;
  planId: string;
  warehouse: string;
  state: string;
  orderIds: string[];
  /** The order numbers of orderIds, in the same order. */
  orderNos: string[];
  carrier: string | null;
  trackingNo: string | null;
  waveId: string | null;
  shipBy: string | null;
  weightGrams: number;
  /** bundleSku: the bundle (组合装) a component line belongs to. */
  lines: { orderId: string; lineNo: number; sku: string; quantity: number; scanned: number; bundleSku?: string; bundleLineNo?: number }[];
  createdAt: string | null;
  wavedAt: string | null;
  pickedAt: string | null;
  packedAt: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  returnedAt: string | null;
  /** Present once carrier tracking is wired into the shipment view. */
  trackingStatus?: string | null;
  trustGrade?: string | null;
  cancelledAt: string | null;
  /** order_cancelled | shipped_elsewhere */
  cancelReason: string | null;
}

export interface ScanResult extends Shipment {
  remaining: { sku: string; quantity: number }[];
}

export interface WaveSummary {
  id: string;
  warehouse: string;
  state: string;
  createdBy: string;
  createdAt: string | null;
}

export interface Wave extends WaveSummary {
  shipments: Shipment[];
}

export interface PickList {
  waveId: string;
  warehouse: string;
  createdAt: string | null;
  shipments: number;
  units: number;
  items: { sku: string; title: string; quantity: number; shipments: { shipmentId: string; quantity: number }[]; bundles?: { sku: string; title: string; quantity: number }[] }[];
}

export interface Warehouse {
  code: string;
  name: string;
  priority: number;
  carriers: { code: string }[] | null;
}

export interface ShipmentTracking {
  shipment: { id: string; carrier: string | null; trackingNo: string | null; trackingStatus: string | null; trustGrade: string | null; deliveredAt: string | null };
  events: { at: string | null; status: string; rawStatus: string | null; location: string | null; description: string; evidence: string[] }[];
}

export type TrustGrades = Partial<Record<'signature_or_otp' | 'photo' | 'locker_or_station' | 'scan_only', number>>;

export interface TrustRow {
  delivered: number;
  trusted: number;
  /** Trusted deliveries / all deliveries, 0…1 (null when nothing was delivered). */
  trustRate: number | null;
  byGrade: TrustGrades;
}

export interface TrustBoard {
  carriers: (TrustRow & { carrier: string })[];
  outlets: (TrustRow & { outlet?: string; carrier?: string | null })[];
}

/** A shop's share of stock (库存分配), as GET /api/stock-allocation lists it. */
export interface ShopAllocation {
  accountId: string;
  accountName: string;
  platform: string;
  active: boolean;
  ratioPct: number;
  safetyStock: number;
  syncEnabled: boolean;
  /** null: never set (the defaults). */
  updatedAt: string | null;
}

export interface AllocationSettings {
  accounts: ShopAllocation[];
  exclusive: { sku: string; accountId: string }[];
}

/** One SKU with what each shop may offer of it (null: the shop's sync is off). */
export type StockDetail = StockView & { byChannel: { accountId: string; sellable: number | null }[] };

/** A shop's listing of a hub SKU, with its overrides and what the next stock push offers on it. */
export interface SkuListing {
  id: number;
  accountId: string;
  accountName: string;
  platform: string;
  platformItemId: string;
  platformSkuId: string;
  merchantCode: string | null;
  title: string;
  ignored: boolean;
  fixedQuantity: number | null;
  capQuantity: number | null;
  offered: number | null;
  syncedQuantity: number | null;
  syncedAt: string | null;
  syncError: string | null;
}

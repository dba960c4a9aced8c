// Shared response schemas (also the OpenAPI document's components).
import { Type } from '@sinclair/typebox';
import { approvalStates } from '../../modules/access/domain/approvals.ts';
import { codes, type CodeKind } from '../../kernel/codes.ts';
import { instantYears } from '../../kernel/time.ts';

export const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();
const NStr = Type.Union([Type.String(), Type.Null()]);
const Int = Type.Integer();

export const StockWarehouse = Type.Object({
  warehouse: Str,
  onHand: Int,
  reserved: Int,
  available: Int,
  safetyStock: Int,
  sellable: Int,
  lowStock: Type.Boolean(),
  updatedAt: NStr,
});

export const StockView = Type.Object({
  sku: Str,
  /** The product's name (商品名称) from the catalogue; '' when none was given. */
  title: Type.Optional(Str),
  onHand: Int,
  reserved: Int,
  available: Int,
  safetyStock: Int,
  sellable: Int,
  lowStock: Type.Boolean(),
  byWarehouse: Type.Array(StockWarehouse),
  // A bundle (组合装): its components, per unit of the bundle, with their own stock.
  components: Type.Optional(Type.Array(Type.Object({ sku: Str, quantity: Int, onHand: Int, available: Int, sellable: Int }))),
});

export const Hold = Type.Union([Type.Object({ code: Str, reason: NStr }), Type.Null()]);

export const OrderSummary = Type.Object({
  id: Str,
  orderNo: Str,
  channel: Str,
  accountId: Str,
  platformOrderId: Str,
  status: Str,
  platformStatus: Str,
  paymentStatus: Str,
  fulfilmentStatus: Str,
  aftersaleStatus: Str,
  reservationState: Str,
  hold: Hold,
  totalAmount: Int,
  paidAmount: Int,
  currency: Str,
  receiverName: Str,
  receiverPhone: NStr,
  receiverRegion: Str,
  platformCreatedAt: NStr,
  createdAt: NStr,
  updatedAt: NStr,
});

export const ShipmentView = Type.Object({
  id: Str,
  planId: Type.String({ description: 'the dispatch plan id, carried through pick, pack and ship' }),
  warehouse: Str,
  state: Type.String({ description: 'planned → waved → picked → packed → shipped → delivered / returned; cancelled when its orders were cancelled (or shipped another way) before it left' }),
  orderIds: Type.Array(Str, { description: 'more than one when related orders were merged' }),
  orderNos: Type.Array(Str, { description: 'the order numbers of orderIds, in the same order' }),
  carrier: NStr,
  trackingNo: NStr,
  waveId: NStr,
  shipBy: NStr,
  weightGrams: Int,
  // bundleSku: the bundle (组合装) a component line belongs to, and bundleLineNo the order line it was sold on; absent for a plain line.
  lines: Type.Array(Type.Object({ orderId: Str, lineNo: Int, sku: Str, quantity: Int, scanned: Int, bundleSku: Type.Optional(Str), bundleLineNo: Type.Optional(Int) })),
  createdAt: NStr,
  wavedAt: NStr,
  pickedAt: NStr,
  packedAt: NStr,
  shippedAt: NStr,
  deliveredAt: NStr,
  returnedAt: NStr,
  trackingStatus: Type.Union([Str, Type.Null()], { description: 'the carrier’s tracking status, or delivered_unconfirmed while an untrusted delivery is re-checked' }),
  trustGrade: Type.Union([Str, Type.Null()], { description: 'signature_or_otp | photo | locker_or_station | scan_only, once the carrier reports delivery' }),
  cancelledAt: NStr,
  cancelReason: Type.Union([Str, Type.Null()], { description: 'order_cancelled | shipped_elsewhere' }),
});

export const OrderDetail = Type.Composite([
  OrderSummary,
  Type.Object({
    piiRevealed: Type.Boolean(),
    receiver: Type.Object({
      name: Str,
      phone: NStr,
      province: Str,
      city: Str,
      district: Str,
      address: Str,
      protection: Type.Union([Str, Type.Null()], {
        description: 'masked or encrypted: the platform itself protected these fields (Taobao, JD, PDD, Douyin, Shopee); shown as it gave them',
      }),
    }),
    buyer: Type.Object({ id: NStr, name: NStr, phone: NStr }),
    amounts: Type.Object({
      goods: Int,
      lineDiscounts: Int,
      shippingFee: Int,
      discountPlatform: Int,
      discountSeller: Int,
      tax: Int,
      total: Int,
      paid: Int,
    }),
    lines: Type.Array(
      Type.Object({ lineNo: Int, sku: NStr, platformSku: Str, title: Str, quantity: Int, unitPrice: Int, discount: Int }),
    ),
    reservation: Type.Object({
      state: Str,
      items: Type.Array(Type.Object({ sku: Str, warehouse: Str, quantity: Int, state: Str, bundleSku: Type.Optional(Str) })),
    }),
    cancelCause: NStr,
    paidAt: NStr,
    cancelledAt: NStr,
    sourceUpdatedAt: NStr,
    version: Int,
    allowedTransitions: Type.Array(Str),
    blockedActions: Type.Object(
      {
        priceChange: Type.Union([Type.Literal('PRICE_CHANGE_UNSUPPORTED'), Type.Null()], { description: 'the channel cannot carry a price change to what the buyer pays' }),
        ship: Type.Union([Type.Literal('SHIP_THROUGH_WAREHOUSE'), Type.Null()], { description: 'a parcel is in the warehouse: it ships through the warehouse flow, not by a hand move' }),
      },
      { description: 'actions refused as the order stands, with the error code the server answers them with' },
    ),
    pendingApprovals: Type.Array(Type.Object({ id: Str, kind: Str }), { description: 'requests on this order waiting for a second person (待审批)' }),
    history: Type.Array(
      Type.Object({
        at: NStr,
        kind: Str,
        from: NStr,
        to: NStr,
        cause: Str,
        sourceTime: NStr,
        rawEventId: Type.Union([Int, Type.Null()]),
        detail: Type.Unknown(),
      }),
    ),
    rawEvents: Type.Array(
      Type.Object({ id: Int, eventId: Str, channel: Str, receivedAt: NStr, deliveries: Int, outcome: Str }),
    ),
    notes: Type.Array(Type.Object({ id: Int, at: NStr, author: Str, text: Str })),
    routing: Type.Object({
      planId: NStr,
      checkedAt: NStr,
      problems: Type.Union([Type.Array(Type.Object({ code: Str, message: Str, sku: Type.Optional(Str) })), Type.Null()], {
        description: 'why the order could not be routed at the last attempt (null when routed or never tried)',
      }),
    }),
    shipments: Type.Array(ShipmentView),
    sellerRemark: Type.Union([Type.Object({ text: Str, flag: Type.Union([Int, Type.Null()]), at: NStr }), Type.Null()], { description: 'The seller’s remark and flag (卖家备注/旗帜) as last written from the hub' }),
    platformCalls: Type.Array(
      Type.Object({
        id: Int,
        kind: Str,
        shipmentId: NStr,
        state: Str,
        attempts: Int,
        lastStatus: Type.Union([Int, Type.Null()]),
        lastCode: NStr,
        lastError: NStr,
        carrier: NStr,
        trackingNo: NStr,
        updatedAt: NStr,
        lastLatencyMs: Type.Union([Int, Type.Null()]),
        remark: NStr,
        flag: Type.Union([Int, Type.Null()]),
        createdAt: NStr,
        confirmedAt: Type.Union([Str, Type.Null()], { description: 'When a pull or push showed our tracking number on the platform' }),
        supersededBy: Type.Union([Int, Type.Null()]),
        exceptionReason: Type.Union([Str, Type.Null()], { description: 'Why it is an open exception (refund_requested, carrier_unknown, unconfirmed …); null when it is not one' }),
        requests: Type.Array(
          Type.Object({ op: Str, attempt: Int, httpStatus: Type.Union([Int, Type.Null()]), result: Str, code: NStr, latencyMs: Int, at: Str }),
          { description: 'Every request the write made to the platform (the call log), oldest first' },
        ),
      }),
      { description: 'What the platform was told about this order (ship-back) and what it answered; the account log has every attempt field' },
    ),
  }),
]);

export const Account = Type.Object({
  id: Str,
  platform: Str,
  name: Str,
  active: Type.Boolean(),
  credentialKeys: Type.Array(Str, { description: 'Names of the stored credentials; values are never returned' }),
  settings: Type.Record(Str, Type.Unknown(), { description: 'The seller’s settings for the shop (not secret), e.g. Shopify stockLocationId' }),
  learned: Type.Record(Str, Str, { description: 'What the hub read from the shop once and keeps, e.g. Shopify primaryLocationId (the stock location when none is chosen)' }),
  webhookUrl: Type.Union([Str, Type.Null()], { description: 'The URL to paste into the platform; null for platforms the hub only pulls' }),
  createdAt: NStr,
  updatedAt: NStr,
});

export const Scope = Type.Object({
  accounts: Type.Union([Type.Array(Str), Type.Null()]),
  warehouses: Type.Union([Type.Array(Str), Type.Null()]),
  provinces: Type.Union([Type.Array(Str), Type.Null()]),
});

export const ScopeInput = Type.Object(
  {
    accounts: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 500 }), Type.Null()])),
    warehouses: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 500 }), Type.Null()])),
    provinces: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 }), Type.Null()])),
  },
  {
    additionalProperties: false,
    description:
      'Limits what the user sees: shops (channel account ids), warehouses (codes) and receiver provinces. A missing or null list means no limit on ' +
      'that dimension; an empty list means nothing in it. Unknown keys and wrong types are refused (400); ids and codes must exist.',
  },
);

export const User = Type.Object({
  id: Str,
  username: Str,
  displayName: Str,
  roles: Type.Array(Str),
  permissions: Type.Array(Str),
  scope: Scope,
  active: Type.Boolean(),
  locked: Type.Boolean(),
  lastSignInAt: NStr,
  createdAt: NStr,
});

export const Me = Type.Object({
  user: Type.Union([User, Type.Null()]),
  name: Str,
  kind: Str,
  tenant: Str,
  timezone: Type.String({ description: "the shop's time zone (IANA), for showing times and 'today'" }),
  permissions: Type.Array(Str),
  scope: Scope,
  csrfToken: NStr,
});

export const Role = Type.Object({ name: Str, description: Str, permissions: Type.Array(Str), builtin: Type.Boolean() });

export const ApiToken = Type.Object({
  id: Str,
  name: Str,
  userId: Str,
  createdBy: Str,
  createdAt: NStr,
  expiresAt: NStr,
  lastUsedAt: NStr,
  revoked: Type.Boolean(),
});

export const AuditEntry = Type.Object({
  seq: Int,
  at: NStr,
  actor: Type.Object({ kind: Str, id: NStr, name: Str, tokenId: NStr, ip: NStr, userAgent: NStr }),
  action: Str,
  targetType: Str,
  targetId: NStr,
  before: Type.Unknown(),
  after: Type.Unknown(),
  detail: Type.Unknown(),
});

const Change = Type.Object({ from: Int, to: Int });
function ApprovalDiffSchema() {
  const order = { orderId: Str, orderNo: Str };
  return Type.Union([
    Type.Object({
      kind: Type.Literal('order.price_change'),
      ...order,
      currency: Str,
      lines: Type.Array(Type.Object({ lineNo: Int, sku: Str, quantity: Int, unitPrice: Change, discount: Change })),
      shippingFee: Type.Union([Change, Type.Null()]),
      discountSeller: Type.Union([Change, Type.Null()]),
      total: Change,
    }),
    Type.Object({ kind: Type.Literal('order.cancel_paid'), ...order, currency: NStr, status: Type.Object({ from: Str, to: Type.Literal('cancelled') }), paidAmount: Int }),
    Type.Object({
      kind: Type.Literal('stock.bulk_adjust'),
      rows: Type.Array(
        Type.Object({
          sku: Str,
          warehouse: Str,
          before: Type.Union([Int, Type.Null()]),
          after: Type.Union([Int, Type.Null()]),
          delta: Type.Union([Int, Type.Null()]),
          safetyStock: Type.Union([Type.Object({ from: Type.Union([Int, Type.Null()]), to: Int }), Type.Null()]),
        }),
      ),
    }),
    Type.Object({ kind: Type.Literal('channel_account.delete'), accountId: Str, name: Str, platform: Str }),
    Type.Object({ kind: Type.Literal('user.delete'), userId: Str, username: Str }),
  ]);
}

export const Approval = Type.Object(
  {
    id: Str,
    kind: Str,
    label: Str,
    permission: Str,
    state: Type.Union(approvalStates.map((s) => Type.Literal(s))),
    targetType: Str,
    targetId: NStr,
    summary: Str,
    payload: Type.Record(Type.String(), Type.Unknown()),
    diff: Type.Union([ApprovalDiffSchema(), Type.Null()], {
      description:
        'what the request would change, by kind: order.price_change (lines with SKU, quantity, unit price and discount from → to; shipping fee; seller discount; total; money in minor units), ' +
        'order.cancel_paid (status from → cancelled, amount paid), stock.bulk_adjust (per SKU and warehouse: on hand before → after, as counted when asked), channel_account.delete, user.delete',
    }),
    requestedBy: Str,
    requestedAt: NStr,
    expiresAt: NStr,
    mine: Type.Boolean({ description: 'the caller asked for it (and so may not decide it)' }),
    decidedBy: NStr,
    decidedAt: NStr,
    decisionReason: NStr,
    result: Type.Unknown(),
  },
  { description: 'A request waiting for (or decided by) a second person' },
);

/** The 202 answer of an operation that now waits for a second approval. */
export const PendingApproval = Type.Object({ pendingApproval: Approval });

export const Refund = Type.Object({
  id: Str,
  orderId: Str,
  paymentAccountId: Str,
  outRefundNo: Type.String({ description: 'The merchant refund number: the idempotency key every retry reuses' }),
  outTradeNo: Str,
  transactionId: NStr,
  amount: Int,
  currency: Str,
  reason: Str,
  source: Type.String({ description: 'proposal (the hub proposed it) or api (a person asked)' }),
  state: Type.String({ description: 'proposed, declined, requested, submitted, succeeded, failed, closed' }),
  providerState: NStr,
  providerRefundId: NStr,
  attempts: Int,
  lastError: NStr,
  requestedBy: NStr,
  decidedBy: NStr,
  createdAt: NStr,
  requestedAt: NStr,
  confirmedAt: NStr,
});

export const PaymentException = Type.Object({
  id: Int,
  code: Type.String({
    description:
      'UNKNOWN_ORDER, MERCHANT_MISMATCH, AMOUNT_MISMATCH, CURRENCY_MISMATCH, AMOUNT_MISSING, NOTICE_REPLAYED, PAID_NO_STOCK, LATE_PAYMENT, ' +
      'DUPLICATE_PAYMENT, REFUND_UNKNOWN, REFUND_FAILED, REFUND_CLOSED, REFUND_STUCK, QUERY_FAILED',
  }),
  reason: Str,
  state: Type.String({ description: 'open or resolved' }),
  paymentAccountId: Str,
  provider: NStr,
  orderId: NStr,
  orderNo: NStr,
  noticeId: Type.Union([Int, Type.Null()]),
  refund: Type.Union([Type.Object({ id: Str, state: NStr, outRefundNo: NStr }), Type.Null()]),
  actions: Type.Array(Str, { description: 'approve_refund, decline_refund, resolve, recheck' }),
  createdAt: NStr,
  resolvedAt: NStr,
  resolvedBy: NStr,
  resolution: NStr,
});

export const PaymentTimeline = Type.Object(
  {
    notices: Type.Array(
      Type.Object({
        id: Int,
        provider: Str,
        paymentAccountId: Str,
        noticeId: Str,
        via: Type.String({ description: 'notice (pushed by the provider) or query (a payment query answered)' }),
        verification: Str,
        kind: Str,
        providerState: Str,
        success: Type.Boolean(),
        transactionId: NStr,
        outRefundNo: NStr,
        amount: Type.Union([Int, Type.Null()]),
        currency: NStr,
        occurredAt: NStr,
        receivedAt: NStr,
        deliveries: Int,
        effect: Type.String({ description: 'paid, late_paid, paid_no_stock, already_paid, duplicate_payment, late_payment_refund, exception, no_effect, refund_*' }),
        reason: NStr,
      }),
    ),
    refunds: Type.Array(Refund),
    exceptions: Type.Array(PaymentException),
  },
  { description: 'Every verified notice of the order with its decision and effect, its refunds and its payment exceptions' },
);

// ---------------------------------------------------------------- codes and times as the edge takes them

const code = (kind: CodeKind, maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: codes[kind].pattern, description: description ? `${description}; ${codes[kind].description}` : codes[kind].description });

/** A warehouse code (kernel/codes.ts): refused with 400 outside its pattern, before it is created or looked up. */
export const WarehouseCode = (description?: string) => code('warehouse', 32, description);
export const SkuCode = (description?: string) => code('sku', 64, description);
export const CarrierCode = (description?: string) => code('carrier', 32, description);
export const RoleName = (description?: string) => code('role', 40, description);
export const Username = (description?: string) => code('username', 64, description);
export const EventType = (description?: string) => code('eventType', 64, description);

/** An instant as the API takes it; the handler reads it with parseIsoInstant (instantAt), which checks the calendar. */
export const Instant = (description: string) =>
  Type.String({
    minLength: 16,
    maxLength: 40,
    description: `${description}: ISO 8601 with an offset, e.g. 2026-11-22T10:00:00+08:00; a real calendar time in the years ${instantYears.min}–${instantYears.max}`,
  });

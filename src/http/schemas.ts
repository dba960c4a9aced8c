// Shared response schemas (also the OpenAPI document's components).
import { Type } from '@sinclair/typebox';

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
  onHand: Int,
  reserved: Int,
  available: Int,
  safetyStock: Int,
  sellable: Int,
  lowStock: Type.Boolean(),
  byWarehouse: Type.Array(StockWarehouse),
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

export const OrderDetail = Type.Composite([
  OrderSummary,
  Type.Object({
    receiver: Type.Object({ name: Str, phone: NStr, province: Str, city: Str, district: Str, address: Str }),
    buyer: Type.Object({ id: NStr, name: NStr, phone: NStr }),
    amounts: Type.Object({
      goods: Int,
      lineDiscounts: Int,
      shippingFee: Int,
      discountPlatform: Int,
      discountSeller: Int,
      total: Int,
      paid: Int,
    }),
    lines: Type.Array(
      Type.Object({ lineNo: Int, sku: NStr, platformSku: Str, title: Str, quantity: Int, unitPrice: Int, discount: Int }),
    ),
    reservation: Type.Object({
      state: Str,
      items: Type.Array(Type.Object({ sku: Str, warehouse: Str, quantity: Int, state: Str })),
    }),
    cancelCause: NStr,
    paidAt: NStr,
    cancelledAt: NStr,
    sourceUpdatedAt: NStr,
    version: Int,
    allowedTransitions: Type.Array(Str),
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
  }),
]);

export const Account = Type.Object({
  id: Str,
  platform: Str,
  name: Str,
  active: Type.Boolean(),
  credentialKeys: Type.Array(Str, { description: 'Names of the stored credentials; values are never returned' }),
  webhookUrl: Str,
  createdAt: NStr,
  updatedAt: NStr,
});

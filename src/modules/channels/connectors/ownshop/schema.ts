// The own-shop push body, as JSON Schema (TypeBox): validated here, and shown in the OpenAPI document.
import { Type, type Static } from '@sinclair/typebox';
import { ownshopStatuses } from './status.ts';

const Money = (description: string) =>
  Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: `${description}, integer minor units (fen/cents)` });
const Text = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
const Instant = (description: string) =>
  Type.String({ minLength: 16, maxLength: 40, description: `${description}: ISO 8601 with offset, e.g. 2026-11-22T10:00:00+08:00` });

export const OwnshopLine = Type.Object({
  sku: Text(64, 1),
  title: Type.Optional(Text(300)),
  quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  unitPrice: Money('unit price'),
  discount: Type.Optional(Money('discount on this line')),
});

export const OwnshopOrder = Type.Object(
  {
    orderId: Text(64, 1),
    status: Type.Union(
      Object.keys(ownshopStatuses).map((s) => Type.Literal(s)),
      { description: 'pending_payment | paid | shipped | delivered | completed | cancelled' },
    ),
    createdAt: Instant('when the buyer placed the order'),
    updatedAt: Instant('when the shop last changed the order; older updates never overwrite newer ones'),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. CNY' }),
    buyer: Type.Optional(
      Type.Object({ id: Type.Optional(Text(128)), name: Type.Optional(Text(128)), phone: Type.Optional(Text(32)) }),
    ),
    receiver: Type.Object({
      name: Text(128, 1),
      phone: Text(32, 1),
      province: Text(64),
      city: Text(64),
      district: Text(64),
      address: Text(500, 1),
    }),
    lines: Type.Array(OwnshopLine, { minItems: 1, maxItems: 1000 }),
    shippingFee: Type.Optional(Money('shipping fee')),
    discounts: Type.Optional(
      Type.Object({
        platform: Type.Optional(Money('discount borne by the platform')),
        seller: Type.Optional(Money('discount borne by the seller')),
      }),
    ),
    paidAmount: Type.Optional(Money('amount the buyer paid')),
  },
  { description: 'One order as the own shop sees it now. Extra fields are allowed and kept in the raw event.' },
);

export type OwnshopOrderBody = Static<typeof OwnshopOrder>;

// Carries out a price change (改价): at once, or approved, against the order's version when it was asked for.
import { HubError } from '../../../kernel/errors.ts';
import { priceChangeRefusal } from '../../channels/queries/channel-capabilities.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import type { ApprovalContext } from '../../access/approvals.ts';
import { appendAudit } from '../../access/audit.ts';
import { computeAmounts } from '../domain/order.ts';
import type { OrderDeps } from '../deps.ts';
import { sameOrder } from '../requested-order.ts';

/** A price change as stored for its approval: every changed amount, from → to. */
export interface PriceChangePayload {
  orderId: string;
  orderNo: string;
  version: number;
  currency: string;
  lines: { lineNo: number; sku: string; quantity: number; from: { unitPrice: number; discount: number }; to: { unitPrice: number; discount: number } }[];
  shippingFee: { from: number; to: number } | null;
  discountSeller: { from: number; to: number } | null;
  total: { from: number; to: number };
  reason: string;
}

/** Runs an approved price change. */
export async function applyPriceChange(deps: OrderDeps, tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number) {
  return applyPriceChangeNow(deps, tx, who, payload as unknown as PriceChangePayload, ctx, now);
}

export async function applyPriceChangeNow(deps: OrderDeps, tx: Tx, who: Principal, p: PriceChangePayload, ctx: ApprovalContext | null, now: number) {
  const o = await sameOrder(deps, tx, who, p);
  if (o.status !== 'pending_payment') throw new HubError('CONFLICT', `order ${o.order_no} is ${o.status}: prices can only change before payment`);
  // A request opened before the channel rule existed is refused on approval too (it then closes as failed).
  const refused = priceChangeRefusal(o.channel);
  if (refused) throw new HubError('PRICE_CHANGE_UNSUPPORTED', `order ${o.order_no}: ${refused}`, { channel: o.channel });
  for (const l of p.lines) {
    await tx.run('UPDATE order_lines SET unit_price = ?, discount = ? WHERE order_id = ? AND line_no = ?', [l.to.unitPrice, l.to.discount, o.id, l.lineNo]);
  }
  const lines = await tx.all<{ quantity: number; unit_price: number; discount: number }>('SELECT quantity, unit_price, discount FROM order_lines WHERE order_id = ?', [o.id]);
  const cur = (await tx.get<{ shipping_fee: number; discount_platform: number; discount_seller: number; tax_amount: number }>(
    'SELECT shipping_fee, discount_platform, discount_seller, tax_amount FROM orders WHERE id = ?',
    [o.id],
  )) as { shipping_fee: number; discount_platform: number; discount_seller: number; tax_amount: number };
  const shippingFee = p.shippingFee?.to ?? Number(cur.shipping_fee);
  const discountSeller = p.discountSeller?.to ?? Number(cur.discount_seller);
  const a = computeAmounts({
    lines: lines.map((l) => ({ sku: '', title: '', quantity: Number(l.quantity), unitPrice: Number(l.unit_price), discount: Number(l.discount) })),
    shippingFee,
    discountPlatform: Number(cur.discount_platform),
    discountSeller,
    tax: Number(cur.tax_amount),
  });
  await tx.run(
    `UPDATE orders SET goods_amount = ?, line_discount_amount = ?, shipping_fee = ?, discount_seller = ?, total_amount = ?, updated_at = ?, version = version + 1
     WHERE id = ?`,
    [a.goodsAmount, a.lineDiscountAmount, shippingFee, discountSeller, a.totalAmount, now, o.id],
  );
  const change = { lines: p.lines, shippingFee: p.shippingFee, discountSeller: p.discountSeller, total: { from: p.total.from, to: a.totalAmount } };
  const cause = ctx ? `${who.name}, approving ${ctx.requestedBy}: ${p.reason}` : `${who.name}: ${p.reason}`;
  await appendHistory(tx, { tenantId: o.tenant_id, orderId: o.id, at: now, kind: 'price_change', cause, detail: change });
  await appendEvent(tx, {
    tenantId: o.tenant_id,
    type: 'order.price_changed',
    aggregateType: 'order',
    aggregateId: o.id,
    at: now,
    payload: { orderId: o.id, orderNo: o.order_no, channel: o.channel, accountId: o.account_id, platformOrderId: o.platform_order_id, ...change },
  });
  await appendAudit(
    tx,
    deps.keyring,
    who,
    {
      action: 'order.price_change',
      targetType: 'order',
      targetId: o.id,
      before: { total: p.total.from, lines: p.lines.map((l) => ({ lineNo: l.lineNo, ...l.from })), shippingFee: p.shippingFee?.from, discountSeller: p.discountSeller?.from },
      after: { total: a.totalAmount, lines: p.lines.map((l) => ({ lineNo: l.lineNo, ...l.to })), shippingFee: p.shippingFee?.to, discountSeller: p.discountSeller?.to },
      detail: ctx ? { reason: p.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: p.reason },
    },
    now,
  );
  return { orderNo: o.order_no, total: { from: p.total.from, to: a.totalAmount } };
}

// The platform's amounts for an order it already sent: line prices follow, changed lines hold the order for a person.
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { computeAmounts, type NormalizedOrder } from '../domain/order.ts';
import { applyPlatformHold, type Cause, type LifecycleSettings } from '../lifecycle.ts';
import type { StoredOrder } from './stored-order.ts';

/**
 * The platform's numbers win: a price changed before payment (改价), a discount known only after payment, a
 * Shopify order edit. Line prices follow when the lines are the same SKUs and quantities; when the lines
 * themselves changed, the order keeps its lines and stock and is held for a person (ORDER_EDITED).
 */
export async function updateAmounts(tx: Tx, o: StoredOrder, n: NormalizedOrder, cause: Cause, settings: LifecycleSettings): Promise<boolean> {
  const a = computeAmounts(n);
  const tax = n.tax ?? 0;
  if (
    a.goodsAmount === Number(o.goods_amount) &&
    a.lineDiscountAmount === Number(o.line_discount_amount) &&
    n.shippingFee === Number(o.shipping_fee) &&
    n.discountPlatform === Number(o.discount_platform) &&
    n.discountSeller === Number(o.discount_seller) &&
    tax === Number(o.tax_amount)
  ) {
    return false;
  }
  const stored = await tx.all<{ line_no: number; external_sku: string; quantity: number; unit_price: number; discount: number }>(
    'SELECT line_no, external_sku, quantity, unit_price, discount FROM order_lines WHERE order_id = ? ORDER BY line_no',
    [o.id],
  );
  const sameLines = stored.length === n.lines.length && stored.every((l, i) => l.external_sku === n.lines[i]?.sku && l.quantity === n.lines[i]?.quantity);
  if (sameLines) {
    for (const [i, l] of stored.entries()) {
      const nl = n.lines[i] as NormalizedOrder['lines'][number];
      if (nl.unitPrice !== Number(l.unit_price) || nl.discount !== Number(l.discount)) {
        await tx.run('UPDATE order_lines SET unit_price = ?, discount = ? WHERE order_id = ? AND line_no = ?', [nl.unitPrice, nl.discount, o.id, l.line_no]);
      }
    }
  }
  const before = { total: o.total_amount, goods: Number(o.goods_amount), shipping: Number(o.shipping_fee), discountPlatform: Number(o.discount_platform), discountSeller: Number(o.discount_seller), tax: Number(o.tax_amount) };
  const after = { total: a.totalAmount, goods: a.goodsAmount, shipping: n.shippingFee, discountPlatform: n.discountPlatform, discountSeller: n.discountSeller, tax };
  await tx.run(
    // A new version of the order: a price change an operator asked for against the old amounts must not overwrite these.
    `UPDATE orders SET goods_amount = ?, line_discount_amount = ?, shipping_fee = ?, discount_platform = ?, discount_seller = ?, tax_amount = ?,
       total_amount = ?, version = version + 1 WHERE id = ?`,
    [a.goodsAmount, a.lineDiscountAmount, n.shippingFee, n.discountPlatform, n.discountSeller, tax, a.totalAmount, o.id],
  );
  o.total_amount = a.totalAmount;
  await appendHistory(tx, {
    tenantId: o.tenant_id,
    orderId: o.id,
    at: cause.at,
    kind: 'update',
    cause: cause.cause,
    sourceTime: cause.sourceTime,
    rawEventId: cause.rawEventId,
    detail: { amounts: { before, after }, linesChanged: !sameLines },
  });
  await appendEvent(tx, {
    tenantId: o.tenant_id,
    type: 'order.amounts_changed',
    aggregateType: 'order',
    aggregateId: o.id,
    at: cause.at,
    payload: { orderId: o.id, orderNo: o.order_no, channel: o.channel, accountId: o.account_id, platformOrderId: o.platform_order_id, before, after },
  });
  if (!sameLines) {
    await applyPlatformHold(tx, o, { code: 'ORDER_EDITED', reason: 'the platform changed the order’s lines: check the lines and the stock taken for them' }, cause, settings);
  }
  return true;
}

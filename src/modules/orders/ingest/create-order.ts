// An order the hub has not seen: stored with its lines, moved to the status the platform reports, then its stock.
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { newId } from '../../../kernel/ids.ts';
import { computeAmounts, type NormalizedOrder } from '../domain/order.ts';
import { applyPlatformHold, saveOrder, tryReserve, type Cause, type OrderState, type ReservableLine } from '../lifecycle.ts';
import type { Delivery, OrderResult, SealedOrder } from './delivery.ts';
import type { IngestDeps } from './deps.ts';
import { moveReported, platformHold } from './reported-state.ts';
import { orderResult } from './stored-order.ts';

export async function createOrder(
  deps: IngestDeps,
  tx: Tx,
  d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>,
  n: NormalizedOrder,
  sealed: SealedOrder,
  cause: Cause,
): Promise<OrderResult> {
  const id = newId(d.receivedAt);
  tx.locks.created('order', id);
  const orderNo = await deps.numbers.next(tx, d.receivedAt);
  const amounts = computeAmounts(n);
  const now = d.receivedAt;
  const phones = sealed.phones;
  await tx.run(
    `INSERT INTO orders (id, tenant_id, order_no, channel, account_id, platform_order_id, status, platform_status, payment_status,
       fulfilment_status, aftersale_status, reservation_state, currency, goods_amount, line_discount_amount, shipping_fee,
       discount_platform, discount_seller, tax_amount, total_amount, paid_amount, buyer_id, buyer_name, buyer_phone, buyer_phone_hash, receiver_name,
       receiver_phone, receiver_phone_hash, receiver_province, receiver_city, receiver_district, receiver_address, receiver_protection,
       platform_created_at, source_updated_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending_payment', ?, 'unpaid', 'unfulfilled', 'none', 'none', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      d.tenantId,
      orderNo,
      d.channel,
      d.accountId,
      n.platformOrderId,
      n.platformStatus,
      n.currency,
      amounts.goodsAmount,
      amounts.lineDiscountAmount,
      n.shippingFee,
      n.discountPlatform,
      n.discountSeller,
      n.tax ?? 0,
      amounts.totalAmount,
      n.paidAmount,
      n.buyer.id ?? null,
      n.buyer.name ?? null,
      ...phones.slice(0, 2),
      n.receiver.name,
      ...phones.slice(2),
      n.receiver.province,
      n.receiver.city,
      n.receiver.district,
      sealed.address,
      n.receiverProtection ?? null,
      n.platformCreatedAt,
      n.sourceUpdatedAt,
      now,
      now,
    ],
  );
  let lineNo = 0;
  const lines: ReservableLine[] = [];
  for (const l of n.lines) {
    const hubSku = await deps.skus.resolve(tx, d.tenantId, d.accountId, l.sku);
    await tx.run(
      `INSERT INTO order_lines (tenant_id, order_id, line_no, sku, external_sku, title, quantity, unit_price, discount, platform_line_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [d.tenantId, id, ++lineNo, hubSku, l.sku, l.title, l.quantity, l.unitPrice, l.discount, l.platformLineId ?? null],
    );
    lines.push({ sku: hubSku, external_sku: l.sku, quantity: l.quantity });
  }
  const o: OrderState = {
    id,
    tenant_id: d.tenantId,
    order_no: orderNo,
    channel: d.channel,
    account_id: d.accountId,
    platform_order_id: n.platformOrderId,
    status: 'pending_payment',
    payment_status: 'unpaid',
    fulfilment_status: 'unfulfilled',
    reservation_state: 'none',
    hold_code: null,
    hold_reason: null,
    cancel_cause: null,
    total_amount: amounts.totalAmount,
    paid_amount: n.paidAmount,
    paid_at: null,
    cancelled_at: null,
  };
  await appendHistory(tx, {
    tenantId: d.tenantId,
    orderId: id,
    at: now,
    kind: 'created',
    to: 'pending_payment',
    cause: cause.cause,
    sourceTime: n.sourceUpdatedAt,
    rawEventId: cause.rawEventId,
    detail: { platformStatus: n.platformStatus },
  });
  await appendEvent(tx, {
    tenantId: d.tenantId,
    type: 'order.created',
    aggregateType: 'order',
    aggregateId: id,
    at: now,
    payload: {
      orderId: id,
      orderNo,
      channel: d.channel,
      accountId: d.accountId,
      platformOrderId: n.platformOrderId,
      totalAmount: amounts.totalAmount,
      currency: n.currency,
    },
  });
  // Status first, stock second: an order that arrives paid takes its stock in one step, with no hold and no timer.
  // An order first seen cancelled never needed stock.
  const refused = await moveReported(tx, o, n, cause, deps.settings, false);
  // tryReserve saves the order, whatever it finds: the move above and the stock are one UPDATE of the new row.
  if (o.status !== 'cancelled') await tryReserve(tx, o, cause, deps.settings, 'STOCK_SHORT', lines);
  else await saveOrder(tx, o, now);
  const hold = await platformHold(tx, d, n);
  if (hold) await applyPlatformHold(tx, o, hold, cause, deps.settings);
  return orderResult(o, 'created', refused);
}

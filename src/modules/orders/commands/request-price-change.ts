// An operator asks to change an unpaid order's prices (改价): checked now, applied at once or after approval.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import type { OrdersTable } from '../../../platform/db/schema.ts';
import type { MaybePending } from '../../access/approvals.ts';
import { computeAmounts, orderArithmeticProblems } from '../domain/order.ts';
import type { OrderDeps } from '../deps.ts';
import { orderDetail, type OrderDetail } from '../queries/order-detail.ts';
import { resolveOrderId } from '../queries/resolve-order-id.ts';
import { lockOrder } from '../store/orders.ts';
import { priceChangeRefusal } from '../../channels/queries/channel-capabilities.ts';
import { applyPriceChangeNow, type PriceChangePayload } from './apply-price-change.ts';

export interface PriceChangeInput {
  lines?: { lineNo: number; unitPrice?: number | undefined; discount?: number | undefined }[] | undefined;
  shippingFee?: number | undefined;
  discountSeller?: number | undefined;
  reason: string;
}

/**
 * Changes line prices, line discounts, the shipping fee or the seller discount of an order not yet paid (改价).
 * Needs prices.change and, under the default policy, a second person's approval. The change is checked now, and
 * again against the order's version when it is carried out.
 */
export async function requestPriceChange(
  deps: OrderDeps,
  who: Principal,
  idOrOrderNo: string,
  input: PriceChangeInput,
  now = Date.now(),
): Promise<MaybePending<OrderDetail>> {
  requirePermission(who, 'prices.change');
  const reason = input.reason.trim();
  if (!reason) throw new HubError('VALIDATION_FAILED', 'a price change needs a reason');
  const id = await resolveOrderId(deps, idOrOrderNo, who);
  const pending = await deps.db.transaction(async (tx) => {
    const plan = await planPriceChange(tx, id, input);
    const payload: PriceChangePayload = { ...plan, reason };
    if (deps.approvals.required('order.price_change')) {
      const total = `${plan.total.from} → ${plan.total.to} ${plan.currency}`;
      return deps.approvals.open(
        tx,
        who,
        { kind: 'order.price_change', targetType: 'order', targetId: id, summary: `${plan.orderNo}: total ${total}: ${reason}`, payload: { ...payload } },
        now,
      );
    }
    await applyPriceChangeNow(deps, tx, who, payload, null, now);
    return null;
  });
  return pending ? { pending } : { done: await orderDetail(deps, who, id) };
}

async function planPriceChange(tx: Tx, id: string, input: PriceChangeInput): Promise<Omit<PriceChangePayload, 'reason'>> {
  await lockOrder(tx, id);
  const o = await tx.get<OrdersTable>('SELECT * FROM orders WHERE id = ?', [id]);
  if (!o) throw new HubError('ORDER_NOT_FOUND', `order ${id} does not exist`);
  if (o.status !== 'pending_payment') {
    throw new HubError('CONFLICT', `order ${o.order_no} is ${o.status}: prices can only change before payment`, { status: o.status });
  }
  const refused = priceChangeRefusal(o.channel);
  if (refused) throw new HubError('PRICE_CHANGE_UNSUPPORTED', `order ${o.order_no}: ${refused}`, { channel: o.channel });
  const lines = await tx.all<{ line_no: number; sku: string | null; external_sku: string; quantity: number; unit_price: number; discount: number }>(
    'SELECT line_no, sku, external_sku, quantity, unit_price, discount FROM order_lines WHERE order_id = ? ORDER BY line_no',
    [id],
  );
  const changes: PriceChangePayload['lines'] = [];
  const seen = new Set<number>();
  for (const c of input.lines ?? []) {
    const l = lines.find((x) => Number(x.line_no) === c.lineNo);
    if (!l) throw new HubError('VALIDATION_FAILED', `order ${o.order_no} has no line ${c.lineNo}`, { lines: lines.map((x) => Number(x.line_no)) });
    if (seen.has(c.lineNo)) throw new HubError('VALIDATION_FAILED', `line ${c.lineNo} is named twice`);
    seen.add(c.lineNo);
    const to = { unitPrice: c.unitPrice ?? Number(l.unit_price), discount: c.discount ?? Number(l.discount) };
    const from = { unitPrice: Number(l.unit_price), discount: Number(l.discount) };
    if (to.unitPrice === from.unitPrice && to.discount === from.discount) continue;
    changes.push({ lineNo: c.lineNo, sku: l.sku ?? l.external_sku, quantity: Number(l.quantity), from, to });
  }
  const next = {
    lines: lines.map((l) => {
      const c = changes.find((x) => x.lineNo === Number(l.line_no));
      return { sku: l.external_sku, title: '', quantity: Number(l.quantity), unitPrice: c?.to.unitPrice ?? Number(l.unit_price), discount: c?.to.discount ?? Number(l.discount) };
    }),
    shippingFee: input.shippingFee ?? Number(o.shipping_fee),
    discountPlatform: Number(o.discount_platform),
    discountSeller: input.discountSeller ?? Number(o.discount_seller),
    tax: Number(o.tax_amount),
  };
  const problems = orderArithmeticProblems(next);
  if (problems.length) throw new HubError('VALIDATION_FAILED', `the new prices do not add up: ${problems.join('; ')}`, { errors: problems });
  const after = computeAmounts(next);
  const fee = next.shippingFee !== Number(o.shipping_fee) ? { from: Number(o.shipping_fee), to: next.shippingFee } : null;
  const seller = next.discountSeller !== Number(o.discount_seller) ? { from: Number(o.discount_seller), to: next.discountSeller } : null;
  if (!changes.length && !fee && !seller) throw new HubError('VALIDATION_FAILED', 'nothing would change: give new prices, discounts or a shipping fee');
  return {
    orderId: id,
    orderNo: o.order_no,
    version: Number(o.version),
    currency: o.currency,
    lines: changes,
    shippingFee: fee,
    discountSeller: seller,
    total: { from: Number(o.total_amount), to: after.totalAmount },
  };
}

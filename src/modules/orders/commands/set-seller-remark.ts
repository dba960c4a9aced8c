// A person writes the seller's remark (卖家备注) and flag (旗帜) on an order from the 360° view: kept on the order with
// a history entry, and — in the same transaction — a remark write for the platform (channels' outbound rows), so the
// platform is told exactly when the remark committed. The latest remark wins there too.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { enqueueRemark, remarkProblem } from '../../channels/store/outbound.ts';
import type { OrderDeps } from '../deps.ts';
import { lockOrder } from '../store/orders.ts';
import { orderDetail, type OrderDetail } from '../queries/order-detail.ts';
import { resolveOrderId } from '../queries/resolve-order-id.ts';

export interface SellerRemarkInput {
  text: string;
  /** 0 none (grey), 1 red, 2 yellow, 3 green, 4 blue, 5 purple; absent: keep the order's flag. */
  flag?: number | null | undefined;
}

export async function setSellerRemark(deps: OrderDeps, who: Principal, idOrOrderNo: string, input: SellerRemarkInput, now = Date.now()): Promise<OrderDetail> {
  requirePermission(who, 'orders.modify');
  const text = input.text.trim();
  if (!text) throw new HubError('VALIDATION_FAILED', 'a remark needs text');
  const flag = input.flag ?? null;
  if (flag !== null && !(Number.isInteger(flag) && flag >= 0 && flag <= 5)) throw new HubError('VALIDATION_FAILED', 'a flag is 0 (none) to 5');
  const id = await resolveOrderId(deps, idOrOrderNo, who);
  await deps.db.transaction(async (tx) => {
    const o = await lockOrder<{ tenant_id: string; order_no: string; channel: string; account_id: string; platform_order_id: string; seller_flag: number | null }>(
      tx,
      id,
      'tenant_id, order_no, channel, account_id, platform_order_id, seller_flag',
    );
    const problem = remarkProblem(o.channel, text);
    if (problem) throw new HubError('VALIDATION_FAILED', problem);
    const keptFlag = flag ?? (o.seller_flag === null ? null : Number(o.seller_flag));
    await tx.run('UPDATE orders SET seller_remark = ?, seller_flag = ?, seller_remark_at = ?, updated_at = ? WHERE id = ?', [text, keptFlag, now, now, id]);
    const outboundId = await enqueueRemark(tx, { tenantId: o.tenant_id, accountId: o.account_id, channel: o.channel, orderId: id, platformOrderId: o.platform_order_id, text, flag: keptFlag, at: now });
    const length = [...text].length;
    await appendEvent(tx, {
      tenantId: o.tenant_id,
      type: 'order.remark_set',
      aggregateType: 'order',
      aggregateId: id,
      at: now,
      payload: { orderId: id, orderNo: o.order_no, channel: o.channel, accountId: o.account_id, platformOrderId: o.platform_order_id, flag: keptFlag, length, toPlatform: outboundId !== null },
    });
    await appendHistory(tx, { tenantId: o.tenant_id, orderId: id, at: now, kind: 'remark', cause: `remark by ${who.name}`, detail: { flag: keptFlag, length: [...text].length, toPlatform: outboundId !== null } });
    await appendAudit(tx, deps.keyring, who, { action: 'order.remark', targetType: 'order', targetId: id, after: { flag: keptFlag, length: [...text].length, outbound: outboundId } }, now);
  });
  deps.onRemark?.();
  return orderDetail(deps, who, id);
}

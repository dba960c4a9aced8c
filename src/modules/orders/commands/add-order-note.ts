// A person writes a note on an order (customer service, warehouse); audited.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { OrderDeps } from '../deps.ts';
import { orderDetail, type OrderDetail } from '../queries/order-detail.ts';
import { resolveOrderId } from '../queries/resolve-order-id.ts';

/** A note on an order (customer service, warehouse), audited. */
export async function addOrderNote(deps: OrderDeps, who: Principal, idOrOrderNo: string, text: string, now = Date.now()): Promise<OrderDetail> {
  const clean = text.trim();
  if (!clean) throw new HubError('VALIDATION_FAILED', 'a note needs text');
  const id = await resolveOrderId(deps, idOrOrderNo, who);
  await deps.db.transaction(async (tx) => {
    await tx.run('INSERT INTO order_notes (tenant_id, order_id, at, author_id, author_name, text) VALUES (?, ?, ?, ?, ?, ?)', [
      who.tenantId,
      id,
      now,
      who.userId,
      who.name,
      clean,
    ]);
    await appendAudit(tx, deps.keyring, who, { action: 'order.note', targetType: 'order', targetId: id, after: { length: clean.length } }, now);
  });
  return orderDetail(deps, who, id);
}

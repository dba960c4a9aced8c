// Finds the order an id or an order number names, for this principal: the first step of every read and write by id.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { OrderDeps } from '../deps.ts';
import { scoped } from './order-filter.ts';

/**
 * The order's id, if it exists for this principal. An order outside the caller's scope answers exactly like one
 * that does not exist, so nobody can probe for another region's order numbers.
 */
export async function resolveOrderId(deps: OrderDeps, idOrOrderNo: string, who: Principal): Promise<string> {
  const q = deps.db.kysely
    .selectFrom('orders')
    .select('orders.id')
    .where('orders.tenant_id', '=', who.tenantId)
    .where((eb) => eb.or([eb('orders.id', '=', idOrOrderNo), eb('orders.order_no', '=', idOrOrderNo)]));
  const r = await scoped(q, who.scope).executeTakeFirst();
  if (!r) throw new HubError('ORDER_NOT_FOUND', `order ${idOrOrderNo} does not exist`);
  return r.id;
}

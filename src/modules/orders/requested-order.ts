// The order a stored request (a second approval) names, checked unchanged since the request was made.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { OrderDeps } from './deps.ts';
import type { OrderState } from './lifecycle.ts';
import { resolveOrderId } from './queries/resolve-order-id.ts';
import { lockOrder } from './store/orders.ts';

/** The order's version as its row says now (a stored request keeps the one it was made against). */
export async function versionOf(tx: Tx, id: string): Promise<number> {
  const r = await tx.get<{ version: number }>('SELECT version FROM orders WHERE id = ?', [id]);
  return Number(r?.version ?? 0);
}

/** The order of a stored request, if it still exists, is in the principal's scope and has not changed since. */
export async function sameOrder(deps: OrderDeps, tx: Tx, who: Principal, p: { orderId: string; orderNo: string; version: number }): Promise<OrderState> {
  const id = await resolveOrderId(deps, p.orderId, who);
  const o = await lockOrder(tx, id);
  const version = await versionOf(tx, id);
  if (version !== p.version) {
    throw new HubError('CONFLICT', `order ${p.orderNo} changed after the request was made (version ${p.version} → ${version}); look at it again and ask anew`);
  }
  return o;
}

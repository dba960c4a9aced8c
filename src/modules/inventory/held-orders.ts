// Orders held for short stock, served when a stock change brings units: locked up front, served oldest first.
import type { Principal } from '../../kernel/principal.ts';
import { isUnlimited } from '../../kernel/scope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { tryReserve, type LifecycleSettings, type OrderState } from '../orders/lifecycle.ts';
import { orderNosWithinScope } from '../orders/queries/order-facts.ts';
import { lockOrders, ordersHeldForStock, skusOfOrders } from '../orders/store/orders.ts';
import type { StockDeps } from './deps.ts';
import { lockStock } from './store/stock.ts';
import { bundlesContaining } from './store/bundles.ts';

/**
 * The orders held for short stock of these SKUs (the oldest 500), locked, and then every stock row their lines and
 * these SKUs touch: serving them moves stock of other SKUs too (a bundle's other components), so all of it is taken up
 * front, in order.
 */
export async function lockHeldOrders(tx: Tx, tenant: string, skus: readonly string[]): Promise<OrderState[]> {
  // An order of a bundle waits for its components: units of a component may serve it too.
  const candidates = await ordersHeldForStock(tx, tenant, [...skus, ...(await bundlesContaining(tx, tenant, skus))], 500);
  const locked = await lockOrders(tx, candidates);
  // Still held once locked (another writer may have served or cancelled one meanwhile), oldest first.
  const held = candidates.map((id) => locked.get(id)).filter((o): o is OrderState => !!o && (o.hold_code === 'STOCK_SHORT' || o.hold_code === 'PAID_NO_STOCK') && o.status !== 'cancelled');
  await lockStock(tx, tenant, [...skus, ...(await skusOfOrders(tx, held.map((o) => o.id)))]);
  return held;
}

/** Held orders, oldest first, get another chance at stock (locked by lockHeldOrders). */
export async function serveHeldOrders(tx: Tx, held: readonly OrderState[], cause: string, now: number, settings: LifecycleSettings): Promise<string[]> {
  const served: string[] = [];
  for (const o of held) {
    if (await tryReserve(tx, o, { source: 'system', cause, at: now }, settings)) served.push(o.order_no);
  }
  return served;
}

/** The order numbers among these that the principal's scope sees: a stock change serves orders of every shop. */
export async function visibleOrderNos(deps: StockDeps, who: Principal, orderNos: readonly string[]): Promise<string[]> {
  if (orderNos.length === 0 || isUnlimited(who.scope)) return [...orderNos];
  return orderNosWithinScope(deps.db.read, who.tenantId, who.scope, orderNos);
}

// Order lines the hub could not match to a SKU (商品未匹配), grouped by shop and platform code, with the number of
// orders held waiting for that code: what the 商品对应 page resolves. Scoped like every order read.
import type { Principal } from '../../../kernel/principal.ts';
import { orderScopeSql } from '../../../kernel/scope.ts';
import type { OrderDeps } from '../deps.ts';

export interface UnmatchedCode {
  accountId: string;
  channel: string;
  externalSku: string;
  /** A title a line of that code carried (the platform's product name), for a new SKU. */
  title: string;
  /** Orders held as SKU_UNMATCHED with a line of this code. */
  heldOrders: number;
  /** Units on those lines. */
  units: number;
}

export async function unmatchedCodes(deps: OrderDeps, who: Principal, limit = 500): Promise<UnmatchedCode[]> {
  const f = orderScopeSql(who.scope, 'orders');
  const rows = await deps.db.read.all<{ account_id: string; channel: string; external_sku: string; title: string | null; held: number; units: number }>(
    `SELECT orders.account_id, orders.channel, l.external_sku, MAX(l.title) AS title, COUNT(DISTINCT orders.id) AS held, SUM(l.quantity) AS units
     FROM order_lines l JOIN orders ON orders.id = l.order_id
     WHERE orders.tenant_id = ? AND l.sku IS NULL AND orders.hold_code = 'SKU_UNMATCHED' AND orders.status <> 'cancelled' AND ${f.text}
     GROUP BY orders.account_id, orders.channel, l.external_sku
     ORDER BY held DESC, orders.account_id, l.external_sku
     LIMIT ?`,
    [who.tenantId, ...f.params, limit],
  );
  return rows.map((r) => ({ accountId: r.account_id, channel: r.channel, externalSku: r.external_sku, title: r.title ?? '', heldOrders: Number(r.held), units: Number(r.units) }));
}

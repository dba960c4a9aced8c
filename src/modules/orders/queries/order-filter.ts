// Which orders a list, a count or an export means: the filter, a search term's index lookups, the principal's scope.
import { sql } from 'kysely';
import type { SelectQueryBuilder } from 'kysely';
import type { Principal } from '../../../kernel/principal.ts';
import { isUnlimited, orderScopeSql, toKysely, type DataScope } from '../../../kernel/scope.ts';
import type { DB } from '../../../platform/db/schema.ts';
import type { OrderDeps } from '../deps.ts';

export interface OrderFilter {
  channel?: string | undefined;
  account?: string | undefined;
  platformOrderId?: string | undefined;
  status?: string | undefined;
  hold?: string | undefined;
  q?: string | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  page: number;
  pageSize: number;
  /** `createdAt` or `totalAmount`, `-` first for descending; newest first by default. */
  sort?: OrderSort | undefined;
}

export const orderSorts = ['createdAt', '-createdAt', 'totalAmount', '-totalAmount'] as const;
export type OrderSort = (typeof orderSorts)[number];

/** Narrows a query on `orders` to what a scope may see: the kernel's order policy, as a Kysely condition. */
export function scoped<O>(q: SelectQueryBuilder<DB, 'orders', O>, scope: DataScope): SelectQueryBuilder<DB, 'orders', O> {
  return isUnlimited(scope) ? q : q.where(toKysely(orderScopeSql(scope, 'orders')));
}

/**
 * The ids a search term can mean, each found through its own index: order number, platform order id, a full phone
 * number (through its keyed hashes: phones are stored encrypted), or the start of a receiver's name. One OR over
 * all of them would scan the table (measured: 85 ms at 100,000 orders, growing with the table).
 */
async function searchIds(deps: OrderDeps, who: Principal, term: string): Promise<string[]> {
  const k = deps.db.kysely;
  const t = who.tenantId;
  const cap = 1000;
  const lookups: Promise<{ id: string }[]>[] = [
    k.selectFrom('orders').select('id').where('order_no', '=', term).where('tenant_id', '=', t).execute(),
    k.selectFrom('orders').select('id').where('tenant_id', '=', t).where('platform_order_id', '=', term).limit(cap).execute(),
  ];
  if (/\d{5,}/.test(term)) {
    const hashes = deps.keyring.indexHashes(term);
    lookups.push(k.selectFrom('orders').select('id').where('tenant_id', '=', t).where('receiver_phone_hash', 'in', hashes).limit(cap).execute());
    lookups.push(k.selectFrom('orders').select('id').where('tenant_id', '=', t).where('buyer_phone_hash', 'in', hashes).limit(cap).execute());
  }
  // A name: a range on the (tenant, receiver_name) index, then the exact prefix test.
  const plain = term.replace(/[%_\\]/g, '');
  if (plain && !/^[\x21-\x7e]*\d[\x21-\x7e]*$/.test(term)) {
    lookups.push(
      k
        .selectFrom('orders')
        .select('id')
        .where('tenant_id', '=', t)
        .where('receiver_name', '>=', plain)
        .where('receiver_name', '<', `${plain}\uffff`)
        .where('receiver_name', 'like', `${plain}%`)
        .limit(cap)
        .execute(),
    );
  }
  const ids = new Set<string>();
  for (const rows of await Promise.all(lookups)) for (const r of rows) ids.add(r.id);
  return [...ids];
}

/** The orders a filter matches, inside the principal's tenant and scope. */
export async function filteredOrders(deps: OrderDeps, who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>) {
  let q = scoped(deps.db.kysely.selectFrom('orders').where('tenant_id', '=', who.tenantId), who.scope);
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.account) q = q.where('account_id', '=', f.account);
  if (f.platformOrderId) q = q.where('platform_order_id', '=', f.platformOrderId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.hold) q = f.hold === 'any' ? q.where('hold_code', 'is not', null) : q.where('hold_code', '=', f.hold);
  if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
  if (f.createdTo !== undefined) q = q.where('created_at', '<', f.createdTo);
  if (f.q?.trim()) {
    const ids = await searchIds(deps, who, f.q.trim());
    q = ids.length ? q.where('orders.id', 'in', ids) : q.where(sql<boolean>`1 = 0`);
  }
  return q;
}

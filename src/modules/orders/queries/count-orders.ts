// How many orders a filter matches, inside the principal's tenant and scope.
import { sql } from 'kysely';
import type { Principal } from '../../../kernel/principal.ts';
import type { OrderDeps } from '../deps.ts';
import { filteredOrders, type OrderFilter } from './order-filter.ts';

export async function countOrders(deps: OrderDeps, who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>): Promise<number> {
  const [{ total }] = (await (await filteredOrders(deps, who, f)).select(sql<number>`count(*)`.as('total')).execute()) as [{ total: number }];
  return Number(total);
}

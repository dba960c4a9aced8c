// Which warehouses' stock a principal may see and change: the kernel's scope policy, applied to stock.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { contains, type DataScope } from '../../kernel/scope.ts';

export function warehouseInScope(scope: DataScope, warehouse: string): boolean {
  return contains(scope, 'stock', { warehouses: [warehouse] });
}

export function checkWarehouse(who: Principal, warehouse: string): void {
  if (!warehouseInScope(who.scope, warehouse)) {
    throw new HubError('FORBIDDEN', `${who.name} may only change stock in: ${(who.scope.warehouses ?? []).join(', ') || 'no warehouse'}`, { warehouse });
  }
}

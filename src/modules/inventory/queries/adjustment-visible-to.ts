// Whether a principal may see a stored bulk stock adjustment: what its second approval asks.
import type { Principal } from '../../../kernel/principal.ts';
import type { BulkPayload } from '../commands/apply-stock-adjustments.ts';
import { warehouseInScope } from '../warehouse-scope.ts';

/** Whether a principal sees a bulk request: every warehouse it touches is in scope. */
export function adjustmentVisibleTo(who: Principal, payload: Record<string, unknown>): boolean {
  return (payload as unknown as BulkPayload).items.every((a) => warehouseInScope(who.scope, a.warehouse));
}

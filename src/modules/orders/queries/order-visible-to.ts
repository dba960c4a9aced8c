// Whether a principal may see an order: what second approvals that point at an order ask.
import type { Principal } from '../../../kernel/principal.ts';
import type { OrderDeps } from '../deps.ts';
import { resolveOrderId } from './resolve-order-id.ts';

/** Whether a principal may see an order (for approvals that point at one). */
export async function orderVisibleTo(deps: OrderDeps, who: Principal, orderId: string | null): Promise<boolean> {
  if (!orderId) return false;
  try {
    await resolveOrderId(deps, orderId, who);
    return true;
  } catch {
    return false;
  }
}

// Carries out an approved cancellation of a paid order, inside the approval's transaction.
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import type { ApprovalContext } from '../../access/approvals.ts';
import type { OrderDeps } from '../deps.ts';
import { sameOrder } from '../requested-order.ts';
import { applyTransition, type CancelPaidPayload } from './transition-order.ts';

/** Runs an approved cancellation of a paid order (stock goes back; the refund is after-sales' business). */
export async function applyCancelPaid(deps: OrderDeps, tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number) {
  const p = payload as unknown as CancelPaidPayload;
  const o = await sameOrder(deps, tx, who, p);
  await applyTransition(deps, tx, who, o, 'cancelled', p.reason, ctx, now);
  return { orderNo: o.order_no, status: o.status, reservation: o.reservation_state };
}

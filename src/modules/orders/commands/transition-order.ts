// An operator moves an order one declared step; cancelling a paid order may wait for a second person's approval.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import type { ApprovalContext, MaybePending } from '../../access/approvals.ts';
import { appendAudit } from '../../access/audit.ts';
import { isOrderStatus, type OrderStatus } from '../domain/machine.ts';
import type { OrderDeps } from '../deps.ts';
import { moveOrder, planMove, type OrderState } from '../lifecycle.ts';
import { orderDetail, type OrderDetail } from '../queries/order-detail.ts';
import { resolveOrderId } from '../queries/resolve-order-id.ts';
import { versionOf } from '../requested-order.ts';
import { lockOrder } from '../store/orders.ts';
import { openParcelsOf } from '../../fulfilment/store/shipments.ts';

/** A cancellation of a paid order as stored for its approval. */
export interface CancelPaidPayload {
  orderId: string;
  orderNo: string;
  version: number;
  reason: string;
  status: string;
  paidAmount: number;
  /** Absent on requests made before the decider's diff showed it. */
  currency?: string;
}

/**
 * An operator's decision: one declared step, guards applied. Cancelling an order that is already paid needs
 * orders.cancel_paid and, under the default policy, a second person's approval: then the answer is the pending request.
 */
export async function transitionOrder(
  deps: OrderDeps,
  who: Principal,
  idOrOrderNo: string,
  to: string,
  reason: string,
  now = Date.now(),
): Promise<MaybePending<OrderDetail>> {
  if (!isOrderStatus(to)) throw new HubError('VALIDATION_FAILED', `unknown status ${to}`);
  const id = await resolveOrderId(deps, idOrOrderNo, who);
  const pending = await deps.db.transaction(async (tx) => {
    const o = await lockOrder(tx, id);
    if (to === 'shipped') {
      // Marking it shipped by hand would stop the warehouse's parcel (shipped elsewhere) and ship it without a number.
      const open = await openParcelsOf(tx, id);
      if (open.length) {
        throw new HubError(
          'SHIP_THROUGH_WAREHOUSE',
          `order ${o.order_no} has a parcel the warehouse is working on (${open.map((s) => `${s.id} ${s.state}`).join(', ')}): ship it through the warehouse flow, which records the carrier and tracking number`,
          { shipments: open.map((s) => s.id) },
        );
      }
    }
    if (to === 'cancelled' && o.payment_status === 'paid') {
      requirePermission(who, 'orders.cancel_paid');
      planMove(o, to, 'operator'); // refused moves are refused now, not after someone approved them
      const currency = await currencyOf(tx, id);
      const payload: CancelPaidPayload = { orderId: id, orderNo: o.order_no, version: await versionOf(tx, id), reason, status: o.status, paidAmount: o.paid_amount, currency };
      if (deps.approvals.required('order.cancel_paid')) {
        return deps.approvals.open(
          tx,
          who,
          { kind: 'order.cancel_paid', targetType: 'order', targetId: id, summary: `cancel paid order ${o.order_no} (${o.status}, paid ${o.paid_amount} ${currency}): ${reason}`, payload: { ...payload } },
          now,
        );
      }
    }
    await applyTransition(deps, tx, who, o, to, reason, null, now);
    return null;
  });
  return pending ? { pending } : { done: await orderDetail(deps, who, id) };
}

async function currencyOf(tx: Tx, id: string): Promise<string> {
  return (await tx.get<{ currency: string }>('SELECT currency FROM orders WHERE id = ?', [id]))?.currency ?? '';
}

/** The move itself, audited: at once, or when a second person approved it (`ctx`). */
export async function applyTransition(
  deps: OrderDeps,
  tx: Tx,
  who: Principal,
  o: OrderState,
  to: OrderStatus,
  reason: string,
  ctx: ApprovalContext | null,
  now: number,
) {
  const before = { status: o.status, reservation: o.reservation_state };
  const cause = ctx ? `${who.name}, approving ${ctx.requestedBy}: ${reason}` : `${who.name}: ${reason}`;
  await moveOrder(tx, o, to, { source: 'operator', cause, at: now, cancelCause: 'operator' }, deps.settings);
  await appendAudit(
    tx,
    deps.keyring,
    who,
    {
      action: 'order.transition',
      targetType: 'order',
      targetId: o.id,
      before,
      after: { status: o.status, reservation: o.reservation_state },
      detail: ctx ? { reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason },
    },
    now,
  );
}

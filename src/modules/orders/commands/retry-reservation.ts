// An operator asks again for the stock of an order held for short stock or unmatched SKUs.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { OrderDeps } from '../deps.ts';
import { tryReserve } from '../lifecycle.ts';
import { orderDetail } from '../queries/order-detail.ts';
import { resolveOrderId } from '../queries/resolve-order-id.ts';
import { lockOrder } from '../store/orders.ts';

/** Tries again to reserve stock for an order held for short stock or unmatched SKUs. */
export async function retryReservation(deps: OrderDeps, who: Principal, idOrOrderNo: string, now = Date.now()) {
  const id = await resolveOrderId(deps, idOrOrderNo, who);
  await deps.db.transaction(async (tx) => {
    const o = await lockOrder(tx, id);
    if (o.status === 'cancelled' || !['short', 'unmatched', 'none'].includes(o.reservation_state)) {
      throw new HubError('CONFLICT', `order ${o.order_no} has nothing to reserve (reservation ${o.reservation_state}, status ${o.status})`);
    }
    const before = { reservation: o.reservation_state, hold: o.hold_code };
    await tryReserve(tx, o, { source: 'operator', cause: `${who.name}: retry reservation`, at: now }, deps.settings);
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'order.retry_reservation', targetType: 'order', targetId: id, before, after: { reservation: o.reservation_state, hold: o.hold_code } },
      now,
    );
  });
  return orderDetail(deps, who, id);
}

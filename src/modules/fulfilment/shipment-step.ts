// A warehouse step (waved, picked, packed, shipped) recorded: its event on the shipment and a history row on each of
// its orders, in the transaction that made the step.
import type { EventPayload, ShipmentStepEvent, ShipmentStepRef } from '../../kernel/events.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Tx } from '../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import type { ShipmentRow } from './views.ts';

/** A step's event on the shipment and a history row on each of its orders. */
export async function shipmentStep<T extends ShipmentStepEvent>(tx: Tx, who: Principal, s: ShipmentRow, type: T, now: number, extra: Omit<EventPayload<T>, keyof ShipmentStepRef>): Promise<void> {
  const orderIds = JSON.parse(s.order_ids) as string[];
  const step = type.slice('shipment.'.length);
  const ref: ShipmentStepRef = { shipmentId: s.id, planId: s.plan_id, warehouse: s.warehouse, orderIds };
  // The reference and the step's own fields make the whole payload (the compiler cannot join them for a generic T).
  const payload = { ...ref, ...extra } as EventPayload<T>;
  await appendEvent(tx, { tenantId: s.tenant_id, type, aggregateType: 'shipment', aggregateId: s.id, at: now, payload });
  for (const orderId of orderIds) {
    await appendHistory(tx, { tenantId: s.tenant_id, orderId, at: now, kind: 'fulfilment', cause: `${who.name}: ${step}`, detail: { shipmentId: s.id, step, warehouse: s.warehouse, ...extra } });
  }
}

// One shipment as the warehouse flow decides about it: of the principal's tenant and scope, and locked (inside a
// transaction) after its orders and before stock, the one lock order.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentScopeSql } from '../../../kernel/scope.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { forUpdate } from '../../../platform/db/unit-of-work.ts';
import { cols, type Query, type ShipmentRow } from '../views.ts';

/** A shipment of the principal's tenant and scope; one outside them answers like one that does not exist. */
export async function shipmentRow(q: Query, who: Principal, id: string, lock = false): Promise<ShipmentRow> {
  const tx = lock && 'locks' in q ? (q as Tx) : null;
  // A shipment is locked after its orders and before stock (unit-of-work.ts).
  tx?.locks.take('shipment', [id]);
  const f = shipmentScopeSql(who.scope, 'shipments');
  const s = await q.get<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE id = ? AND tenant_id = ? AND ${f.text}${tx ? forUpdate(tx) : ''}`, [id, who.tenantId, ...f.params]);
  if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${id} does not exist`);
  return s;
}

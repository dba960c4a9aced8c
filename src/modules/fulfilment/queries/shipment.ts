// One shipment with its lines, as the principal's scope sees it.
import type { Principal } from '../../../kernel/principal.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { shipmentViews, type ShipmentView } from '../views.ts';

export async function shipment(deps: WarehouseFlowDeps, who: Principal, id: string): Promise<ShipmentView> {
  const s = await shipmentRow(deps.db.read, who, id);
  return (await shipmentViews(deps.db.read, [s]))[0] as ShipmentView;
}

// A parcel's waybill as the pack station shows it: the live one, else the latest (cancelled) for the record.
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { latestWaybill, liveWaybill } from '../waybills/issue.ts';
import { notFound, toWaybillView, type WaybillDeps, type WaybillView } from '../waybills/views.ts';

export async function waybillOf(deps: WaybillDeps, who: Principal, shipmentId: string): Promise<WaybillView> {
  const s = await shipmentRow(deps.db.read, who, shipmentId);
  const w = (await liveWaybill(deps.db.read, s.id)) ?? (await latestWaybill(deps.db.read, s.id));
  if (!w) throw notFound(s.id);
  return toWaybillView(w);
}

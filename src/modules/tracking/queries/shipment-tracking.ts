// One shipment's tracking as the console shows it: status, trust grade and the carrier's events in time order.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentScopeSql } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { EvidenceHint } from '../sources/types.ts';
import type { TrackingDeps } from '../deps.ts';
import { nullableNumber, trackedColumns, type TrackedShipmentRow } from '../store/tracked-shipments.ts';

export interface TrackingView {
  shipment: { id: string; carrier: string | null; trackingNo: string | null; trackingStatus: string | null; trustGrade: string | null; deliveredAt: string | null };
  events: { at: string | null; status: string; rawStatus: string | null; location: string | null; description: string; evidence: string[] }[];
}

export async function shipmentTracking(deps: TrackingDeps, who: Principal, shipmentId: string): Promise<TrackingView> {
  const f = shipmentScopeSql(who.scope, 'shipments');
  const s = await deps.db.read.get<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE id = ? AND tenant_id = ? AND ${f.text}`, [shipmentId, who.tenantId, ...f.params]);
  if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${shipmentId} does not exist`);
  const events = await deps.db.read.all<{ at: number; status: string; raw_status: string | null; raw_sub_status: string | null; location: string | null; description: string; evidence: string }>(
    'SELECT at, status, raw_status, raw_sub_status, location, description, evidence FROM tracking_events WHERE shipment_id = ? ORDER BY at, id',
    [s.id],
  );
  return {
    shipment: {
      id: s.id,
      carrier: s.carrier,
      trackingNo: s.tracking_no,
      trackingStatus: s.tracking_status,
      trustGrade: s.trust_grade,
      deliveredAt: toIso(nullableNumber(s.carrier_delivered_at)),
    },
    events: events.map((e) => ({
      at: toIso(Number(e.at)),
      status: e.status,
      rawStatus: e.raw_sub_status ?? e.raw_status,
      location: e.location,
      description: e.description,
      evidence: JSON.parse(e.evidence) as EvidenceHint[],
    })),
  };
}

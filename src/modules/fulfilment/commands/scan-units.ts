// Pack by scanning: scanned SKU codes, one per unit, go into a shipment's parcel all or none; the scan that completes
// every line packs the shipment.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendAudit } from '../../access/audit.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import { shipment } from '../queries/shipment.ts';
import { shipmentStep } from '../shipment-step.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import type { LineRow, ShipmentView } from '../views.ts';

/** Units may be scanned into the parcel until it is packed. */
const packable = new Set(['planned', 'waved', 'picked']);

/**
 * Scanned SKU codes, one per unit, into a shipment's parcel: all or none. A code the shipment does not carry, or one
 * unit more than it still needs, refuses the whole scan (PACK_SCAN_MISMATCH) and changes nothing. The scan that
 * completes every line packs the shipment.
 */
export async function scanUnits(
  deps: WarehouseFlowDeps,
  who: Principal,
  shipmentId: string,
  codes: readonly string[],
  now = Date.now(),
): Promise<ShipmentView & { remaining: { sku: string; quantity: number }[] }> {
  await deps.db.transaction((tx) => scanUnitsIn(deps, tx, who, shipmentId, codes, now));
  const v = await shipment(deps, who, shipmentId);
  const remaining = new Map<string, number>();
  for (const l of v.lines) if (l.quantity > l.scanned) remaining.set(l.sku, (remaining.get(l.sku) ?? 0) + l.quantity - l.scanned);
  return { ...v, remaining: [...remaining].map(([sku, quantity]) => ({ sku, quantity })) };
}

/** `scan` inside the caller's transaction (the WMS push applies it there, beside its own record). */
export async function scanUnitsIn(deps: WarehouseFlowDeps, tx: Tx, who: Principal, shipmentId: string, codes: readonly string[], now: number): Promise<void> {
  const s = await shipmentRow(tx, who, shipmentId, true);
  if (!packable.has(s.state)) {
    throw new HubError('SHIPMENT_STATE', `shipment ${s.id} is ${s.state}: nothing more can be scanned into it`, { state: s.state });
  }
  const lines = await tx.all<LineRow>('SELECT shipment_id, order_id, line_no, sku, quantity, scanned, bundle_sku, bundle_line_no FROM shipment_lines WHERE shipment_id = ? ORDER BY order_id, line_no', [s.id]);
  const remaining = new Map<string, number>();
  for (const l of lines) remaining.set(l.sku, (remaining.get(l.sku) ?? 0) + Number(l.quantity) - Number(l.scanned));
  const counts = new Map<string, number>();
  for (const c of codes) counts.set(c.trim(), (counts.get(c.trim()) ?? 0) + 1);
  const wrong = [...counts.keys()].filter((c) => !remaining.has(c));
  const extra = [...counts].filter(([c, k]) => remaining.has(c) && k > (remaining.get(c) ?? 0)).map(([sku, k]) => ({ sku, scanned: k, stillNeeded: remaining.get(sku) ?? 0 }));
  if (wrong.length || extra.length) {
    const parts = [
      ...(wrong.length ? [`not in this shipment: ${wrong.join(', ')}`] : []),
      ...extra.map((e) => `${e.sku}: ${e.scanned} scanned, ${e.stillNeeded} still needed`),
    ];
    throw new HubError('PACK_SCAN_MISMATCH', `wrong scan for shipment ${s.id} (${parts.join('; ')}); nothing was recorded`, { wrong, extra });
  }
  for (const [sku, k] of counts) {
    let left = k;
    for (const l of lines.filter((x) => x.sku === sku)) {
      const take = Math.min(left, Number(l.quantity) - Number(l.scanned));
      if (take <= 0) continue;
      const changed = await tx.run('UPDATE shipment_lines SET scanned = scanned + ? WHERE shipment_id = ? AND order_id = ? AND line_no = ? AND scanned + ? <= quantity', [
        take,
        s.id,
        l.order_id,
        l.line_no,
        take,
      ]);
      if (changed !== 1) throw new HubError('CONFLICT', `shipment ${s.id} was scanned meanwhile; scan again`);
      left -= take;
    }
  }
  const open = await tx.get<{ c: number }>('SELECT COUNT(*) AS c FROM shipment_lines WHERE shipment_id = ? AND scanned < quantity', [s.id]);
  if (Number(open?.c ?? 0) === 0) {
    shipmentMachine.check(s.state, 'packed', {});
    const changed = await tx.run(`UPDATE shipments SET state = 'packed', packed_at = ?, updated_at = ? WHERE id = ? AND state IN ('planned', 'waved', 'picked')`, [now, now, s.id]);
    if (changed !== 1) throw new HubError('CONFLICT', `shipment ${s.id} changed meanwhile`);
    await shipmentStep(tx, who, s, 'shipment.packed', now, { units: lines.reduce((a, l) => a + Number(l.quantity), 0) });
    await appendAudit(tx, deps.keyring, who, { action: 'shipment.pack', targetType: 'shipment', targetId: s.id, before: { state: s.state }, after: { state: 'packed' } }, now);
  }
}

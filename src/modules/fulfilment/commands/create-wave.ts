// A wave (波次) of planned shipments of one warehouse: the ones named, or the most urgent; never a shipment carrying an
// order that was cancelled or is on hold (拦截).
import { randomBytes } from 'node:crypto';
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { contains, shipmentScopeSql, type ScopeSql } from '../../../kernel/scope.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { stoppedOrders } from '../../orders/store/fulfilment.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import { wave } from '../queries/wave.ts';
import { shipmentStep } from '../shipment-step.ts';
import { cols, placeholders, type Query, type ShipmentRow, type WaveView } from '../views.ts';

/** The orders of these shipments that must not be picked or shipped now (cancelled or on hold), per shipment. */
async function stoppedIn(q: Query, shipmentIds: readonly string[]): Promise<{ shipment_id: string; order_no: string; status: string; hold_code: string | null }[]> {
  const lines: { shipment_id: string; order_id: string }[] = [];
  for (let i = 0; i < shipmentIds.length; i += 500) {
    const ids = shipmentIds.slice(i, i + 500);
    lines.push(...(await q.all<{ shipment_id: string; order_id: string }>(`SELECT DISTINCT shipment_id, order_id FROM shipment_lines WHERE shipment_id IN (${placeholders(ids.length)})`, ids)));
  }
  const stopped = new Map((await stoppedOrders(q, lines.map((l) => l.order_id))).map((o) => [o.id, o]));
  return lines.flatMap((l) => {
    const o = stopped.get(l.order_id);
    return o ? [{ shipment_id: l.shipment_id, order_no: o.order_no, status: o.status, hold_code: o.hold_code }] : [];
  });
}

/**
 * The planned shipments of a warehouse in the scope, most urgent (ship-by) first, up to `limit`, leaving out every
 * one that carries an order cancelled or on hold: those must not be picked (拦截). Read a page at a time until enough.
 */
async function pickable(q: Query, tenantId: string, warehouse: string, f: ScopeSql, limit: number): Promise<ShipmentRow[]> {
  const out: ShipmentRow[] = [];
  const pageSize = Math.max(limit, 200);
  let after: { shipBy: number; id: string } | null = null;
  for (;;) {
    const page: ShipmentRow[] = await q.all<ShipmentRow>(
      `SELECT ${cols} FROM shipments WHERE tenant_id = ? AND warehouse = ? AND state = 'planned' AND ${f.text}${after ? ' AND (ship_by > ? OR (ship_by = ? AND id > ?))' : ''}
       ORDER BY ship_by, id LIMIT ?`,
      [tenantId, warehouse, ...f.params, ...(after ? [after.shipBy, after.shipBy, after.id] : []), pageSize],
    );
    const stopped = new Set((await stoppedIn(q, page.map((r) => r.id))).map((b) => b.shipment_id));
    for (const r of page) {
      if (stopped.has(r.id)) continue;
      out.push(r);
      if (out.length === limit) return out;
    }
    const last = page[page.length - 1];
    if (page.length < pageSize || !last) return out;
    after = { shipBy: Number(last.ship_by), id: last.id };
  }
}

function newWaveId(now: number): string {
  return `WV-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

function mayWorkIn(who: Principal, warehouse: string): void {
  if (!contains(who.scope, 'warehouse', { warehouses: [warehouse] })) throw new HubError('FORBIDDEN', `${who.name} may not work in warehouse ${warehouse}`);
}

/** A wave (波次) of planned shipments of one warehouse: the ones named, or the most urgent (ship-by first). */
export async function createWave(deps: WarehouseFlowDeps, who: Principal, input: { warehouse: string; shipmentIds?: string[] | undefined; limit?: number | undefined }, now = Date.now()): Promise<WaveView> {
  mayWorkIn(who, input.warehouse);
  // Only shipments in the principal's scope go into its wave; one named outside it does not exist for it.
  const f = shipmentScopeSql(who.scope, 'shipments');
  const id = await deps.db.transaction(async (tx) => {
    const t = who.tenantId;
    const rows = input.shipmentIds?.length
      ? await tx.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE tenant_id = ? AND id IN (${placeholders(input.shipmentIds.length)}) AND ${f.text} ORDER BY id`, [
          t,
          ...input.shipmentIds,
          ...f.params,
        ])
      : await pickable(tx, t, input.warehouse, f, input.limit ?? 200);
    if (input.shipmentIds?.length) {
      const found = new Set(rows.map((r) => r.id));
      const missing = input.shipmentIds.filter((s) => !found.has(s));
      if (missing.length) throw new HubError('SHIPMENT_NOT_FOUND', `no such shipment: ${missing.join(', ')}`, { missing });
      const wrong = rows.filter((r) => r.warehouse !== input.warehouse || r.state !== 'planned');
      if (wrong.length) {
        throw new HubError('SHIPMENT_STATE', `only planned shipments of ${input.warehouse} go into a wave: ${wrong.map((r) => `${r.id} (${r.warehouse}, ${r.state})`).join(', ')}`, {
          shipments: wrong.map((r) => ({ id: r.id, warehouse: r.warehouse, state: r.state })),
        });
      }
    }
    if (input.shipmentIds?.length) {
      const blocked = await stoppedIn(tx, rows.map((r) => r.id));
      if (blocked.length) {
        throw new HubError('ORDER_HELD', `not to be picked: ${blocked.map((b) => `${b.shipment_id} (order ${b.order_no} ${b.status === 'cancelled' ? 'cancelled' : `on hold ${b.hold_code ?? ''}`})`).join(', ')}`, {
          shipments: blocked.map((b) => b.shipment_id),
        });
      }
    }
    if (rows.length === 0) throw new HubError('CONFLICT', `${input.warehouse} has no planned shipments to put in a wave`);
    const waveId = newWaveId(now);
    await tx.run('INSERT INTO waves (id, tenant_id, warehouse, state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [waveId, t, input.warehouse, 'open', who.name, now, now]);
    for (const s of rows) {
      // The selection above left out, or refused, every shipment with a cancelled or held order.
      shipmentMachine.check(s.state, 'waved', { stoppedOrders: [] });
      const changed = await tx.run(`UPDATE shipments SET state = 'waved', wave_id = ?, waved_at = ?, updated_at = ? WHERE id = ? AND state = 'planned'`, [waveId, now, now, s.id]);
      if (changed !== 1) throw new HubError('CONFLICT', `shipment ${s.id} changed meanwhile; make the wave again`);
      await shipmentStep(tx, who, s, 'shipment.waved', now, { waveId });
    }
    await appendEvent(tx, { tenantId: t, type: 'wave.created', aggregateType: 'wave', aggregateId: waveId, at: now, payload: { waveId, warehouse: input.warehouse, shipmentIds: rows.map((r) => r.id) } });
    return waveId;
  });
  return wave(deps, who, id);
}

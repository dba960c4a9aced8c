// The warehouse's side of a dispatch plan: waves, pick lists, pack by scanning, ship with carrier and tracking number.
// Each step is a conditional update of the shipment's state plus its event and history, in one transaction; shipping
// the last shipment of an order moves the order to `shipped` on the anchor.
import { randomBytes } from 'node:crypto';
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { contains, shipmentScopeSql, waveScopeSql, type DataScope, type ScopeSql } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Database, SqlValue, Tx } from '../../platform/db/database.ts';
import type { ShipmentsTable } from '../../platform/db/schema.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import type { EventPayload, ShipmentStepEvent, ShipmentStepRef } from '../../kernel/events.ts';
import { appendAudit } from '../access/audit.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { moveOrder, type LifecycleSettings, type OrderState } from '../orders/lifecycle.ts';
import { lockOrders } from '../orders/store/orders.ts';
import { setFulfilmentStatus, stoppedOrders, titlesSoldUnder } from '../orders/store/fulfilment.ts';
import { orderNumbers } from '../orders/queries/order-facts.ts';
import { shipFromWarehouse } from '../inventory/store/stock.ts';
import { skuTitles } from '../inventory/store/catalogue.ts';
import { forUpdate } from '../../platform/db/unit-of-work.ts';
import { shipmentMachine, shipmentStates } from './domain/shipment-machine.ts';

interface Query {
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

export { shipmentStates };
const gone = new Set(['shipped', 'delivered', 'returned']);
/** Units may be scanned into the parcel until it is packed. */
const packable = new Set(['planned', 'waved', 'picked']);

/** A shipment as this service reads it: the columns of `cols`, typed by the schema. */
type ShipmentRow = Pick<
  ShipmentsTable,
  | 'id'
  | 'tenant_id'
  | 'plan_id'
  | 'warehouse'
  | 'order_ids'
  | 'state'
  | 'ship_by'
  | 'weight_grams'
  | 'carrier'
  | 'tracking_no'
  | 'wave_id'
  | 'created_at'
  | 'waved_at'
  | 'picked_at'
  | 'packed_at'
  | 'shipped_at'
  | 'delivered_at'
  | 'returned_at'
  | 'tracking_status'
  | 'trust_grade'
  | 'cancelled_at'
  | 'cancel_reason'
>;

interface LineRow {
  shipment_id: string;
  order_id: string;
  line_no: number;
  sku: string;
  quantity: number;
  scanned: number;
}

export interface ShipmentView {
  id: string;
  planId: string;
  warehouse: string;
  state: string;
  orderIds: string[];
  /** The orders' numbers, in the order of orderIds: what a warehouse reads off a screen or a parcel. */
  orderNos: string[];
  carrier: string | null;
  trackingNo: string | null;
  waveId: string | null;
  shipBy: string | null;
  weightGrams: number;
  lines: { orderId: string; lineNo: number; sku: string; quantity: number; scanned: number }[];
  createdAt: string | null;
  wavedAt: string | null;
  pickedAt: string | null;
  packedAt: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  returnedAt: string | null;
  /** The carrier's tracking (011): the tracking status set, or delivered_unconfirmed; and the delivery's trust grade. */
  trackingStatus: string | null;
  trustGrade: string | null;
  /** Cancelled before it left (015): every order in it was cancelled, or shipped another way. */
  cancelledAt: string | null;
  cancelReason: string | null;
}

export interface WaveView {
  id: string;
  warehouse: string;
  state: string;
  createdBy: string;
  createdAt: string | null;
  shipments: ShipmentView[];
}

export interface PickList {
  waveId: string;
  warehouse: string;
  createdAt: string | null;
  shipments: number;
  units: number;
  /** One row per SKU, in SKU order: what to take from the shelf, and how it splits over the parcels. */
  items: { sku: string; title: string; quantity: number; shipments: { shipmentId: string; quantity: number }[] }[];
}

const cols =
  'id, tenant_id, plan_id, warehouse, order_ids, state, ship_by, weight_grams, carrier, tracking_no, wave_id, created_at, waved_at, picked_at, packed_at, shipped_at, delivered_at, returned_at, tracking_status, trust_grade, cancelled_at, cancel_reason';
const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const n = (v: number | null): number | null => (v === null ? null : Number(v));

function view(s: ShipmentRow, lines: readonly LineRow[], orderNos: ReadonlyMap<string, string>): ShipmentView {
  const orderIds = JSON.parse(s.order_ids) as string[];
  return {
    id: s.id,
    planId: s.plan_id,
    warehouse: s.warehouse,
    state: s.state,
    orderIds,
    orderNos: orderIds.map((id) => orderNos.get(id) ?? id),
    carrier: s.carrier,
    trackingNo: s.tracking_no,
    waveId: s.wave_id,
    shipBy: toIso(n(s.ship_by)),
    weightGrams: Number(s.weight_grams),
    lines: lines
      .filter((l) => l.shipment_id === s.id)
      .map((l) => ({ orderId: l.order_id, lineNo: Number(l.line_no), sku: l.sku, quantity: Number(l.quantity), scanned: Number(l.scanned) })),
    createdAt: toIso(n(s.created_at)),
    wavedAt: toIso(n(s.waved_at)),
    pickedAt: toIso(n(s.picked_at)),
    packedAt: toIso(n(s.packed_at)),
    shippedAt: toIso(n(s.shipped_at)),
    deliveredAt: toIso(n(s.delivered_at)),
    returnedAt: toIso(n(s.returned_at)),
    trackingStatus: s.tracking_status,
    trustGrade: s.trust_grade,
    cancelledAt: toIso(n(s.cancelled_at)),
    cancelReason: s.cancel_reason,
  };
}

async function views(q: Query, rows: readonly ShipmentRow[]): Promise<ShipmentView[]> {
  if (rows.length === 0) return [];
  const lines: LineRow[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const ids = rows.slice(i, i + 500).map((r) => r.id);
    lines.push(
      ...(await q.all<LineRow>(
        `SELECT shipment_id, order_id, line_no, sku, quantity, scanned FROM shipment_lines WHERE shipment_id IN (${placeholders(ids.length)}) ORDER BY shipment_id, order_id, line_no`,
        ids,
      )),
    );
  }
  const orderNos = await orderNumbers(q, [...new Set(rows.flatMap((r) => JSON.parse(r.order_ids) as string[]))]);
  return rows.map((r) => view(r, lines, orderNos));
}

/** The shipments carrying any line of an order (for the order's 360° view), those the scope sees. */
export async function shipmentsOfOrder(q: Query, orderId: string, scope: DataScope): Promise<ShipmentView[]> {
  const f = shipmentScopeSql(scope, 'shipments');
  const rows = await q.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND ${f.text} ORDER BY id`, [orderId, ...f.params]);
  return views(q, rows);
}

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

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class WarehouseFlowService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly lifecycle: LifecycleSettings,
  ) {}

  /** A shipment of the principal's tenant and scope; one outside them answers like one that does not exist. */
  private async row(q: Query, who: Principal, id: string, lock = false): Promise<ShipmentRow> {
    const tx = lock && 'locks' in q ? (q as Tx) : null;
    // A shipment is locked after its orders and before stock (unit-of-work.ts).
    tx?.locks.take('shipment', [id]);
    const f = shipmentScopeSql(who.scope, 'shipments');
    const s = await q.get<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE id = ? AND tenant_id = ? AND ${f.text}${tx ? forUpdate(tx) : ''}`, [id, who.tenantId, ...f.params]);
    if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${id} does not exist`);
    return s;
  }

  private mayWorkIn(who: Principal, warehouse: string): void {
    if (!contains(who.scope, 'warehouse', { warehouses: [warehouse] })) throw new HubError('FORBIDDEN', `${who.name} may not work in warehouse ${warehouse}`);
  }

  async list(
    who: Principal,
    f: { warehouse?: string | undefined; state?: string | undefined; waveId?: string | undefined; limit: number; offset: number },
  ): Promise<{ items: ShipmentView[]; total: number }> {
    const where = ['tenant_id = ?'];
    const params: SqlValue[] = [who.tenantId];
    for (const [column, value] of [['warehouse', f.warehouse], ['state', f.state], ['wave_id', f.waveId]] as const) {
      if (!value) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const inScope = shipmentScopeSql(who.scope, 'shipments');
    where.push(inScope.text);
    params.push(...inScope.params);
    const w = where.join(' AND ');
    const total = await this.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM shipments WHERE ${w}`, params);
    const rows = await this.db.read.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE ${w} ORDER BY ship_by, id LIMIT ? OFFSET ?`, [...params, f.limit, f.offset]);
    return { items: await views(this.db.read, rows), total: Number(total?.c ?? 0) };
  }

  async get(who: Principal, id: string): Promise<ShipmentView> {
    const s = await this.row(this.db.read, who, id);
    return (await views(this.db.read, [s]))[0] as ShipmentView;
  }

  /** A step's event on the shipment and a history row on each of its orders. */
  private async step<T extends ShipmentStepEvent>(tx: Tx, who: Principal, s: ShipmentRow, type: T, now: number, extra: Omit<EventPayload<T>, keyof ShipmentStepRef>): Promise<void> {
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

  // ---------- Waves and pick lists ----------

  /** A wave (波次) of planned shipments of one warehouse: the ones named, or the most urgent (ship-by first). */
  async createWave(who: Principal, input: { warehouse: string; shipmentIds?: string[] | undefined; limit?: number | undefined }, now = Date.now()): Promise<WaveView> {
    this.mayWorkIn(who, input.warehouse);
    // Only shipments in the principal's scope go into its wave; one named outside it does not exist for it.
    const f = shipmentScopeSql(who.scope, 'shipments');
    const id = await this.db.transaction(async (tx) => {
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
        await this.step(tx, who, s, 'shipment.waved', now, { waveId });
      }
      await appendEvent(tx, { tenantId: t, type: 'wave.created', aggregateType: 'wave', aggregateId: waveId, at: now, payload: { waveId, warehouse: input.warehouse, shipmentIds: rows.map((r) => r.id) } });
      return waveId;
    });
    return this.getWave(who, id);
  }

  private async waveRow(who: Principal, id: string) {
    const f = waveScopeSql(who.scope, 'waves');
    const w = await this.db.read.get<{ id: string; warehouse: string; state: string; created_by: string; created_at: number }>(
      `SELECT id, warehouse, state, created_by, created_at FROM waves WHERE id = ? AND tenant_id = ? AND ${f.text}`,
      [id, who.tenantId, ...f.params],
    );
    if (!w) throw new HubError('WAVE_NOT_FOUND', `wave ${id} does not exist`);
    return w;
  }

  /** The wave's shipments the scope sees (a wave of several shops' parcels shows a shop its own). */
  private async waveShipments(q: Query, scope: DataScope, waveId: string, state?: string): Promise<ShipmentRow[]> {
    const f = shipmentScopeSql(scope, 'shipments');
    return q.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE wave_id = ?${state ? ' AND state = ?' : ''} AND ${f.text} ORDER BY ship_by, id`, [waveId, ...(state ? [state] : []), ...f.params]);
  }

  async getWave(who: Principal, id: string): Promise<WaveView> {
    const w = await this.waveRow(who, id);
    const rows = await this.waveShipments(this.db.read, who.scope, id);
    return { id: w.id, warehouse: w.warehouse, state: w.state, createdBy: w.created_by, createdAt: toIso(Number(w.created_at)), shipments: await views(this.db.read, rows) };
  }

  async listWaves(who: Principal, f: { warehouse?: string | undefined; limit: number }): Promise<Omit<WaveView, 'shipments'>[]> {
    const s = waveScopeSql(who.scope, 'waves');
    const rows = await this.db.read.all<{ id: string; warehouse: string; state: string; created_by: string; created_at: number }>(
      `SELECT id, warehouse, state, created_by, created_at FROM waves WHERE tenant_id = ?${f.warehouse ? ' AND warehouse = ?' : ''} AND ${s.text} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [who.tenantId, ...(f.warehouse ? [f.warehouse] : []), ...s.params, f.limit],
    );
    return rows.map((w) => ({ id: w.id, warehouse: w.warehouse, state: w.state, createdBy: w.created_by, createdAt: toIso(Number(w.created_at)) }));
  }

  /** What to take from the shelves for a wave, summed per SKU (拣货单). */
  async pickList(who: Principal, waveId: string): Promise<PickList> {
    const w = await this.getWave(who, waveId);
    const titles = await skuTitles(this.db.read, who.tenantId, [...new Set(w.shipments.flatMap((s) => s.lines.map((l) => l.sku)))]);
    // A SKU first seen in a stock count has no title of its own: the picker reads the one its orders were sold under.
    const untitled = [...new Set(w.shipments.flatMap((s) => s.lines.map((l) => l.sku)))].filter((sku) => !titles.has(sku));
    if (untitled.length) {
      const orderIds = [...new Set(w.shipments.flatMap((s) => s.lines.map((l) => l.orderId)))];
      for (const [sku, title] of await titlesSoldUnder(this.db.read, orderIds, untitled)) titles.set(sku, title);
    }
    const bySku = new Map<string, Map<string, number>>();
    for (const s of w.shipments) for (const l of s.lines) {
      const m = bySku.get(l.sku) ?? new Map<string, number>();
      m.set(s.id, (m.get(s.id) ?? 0) + l.quantity);
      bySku.set(l.sku, m);
    }
    const items = [...bySku]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([sku, m]) => ({ sku, title: titles.get(sku) ?? '', quantity: [...m.values()].reduce((a, b) => a + b, 0), shipments: [...m].map(([shipmentId, quantity]) => ({ shipmentId, quantity })) }));
    return { waveId: w.id, warehouse: w.warehouse, createdAt: w.createdAt, shipments: w.shipments.length, units: items.reduce((a, i) => a + i.quantity, 0), items };
  }

  /** The pick list as a page to print (no script, no external resources). */
  static pickListHtml(p: PickList): string {
    const rows = p.items
      .map(
        (i) =>
          `<tr><td>${escapeHtml(i.sku)}</td><td>${escapeHtml(i.title)}</td><td class="n">${i.quantity}</td><td>${i.shipments.map((s) => `${escapeHtml(s.shipmentId)} × ${s.quantity}`).join('<br>')}</td><td class="box"></td></tr>`,
      )
      .join('\n');
    return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>拣货单 Pick list ${escapeHtml(p.waveId)}</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #333;padding:4px 8px;text-align:left}td.n{text-align:right}td.box{width:3em}@media print{body{margin:0}}</style>
</head><body>
<h1>拣货单 Pick list</h1>
<p>Wave ${escapeHtml(p.waveId)} · ${escapeHtml(p.warehouse)} · ${escapeHtml(p.createdAt ?? '')} · ${p.shipments} shipments · ${p.units} units</p>
<table><thead><tr><th>SKU</th><th>Title</th><th>Qty</th><th>Shipments</th><th>✓</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
  }

  /** The wave's shelves are emptied into its parcels: its waved shipments are picked. */
  async confirmPicked(who: Principal, waveId: string, now = Date.now()): Promise<WaveView> {
    await this.waveRow(who, waveId);
    await this.db.transaction(async (tx) => {
      // The principal confirms the shipments it may see; the wave is picked once none of it is still waiting.
      const rows = await this.waveShipments(tx, who.scope, waveId, 'waved');
      for (const s of rows) {
        shipmentMachine.check(s.state, 'picked', {});
        if ((await tx.run(`UPDATE shipments SET state = 'picked', picked_at = ?, updated_at = ? WHERE id = ? AND state = 'waved'`, [now, now, s.id])) === 1) {
          await this.step(tx, who, s, 'shipment.picked', now, { waveId });
        }
      }
      await tx.run(`UPDATE waves SET state = 'picked', updated_at = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM shipments WHERE wave_id = ? AND state = 'waved')`, [now, waveId, waveId]);
    });
    return this.getWave(who, waveId);
  }

  /**
   * One shipment picked, wave or not (a WMS reports its own picking): planned or waved → picked, with the same event
   * and history as a wave's confirmation. False when it was no longer planned or waved.
   */
  async pickIn(tx: Tx, who: Principal, shipmentId: string, now: number): Promise<boolean> {
    const s = await this.row(tx, who, shipmentId, true);
    // Already picked or further on: the report is older news than the shipment has (the WMS path ranks it first).
    if (s.state !== 'planned' && s.state !== 'waved') return false;
    shipmentMachine.check(s.state, 'picked', {});
    if ((await tx.run(`UPDATE shipments SET state = 'picked', picked_at = ?, updated_at = ? WHERE id = ? AND state = ?`, [now, now, s.id, s.state])) !== 1) return false;
    await this.step(tx, who, s, 'shipment.picked', now, s.wave_id ? { waveId: s.wave_id } : {});
    return true;
  }

  /** A shipment's state and the units still to be packed into it, inside the caller's transaction (locked unless `lock` is false). */
  async packingState(tx: Tx, who: Principal, shipmentId: string, lock = true): Promise<{ state: string; remaining: string[] }> {
    const s = await this.row(tx, who, shipmentId, lock);
    const lines = await tx.all<LineRow>('SELECT shipment_id, order_id, line_no, sku, quantity, scanned FROM shipment_lines WHERE shipment_id = ? ORDER BY order_id, line_no', [s.id]);
    return { state: s.state, remaining: lines.flatMap((l) => Array.from({ length: Number(l.quantity) - Number(l.scanned) }, () => l.sku)) };
  }

  // ---------- Pack by scanning ----------

  /**
   * Scanned SKU codes, one per unit, into a shipment's parcel: all or none. A code the shipment does not carry, or one
   * unit more than it still needs, refuses the whole scan (PACK_SCAN_MISMATCH) and changes nothing. The scan that
   * completes every line packs the shipment.
   */
  async scan(who: Principal, shipmentId: string, codes: readonly string[], now = Date.now()): Promise<ShipmentView & { remaining: { sku: string; quantity: number }[] }> {
    await this.db.transaction((tx) => this.scanIn(tx, who, shipmentId, codes, now));
    const v = await this.get(who, shipmentId);
    const remaining = new Map<string, number>();
    for (const l of v.lines) if (l.quantity > l.scanned) remaining.set(l.sku, (remaining.get(l.sku) ?? 0) + l.quantity - l.scanned);
    return { ...v, remaining: [...remaining].map(([sku, quantity]) => ({ sku, quantity })) };
  }

  /** `scan` inside the caller's transaction (the WMS push applies it there, beside its own record). */
  async scanIn(tx: Tx, who: Principal, shipmentId: string, codes: readonly string[], now: number): Promise<void> {
    const s = await this.row(tx, who, shipmentId, true);
    if (!packable.has(s.state)) {
      throw new HubError('SHIPMENT_STATE', `shipment ${s.id} is ${s.state}: nothing more can be scanned into it`, { state: s.state });
    }
    const lines = await tx.all<LineRow>('SELECT shipment_id, order_id, line_no, sku, quantity, scanned FROM shipment_lines WHERE shipment_id = ? ORDER BY order_id, line_no', [s.id]);
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
      await this.step(tx, who, s, 'shipment.packed', now, { units: lines.reduce((a, l) => a + Number(l.quantity), 0) });
      await appendAudit(tx, this.keyring, who, { action: 'shipment.pack', targetType: 'shipment', targetId: s.id, before: { state: s.state }, after: { state: 'packed' } }, now);
    }
  }

  // ---------- Ship ----------

  /**
   * Hands a packed shipment to the carrier with its tracking number (发货). Its units leave the warehouse: on-hand and
   * reserved both drop by what shipped (routing reserved them here), and the order's reservations say `shipped`; when
   * every shipment of an order has shipped, the order moves to `shipped` on the anchor.
   */
  async ship(who: Principal, shipmentId: string, input: { carrier?: string | undefined; trackingNo: string }, now = Date.now()): Promise<ShipmentView> {
    await this.db.transaction((tx) => this.shipIn(tx, who, shipmentId, input, now));
    return this.get(who, shipmentId);
  }

  /** Locks the orders of a shipment (before the shipment itself, as shipping will need them). */
  async lockOrdersOf(tx: Tx, who: Principal, shipmentId: string): Promise<void> {
    const s = await this.row(tx, who, shipmentId);
    await lockOrders(tx, JSON.parse(s.order_ids) as string[]);
  }

  /** `ship` inside the caller's transaction (the WMS push applies it there, beside its own record). */
  async shipIn(tx: Tx, who: Principal, shipmentId: string, input: { carrier?: string | undefined; trackingNo: string }, now: number): Promise<void> {
    const trackingNo = input.trackingNo.trim();
    if (!trackingNo) throw new HubError('VALIDATION_FAILED', 'a shipment is shipped only with a tracking number');
    const first = await this.row(tx, who, shipmentId);
    const orderIds = (JSON.parse(first.order_ids) as string[]).slice().sort();
    // Orders first, in id order, then the shipment: shipments of one order shipped at once serialise on the order,
    // so the last one sees every other one shipped.
    const locked = await lockOrders(tx, orderIds);
    const orders = orderIds.map((id) => locked.get(id)).filter((o): o is OrderState => o !== undefined);
    const s = await this.row(tx, who, shipmentId, true);
    if (s.state === 'cancelled') {
      throw new HubError('SHIPMENT_CANCELLED', `shipment ${s.id} was cancelled (${s.cancel_reason ?? ''}): it must not leave; put its units back on the shelf`, { state: s.state, reason: s.cancel_reason });
    }
    if (gone.has(s.state)) {
      throw new HubError('SHIPMENT_ALREADY_SHIPPED', `shipment ${s.id} was already shipped (${s.carrier ?? ''} ${s.tracking_no ?? ''})`.trim(), { state: s.state, carrier: s.carrier, trackingNo: s.tracking_no });
    }
    if (s.state !== 'packed') throw new HubError('SHIPMENT_STATE', `shipment ${s.id} is ${s.state}: scan its units to pack it before shipping`, { state: s.state });
    const carrier = input.carrier?.trim() || s.carrier;
    if (!carrier) throw new HubError('VALIDATION_FAILED', `shipment ${s.id} has no carrier yet: name one`);
    for (const o of orders) {
      if (o.status === 'cancelled') throw new HubError('CONFLICT', `order ${o.order_no} was cancelled: do not ship shipment ${s.id}; put its units back`, { orderId: o.id, status: o.status });
      if (o.hold_code) throw new HubError('ORDER_HELD', `order ${o.order_no} is on hold (${o.hold_code}): shipment ${s.id} must not leave`, { orderId: o.id, hold: o.hold_code });
    }
    const taken = await tx.get<{ id: string }>('SELECT id FROM shipments WHERE tenant_id = ? AND carrier = ? AND tracking_no = ?', [who.tenantId, carrier, trackingNo]);
    if (taken) throw new HubError('TRACKING_NO_IN_USE', `${carrier} tracking number ${trackingNo} is already on shipment ${taken.id}`, { shipmentId: taken.id });
    const stoppedOrders = orders.filter((o) => o.status === 'cancelled' || o.hold_code).map((o) => o.order_no);
    shipmentMachine.check(s.state, 'shipped', { stoppedOrders, carrier, trackingNo });
    const changed = await tx.run(`UPDATE shipments SET state = 'shipped', carrier = ?, tracking_no = ?, shipped_at = ?, updated_at = ? WHERE id = ? AND state = 'packed'`, [
      carrier,
      trackingNo,
      now,
      now,
      s.id,
    ]);
    if (changed !== 1) throw new HubError('CONFLICT', `shipment ${s.id} changed meanwhile`);
    const lines = await tx.all<LineRow>('SELECT shipment_id, order_id, line_no, sku, quantity, scanned FROM shipment_lines WHERE shipment_id = ?', [s.id]);
    await this.markShipped(tx, who.tenantId, s, lines, now);
    // The plan is shipped once its last shipment is; until then it is shipping.
    await tx.run(
      `UPDATE dispatch_plans SET state = CASE WHEN EXISTS (SELECT 1 FROM shipments WHERE plan_id = ? AND state NOT IN ('shipped', 'delivered', 'returned', 'cancelled')) THEN 'shipping' ELSE 'shipped' END,
         updated_at = ? WHERE id = ?`,
      [s.plan_id, now, s.plan_id],
    );
    await this.step(tx, who, s, 'shipment.shipped', now, { carrier, trackingNo, lines: lines.map((l) => ({ orderId: l.order_id, sku: l.sku, quantity: Number(l.quantity) })) });
    for (const o of orders) {
      const open = await tx.get<{ c: number }>(
        `SELECT COUNT(*) AS c FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND state NOT IN ('shipped', 'delivered', 'returned', 'cancelled')`,
        [o.id],
      );
      if (Number(open?.c ?? 0) > 0) {
        await setFulfilmentStatus(tx, o.id, 'partially_shipped', now);
      } else if (o.status === 'paid') {
        await moveOrder(tx, o, 'shipped', { source: 'system', cause: `shipment ${s.id} handed to ${carrier} (${trackingNo})`, at: now }, this.lifecycle);
      } else {
        await setFulfilmentStatus(tx, o.id, 'shipped', now);
      }
    }
    await appendAudit(tx, this.keyring, who, { action: 'shipment.ship', targetType: 'shipment', targetId: s.id, before: { state: s.state }, after: { state: 'shipped', carrier, trackingNo } }, now);
  }

  /**
   * The shipped units leave each order's firm reservation at this warehouse and the shelf (inventory's conditional
   * updates, in SKU order).
   */
  private async markShipped(tx: Tx, tenant: string, s: ShipmentRow, lines: readonly LineRow[], now: number): Promise<void> {
    const units = lines.map((l) => ({ orderId: l.order_id, sku: l.sku, quantity: Number(l.quantity) }));
    await shipFromWarehouse(tx, tenant, s.warehouse, units, `shipment ${s.id}`, now);
  }
}

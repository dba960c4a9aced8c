// Routing paid orders to warehouses (分单): the world read from the database, the pure planner, its dry run, and the
// commit of dispatch plans — shipments, lines, stock moved between warehouses, events and history in one transaction.
import { randomBytes } from 'node:crypto';
import { HubError, isHubError } from '../../../kernel/errors.ts';
import {
  dryRun,
  loadRoutingRules,
  planDispatch,
  type CarrierOption,
  type DispatchPlan,
  type PaidOrder,
  type PlanProblem,
  type RoutingRule,
  type RoutingRules,
  type RoutingWorld,
  type SkuTraits,
  type StockRow,
  type UnplannedReason,
  type Warehouse,
} from './planner.ts';
import { startOfDayInZone, toIso } from '../../../kernel/time.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { contains, isUnlimited } from '../../../kernel/scope.ts';
import type { Database, Reader, Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { fence, type Lease } from '../../../platform/jobs/leases.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import { knownSkus } from '../../inventory/store/catalogue.ts';
import { moveReserved, rerouteReservation, type ReservedMove } from '../../inventory/store/stock.ts';
import { firmReservationsOf } from '../../inventory/queries/reservations.ts';
import { freeStock } from '../../inventory/queries/free-stock.ts';
import {
  dueRoutableOrders,
  linesOfOrders,
  lockRoutableOrders,
  markRouted,
  orderIdsWithinScope,
  recordRoutingProblem,
  routableOrders,
  routableOrdersByRef,
  routableOrdersToPhones,
  tenantsWithDueOrders,
  type RoutableOrder,
} from '../../orders/store/fulfilment.ts';
import type { EventPayload } from '../../../kernel/events.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';

/** What both a write transaction and the read connection can answer. */
type Query = Reader;

export interface RoutingSettings {
  /** The seller's day, for daily warehouse capacity. */
  timezone: string;
  /** Promised ship hours of a SKU that has no fulfilment traits yet. */
  defaultShipHours: number;
}

/** Used until a tenant saves its own: region first, then as few parcels as possible, then warehouse priority. */
export const defaultRoutingRules: RoutingRule[] = [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }, { kind: 'prefer_priority' }];

/** A carrier collecting at a warehouse, as stored (the planner's CarrierOption). */
export interface CarrierSetting {
  code: string;
  regions?: string[] | undefined;
  maxParcelGrams?: number | undefined;
  available?: boolean | undefined;
}

export interface WarehouseSettings {
  code: string;
  name: string;
  priority: number;
  regions: string[];
  dailyCapacity: number;
  canClearCustoms: boolean;
  /** Carriers collecting there; null = the carrier is chosen at packing. */
  carriers: CarrierSetting[] | null;
  usedToday: number;
}

export interface SkuTraitsView {
  sku: string;
  allowedWarehouses: string[] | null;
  promisedShipHours: number;
  weightGrams: number;
  needsCustomsClearance: boolean;
  /** False when the SKU has no traits saved and routing uses the defaults. */
  configured: boolean;
}

/** Why an order was not routed: the planner's reasons, or why it was not eligible. */
export interface RoutingReason {
  code: string;
  orderId: string;
  lineId?: string | undefined;
  sku?: string | undefined;
  message: string;
}

/**
 * What the automatic runner routes (instead of named orders): paid, unrouted orders whose merge window has passed and
 * that were not tried lately, so an unroutable order waits out the retry interval instead of heading every batch.
 */
export interface DueOrders {
  /** Orders paid at or before this time. */
  paidBefore: number;
  /** Orders last tried at or after this time are left for later. */
  checkedBefore: number;
  /** Orders left out: ones whose routing failed with an error lately. */
  skip?: string[] | undefined;
}

/** Which orders to route: the ones named, the due ones, or every paid unrouted one; or plans reviewed earlier. */
export interface RoutingRequest {
  orderIds?: string[] | undefined;
  due?: DueOrders | undefined;
  limit?: number | undefined;
  plans?: DispatchPlan[] | undefined;
  /** The auto-routing runner's lease: the run commits only while it is still held (platform/jobs/leases.ts). */
  lease?: Lease | undefined;
}

export interface RoutingOutcome {
  plans: DispatchPlan[];
  unplanned: { orderIds: string[]; reasons: RoutingReason[] }[];
  problems: PlanProblem[];
  /** True when the plans were committed. */
  committed: boolean;
}

/** An order as routing reads it (the orders module's). */
type OrderRow = RoutableOrder;

const key = (a: string, b: string): string => `${a}\u0000${b}`;

/** Why an order may not be routed now, or null when it may. */
function ineligible(o: OrderRow): string | null {
  if (o.status !== 'paid') return `order ${o.order_no} is ${o.status}: only paid orders are routed`;
  if (o.dispatch_plan_id) return `order ${o.order_no} is already routed (plan ${o.dispatch_plan_id})`;
  if (o.hold_code) return `order ${o.order_no} is on hold (${o.hold_code}); release the hold first`;
  if (o.reservation_state !== 'deducted') return `order ${o.order_no} has no stock taken (reservation ${o.reservation_state})`;
  return null;
}

function newPlanId(now: number): string {
  const d = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  return `DP-${d}-${randomBytes(5).toString('hex').toUpperCase()}`;
}

const parseJson = <T>(s: string | null, fallback: T): T => (s === null ? fallback : (JSON.parse(s) as T));

export class RoutingService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly settings: RoutingSettings,
  ) {}

  // ---------- Configuration ----------

  async getRules(who: Principal): Promise<{ rules: RoutingRule[]; version: number; updatedAt: string | null; updatedBy: string | null; isDefault: boolean }> {
    const r = await this.db.read.get<{ rules: string; version: number; updated_at: number; updated_by: string }>(
      'SELECT rules, version, updated_at, updated_by FROM routing_rules WHERE tenant_id = ?',
      [who.tenantId],
    );
    if (!r) return { rules: defaultRoutingRules, version: 0, updatedAt: null, updatedBy: null, isDefault: true };
    return { rules: JSON.parse(r.rules) as RoutingRule[], version: Number(r.version), updatedAt: toIso(Number(r.updated_at)), updatedBy: r.updated_by, isDefault: false };
  }

  /** Replaces the tenant's rules after checking them whole (loadRoutingRules): a bad set is refused, never half-saved. */
  async saveRules(who: Principal, input: unknown[], now = Date.now()) {
    let checked: RoutingRules;
    try {
      checked = loadRoutingRules(input);
    } catch (e) {
      if (isHubError(e) && e.code === 'CONFIG_INVALID') throw new HubError('VALIDATION_FAILED', e.message, e.details);
      throw e;
    }
    const rules = JSON.stringify(checked.rules);
    await this.db.transaction(async (tx) => {
      const before = await tx.get<{ rules: string; version: number }>('SELECT rules, version FROM routing_rules WHERE tenant_id = ?', [who.tenantId]);
      await tx.run(
        `INSERT INTO routing_rules (tenant_id, rules, version, updated_by, updated_at) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules, version = routing_rules.version + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
        [who.tenantId, rules, who.name, now],
      );
      await appendEvent(tx, { tenantId: who.tenantId, type: 'routing.rules_changed', aggregateType: 'routing_rules', aggregateId: who.tenantId, at: now, payload: { rules: checked.rules } });
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'routing.rules', targetType: 'routing_rules', targetId: who.tenantId, before: before ? JSON.parse(before.rules) : defaultRoutingRules, after: checked.rules },
        now,
      );
    });
    return this.getRules(who);
  }

  private async rules(q: Query, tenant: string): Promise<RoutingRules> {
    const r = await q.get<{ rules: string }>('SELECT rules FROM routing_rules WHERE tenant_id = ?', [tenant]);
    return loadRoutingRules(r ? JSON.parse(r.rules) : defaultRoutingRules);
  }

  private dayStart(now: number): number {
    return startOfDayInZone(now, this.settings.timezone);
  }

  private async warehouses(q: Query, tenant: string, now: number): Promise<WarehouseSettings[]> {
    const rows = await q.all<{ code: string; name: string; priority: number; regions: string; daily_capacity: number; can_clear_customs: number; carriers: string | null }>(
      'SELECT code, name, priority, regions, daily_capacity, can_clear_customs, carriers FROM warehouses WHERE tenant_id = ? ORDER BY priority, code',
      [tenant],
    );
    const used = await q.all<{ warehouse: string; n: number }>(
      // A parcel stopped before it left (its order cancelled) frees its place for the day.
      `SELECT warehouse, COUNT(*) AS n FROM shipments WHERE tenant_id = ? AND created_at >= ? AND state <> 'cancelled' GROUP BY warehouse`,
      [tenant, this.dayStart(now)],
    );
    const usedBy = new Map(used.map((u) => [u.warehouse, Number(u.n)]));
    return rows.map((r) => ({
      code: r.code,
      name: r.name,
      priority: Number(r.priority),
      regions: JSON.parse(r.regions) as string[],
      dailyCapacity: Number(r.daily_capacity),
      canClearCustoms: Number(r.can_clear_customs) === 1,
      carriers: parseJson<CarrierSetting[] | null>(r.carriers, null),
      usedToday: usedBy.get(r.code) ?? 0,
    }));
  }

  async listWarehouses(who: Principal, now = Date.now()): Promise<WarehouseSettings[]> {
    return (await this.warehouses(this.db.read, who.tenantId, now)).filter((w) => contains(who.scope, 'warehouse', { warehouses: [w.code] }));
  }

  /** Creates or changes a warehouse's routing attributes. */
  async saveWarehouse(
    who: Principal,
    code: string,
    input: { name?: string | undefined; priority?: number | undefined; regions?: string[] | undefined; dailyCapacity?: number | undefined; canClearCustoms?: boolean | undefined; carriers?: CarrierSetting[] | null | undefined },
    now = Date.now(),
  ): Promise<WarehouseSettings> {
    if (!contains(who.scope, 'warehouse', { warehouses: [code] })) throw new HubError('FORBIDDEN', `${who.name} may not change warehouse ${code}`);
    const codes = input.carriers?.map((c) => c.code) ?? [];
    if (new Set(codes).size !== codes.length) throw new HubError('VALIDATION_FAILED', 'a carrier is listed twice');
    await this.db.transaction(async (tx) => {
      const before = await tx.get<Record<string, unknown>>(
        'SELECT name, priority, regions, daily_capacity, can_clear_customs, carriers FROM warehouses WHERE tenant_id = ? AND code = ?',
        [who.tenantId, code],
      );
      await tx.run(`INSERT INTO warehouses (tenant_id, code, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO NOTHING`, [who.tenantId, code, input.name ?? code, now]);
      await tx.run(
        `UPDATE warehouses SET name = COALESCE(?, name), priority = COALESCE(?, priority), regions = COALESCE(?, regions),
           daily_capacity = COALESCE(?, daily_capacity), can_clear_customs = COALESCE(?, can_clear_customs),
           carriers = CASE WHEN ? = 1 THEN ? ELSE carriers END, updated_at = ?
         WHERE tenant_id = ? AND code = ?`,
        [
          input.name ?? null,
          input.priority ?? null,
          input.regions ? JSON.stringify(input.regions) : null,
          input.dailyCapacity ?? null,
          input.canClearCustoms === undefined ? null : input.canClearCustoms ? 1 : 0,
          input.carriers === undefined ? 0 : 1,
          input.carriers ? JSON.stringify(input.carriers) : null,
          now,
          who.tenantId,
          code,
        ],
      );
      await appendAudit(tx, this.keyring, who, { action: 'warehouse.save', targetType: 'warehouse', targetId: code, before: before ?? null, after: input }, now);
    });
    return (await this.warehouses(this.db.read, who.tenantId, now)).find((w) => w.code === code) as WarehouseSettings;
  }

  private async traits(q: Query, tenant: string, skus: readonly string[] | null): Promise<SkuTraitsView[]> {
    type Row = { sku: string; allowed_warehouses: string | null; promised_ship_hours: number | null; weight_grams: number | null; needs_customs: number | null };
    // The SKUs are the catalogue's (inventory); their fulfilment traits are ours, where saved.
    const known = await knownSkus(q, tenant, skus);
    const saved = new Map<string, Row>();
    for (let i = 0; i < known.length; i += 500) {
      const part = known.slice(i, i + 500);
      const rows = await q.all<Row>(
        `SELECT sku, allowed_warehouses, promised_ship_hours, weight_grams, needs_customs FROM sku_traits WHERE tenant_id = ? AND sku IN (${part.map(() => '?').join(', ')})`,
        [tenant, ...part],
      );
      for (const r of rows) saved.set(r.sku, r);
    }
    const rows: Row[] = known.map((sku) => saved.get(sku) ?? { sku, allowed_warehouses: null, promised_ship_hours: null, weight_grams: null, needs_customs: null });
    return rows.map((r) => ({
      sku: r.sku,
      allowedWarehouses: parseJson<string[] | null>(r.allowed_warehouses, null),
      // A SKU nobody described yet ships from anywhere within the default promise, weighing nothing.
      promisedShipHours: r.promised_ship_hours === null ? this.settings.defaultShipHours : Number(r.promised_ship_hours),
      weightGrams: r.weight_grams === null ? 0 : Number(r.weight_grams),
      needsCustomsClearance: Number(r.needs_customs ?? 0) === 1,
      configured: r.promised_ship_hours !== null,
    }));
  }

  async listSkuTraits(who: Principal): Promise<SkuTraitsView[]> {
    return this.traits(this.db.read, who.tenantId, null);
  }

  async saveSkuTraits(
    who: Principal,
    sku: string,
    input: { allowedWarehouses?: string[] | null | undefined; promisedShipHours: number; weightGrams: number; needsCustomsClearance?: boolean | undefined },
    now = Date.now(),
  ): Promise<SkuTraitsView> {
    await this.db.transaction(async (tx) => {
      if ((await knownSkus(tx, who.tenantId, [sku])).length === 0) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
      // Warehouses are named inside the caller's organisation; one that does not exist there would never match a plan.
      const unknown: string[] = [];
      for (const code of new Set(input.allowedWarehouses ?? [])) {
        if (!(await tx.get('SELECT 1 AS x FROM warehouses WHERE tenant_id = ? AND code = ?', [who.tenantId, code]))) unknown.push(code);
      }
      if (unknown.length) {
        throw new HubError('VALIDATION_FAILED', `allowedWarehouses names warehouses that do not exist: ${unknown.join(', ')}`, { errors: unknown.map((w) => `unknown warehouse ${w}`) });
      }
      const before = await tx.get<Record<string, unknown>>('SELECT allowed_warehouses, promised_ship_hours, weight_grams, needs_customs FROM sku_traits WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]);
      await tx.run(
        `INSERT INTO sku_traits (tenant_id, sku, allowed_warehouses, promised_ship_hours, weight_grams, needs_customs, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, sku) DO UPDATE SET allowed_warehouses = excluded.allowed_warehouses, promised_ship_hours = excluded.promised_ship_hours,
           weight_grams = excluded.weight_grams, needs_customs = excluded.needs_customs, updated_at = excluded.updated_at`,
        [who.tenantId, sku, input.allowedWarehouses ? JSON.stringify(input.allowedWarehouses) : null, input.promisedShipHours, input.weightGrams, input.needsCustomsClearance ? 1 : 0, now],
      );
      await appendAudit(tx, this.keyring, who, { action: 'sku.traits', targetType: 'sku', targetId: sku, before: before ?? null, after: input }, now);
    });
    return (await this.traits(this.db.read, who.tenantId, [sku]))[0] as SkuTraitsView;
  }

  // ---------- Routing ----------

  /** The orders asked for (or every paid, unrouted one, oldest payment first), with why the others may not be routed. */
  private async candidates(q: Query, who: Principal, input: { orderIds?: string[] | undefined; due?: DueOrders | undefined; limit?: number | undefined }, lock: boolean) {
    const t = who.tenantId;
    let rows: OrderRow[];
    if (input.orderIds?.length) {
      const refs = [...new Set(input.orderIds)];
      rows = await routableOrdersByRef(q, t, refs);
      // An order outside the principal's scope is not there for it.
      rows = await this.inScope(q, who, rows);
      const found = new Set(rows.flatMap((r) => [r.id, r.order_no]));
      const missing = refs.filter((r) => !found.has(r));
      if (missing.length) throw new HubError('ORDER_NOT_FOUND', `no such order: ${missing.join(', ')}`, { missing });
    } else if (input.due) {
      rows = await this.dueOrders(q, t, input.due, Math.min(input.limit ?? 500, 5000));
    } else {
      rows = await routableOrders(q, t, Math.min(input.limit ?? 500, 5000));
    }
    // A scoped principal routes only the orders it may see.
    if (!input.orderIds?.length) rows = await this.inScope(q, who, rows);
    // Orders locked in one order (by id), so two routing runs or a run and a payment never deadlock; read again under the lock.
    if (lock && rows.length && 'locks' in q) rows = await lockRoutableOrders(q as Tx, rows);
    const eligible: OrderRow[] = [];
    const refused: { orderIds: string[]; reasons: RoutingReason[] }[] = [];
    for (const r of rows) {
      const why = ineligible(r);
      if (why) refused.push({ orderIds: [r.id], reasons: [{ code: 'ORDER_NOT_ROUTABLE', orderId: r.id, message: why }] });
      else eligible.push(r);
    }
    return { eligible, refused };
  }

  /** The rows among these whose orders the principal's scope sees (the kernel's order policy). */
  private async inScope(q: Query, who: Principal, rows: OrderRow[]): Promise<OrderRow[]> {
    if (isUnlimited(who.scope) || rows.length === 0) return rows;
    const seen = await orderIdsWithinScope(q, who.scope, rows.map((r) => r.id));
    return rows.filter((r) => seen.has(r.id));
  }

  /**
   * The due orders, oldest payment first, and with them the younger unrouted orders the tenant's merge rule could ship
   * in the same parcel (same buyer, shop and phone, paid within the rule's window of the first): an order whose window
   * has passed takes its related orders along instead of leaving for the warehouse alone a minute before them.
   */
  private async dueOrders(q: Query, tenant: string, due: DueOrders, limit: number): Promise<OrderRow[]> {
    const [paidBefore, checkedBefore] = [Number(due.paidBefore), Number(due.checkedBefore)];
    if (!Number.isFinite(paidBefore) || !Number.isFinite(checkedBefore)) throw new HubError('VALIDATION_FAILED', 'due: paidBefore and checkedBefore must be times');
    const skip = [...new Set(due.skip ?? [])].slice(0, 500);
    const rows = await dueRoutableOrders(q, tenant, { paidBefore, checkedBefore, skip }, limit);
    const merge = (await this.rules(q, tenant)).rules.find((r): r is Extract<RoutingRule, { kind: 'merge_related' }> => r.kind === 'merge_related');
    if (!merge) return rows;
    // The planner's own grouping key; an order without a phone hash is never merged.
    const group = (o: OrderRow) => `${o.buyer_id ?? ''}\u0000${o.account_id}\u0000${o.receiver_phone_hash ?? ''}`;
    const first = new Map<string, number>();
    for (const o of rows) if (o.receiver_phone_hash !== null && !first.has(group(o))) first.set(group(o), Number(o.paid_at));
    if (first.size === 0) return rows;
    const windowMs = merge.windowMinutes * 60_000;
    const hashes = [...new Set(rows.flatMap((o) => (o.receiver_phone_hash === null ? [] : [o.receiver_phone_hash])))];
    const related = await routableOrdersToPhones(q, tenant, Math.max(...first.values()) + windowMs, hashes);
    const taken = new Set([...rows.map((o) => o.id), ...skip]);
    for (const o of related) {
      const start = first.get(group(o));
      if (start === undefined || taken.has(o.id) || Number(o.paid_at) > start + windowMs) continue;
      taken.add(o.id);
      rows.push(o);
    }
    return rows;
  }

  /** Tenants with orders due for the automatic runner. */
  async tenantsWithDueOrders(due: DueOrders): Promise<string[]> {
    return tenantsWithDueOrders(this.db.read, due);
  }

  /** The ids of a tenant's due orders (the runner routes them one by one when a batch of them fails). */
  async dueOrderIds(tenant: string, due: DueOrders, limit: number): Promise<string[]> {
    return (await this.dueOrders(this.db.read, tenant, due, limit)).map((o) => o.id);
  }

  /** The routing world for these orders: warehouses, traits, stock free now plus what each order already took. */
  private async world(q: Query, tenant: string, orders: readonly OrderRow[], now: number) {
    const ids = orders.map((o) => o.id);
    const lines = await linesOfOrders(q, ids);
    const deductions = await firmReservationsOf(q, ids);
    const skus = [...new Set(lines.map((l) => l.sku).filter((s): s is string => s !== null))].sort();
    const free = await freeStock(q, tenant, skus);
    const warehouses = await this.warehouses(q, tenant, now);
    const traits = await this.traits(q, tenant, skus);
    const linesBy = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
    for (const l of lines) {
      if (l.sku === null) continue;
      linesBy.set(l.order_id, [...(linesBy.get(l.order_id) ?? []), { lineId: String(l.line_no), sku: l.sku, quantity: Number(l.quantity) }]);
    }
    const paid: PaidOrder[] = orders.map((o) => ({
      orderId: o.id,
      shopId: o.account_id,
      buyerId: o.buyer_id ?? '',
      receiver: {
        province: o.receiver_province,
        city: o.receiver_city,
        name: o.receiver_name,
        // Without a phone there is no evidence two orders go to the same person: never merged.
        phoneHash: o.receiver_phone_hash ?? `none:${o.id}`,
        address: this.keyring.decryptNullable(o.receiver_address) ?? '',
      },
      paidAt: Number(o.paid_at ?? now),
      lines: linesBy.get(o.id) ?? [],
    }));
    const base: Omit<RoutingWorld, 'stock'> = {
      warehouses: warehouses.map(
        (w): Warehouse => ({
          code: w.code,
          priority: w.priority,
          dailyCapacity: w.dailyCapacity,
          usedToday: w.usedToday,
          regions: w.regions,
          canClearCustoms: w.canClearCustoms,
          ...(w.carriers ? { carriers: w.carriers.map((c): CarrierOption => ({ code: c.code, ...(c.regions ? { regions: c.regions } : {}), ...(c.maxParcelGrams !== undefined ? { maxParcelGrams: c.maxParcelGrams } : {}), ...(c.available !== undefined ? { available: c.available } : {}) })) } : {}),
        }),
      ),
      skus: traits.map(
        (t): SkuTraits => ({
          sku: t.sku,
          promisedShipHours: t.promisedShipHours,
          weightGrams: t.weightGrams,
          needsCustomsClearance: t.needsCustomsClearance,
          ...(t.allowedWarehouses ? { allowedWarehouses: t.allowedWarehouses } : {}),
        }),
      ),
    };
    /** Stock as the planner sees it for a set of orders: free units plus the units those orders already took. */
    const stockFor = (orderIds: ReadonlySet<string>): StockRow[] => [
      ...free.map((f) => ({ warehouse: f.warehouse, sku: f.sku, available: Number(f.available) })),
      ...deductions.filter((d) => orderIds.has(d.order_id)).map((d) => ({ warehouse: d.warehouse, sku: d.sku, available: Number(d.quantity) })),
    ];
    return { paid, base, stockFor, deductions };
  }

  /**
   * Plans a batch. An order that cannot be planned keeps the units it took, so they are offered to the others only
   * while it is still in the batch: the batch is planned again without it until every remaining order is planned.
   */
  private plan(paid: PaidOrder[], base: Omit<RoutingWorld, 'stock'>, stockFor: (ids: ReadonlySet<string>) => StockRow[], rules: RoutingRules, now: number) {
    let included = paid;
    const unplanned: { orderIds: string[]; reasons: UnplannedReason[] }[] = [];
    for (;;) {
      const ids = new Set(included.map((o) => o.orderId));
      const world: RoutingWorld = { ...base, stock: stockFor(ids) };
      const r = planDispatch(included, world, rules, { planIdFor: () => newPlanId(now) });
      if (r.unplanned.length === 0) return { plans: r.plans, unplanned, world, included };
      unplanned.push(...r.unplanned);
      const out = new Set(r.unplanned.flatMap((u) => u.orderIds));
      included = included.filter((o) => !out.has(o.orderId));
    }
  }

  /** A plan and its problems, written nowhere. With `plans`, checks those (e.g. reviewed earlier) against the world now. */
  async dryRun(who: Principal, input: RoutingRequest, now = Date.now()): Promise<RoutingOutcome> {
    return this.prepare(this.db.read, who, input, now, false);
  }

  private async prepare(q: Query, who: Principal, input: RoutingRequest, now: number, lock: boolean) {
    const given = input.plans;
    const orderIds = given ? [...new Set(given.flatMap((p) => p.orderIds))] : input.orderIds;
    const { eligible, refused } = await this.candidates(q, who, { orderIds, due: given ? undefined : input.due, limit: input.limit }, lock);
    const rules = await this.rules(q, who.tenantId);
    const { paid, base, stockFor } = await this.world(q, who.tenantId, eligible, now);
    if (given) {
      const ids = new Set(paid.map((o) => o.orderId));
      const world: RoutingWorld = { ...base, stock: stockFor(ids) };
      const problems = refused.length ? [] : [...dryRun(given, world, { orders: paid }), ...this.shapeProblems(given, paid)];
      return { plans: given, unplanned: refused, problems, committed: false, orders: eligible, paid };
    }
    const r = this.plan(paid, base, stockFor, rules, now);
    const problems = dryRun(r.plans, r.world, { orders: r.included });
    return { plans: r.plans, unplanned: [...refused, ...r.unplanned], problems, committed: false, orders: eligible, paid };
  }

  /** What dryRun does not check in a plan handed in from outside: lines that are not the order's, shipments naming other orders. */
  private shapeProblems(plans: readonly DispatchPlan[], paid: readonly PaidOrder[]): PlanProblem[] {
    const problems: PlanProblem[] = [];
    const lines = new Map(paid.flatMap((o) => o.lines.map((l) => [key(o.orderId, l.lineId), l.sku] as const)));
    for (const p of plans) {
      if (!/^DP-[0-9A-Za-z-]{4,60}$/.test(p.planId)) problems.push({ code: 'DUPLICATE', planId: p.planId, message: `plan id ${p.planId} is not one the hub gave` });
      for (const s of p.shipments) {
        if (!s.shipmentNo.startsWith(`${p.planId}-`)) problems.push({ code: 'DUPLICATE', planId: p.planId, shipmentNo: s.shipmentNo, message: `shipment ${s.shipmentNo} does not belong to plan ${p.planId}` });
        for (const l of s.lines) {
          if (!p.orderIds.includes(l.orderId)) problems.push({ code: 'LINES_NOT_COVERED', planId: p.planId, sku: l.sku, message: `order ${l.orderId} is not in plan ${p.planId}` });
          else if (lines.get(key(l.orderId, l.lineId)) !== l.sku) problems.push({ code: 'LINES_NOT_COVERED', planId: p.planId, sku: l.sku, message: `order ${l.orderId} has no line ${l.lineId} of ${l.sku}` });
        }
      }
    }
    return problems;
  }

  /**
   * Routes paid orders and commits the plans in one transaction: shipments and lines, stock moved where a plan ships
   * from another warehouse than the one payment took it from, reservations rewritten, history, events, audit. A plan
   * the world no longer allows (stock taken meanwhile) is refused whole (ROUTING_PLAN_STALE): nothing is written.
   */
  async run(who: Principal, input: RoutingRequest, now = Date.now()): Promise<RoutingOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(who, input, now);
      } catch (e) {
        // A plan of our own that lost a race for stock (PostgreSQL: another run took it between read and take) is
        // simply made again from the world as it is now; a plan someone reviewed is never silently replaced.
        if (input.plans || attempt >= 3 || !(isHubError(e) && e.code === 'ROUTING_PLAN_STALE')) throw e;
      }
    }
  }

  private async runOnce(who: Principal, input: RoutingRequest, now: number): Promise<RoutingOutcome> {
    return this.db.transaction(async (tx) => {
      if (input.lease) await fence(tx, input.lease);
      const r = await this.prepare(tx, who, input, now, true);
      if (input.plans && r.unplanned.length) {
        throw new HubError('ORDER_NOT_ROUTABLE', r.unplanned.map((u) => u.reasons.map((x) => x.message).join('; ')).join('; '), { unplanned: r.unplanned });
      }
      if (r.problems.length) throw new HubError('ROUTING_PLAN_STALE', `the plan no longer fits: ${r.problems.map((p) => p.message).join('; ')}`, { problems: r.problems });
      for (const plan of r.plans) await this.commitPlan(tx, who, plan, now);
      await this.moveStock(tx, who.tenantId, r.plans, now);
      await this.recordUnplanned(tx, who, r.orders, r.unplanned, now);
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: 'routing.run',
          targetType: 'dispatch_plan',
          targetId: r.plans.length === 1 ? (r.plans[0] as DispatchPlan).planId : null,
          after: { plans: r.plans.map((p) => ({ planId: p.planId, orders: p.orderIds.length, shipments: p.shipments.length })), unplanned: r.unplanned.length },
        },
        now,
      );
      return { plans: r.plans, unplanned: r.unplanned, problems: [], committed: true };
    });
  }

  private async commitPlan(tx: Tx, who: Principal, plan: DispatchPlan, now: number): Promise<void> {
    const t = who.tenantId;
    shipmentMachine.start('planned');
    await tx.run('INSERT INTO dispatch_plans (id, tenant_id, order_ids, state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      plan.planId,
      t,
      JSON.stringify(plan.orderIds),
      'committed',
      who.name,
      now,
      now,
    ]);
    for (const s of plan.shipments) {
      tx.locks.created('shipment', s.shipmentNo);
      await tx.run(
        `INSERT INTO shipments (id, tenant_id, plan_id, warehouse, order_ids, state, ship_by, weight_grams, carrier, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?)`,
        [s.shipmentNo, t, plan.planId, s.warehouse, JSON.stringify(s.orderIds), s.shipBy, s.weightGrams, s.carrier, now, now],
      );
      for (const l of s.lines) {
        await tx.run('INSERT INTO shipment_lines (shipment_id, tenant_id, order_id, line_no, sku, quantity) VALUES (?, ?, ?, ?, ?, ?)', [
          s.shipmentNo,
          t,
          l.orderId,
          Number(l.lineId),
          l.sku,
          l.quantity,
        ]);
      }
      await appendEvent(tx, {
        tenantId: t,
        type: 'shipment.planned',
        aggregateType: 'shipment',
        aggregateId: s.shipmentNo,
        at: now,
        payload: { shipmentId: s.shipmentNo, planId: plan.planId, warehouse: s.warehouse, carrier: s.carrier, orderIds: s.orderIds, shipBy: toIso(s.shipBy), lines: s.lines },
      });
    }
    for (const orderId of plan.orderIds) {
      if (!(await markRouted(tx, t, orderId, plan.planId, now))) throw new HubError('CONFLICT', `order ${orderId} changed while it was being routed; route again`);
      const mine = plan.shipments.filter((s) => s.orderIds.includes(orderId));
      const detail = {
        planId: plan.planId,
        mergedWith: plan.orderIds.filter((id) => id !== orderId),
        shipments: mine.map((s) => ({ id: s.shipmentNo, warehouse: s.warehouse, shipBy: toIso(s.shipBy), lines: s.lines.filter((l) => l.orderId === orderId).map((l) => ({ sku: l.sku, quantity: l.quantity })) })),
      };
      await appendHistory(tx, { tenantId: t, orderId, at: now, kind: 'routing', cause: `${who.name}: routing`, detail });
      await appendEvent(tx, { tenantId: t, type: 'order.routed', aggregateType: 'order', aggregateId: orderId, at: now, payload: { orderId, ...detail } });
    }
  }

  /**
   * Where a plan ships a SKU from another warehouse than payment reserved it at, the reservation moves: released at the
   * old warehouse and taken at the new one only while it has the units free (on_hand − reserved ≥ q). Changes are summed per
   * stock row over the whole batch and applied in (sku, warehouse) order, the lock order of reservations; one take
   * that fails rolls the whole batch back. Reservation rows then say where each order's units are.
   */
  private async moveStock(tx: Tx, tenant: string, plans: readonly DispatchPlan[], now: number): Promise<void> {
    const orderIds = plans.flatMap((p) => p.orderIds);
    if (orderIds.length === 0) return;
    const deductions = await firmReservationsOf(tx, orderIds);
    const have = new Map<string, Map<string, number>>(); // order+sku → warehouse → quantity
    const want = new Map<string, Map<string, number>>();
    const add = (m: Map<string, Map<string, number>>, k: string, w: string, q: number) => {
      const inner = m.get(k) ?? new Map<string, number>();
      inner.set(w, (inner.get(w) ?? 0) + q);
      m.set(k, inner);
    };
    for (const d of deductions) add(have, key(d.order_id, d.sku), d.warehouse, Number(d.quantity));
    for (const p of plans) for (const s of p.shipments) for (const l of s.lines) add(want, key(l.orderId, l.sku), s.warehouse, l.quantity);
    const net = new Map<string, number>(); // sku+warehouse → units to put back (+) or take (−)
    const rewrite: { orderId: string; sku: string; to: Map<string, number> }[] = [];
    for (const [k, to] of want) {
      const from = have.get(k) ?? new Map<string, number>();
      const same = from.size === to.size && [...to].every(([w, q]) => from.get(w) === q);
      if (same) continue;
      const [orderId = '', sku = ''] = k.split('\u0000');
      for (const [w, q] of from) net.set(key(sku, w), (net.get(key(sku, w)) ?? 0) + q);
      for (const [w, q] of to) net.set(key(sku, w), (net.get(key(sku, w)) ?? 0) - q);
      rewrite.push({ orderId, sku, to });
    }
    const moves: ReservedMove[] = [...net].map(([k, q]) => {
      const [sku = '', warehouse = ''] = k.split('\u0000');
      return { sku, warehouse, delta: q };
    });
    const short = await moveReserved(tx, tenant, moves, now);
    if (short) {
      throw new HubError('ROUTING_PLAN_STALE', `${short.warehouse} no longer has ${-short.delta} × ${short.sku} free; nothing was routed, route again`, {
        problems: [{ code: 'NO_STOCK', warehouse: short.warehouse, sku: short.sku }],
      });
    }
    // Each rewritten reservation leaves its warehouse (deducted → rerouted) for new firm rows at the shipping ones.
    for (const r of rewrite) {
      await rerouteReservation(tx, tenant, r.orderId, r.sku, r.to, now);
      await appendHistory(tx, {
        tenantId: tenant,
        orderId: r.orderId,
        at: now,
        kind: 'reservation',
        cause: 'routing: stock moved to the shipping warehouse',
        detail: { sku: r.sku, from: Object.fromEntries(have.get(key(r.orderId, r.sku)) ?? []), to: Object.fromEntries(r.to) },
      });
    }
  }

  /** Orders that could not be routed keep their reason (shown in the order view); history only when it changes. */
  private async recordUnplanned(tx: Tx, who: Principal, orders: readonly OrderRow[], unplanned: { orderIds: string[]; reasons: RoutingReason[] }[], now: number) {
    const byId = new Map(orders.map((o) => [o.id, o]));
    for (const u of unplanned) {
      for (const orderId of u.orderIds) {
        const o = byId.get(orderId);
        if (!o) continue; // not eligible: nothing about routing to record on it
        const problem = JSON.stringify(u.reasons.filter((r) => r.orderId === orderId).map((r) => ({ code: r.code, message: r.message, ...(r.sku ? { sku: r.sku } : {}) })));
        await recordRoutingProblem(tx, orderId, problem, now);
        if (o.routing_problem === problem) continue;
        const reasons = JSON.parse(problem) as EventPayload<'order.routing_failed'>['reasons'];
        await appendHistory(tx, { tenantId: who.tenantId, orderId, at: now, kind: 'routing', cause: `${who.name}: routing`, detail: { unroutable: reasons } });
        await appendEvent(tx, { tenantId: who.tenantId, type: 'order.routing_failed', aggregateType: 'order', aggregateId: orderId, at: now, payload: { orderId, orderNo: o.order_no, reasons } });
      }
    }
  }
}

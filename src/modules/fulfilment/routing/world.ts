// The routing world read from the database (warehouses, SKU traits, stock free now plus what each order already took)
// and the planning loop over it: what a dry run answers and what a run commits, read with or without locks.
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../../kernel/principal.ts';
import { firmReservationsOf } from '../../inventory/queries/reservations.ts';
import { freeStock } from '../../inventory/queries/free-stock.ts';
import { readBundles } from '../../inventory/store/bundles.ts';
import { linesOfOrders } from '../../orders/store/fulfilment.ts';
import type { RoutingDeps } from '../deps.ts';
import { skuTraitsIn } from '../queries/list-sku-traits.ts';
import { warehousesIn } from '../queries/list-warehouses.ts';
import { routingRulesIn } from '../queries/routing-rules.ts';
import { candidates } from './candidates.ts';
import {
  dryRun,
  planDispatch,
  type CarrierOption,
  type DispatchPlan,
  type PaidOrder,
  type PlanProblem,
  type RoutingRules,
  type RoutingWorld,
  type SkuTraits,
  type StockRow,
  type UnplannedReason,
  type Warehouse,
} from './planner.ts';
import { key, type OrderRow, type Query, type RoutingRequest } from './views.ts';

function newPlanId(now: number): string {
  const d = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  return `DP-${d}-${randomBytes(5).toString('hex').toUpperCase()}`;
}

/** A shipment line that is a bundle's component: the bundle and the order line it was sold on. */
export interface BundlePart {
  bundleSku: string;
  bundleLineNo: number;
}

/**
 * The lines routing plans: a plain order line as it is, a bundle line (组合装) as its components — the units that
 * were reserved and will be picked and shipped — each numbered bundle line × 1000 + the component's place, with the
 * bundle it belongs to in `parts` (by order and line id).
 */
async function plannedLines(q: Query, tenant: string, ids: readonly string[]) {
  const lines = await linesOfOrders(q, ids);
  const bundles = await readBundles(q, tenant, [...new Set(lines.map((l) => l.sku).filter((s): s is string => s !== null))]);
  const parts = new Map<string, BundlePart>();
  const out: { order_id: string; lineId: string; sku: string; quantity: number }[] = [];
  for (const l of lines) {
    if (l.sku === null) continue;
    const components = bundles.get(l.sku);
    if (!components) {
      out.push({ order_id: l.order_id, lineId: String(l.line_no), sku: l.sku, quantity: Number(l.quantity) });
      continue;
    }
    components.forEach((c, i) => {
      const lineId = String(Number(l.line_no) * 1000 + i + 1);
      parts.set(key(l.order_id, lineId), { bundleSku: l.sku as string, bundleLineNo: Number(l.line_no) });
      out.push({ order_id: l.order_id, lineId, sku: c.sku, quantity: Number(l.quantity) * c.quantity });
    });
  }
  return { lines: out, parts };
}

/** The routing world for these orders: warehouses, traits, stock free now plus what each order already took. */
async function world(deps: RoutingDeps, q: Query, tenant: string, orders: readonly OrderRow[], now: number) {
  const ids = orders.map((o) => o.id);
  const { lines, parts } = await plannedLines(q, tenant, ids);
  const deductions = await firmReservationsOf(q, ids);
  const skus = [...new Set(lines.map((l) => l.sku))].sort();
  const free = await freeStock(q, tenant, skus);
  const warehouses = await warehousesIn(deps, q, tenant, now);
  const traits = await skuTraitsIn(deps, q, tenant, skus);
  const linesBy = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
  for (const l of lines) linesBy.set(l.order_id, [...(linesBy.get(l.order_id) ?? []), { lineId: l.lineId, sku: l.sku, quantity: l.quantity }]);
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
      address: deps.keyring.decryptNullable(o.receiver_address) ?? '',
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
  return { paid, base, stockFor, deductions, parts };
}

/**
 * Plans a batch. An order that cannot be planned keeps the units it took, so they are offered to the others only
 * while it is still in the batch: the batch is planned again without it until every remaining order is planned.
 */
function plan(paid: PaidOrder[], base: Omit<RoutingWorld, 'stock'>, stockFor: (ids: ReadonlySet<string>) => StockRow[], rules: RoutingRules, now: number) {
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

/**
 * The plans for a request and the problems a commit would meet, from the world as `q` reads it (locking the orders
 * when `lock`, inside a run's transaction). With `plans`, checks those (e.g. reviewed earlier) against the world now.
 */
export async function prepare(deps: RoutingDeps, q: Query, who: Principal, input: RoutingRequest, now: number, lock: boolean) {
  const given = input.plans;
  const orderIds = given ? [...new Set(given.flatMap((p) => p.orderIds))] : input.orderIds;
  const { eligible, refused } = await candidates(q, who, { orderIds, due: given ? undefined : input.due, limit: input.limit }, lock);
  const rules = await routingRulesIn(q, who.tenantId);
  const { paid, base, stockFor, parts } = await world(deps, q, who.tenantId, eligible, now);
  if (given) {
    const ids = new Set(paid.map((o) => o.orderId));
    const world: RoutingWorld = { ...base, stock: stockFor(ids) };
    const problems = refused.length ? [] : [...dryRun(given, world, { orders: paid }), ...shapeProblems(given, paid)];
    return { plans: given, unplanned: refused, problems, committed: false, orders: eligible, paid, parts };
  }
  const r = plan(paid, base, stockFor, rules, now);
  const problems = dryRun(r.plans, r.world, { orders: r.included });
  return { plans: r.plans, unplanned: [...refused, ...r.unplanned], problems, committed: false, orders: eligible, paid, parts };
}

/** What dryRun does not check in a plan handed in from outside: lines that are not the order's, shipments naming other orders. */
function shapeProblems(plans: readonly DispatchPlan[], paid: readonly PaidOrder[]): PlanProblem[] {
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

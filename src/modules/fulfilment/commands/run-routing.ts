// Routing paid orders and committing their dispatch plans in one transaction: shipments and lines, stock moved between
// warehouses, reservations rewritten, the reasons of the orders left unrouted, history, events and audit.
import { HubError, isHubError } from '../../../kernel/errors.ts';
import type { EventPayload } from '../../../kernel/events.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { fence } from '../../../platform/jobs/leases.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { firmReservationsOf } from '../../inventory/queries/reservations.ts';
import { moveReserved, rerouteReservation, type ReservedMove } from '../../inventory/store/stock.ts';
import { markRouted, recordRoutingProblem } from '../../orders/store/fulfilment.ts';
import type { RoutingDeps } from '../deps.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import type { DispatchPlan } from '../routing/planner.ts';
import { key, type OrderRow, type RoutingOutcome, type RoutingReason, type RoutingRequest } from '../routing/views.ts';
import { prepare, type BundlePart } from '../routing/world.ts';

/**
 * Routes paid orders and commits the plans in one transaction: shipments and lines, stock moved where a plan ships
 * from another warehouse than the one payment took it from, reservations rewritten, history, events, audit. A plan
 * the world no longer allows (stock taken meanwhile) is refused whole (ROUTING_PLAN_STALE): nothing is written.
 */
export async function runRouting(deps: RoutingDeps, who: Principal, input: RoutingRequest, now = Date.now()): Promise<RoutingOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(deps, who, input, now);
    } catch (e) {
      // A plan of our own that lost a race for stock (PostgreSQL: another run took it between read and take) is
      // simply made again from the world as it is now; a plan someone reviewed is never silently replaced.
      if (input.plans || attempt >= 3 || !(isHubError(e) && e.code === 'ROUTING_PLAN_STALE')) throw e;
    }
  }
}

async function runOnce(deps: RoutingDeps, who: Principal, input: RoutingRequest, now: number): Promise<RoutingOutcome> {
  return deps.db.transaction(async (tx) => {
    if (input.lease) await fence(tx, input.lease);
    const r = await prepare(deps, tx, who, input, now, true);
    if (input.plans && r.unplanned.length) {
      throw new HubError('ORDER_NOT_ROUTABLE', r.unplanned.map((u) => u.reasons.map((x) => x.message).join('; ')).join('; '), { unplanned: r.unplanned });
    }
    if (r.problems.length) throw new HubError('ROUTING_PLAN_STALE', `the plan no longer fits: ${r.problems.map((p) => p.message).join('; ')}`, { problems: r.problems });
    for (const plan of r.plans) await commitPlan(tx, who, plan, now, r.parts);
    await moveStock(tx, who.tenantId, r.plans, now);
    await recordUnplanned(tx, who, r.orders, r.unplanned, now);
    await appendAudit(
      tx,
      deps.keyring,
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

async function commitPlan(tx: Tx, who: Principal, plan: DispatchPlan, now: number, parts: ReadonlyMap<string, BundlePart>): Promise<void> {
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
      // A bundle's component (组合装) says which bundle and order line it belongs to: pick list and packing show it.
      const part = parts.get(key(l.orderId, l.lineId));
      await tx.run('INSERT INTO shipment_lines (shipment_id, tenant_id, order_id, line_no, sku, quantity, bundle_sku, bundle_line_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        s.shipmentNo,
        t,
        l.orderId,
        Number(l.lineId),
        l.sku,
        l.quantity,
        part?.bundleSku ?? null,
        part?.bundleLineNo ?? null,
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
async function moveStock(tx: Tx, tenant: string, plans: readonly DispatchPlan[], now: number): Promise<void> {
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
  const short = await moveReserved(tx, tenant, moves, now, [...new Set(rewrite.map((r) => r.orderId))].join(',').slice(0, 500) || null);
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
async function recordUnplanned(tx: Tx, who: Principal, orders: readonly OrderRow[], unplanned: { orderIds: string[]; reasons: RoutingReason[] }[], now: number) {
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

// Routing paid orders through the hub over real HTTP on loopback: SQLite, PostgreSQL and the SQLite writer thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { gd, order, paidOrder, route, rules, setStock, stockRows, uniq, warehouse, zj, type ErrorReply, type Outcome } from './hub-support.ts';

describe.each(httpBackends)('routing over the API on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a rule set with an unknown kind or a bad parameter, and keeps the rules it had', async () => {
    await rules(s, [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }]);
    const r = await s.api<ErrorReply>('PUT', '/api/routing/rules', { rules: [{ kind: 'closest_first' }, { kind: 'max_parcel_weight', grams: -1 }] });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.body.error.message).toContain('closest_first');
    expect(r.body.error.message).toContain('grams');
    const now = await s.api<{ rules: { kind: string }[]; isDefault: boolean }>('GET', '/api/routing/rules');
    expect(now.body).toMatchObject({ isDefault: false, rules: [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }] });
  });

  it('splits a multi-warehouse order as the rules say and moves a reservation payment made elsewhere to the shipping warehouse', async () => {
    const [hz, gz] = [uniq('HZ'), uniq('GZ')];
    await warehouse(s, hz, { priority: 1, regions: ['浙江', '上海'] });
    await warehouse(s, gz, { priority: 2, regions: ['广东'] });
    const [a, b, c] = [uniq('A'), uniq('B'), uniq('C')];
    await setStock(s, a, 10, hz);
    await setStock(s, a, 10, gz);
    await setStock(s, b, 10, gz);
    await setStock(s, c, 10, hz);
    await rules(s, [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }, { kind: 'prefer_priority' }]);

    // To Guangdong: payment reserved A at HZ (first priority); the rules ship A and B together from GZ.
    const one = await paidOrder(s, shop, [[a, 2], [b, 1]], { receiver: gd, buyer: { id: uniq('buyer') } });
    expect(one.reservation.items).toEqual(expect.arrayContaining([{ sku: a, warehouse: hz, quantity: 2, state: 'deducted' }]));
    // C only in HZ, B only in GZ: two shipments under one plan.
    const two = await paidOrder(s, shop, [[c, 1], [b, 1]], { receiver: zj, buyer: { id: uniq('buyer') } });

    const dry = await s.api<Outcome>('POST', '/api/routing/dry-run', { orderIds: [one.id, two.id] });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ committed: false, problems: [], unplanned: [] });
    expect(await stockRows(s, a, [hz, gz])).toEqual({ [hz]: { onHand: 10, reserved: 2 }, [gz]: { onHand: 10, reserved: 0 } });

    const r = await route(s, [one.orderNo, two.orderNo]);
    expect(r.plans).toHaveLength(2);
    const p1 = r.plans.find((p) => p.orderIds.includes(one.id));
    const p2 = r.plans.find((p) => p.orderIds.includes(two.id));
    expect(p1?.shipments.map((x) => x.warehouse)).toEqual([gz]);
    expect(p2?.shipments.map((x) => x.warehouse).sort()).toEqual([gz, hz].sort());

    // A's reservation moved: released at HZ, taken at GZ. B and C stayed where payment reserved them. Nothing has
    // shipped: every unit is still on its shelf.
    expect(await stockRows(s, a, [hz, gz])).toEqual({ [hz]: { onHand: 10, reserved: 0 }, [gz]: { onHand: 10, reserved: 2 } });
    expect(await stockRows(s, b, [gz])).toEqual({ [gz]: { onHand: 10, reserved: 2 } });
    expect(await stockRows(s, c, [hz])).toEqual({ [hz]: { onHand: 10, reserved: 1 } });

    const v1 = await order(s, one.id);
    expect(v1.routing).toMatchObject({ planId: p1?.planId, problems: null });
    expect(v1.fulfilmentStatus).toBe('routed');
    expect(v1.shipments).toHaveLength(1);
    expect(v1.shipments[0]).toMatchObject({ planId: p1?.planId, warehouse: gz, state: 'planned' });
    expect(v1.reservation.items.filter((i) => i.state === 'deducted')).toEqual(expect.arrayContaining([{ sku: a, warehouse: gz, quantity: 2, state: 'deducted' }, { sku: b, warehouse: gz, quantity: 1, state: 'deducted' }]));
    expect(v1.history.map((h) => h.kind)).toContain('routing');
    const v2 = await order(s, two.id);
    expect(v2.shipments.map((x) => x.planId)).toEqual([p2?.planId, p2?.planId]);

    // Routed once: a second run leaves them be.
    const again = await s.api<Outcome>('POST', '/api/routing/run', { orderIds: [one.id] });
    expect(again.status).toBe(200);
    expect(again.body.plans).toEqual([]);
    expect(again.body.unplanned[0]?.reasons[0]?.code).toBe('ORDER_NOT_ROUTABLE');
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('merges related orders of one buyer and address into one shipment when the rules allow', async () => {
    const w = uniq('MG');
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 10, w);
    await setStock(s, b, 10, w);
    await rules(s, [{ kind: 'merge_related', windowMinutes: 60, minAddressSimilarity: 0.8 }, { kind: 'fewest_shipments' }]);
    const buyer = { id: uniq('buyer'), name: '王五', phone: '13700002222' };
    const receiver = { ...zj, name: '王五', phone: '13700002222', address: '文三路 99 号 A 座 801' };
    const first = await paidOrder(s, shop, [[a, 1]], { buyer, receiver, createdAt: '2026-11-22T10:00:00+08:00', updatedAt: '2026-11-22T10:00:00+08:00' });
    const second = await paidOrder(s, shop, [[b, 2]], { buyer, receiver: { ...receiver, address: '文三路99号A座801' }, createdAt: '2026-11-22T10:10:00+08:00', updatedAt: '2026-11-22T10:10:00+08:00' });
    // Someone else at another address: never merged with them.
    const other = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') }, receiver: { ...zj, name: '赵六', phone: '13600003333' } });

    const r = await route(s, [first.id, second.id, other.id]);
    const merged = r.plans.find((p) => p.orderIds.includes(first.id));
    expect(merged?.orderIds.sort()).toEqual([first.id, second.id].sort());
    expect(merged?.shipments).toHaveLength(1);
    expect(merged?.shipments[0]?.orderIds.sort()).toEqual([first.id, second.id].sort());
    expect(r.plans.find((p) => p.orderIds.includes(other.id))?.orderIds).toEqual([other.id]);
    const v = await order(s, second.id);
    expect(v.shipments).toHaveLength(1);
    expect(v.shipments[0]?.orderIds.sort()).toEqual([first.id, second.id].sort());
    expect(v.shipments[0]?.lines.map((l) => l.sku).sort()).toEqual([a, b].sort());

    // One parcel, two orders: packed and shipped once, both orders are shipped.
    const parcel = v.shipments[0];
    const packed = await s.api<{ state: string }>('POST', `/api/shipments/${parcel?.id}/scans`, { codes: [a, b, b] });
    expect(packed.body.state).toBe('packed');
    const shipped = await s.api<{ state: string }>('POST', `/api/shipments/${parcel?.id}/ship`, { carrier: 'zto', trackingNo: `ZT${Date.now()}` });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    for (const id of [first.id, second.id]) expect((await order(s, id)).status).toBe('shipped');
    expect(await s.hub.db.read.get('SELECT state FROM dispatch_plans WHERE id = ?', [merged?.planId ?? ''])).toEqual({ state: 'shipped' });
  });

  it('respects daily capacity: a full warehouse gets no more, and an order nobody can take says why in its view', async () => {
    const [small, big] = [uniq('SMALL'), uniq('BIG')];
    await warehouse(s, small, { priority: 1, regions: ['*'], dailyCapacity: 1 });
    await warehouse(s, big, { priority: 2, regions: ['*'], dailyCapacity: 100 });
    const [a, only] = [uniq('A'), uniq('ONLY')];
    await setStock(s, a, 10, small);
    await setStock(s, a, 10, big);
    await setStock(s, only, 10, small);
    await rules(s, [{ kind: 'prefer_priority' }]);
    const o1 = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    const o2 = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    const r = await route(s, [o1.id, o2.id]);
    expect(r.plans.map((p) => p.shipments[0]?.warehouse)).toEqual([small, big]);
    // o2's unit was reserved at SMALL at payment (priority 1): its reservation moved to BIG.
    expect(await stockRows(s, a, [small, big])).toEqual({ [small]: { onHand: 10, reserved: 1 }, [big]: { onHand: 10, reserved: 1 } });

    const o3 = await paidOrder(s, shop, [[only, 1]], { buyer: { id: uniq('buyer') } });
    const r3 = await s.api<Outcome>('POST', '/api/routing/run', { orderIds: [o3.id] });
    expect(r3.status).toBe(200);
    expect(r3.body.plans).toEqual([]);
    expect(r3.body.unplanned[0]?.reasons[0]?.code).toBe('NO_CAPACITY');
    const v = await order(s, o3.id);
    expect(v.routing.planId).toBeNull();
    expect(v.routing.problems?.[0]).toMatchObject({ code: 'NO_CAPACITY' });
    expect(v.routing.problems?.[0]?.message).toContain('capacity');
    expect(v.shipments).toEqual([]);
    // Its stock stays reserved where payment reserved it.
    expect(v.reservation.items).toEqual([{ sku: only, warehouse: small, quantity: 1, state: 'deducted' }]);
    expect(await stockRows(s, only, [small])).toEqual({ [small]: { onHand: 10, reserved: 1 } });
  });

  it('gives a warehouse its place for the day back when a routed order is cancelled before its parcel left', async () => {
    const [small, big] = [uniq('SMALL'), uniq('BIG')];
    await warehouse(s, small, { priority: 1, regions: ['*'], dailyCapacity: 1 });
    await warehouse(s, big, { priority: 2, regions: ['*'], dailyCapacity: 100 });
    const a = uniq('A');
    await setStock(s, a, 10, small);
    await setStock(s, a, 10, big);
    await rules(s, [{ kind: 'prefer_priority' }]);
    const body = orderBody({ status: 'paid', buyer: { id: uniq('buyer') }, lines: [{ sku: a, title: a, quantity: 1, unitPrice: 1000 }], paidAmount: 1000 });
    const id = (await s.push(shop.id, shop.secret, body)).body.orders?.[0]?.orderId as string;
    expect((await route(s, [id])).plans[0]?.shipments[0]?.warehouse).toBe(small);
    await s.push(shop.id, shop.secret, { ...body, status: 'cancelled', updatedAt: '2026-11-22T11:00:00+08:00' });
    expect((await order(s, id)).shipments[0]?.state).toBe('cancelled');
    // SMALL ships one parcel a day, and the one it had will not leave: the next order still gets it.
    const next = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    expect((await route(s, [next.id])).plans[0]?.shipments[0]?.warehouse).toBe(small);
    const third = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    expect((await route(s, [third.id])).plans[0]?.shipments[0]?.warehouse).toBe(big);
  });

  it('refuses a reviewed plan whose stock was taken meanwhile, and leaves nothing half-applied', async () => {
    const [p, q] = [uniq('P'), uniq('Q')];
    await warehouse(s, p, { priority: 1, regions: ['浙江'] });
    await warehouse(s, q, { priority: 2, regions: ['广东'] });
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 5, p);
    await setStock(s, a, 5, q);
    await setStock(s, b, 5, q);
    await rules(s, [{ kind: 'require_region' }, { kind: 'fewest_shipments' }]);
    // Payment reserves A at P; the plan ships A and B from Q (Guangdong).
    const o = await paidOrder(s, shop, [[a, 3], [b, 1]], { receiver: gd, buyer: { id: uniq('buyer') } });
    const dry = await s.api<Outcome>('POST', '/api/routing/dry-run', { orderIds: [o.id] });
    expect(dry.body.problems).toEqual([]);
    expect(dry.body.plans[0]?.shipments.map((x) => x.warehouse)).toEqual([q]);
    const before = { a: await stockRows(s, a, [p, q]), b: await stockRows(s, b, [q]), order: await order(s, o.id) };

    // Meanwhile Q's A is counted down to 1: the reviewed plan no longer fits.
    await setStock(s, a, 1, q);
    const recheck = await s.api<Outcome>('POST', '/api/routing/dry-run', { plans: dry.body.plans });
    expect(recheck.status).toBe(200);
    expect(recheck.body.problems.map((x) => x.code)).toContain('NO_STOCK');
    const run = await s.api<ErrorReply>('POST', '/api/routing/run', { plans: dry.body.plans });
    expect(run.status).toBe(409);
    expect(run.body.error.code).toBe('ROUTING_PLAN_STALE');

    const after = await order(s, o.id);
    expect(after.shipments).toEqual([]);
    expect(after.routing.planId).toBeNull();
    expect(after.reservation).toEqual(before.order.reservation);
    expect(after.history).toHaveLength(before.order.history.length);
    expect(await stockRows(s, a, [p, q])).toEqual({ ...before.a, [q]: { onHand: 1, reserved: 0 } });
    expect(await stockRows(s, b, [q])).toEqual(before.b);
    const plans = await s.hub.db.read.all('SELECT id FROM dispatch_plans WHERE id = ?', [dry.body.plans[0]?.planId ?? '']);
    expect(plans).toEqual([]);

    // A fresh plan in the world as it is now: A still cannot ship from Q (1 < 3) and require_region forbids P.
    const fresh = await s.api<Outcome>('POST', '/api/routing/run', { orderIds: [o.id] });
    expect(fresh.body.unplanned[0]?.reasons[0]?.code).toBe('OUT_OF_REGION');
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('commits a plan reviewed in a dry run exactly as it was shown', async () => {
    const [w, v] = [uniq('RV'), uniq('RV2')];
    await warehouse(s, w, { priority: 1, carriers: [], regions: ['*'] });
    await warehouse(s, v, { priority: 2, carriers: [{ code: 'sf' }], regions: ['*'] });
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 5, w);
    await setStock(s, b, 5, v);
    const t = await s.api<{ allowedWarehouses: string[] | null; configured: boolean }>('PUT', `/api/sku-traits/${a}`, { allowedWarehouses: [], promisedShipHours: 24, weightGrams: 300 });
    expect(t.body).toMatchObject({ allowedWarehouses: null, configured: true });
    await rules(s, [{ kind: 'fewest_shipments' }]);
    const o = await paidOrder(s, shop, [[a, 1], [b, 1]], { buyer: { id: uniq('buyer') } });
    const dry = await s.api<Outcome>('POST', '/api/routing/dry-run', { orderIds: [o.id] });
    const plan = dry.body.plans[0];
    expect(plan?.shipments.map((x) => [x.warehouse, x.carrier]).sort()).toEqual([[w, null], [v, 'sf']].sort());
    const run = await s.api<Outcome>('POST', '/api/routing/run', { plans: dry.body.plans });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.plans).toEqual(dry.body.plans);
    const view = await order(s, o.id);
    expect(view.routing.planId).toBe(plan?.planId);
    expect(view.shipments.map((x) => x.id).sort()).toEqual(plan?.shipments.map((x) => x.shipmentNo).sort());
    // The same plan twice: its order is routed now.
    const again = await s.api<ErrorReply>('POST', '/api/routing/run', { plans: dry.body.plans });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ORDER_NOT_ROUTABLE');
  });

  it('refuses a handed-in plan naming an order that is not paid', async () => {
    const w = uniq('W');
    await warehouse(s, w, { priority: 1 });
    const a = uniq('A');
    await setStock(s, a, 5, w);
    const r = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: a, quantity: 1, unitPrice: 1000 }] }));
    const id = r.body.orders?.[0]?.orderId as string;
    const plan = { planId: 'DP-20261122-FAKE01', orderIds: [id], shipments: [{ shipmentNo: 'DP-20261122-FAKE01-1', warehouse: w, carrier: null, lines: [{ orderId: id, lineId: '1', sku: a, quantity: 1 }], weightGrams: 0, shipBy: '2026-11-23T10:00:00+08:00', orderIds: [id] }] };
    const run = await s.api<ErrorReply>('POST', '/api/routing/run', { plans: [plan] });
    expect(run.status).toBe(409);
    expect(run.body.error.code).toBe('ORDER_NOT_ROUTABLE');
    expect((await order(s, id)).shipments).toEqual([]);
  });

  it('routes orders raced by parallel runs without ever taking more than a warehouse has', async () => {
    const [far, near] = [uniq('FAR'), uniq('NEAR')];
    await warehouse(s, far, { priority: 1, regions: ['浙江'] });
    await warehouse(s, near, { priority: 2, regions: ['广东'] });
    const a = uniq('A');
    await setStock(s, a, 20, far);
    await setStock(s, a, 5, near);
    await rules(s, [{ kind: 'require_region' }]);
    // Ten orders to Guangdong: payment reserves each unit at FAR; only NEAR may ship there, and it has five.
    const orders = [];
    for (let i = 0; i < 10; i++) orders.push(await paidOrder(s, shop, [[a, 1]], { receiver: { ...gd, phone: `1390000${String(i).padStart(4, '0')}` }, buyer: { id: uniq('buyer') } }));
    const runs = await Promise.all(orders.map((o) => s.api<Outcome & ErrorReply>('POST', '/api/routing/run', { orderIds: [o.id] })));
    for (const r of runs) {
      if (r.status !== 200) expect(r.body.error.code).toBe('ROUTING_PLAN_STALE');
    }
    // Whatever lost a race is routed by a later run, from the world as it is then.
    await s.api('POST', '/api/routing/run', { orderIds: orders.map((o) => o.id) });
    const views = await Promise.all(orders.map((o) => order(s, o.id)));
    const routed = views.filter((v) => v.routing.planId !== null);
    expect(routed).toHaveLength(5);
    for (const v of views.filter((x) => x.routing.planId === null)) expect(v.routing.problems?.[0]?.code).toMatch(/NO_STOCK|OUT_OF_REGION/);
    expect(await stockRows(s, a, [far, near])).toEqual({ [far]: { onHand: 20, reserved: 5 }, [near]: { onHand: 5, reserved: 5 } });
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('routes every paid, unrouted order when none are named, and leaves none without a plan or a reason', async () => {
    const w = uniq('ALL');
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    const a = uniq('A');
    await setStock(s, a, 10, w);
    await rules(s, [{ kind: 'prefer_priority' }]);
    const o = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    const r = await s.api<Outcome>('POST', '/api/routing/run', {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.plans.some((p) => p.orderIds.includes(o.id))).toBe(true);
    const left = await s.hub.db.read.all(
      `SELECT id FROM orders WHERE status = 'paid' AND dispatch_plan_id IS NULL AND hold_code IS NULL AND reservation_state = 'deducted' AND routing_problem IS NULL`,
    );
    expect(left).toEqual([]);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('documents the routing and warehouse endpoints in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ['/api/routing/rules', '/api/routing/dry-run', '/api/routing/run', '/api/warehouses/{code}', '/api/sku-traits/{sku}', '/api/shipments', '/api/shipments/{id}/scans', '/api/shipments/{id}/ship', '/api/waves', '/api/waves/{id}/pick-list']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});

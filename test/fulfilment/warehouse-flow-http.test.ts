// The warehouse flow over real HTTP on loopback (SQLite, PostgreSQL, the writer thread): waves and pick lists, pack
// by scanning, ship with a tracking number — and stock per warehouse after many shipments are shipped at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { gd, order, paidOrder, route, rules, setStock, stockRows, uniq, warehouse, zj, type ErrorReply, type ShipmentBody } from './hub-support.ts';

interface WaveBody {
  id: string;
  warehouse: string;
  shipments: ShipmentBody[];
}
interface PickListBody {
  waveId: string;
  units: number;
  items: { sku: string; quantity: number; shipments: { shipmentId: string; quantity: number }[] }[];
}

describe.each(httpBackends)('warehouse flow over the API on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };

  const scan = (id: string, codes: string[]) => s.api<ShipmentBody & ErrorReply & { remaining: { sku: string; quantity: number }[] }>('POST', `/api/shipments/${id}/scans`, { codes });
  const ship = (id: string, body: unknown) => s.api<ShipmentBody & ErrorReply>('POST', `/api/shipments/${id}/ship`, body);
  const packAll = async (sh: ShipmentBody) => {
    const r = await scan(sh.id, sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.state).toBe('packed');
  };
  const events = async (aggregateId: string) =>
    (await s.hub.db.read.all<{ type: string }>('SELECT type FROM outbox WHERE aggregate_id = ? ORDER BY id', [aggregateId])).map((e) => e.type);

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Two warehouses, two SKUs stocked in both; paid orders to both regions, one of them split over both warehouses. */
  async function routedOrders(count: number) {
    const [w1, w2] = [uniq('W1'), uniq('W2')];
    await warehouse(s, w1, { priority: 1, regions: ['浙江'] });
    await warehouse(s, w2, { priority: 2, regions: ['广东'] });
    const [k1, k2, only2] = [uniq('K1'), uniq('K2'), uniq('ONLY2')];
    const initial: Record<string, Record<string, number>> = { [k1]: { [w1]: 100, [w2]: 100 }, [k2]: { [w1]: 100, [w2]: 100 }, [only2]: { [w1]: 0, [w2]: 50 } };
    for (const [sku, by] of Object.entries(initial)) for (const [w, n] of Object.entries(by)) if (n > 0) await setStock(s, sku, n, w);
    await rules(s, [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }, { kind: 'prefer_priority' }]);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const receiver = i % 2 === 0 ? zj : gd;
      const o = await paidOrder(s, shop, [[k1, 1 + (i % 3)], [k2, 1]], { receiver: { ...receiver, phone: `1380000${String(i).padStart(4, '0')}` }, buyer: { id: uniq('buyer') } });
      ids.push(o.id);
    }
    // To Zhejiang, with a SKU only Guangdong has: two shipments, one order.
    const split = await paidOrder(s, shop, [[k1, 2], [only2, 1]], { receiver: zj, buyer: { id: uniq('buyer') } });
    ids.push(split.id);
    const r = await route(s, ids);
    expect(r.unplanned).toEqual([]);
    return { w1, w2, k1, k2, only2, initial, ids, split: split.id };
  }

  it('waves planned shipments of one warehouse and prints their pick list, summed per SKU', async () => {
    const { w1, k1, k2, only2 } = await routedOrders(4);
    const wave = await s.api<WaveBody>('POST', '/api/waves', { warehouse: w1 });
    expect(wave.status, JSON.stringify(wave.body)).toBe(201);
    expect(wave.body.shipments.length).toBeGreaterThan(0);
    expect(wave.body.shipments.every((x) => x.warehouse === w1 && x.state === 'waved' && x.waveId === wave.body.id)).toBe(true);

    const pick = await s.api<PickListBody>('GET', `/api/waves/${wave.body.id}/pick-list`);
    expect(pick.status).toBe(200);
    const units = wave.body.shipments.flatMap((x) => x.lines).reduce((a, l) => a + l.quantity, 0);
    expect(pick.body.units).toBe(units);
    for (const item of pick.body.items) {
      const want = wave.body.shipments.flatMap((x) => x.lines).filter((l) => l.sku === item.sku).reduce((a, l) => a + l.quantity, 0);
      expect(item.quantity).toBe(want);
      expect(item.shipments.reduce((a, x) => a + x.quantity, 0)).toBe(want);
    }
    expect(pick.body.items.map((i) => i.sku)).not.toContain(only2);
    expect(pick.body.items.map((i) => i.sku).sort()).toEqual([k1, k2].sort());

    const html = await fetch(`${s.url}/api/waves/${wave.body.id}/pick-list.html`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    const page = await html.text();
    expect(page).toContain(wave.body.id);
    expect(page).toContain(k1);

    const picked = await s.api<WaveBody>('POST', `/api/waves/${wave.body.id}/picked`);
    expect(picked.body.shipments.every((x) => x.state === 'picked')).toBe(true);
    // Nothing planned is left in that warehouse: a second wave has nothing to take.
    const empty = await s.api<ErrorReply>('POST', '/api/waves', { warehouse: w1 });
    expect(empty.status).toBe(409);
    expect(await events(wave.body.shipments[0]?.id as string)).toEqual(['shipment.planned', 'shipment.waved', 'shipment.picked']);
  });

  it('packs by scanning: right scans pack; a wrong SKU or one unit too many is refused and changes nothing', async () => {
    const w = uniq('PK');
    await warehouse(s, w, { priority: 1 });
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 10, w);
    await setStock(s, b, 10, w);
    const o = await paidOrder(s, shop, [[a, 2], [b, 1]], { buyer: { id: uniq('buyer') } });
    await route(s, [o.id]);
    const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;

    const wrong = await scan(sh.id, [a, 'NOT-IN-IT']);
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('PACK_SCAN_MISMATCH');
    expect(wrong.body.error.details).toMatchObject({ wrong: ['NOT-IN-IT'] });
    const extra = await scan(sh.id, [a, a, a]);
    expect(extra.status).toBe(422);
    expect(extra.body.error.details).toMatchObject({ extra: [{ sku: a, scanned: 3, stillNeeded: 2 }] });
    const untouched = await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`);
    expect(untouched.body.state).toBe('planned');
    expect(untouched.body.lines.every((l) => l.scanned === 0)).toBe(true);

    const part = await scan(sh.id, [a]);
    expect(part.status).toBe(200);
    expect(part.body.state).toBe('planned');
    expect(part.body.remaining.sort((x, y) => x.sku.localeCompare(y.sku))).toEqual([{ sku: a, quantity: 1 }, { sku: b, quantity: 1 }].sort((x, y) => x.sku.localeCompare(y.sku)));
    // One unit more than still needed, after a partial scan: refused whole.
    const over = await scan(sh.id, [b, a, a]);
    expect(over.status).toBe(422);
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.lines.find((l) => l.sku === b)?.scanned).toBe(0);

    const done = await scan(sh.id, [b, a]);
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('packed');
    expect(done.body.remaining).toEqual([]);
    const after = await scan(sh.id, [a]);
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe('SHIPMENT_STATE');
    expect(await events(sh.id)).toEqual(['shipment.planned', 'shipment.packed']);
  });

  it('refuses bad shipping with a documented error and writes nothing', async () => {
    const w = uniq('BD');
    await warehouse(s, w, { priority: 1 });
    const a = uniq('A');
    await setStock(s, a, 10, w);
    const o = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    const o2 = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') } });
    await route(s, [o.id, o2.id]);
    const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;
    const sh2 = (await order(s, o2.id)).shipments[0] as ShipmentBody;

    const unknown = await ship('DP-NOPE-1', { carrier: 'sf', trackingNo: 'SF100' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('SHIPMENT_NOT_FOUND');
    const early = await ship(sh.id, { carrier: 'sf', trackingNo: 'SF100' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('SHIPMENT_STATE');
    await packAll(sh);
    await packAll(sh2);
    const history = (await order(s, o.id)).history.length;
    const noTracking = await ship(sh.id, { carrier: 'sf' });
    expect(noTracking.status).toBe(400);
    expect(noTracking.body.error.code).toBe('VALIDATION_FAILED');
    const blank = await ship(sh.id, { carrier: 'sf', trackingNo: '' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.code).toBe('VALIDATION_FAILED');
    const noCarrier = await ship(sh.id, { trackingNo: 'SF100' });
    expect(noCarrier.status).toBe(400);
    expect((await order(s, o.id)).history).toHaveLength(history);

    const tracking = `SF${Date.now()}`;
    const ok = await ship(sh.id, { carrier: 'sf', trackingNo: tracking });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ state: 'shipped', carrier: 'sf', trackingNo: tracking });
    const shipped = await order(s, o.id);
    expect(shipped.status).toBe('shipped');
    expect(shipped.fulfilmentStatus).toBe('shipped');
    expect(shipped.reservation.items).toEqual([expect.objectContaining({ sku: a, warehouse: w, quantity: 1, state: 'shipped' })]);
    const eventsAfter = await events(sh.id);

    const twice = await ship(sh.id, { carrier: 'sf', trackingNo: `${tracking}9` });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('SHIPMENT_ALREADY_SHIPPED');
    const reused = await ship(sh2.id, { carrier: 'sf', trackingNo: tracking });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('TRACKING_NO_IN_USE');
    expect((await order(s, o.id)).history).toHaveLength(shipped.history.length);
    expect(await events(sh.id)).toEqual(eventsAfter);
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.trackingNo).toBe(tracking);
    expect((await order(s, o2.id)).status).toBe('paid');
  });

  it('keeps stock per warehouse equal to the start minus what shipped, with many shipments shipped at once', async () => {
    const { w1, w2, k1, k2, only2, initial, ids, split } = await routedOrders(12);
    const shipments = (await s.api<{ items: ShipmentBody[] }>('GET', `/api/shipments?pageSize=500`)).body.items.filter((x) => x.orderIds.some((id) => ids.includes(id)));
    expect(new Set(shipments.map((x) => x.warehouse))).toEqual(new Set([w1, w2]));
    const splitShipments = shipments.filter((x) => x.orderIds.includes(split));
    expect(splitShipments.map((x) => x.warehouse).sort()).toEqual([w1, w2].sort());
    for (const w of [w1, w2]) expect((await s.api('POST', '/api/waves', { warehouse: w })).status).toBe(201);
    await Promise.all(shipments.map(packAll));

    // Every shipment shipped at once, each twice: one call wins, the other is told it already shipped.
    const calls = shipments.flatMap((x, i) => [0, 1].map(() => ({ id: x.id, trackingNo: `YT${Date.now()}${i}` })));
    const results = await Promise.all(calls.map((c) => ship(c.id, { carrier: 'yto', trackingNo: c.trackingNo })));
    for (const x of shipments) {
      const mine = results.filter((_, i) => calls[i]?.id === x.id);
      expect(mine.map((r) => r.status).sort(), JSON.stringify(mine.map((r) => r.body))).toEqual([200, 409]);
      expect(mine.find((r) => r.status === 409)?.body.error.code).toBe('SHIPMENT_ALREADY_SHIPPED');
    }

    const shippedBy = new Map<string, number>();
    for (const x of shipments) for (const l of x.lines) shippedBy.set(`${l.sku}@${x.warehouse}`, (shippedBy.get(`${l.sku}@${x.warehouse}`) ?? 0) + l.quantity);
    for (const sku of [k1, k2, only2]) {
      const rows = await stockRows(s, sku, [w1, w2]);
      for (const w of [w1, w2]) {
        expect(rows[w], `${sku}@${w}`).toEqual({ onHand: (initial[sku]?.[w] ?? 0) - (shippedBy.get(`${sku}@${w}`) ?? 0), reserved: 0 });
      }
    }
    for (const id of ids) {
      const o = await order(s, id);
      expect(o.status).toBe('shipped');
      expect(o.fulfilmentStatus).toBe('shipped');
      expect(o.reservation.items.filter((i) => i.state === 'deducted')).toEqual([]);
      const shippedUnits = o.reservation.items.filter((i) => i.state === 'shipped').reduce((a, i) => a + i.quantity, 0);
      expect(shippedUnits).toBe(o.shipments.flatMap((x) => x.lines.filter((l) => l.orderId === id)).reduce((a, l) => a + l.quantity, 0));
      expect(o.history.filter((h) => h.kind === 'status' && h.to === 'shipped')).toHaveLength(1);
    }
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
    const orphan = await s.hub.db.read.all("SELECT id FROM reservations WHERE quantity <= 0 OR state NOT IN ('held', 'deducted', 'released', 'restocked', 'rerouted', 'shipped')");
    expect(orphan).toEqual([]);
  });

  it('ships an order split over two warehouses only when its last shipment leaves', async () => {
    const { split } = await routedOrders(0);
    const [first, second] = (await order(s, split)).shipments as [ShipmentBody, ShipmentBody];
    await packAll(first);
    await packAll(second);
    expect((await ship(first.id, { carrier: 'sf', trackingNo: `SFA${Date.now()}` })).status).toBe(200);
    const half = await order(s, split);
    expect(half).toMatchObject({ status: 'paid', fulfilmentStatus: 'partially_shipped' });
    expect(half.reservation.items.filter((i) => i.state === 'deducted').map((i) => i.warehouse)).toEqual([second.warehouse]);
    expect((await ship(second.id, { carrier: 'sf', trackingNo: `SFB${Date.now()}` })).status).toBe(200);
    const whole = await order(s, split);
    expect(whole).toMatchObject({ status: 'shipped', fulfilmentStatus: 'shipped' });
    expect(whole.history.at(-1)).toMatchObject({ kind: 'status', from: 'paid', to: 'shipped' });
  });

  it('keeps a routed order the platform cancels out of waves, refuses to ship it, and puts its units back where routing moved them', async () => {
    const [w1, w2] = [uniq('C1'), uniq('C2')];
    await warehouse(s, w1, { priority: 1, regions: ['浙江'] });
    await warehouse(s, w2, { priority: 2, regions: ['广东'] });
    const a = uniq('A');
    await setStock(s, a, 10, w1);
    await setStock(s, a, 10, w2);
    await rules(s, [{ kind: 'require_region' }]);
    const body = orderBody({ status: 'paid', receiver: gd, buyer: { id: uniq('buyer') }, lines: [{ sku: a, title: a, quantity: 2, unitPrice: 1000 }], paidAmount: 2000 });
    const pushed = await s.push(shop.id, shop.secret, body);
    const id = pushed.body.orders?.[0]?.orderId as string;
    await route(s, [id]);
    // Payment took from C1; routing moved the units to C2 (Guangdong).
    expect(await stockRows(s, a, [w1, w2])).toEqual({ [w1]: { onHand: 10, reserved: 0 }, [w2]: { onHand: 8, reserved: 0 } });
    const sh = (await order(s, id)).shipments[0] as ShipmentBody;
    await packAll(sh);

    const cancelled = await s.push(shop.id, shop.secret, { ...body, status: 'cancelled', updatedAt: '2026-11-22T11:00:00+08:00' });
    expect(cancelled.body.orders?.[0]?.status).toBe('cancelled');
    expect(await stockRows(s, a, [w1, w2])).toEqual({ [w1]: { onHand: 10, reserved: 0 }, [w2]: { onHand: 10, reserved: 0 } });
    const refused = await ship(sh.id, { carrier: 'sf', trackingNo: `SFX${Date.now()}` });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.error.message).toContain('cancelled');
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.state).toBe('packed');

    // A planned shipment whose order is cancelled is not put into a wave.
    const other = orderBody({ status: 'paid', receiver: gd, buyer: { id: uniq('buyer') }, lines: [{ sku: a, title: a, quantity: 1, unitPrice: 1000 }], paidAmount: 1000 });
    const id2 = (await s.push(shop.id, shop.secret, other)).body.orders?.[0]?.orderId as string;
    await route(s, [id2]);
    await s.push(shop.id, shop.secret, { ...other, status: 'cancelled', updatedAt: '2026-11-22T11:00:00+08:00' });
    const wave = await s.api<ErrorReply>('POST', '/api/waves', { warehouse: w2 });
    expect(wave.status).toBe(409);
    const named = await s.api<ErrorReply>('POST', '/api/waves', { warehouse: w2, shipmentIds: [(await order(s, id2)).shipments[0]?.id] });
    expect(named.status).toBe(409);
    expect(named.body.error.code).toBe('ORDER_HELD');
    expect((await order(s, id2)).shipments[0]?.state).toBe('planned');
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });
});

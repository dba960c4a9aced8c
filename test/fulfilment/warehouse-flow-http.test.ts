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
  items: { sku: string; title: string; quantity: number; shipments: { shipmentId: string; quantity: number }[] }[];
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
    // The SKUs came from a stock count with no title: the picker reads the title they were sold under.
    expect(pick.body.items.map((i) => i.title).sort()).toEqual([k1, k2].sort());

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

  it('leaves a parcel whose order is on hold out of a wave (拦截) and still fills the wave with the next one; naming it is refused', async () => {
    const w = uniq('HW');
    await warehouse(s, w, { priority: 1 });
    const [urgent, relaxed] = [uniq('HA'), uniq('HB')];
    await setStock(s, urgent, 10, w);
    await setStock(s, relaxed, 10, w);
    // The held order's SKU promises shipping within 2 hours, the other's within 48: its parcel is due first.
    for (const [sku, hours] of [[urgent, 2], [relaxed, 48]] as const) {
      expect((await s.api('PUT', `/api/sku-traits/${sku}`, { promisedShipHours: hours, weightGrams: 100 })).status).toBe(200);
    }
    const held = await paidOrder(s, shop, [[urgent, 1]], { buyer: { id: uniq('buyer') } });
    const free = await paidOrder(s, shop, [[relaxed, 1]], { buyer: { id: uniq('buyer') } });
    await route(s, [held.id]);
    await route(s, [free.id]);
    const heldShipment = (await order(s, held.id)).shipments[0] as ShipmentBody;
    const freeShipment = (await order(s, free.id)).shipments[0] as ShipmentBody;
    // A wave of one must pass over the held order's parcel, not come back empty.
    expect(Date.parse(heldShipment.shipBy)).toBeLessThan(Date.parse(freeShipment.shipBy));
    // A platform's hold after routing (e.g. a refund asked for on the marketplace); the own shop cannot send one, so it
    // is written here — where this process may write (the writer thread holds the SQLite file's writes; same SQL there).
    if (!s.hub.local) return;
    await s.hub.db.transaction((tx) => tx.run(`UPDATE orders SET hold_code = 'PLATFORM_HOLD', hold_reason = 'refund requested' WHERE id = ?`, [held.id]));

    const named = await s.api<ErrorReply>('POST', '/api/waves', { warehouse: w, shipmentIds: [heldShipment.id] });
    expect(named.status).toBe(409);
    expect(named.body.error.code).toBe('ORDER_HELD');
    expect(named.body.error.message).toContain(held.orderNo);
    const wave = await s.api<WaveBody>('POST', '/api/waves', { warehouse: w, limit: 1 });
    expect(wave.status, JSON.stringify(wave.body)).toBe(201);
    expect(wave.body.shipments.map((x) => x.id)).toEqual([freeShipment.id]);
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${heldShipment.id}`)).body.state).toBe('planned');
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

  /** A paid order pushed by the own shop, with the body to push its later states. */
  async function pushPaid(lines: [string, number][], over: Record<string, unknown> = {}) {
    const body = orderBody({ status: 'paid', lines: lines.map(([sku, quantity]) => ({ sku, title: sku, quantity, unitPrice: 1000 })), paidAmount: lines.reduce((a, [, q]) => a + q * 1000, 0), ...over });
    const r = await s.push(shop.id, shop.secret, body);
    expect(r.body.orders?.[0], JSON.stringify(r.body)).toMatchObject({ status: 'paid', reservation: 'deducted' });
    return { body, id: r.body.orders?.[0]?.orderId as string, orderNo: r.body.orders?.[0]?.orderNo as string };
  }
  const later = (minutes: number) => new Date(Date.parse('2026-11-22T11:00:00+08:00') + minutes * 60_000).toISOString();
  const shipmentEvents = async (id: string) =>
    (await s.hub.db.read.all<{ type: string; payload: string }>('SELECT type, payload FROM outbox WHERE aggregate_id = ? ORDER BY id', [id])).map((e) => ({ type: e.type, payload: JSON.parse(e.payload) as Record<string, unknown> }));

  it('cancels the parcel of a routed order the platform cancels (拦截), refuses to ship it, and frees its units where routing moved them', async () => {
    const [w1, w2] = [uniq('C1'), uniq('C2')];
    await warehouse(s, w1, { priority: 1, regions: ['浙江'] });
    await warehouse(s, w2, { priority: 2, regions: ['广东'] });
    const a = uniq('A');
    await setStock(s, a, 10, w1);
    await setStock(s, a, 10, w2);
    await rules(s, [{ kind: 'require_region' }]);
    const { body, id } = await pushPaid([[a, 2]], { receiver: gd, buyer: { id: uniq('buyer') } });
    await route(s, [id]);
    // Payment reserved at C1; routing moved the reservation to C2 (Guangdong).
    expect(await stockRows(s, a, [w1, w2])).toEqual({ [w1]: { onHand: 10, reserved: 0 }, [w2]: { onHand: 10, reserved: 2 } });
    const sh = (await order(s, id)).shipments[0] as ShipmentBody;
    await packAll(sh);

    const cancelled = await s.push(shop.id, shop.secret, { ...body, status: 'cancelled', updatedAt: later(0) });
    expect(cancelled.body.orders?.[0]?.status).toBe('cancelled');
    // Nothing left the building: the units are free again, on hand where they were packed.
    expect(await stockRows(s, a, [w1, w2])).toEqual({ [w1]: { onHand: 10, reserved: 0 }, [w2]: { onHand: 10, reserved: 0 } });
    const now = (await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body;
    expect(now).toMatchObject({ state: 'cancelled', cancelReason: 'order_cancelled', orderIds: [id] });
    expect(now.cancelledAt).toMatch(/Z$/);
    const ev = (await shipmentEvents(sh.id)).at(-1);
    expect(ev).toMatchObject({ type: 'shipment.cancelled', payload: { reason: 'order_cancelled', from: 'packed', lines: [{ sku: a, quantity: 2, putBack: 2 }], putBack: [{ sku: a, quantity: 2 }] } });
    expect((await order(s, id)).history.filter((h) => h.kind === 'fulfilment').at(-1)?.detail).toMatchObject({ shipmentId: sh.id, step: 'cancelled' });
    expect(await s.hub.db.read.get('SELECT state FROM dispatch_plans WHERE id = ?', [sh.planId])).toEqual({ state: 'cancelled' });
    const refused = await ship(sh.id, { carrier: 'sf', trackingNo: `SFX${Date.now()}` });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SHIPMENT_CANCELLED');
    expect(refused.body.error.message).toContain('put its units back');
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.state).toBe('cancelled');
    expect(await s.hub.db.read.get('SELECT tracking_no FROM shipments WHERE id = ?', [sh.id])).toEqual({ tracking_no: null });

    // A planned shipment whose order is cancelled is cancelled too: no wave takes it.
    const other = await pushPaid([[a, 1]], { receiver: gd, buyer: { id: uniq('buyer') } });
    await route(s, [other.id]);
    await s.push(shop.id, shop.secret, { ...other.body, status: 'cancelled', updatedAt: later(0) });
    const sh2 = (await order(s, other.id)).shipments[0] as ShipmentBody;
    expect(sh2).toMatchObject({ state: 'cancelled', cancelReason: 'order_cancelled' });
    expect((await shipmentEvents(sh2.id)).at(-1)).toMatchObject({ type: 'shipment.cancelled', payload: { from: 'planned', putBack: [] } });
    const wave = await s.api<ErrorReply>('POST', '/api/waves', { warehouse: w2 });
    expect(wave.status).toBe(409);
    const named = await s.api<ErrorReply>('POST', '/api/waves', { warehouse: w2, shipmentIds: [sh2.id] });
    expect(named.status).toBe(409);
    expect(named.body.error.code).toBe('SHIPMENT_STATE');
    const listed = await s.api<{ items: ShipmentBody[] }>('GET', `/api/shipments?warehouse=${w2}&state=cancelled`);
    expect(listed.body.items.map((x) => x.id).sort()).toEqual([sh.id, sh2.id].sort());
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('takes a cancelled order out of a merged parcel: the other order is re-packed without its units and ships alone', async () => {
    const w = uniq('MG');
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 10, w);
    await setStock(s, b, 10, w);
    for (const [sku, weightGrams] of [[a, 300], [b, 500]] as const) expect((await s.api('PUT', `/api/sku-traits/${sku}`, { promisedShipHours: 48, weightGrams })).status).toBe(200);
    await rules(s, [{ kind: 'merge_related', windowMinutes: 60, minAddressSimilarity: 0.8 }, { kind: 'fewest_shipments' }]);
    const buyer = { id: uniq('buyer'), name: '王五', phone: '13700002222' };
    const receiver = { ...zj, name: '王五', phone: '13700002222', address: '文三路 99 号 A 座 801' };
    const first = await pushPaid([[a, 1]], { buyer, receiver, createdAt: '2026-11-22T10:00:00+08:00', updatedAt: '2026-11-22T10:00:00+08:00' });
    const second = await pushPaid([[b, 2]], { buyer, receiver, createdAt: '2026-11-22T10:10:00+08:00', updatedAt: '2026-11-22T10:10:00+08:00' });
    await route(s, [first.id, second.id]);
    const parcel = (await order(s, second.id)).shipments[0] as ShipmentBody;
    expect(parcel.orderIds.sort()).toEqual([first.id, second.id].sort());
    expect(parcel.orderNos?.slice().sort()).toEqual([first.orderNo, second.orderNo].sort());
    const weight = async () => (await s.api<{ weightGrams: number }>('GET', `/api/shipments/${parcel.id}`)).body.weightGrams;
    expect(await weight()).toBe(300 + 2 * 500);
    await packAll(parcel);

    await s.push(shop.id, shop.secret, { ...first.body, status: 'cancelled', updatedAt: later(1) });
    const after = (await s.api<ShipmentBody>('GET', `/api/shipments/${parcel.id}`)).body;
    // The parcel was sealed with A inside: it goes back to be scanned again, with B only.
    expect(after).toMatchObject({ state: 'picked', orderIds: [second.id], orderNos: [second.orderNo], cancelledAt: null });
    expect(after.lines).toEqual([expect.objectContaining({ orderId: second.id, sku: b, quantity: 2, scanned: 0 })]);
    expect(await weight()).toBe(2 * 500);
    expect((await shipmentEvents(parcel.id)).at(-1)).toMatchObject({
      type: 'shipment.order_withdrawn',
      payload: { orderId: first.id, reason: 'order_cancelled', repack: true, putBack: [{ sku: a, quantity: 1 }], orderIds: [second.id] },
    });
    expect((await order(s, second.id)).history.at(-1)).toMatchObject({ kind: 'fulfilment', detail: { step: 'repack', withdrawnOrder: first.orderNo } });
    expect(await stockRows(s, a, [w])).toEqual({ [w]: { onHand: 10, reserved: 0 } });
    expect(await stockRows(s, b, [w])).toEqual({ [w]: { onHand: 10, reserved: 2 } });

    // Not before it is packed again; then it ships, and only B leaves.
    expect((await ship(parcel.id, { carrier: 'zto', trackingNo: `ZT${Date.now()}` })).body.error.code).toBe('SHIPMENT_STATE');
    expect((await scan(parcel.id, [a])).body.error.code).toBe('PACK_SCAN_MISMATCH');
    await packAll(after);
    const shipped = await ship(parcel.id, { carrier: 'zto', trackingNo: `ZT${Date.now()}` });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    expect((await order(s, second.id)).status).toBe('shipped');
    expect((await order(s, first.id)).status).toBe('cancelled');
    expect(await stockRows(s, a, [w])).toEqual({ [w]: { onHand: 10, reserved: 0 } });
    expect(await stockRows(s, b, [w])).toEqual({ [w]: { onHand: 8, reserved: 0 } });
    expect(await s.hub.db.read.get('SELECT state FROM dispatch_plans WHERE id = ?', [parcel.planId])).toEqual({ state: 'shipped' });
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('stops the parcel of an order the seller shipped from the platform instead, and takes its units off the shelf once', async () => {
    const w = uniq('EL');
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    const a = uniq('A');
    await setStock(s, a, 10, w);
    await rules(s, [{ kind: 'prefer_priority' }]);
    const o = await pushPaid([[a, 3]], { buyer: { id: uniq('buyer') } });
    await route(s, [o.id]);
    const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;
    const pushed = await s.push(shop.id, shop.secret, { ...o.body, status: 'shipped', updatedAt: later(2) });
    expect(pushed.body.orders?.[0]?.status).toBe('shipped');
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body).toMatchObject({ state: 'cancelled', cancelReason: 'shipped_elsewhere' });
    expect(await stockRows(s, a, [w])).toEqual({ [w]: { onHand: 7, reserved: 0 } });
    const v = await order(s, o.id);
    expect(v.reservation.items).toEqual([{ sku: a, warehouse: w, quantity: 3, state: 'shipped' }]);
    expect((await ship(sh.id, { carrier: 'sf', trackingNo: `SFE${Date.now()}` })).body.error.code).toBe('SHIPMENT_CANCELLED');
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });
});

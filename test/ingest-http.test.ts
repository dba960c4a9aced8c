// Own-shop ingestion over real HTTP on loopback, against a real SQLite file and a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { httpBackends } from './support/backends.ts';
import { createShop, setStock, startServer, stockInvariants, type TestServer } from './support/server.ts';
import { orderBody, ownshopHeaders } from './support/sign.ts';
import BetterSqlite3 from 'better-sqlite3';
import { sqliteFileFor } from '../src/app/hub.ts';

interface OrderView {
  id: string;
  orderNo: string;
  channel: string;
  accountId: string;
  platformOrderId: string;
  status: string;
  totalAmount: number;
  paidAmount: number;
  currency: string;
  hold: { code: string; reason: string | null } | null;
  lines: { sku: string | null; platformSku: string; quantity: number; unitPrice: number }[];
  reservation: { state: string; items: { sku: string; warehouse: string; quantity: number; state: string }[] };
  history: { kind: string; from: string | null; to: string | null; cause: string }[];
  rawEvents: { deliveries: number; outcome: string }[];
}
interface StockBody {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  byWarehouse: { warehouse: string; onHand: number; reserved: number }[];
}

const at = (minute: number) => `2026-11-22T10:${String(minute).padStart(2, '0')}:00+08:00`;

describe.each(httpBackends)('own-shop ingestion on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  const sku = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
  const order = async (ref: string) => (await s.api<OrderView>('GET', `/api/orders/${ref}`)).body;
  const stock = async (k: string) => (await s.api<StockBody>('GET', `/api/stock/${k}`)).body;

  beforeAll(async () => {
    s = await startServer(backend, { bodyLimitBytes: 256 * 1024 });
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('creates an order from a signed push, numbers it, and reserves its stock', async () => {
    const a = sku('A');
    await setStock(s, a, 10);
    const body = orderBody({
      lines: [{ sku: a, title: '杯子', quantity: 2, unitPrice: 1999, discount: 100 }],
      shippingFee: 800,
      discounts: { platform: 300, seller: 200 },
    });
    const r = await s.push(shop.id, shop.secret, body);
    expect(r.status).toBe(200);
    expect(r.body.orders?.[0]).toMatchObject({ outcome: 'created', status: 'pending_payment', reservation: 'held', hold: null });
    const orderNo = r.body.orders?.[0]?.orderNo as string;
    expect(orderNo).toMatch(/^ORD-\d{8}-\d{5,}$/);

    const o = await order(orderNo);
    expect(o).toMatchObject({
      orderNo,
      channel: 'ownshop',
      accountId: shop.id,
      platformOrderId: body.orderId,
      status: 'pending_payment',
      currency: 'CNY',
      totalAmount: 2 * 1999 - 100 + 800 - 300 - 200,
      paidAmount: 0,
    });
    expect(o.lines).toEqual([expect.objectContaining({ sku: a, quantity: 2, unitPrice: 1999 })]);
    expect(o.reservation).toEqual({ state: 'held', items: [{ sku: a, warehouse: 'WH1', quantity: 2, state: 'held' }] });
    expect(o.history.map((h) => h.kind)).toEqual(['created', 'reservation']);
    expect(o.history[0]?.cause).toContain('ownshop push');
    expect(await order(o.id)).toMatchObject({ orderNo });
    expect(await stock(a)).toMatchObject({ onHand: 10, reserved: 2, available: 8 });
  });

  it('keeps paid units reserved on the shelf and gives stock back when an unpaid order is cancelled', async () => {
    const a = sku('B');
    await setStock(s, a, 5);
    const paid = orderBody({ lines: [{ sku: a, quantity: 2, unitPrice: 100 }] });
    await s.push(shop.id, shop.secret, paid);
    const r = await s.push(shop.id, shop.secret, { ...paid, status: 'paid', updatedAt: at(5), paidAmount: 200 });
    expect(r.body.orders?.[0]).toMatchObject({ outcome: 'updated', status: 'paid', reservation: 'deducted' });
    // Paid, not shipped: still on the shelf, reserved for its order.
    expect(await stock(a)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });

    const unpaid = orderBody({ lines: [{ sku: a, quantity: 3, unitPrice: 100 }] });
    await s.push(shop.id, shop.secret, unpaid);
    expect(await stock(a)).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
    const c = await s.push(shop.id, shop.secret, { ...unpaid, status: 'cancelled', updatedAt: at(6) });
    expect(c.body.orders?.[0]).toMatchObject({ status: 'cancelled', reservation: 'released' });
    expect(await stock(a)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    const o = await order(c.body.orders?.[0]?.orderId as string);
    expect(o.history.filter((h) => h.kind === 'status').map((h) => `${h.from}>${h.to}`)).toEqual(['pending_payment>cancelled']);
  });

  it('puts stock back when a paid order is cancelled before it ships', async () => {
    const a = sku('R');
    await setStock(s, a, 4);
    const b = orderBody({ status: 'paid', lines: [{ sku: a, quantity: 3, unitPrice: 100 }], paidAmount: 300 });
    await s.push(shop.id, shop.secret, b);
    expect(await stock(a)).toMatchObject({ onHand: 4, reserved: 3, available: 1 });
    await s.push(shop.id, shop.secret, { ...b, status: 'cancelled', updatedAt: at(9) });
    expect(await stock(a)).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it('takes the same delivery 16 times as one: one order, stock reserved once', async () => {
    const a = sku('D');
    await setStock(s, a, 10);
    const body = JSON.stringify(orderBody({ lines: [{ sku: a, quantity: 3, unitPrice: 500 }] }));
    const headers = ownshopHeaders(shop.secret, body, { eventId: `evt-${randomUUID()}` });
    const send = () => fetch(`${s.url}/hooks/ownshop/${shop.id}`, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as { duplicate: boolean; orders: { orderId: string }[] } }));
    // Half at once (a retry storm), half one after another (the retry schedule).
    const burst = await Promise.all(Array.from({ length: 8 }, send));
    const serial = [];
    for (let i = 0; i < 8; i++) serial.push(await send());
    const all = [...burst, ...serial];
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(all.filter((r) => !r.body.duplicate)).toHaveLength(1);
    expect(new Set(all.map((r) => r.body.orders[0]?.orderId)).size).toBe(1);
    const list = await s.api<{ total: number }>('GET', `/api/orders?platformOrderId=${(JSON.parse(body) as { orderId: string }).orderId}`);
    expect(list.body.total).toBe(1);
    expect(await stock(a)).toMatchObject({ reserved: 3 });
    const o = await order(all[0]?.body.orders[0]?.orderId as string);
    expect(o.rawEvents).toEqual([expect.objectContaining({ deliveries: 16 })]);
  });

  it('treats the same order at the same source time under a new event id as a duplicate', async () => {
    const a = sku('E');
    await setStock(s, a, 10);
    const b = orderBody({ lines: [{ sku: a, quantity: 1, unitPrice: 500 }] });
    await s.push(shop.id, shop.secret, b);
    const again = await s.push(shop.id, shop.secret, b);
    expect(again.body).toMatchObject({ duplicate: false, orders: [{ outcome: 'duplicate' }] });
    expect(await stock(a)).toMatchObject({ reserved: 1 });
  });

  it('never moves an order backwards for an older update, whatever order they arrive in', async () => {
    const a = sku('F');
    await setStock(s, a, 10);
    const b = orderBody({ lines: [{ sku: a, quantity: 2, unitPrice: 500 }] });
    // The newer "paid" arrives first, then the older "pending_payment" it superseded.
    const first = await s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: at(30), paidAmount: 1000 });
    expect(first.body.orders?.[0]).toMatchObject({ outcome: 'created', status: 'paid', reservation: 'deducted' });
    const late = await s.push(shop.id, shop.secret, { ...b, status: 'pending_payment', updatedAt: at(0) });
    expect(late.body.orders?.[0]).toMatchObject({ outcome: 'stale', status: 'paid' });
    expect(await stock(a)).toMatchObject({ onHand: 10, reserved: 2 });
    const o = await order(first.body.orders?.[0]?.orderId as string);
    expect(o.status).toBe('paid');
    expect(o.history.filter((h) => h.kind === 'status')).toHaveLength(1);
  });

  it('keeps a cancelled order cancelled when an older "paid" arrives late', async () => {
    const a = sku('G');
    await setStock(s, a, 10);
    const b = orderBody({ lines: [{ sku: a, quantity: 1, unitPrice: 500 }] });
    await s.push(shop.id, shop.secret, b);
    await s.push(shop.id, shop.secret, { ...b, status: 'cancelled', updatedAt: at(20) });
    const late = await s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: at(10), paidAmount: 500 });
    expect(late.body.orders?.[0]).toMatchObject({ outcome: 'stale', status: 'cancelled' });
    expect(await stock(a)).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('walks an order the platform reports far along through every step, recorded', async () => {
    const a = sku('H');
    await setStock(s, a, 10);
    const r = await s.push(shop.id, shop.secret, orderBody({ status: 'completed', lines: [{ sku: a, quantity: 1, unitPrice: 500 }], paidAmount: 500 }));
    const o = await order(r.body.orders?.[0]?.orderId as string);
    expect(o.status).toBe('completed');
    expect(o.history.filter((h) => h.kind === 'status').map((h) => h.to)).toEqual(['paid', 'shipped', 'delivered', 'completed']);
    // Shipped by the platform, not through the hub's warehouse flow: the unit left the shelf all the same.
    expect(await stock(a)).toMatchObject({ onHand: 9, reserved: 0 });
    expect(o.reservation.items).toEqual([{ sku: a, warehouse: 'WH1', quantity: 1, state: 'shipped' }]);
  });

  it('records, but does not force, a move the anchor forbids', async () => {
    const a = sku('I');
    await setStock(s, a, 10);
    const b = orderBody({ status: 'completed', lines: [{ sku: a, quantity: 1, unitPrice: 500 }], paidAmount: 500 });
    await s.push(shop.id, shop.secret, b);
    const r = await s.push(shop.id, shop.secret, { ...b, status: 'pending_payment', updatedAt: at(40) });
    expect(r.status).toBe(200);
    expect(r.body.orders?.[0]).toMatchObject({ outcome: 'refused_transition', status: 'completed' });
    const o = await order(r.body.orders?.[0]?.orderId as string);
    expect(o.history.at(-1)).toMatchObject({ kind: 'ignored', from: 'completed', to: 'pending_payment' });
  });

  it('keeps an order for an unknown SKU as "unmatched" and reserves it once the SKU is mapped', async () => {
    const hubSku = sku('J');
    const platformSku = `PLAT-${randomUUID().slice(0, 6)}`;
    const r = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: platformSku, quantity: 2, unitPrice: 300 }] }));
    expect(r.status).toBe(200);
    expect(r.body.orders?.[0]).toMatchObject({ outcome: 'created', reservation: 'unmatched', hold: 'SKU_UNMATCHED' });
    const held = await s.api<{ items: { orderNo: string }[]; total: number }>('GET', '/api/orders?hold=SKU_UNMATCHED&pageSize=200');
    expect(held.body.items.map((i) => i.orderNo)).toContain(r.body.orders?.[0]?.orderNo);

    const missing = await s.api<{ error: { code: string } }>('POST', '/api/sku-mappings', { externalSku: platformSku, sku: hubSku });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('SKU_NOT_FOUND');
    await setStock(s, hubSku, 5);
    const mapped = await s.api<{ rematchedOrders: string[] }>('POST', '/api/sku-mappings', { externalSku: platformSku, sku: hubSku });
    expect(mapped.status).toBe(200);
    expect(mapped.body.rematchedOrders).toEqual([r.body.orders?.[0]?.orderNo]);
    const o = await order(r.body.orders?.[0]?.orderId as string);
    expect(o.hold).toBeNull();
    expect(o.lines[0]).toMatchObject({ sku: hubSku, platformSku });
    expect(o.reservation.state).toBe('held');
    expect(await stock(hubSku)).toMatchObject({ reserved: 2 });
  });

  it('matches a SKU code it once did not know as soon as the SKU or a mapping for it exists', async () => {
    // The first order for each code is looked up and found unknown; what ingest remembers of that must not outlive
    // the catalogue change that follows (SQLite keeps resolved codes in the writer).
    const code = `PLAT-${randomUUID().slice(0, 6)}`;
    const hubSku = sku('M');
    await setStock(s, hubSku, 5);
    const first = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: code, quantity: 1, unitPrice: 300 }] }));
    expect(first.body.orders?.[0]).toMatchObject({ hold: 'SKU_UNMATCHED' });
    await s.api('POST', '/api/sku-mappings', { externalSku: code, sku: hubSku });
    const second = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: code, quantity: 1, unitPrice: 300 }] }));
    expect(second.body.orders?.[0]).toMatchObject({ outcome: 'created', reservation: 'held', hold: null });

    const direct = sku('D');
    const before = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: direct, quantity: 1, unitPrice: 300 }] }));
    expect(before.body.orders?.[0]).toMatchObject({ hold: 'SKU_UNMATCHED' });
    if (s.config.databaseUrl) {
      await setStock(s, direct, 5);
    } else {
      // Another connection to the same file, as the CLI would be: the writer learns of it from SQLite's data_version.
      const other = new BetterSqlite3(sqliteFileFor(s.config));
      other.pragma('busy_timeout = 5000');
      other.prepare(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES ('default', ?, '', 0)`).run(direct);
      other.prepare(`INSERT INTO warehouses (tenant_id, code, name, created_at) VALUES ('default', 'WH1', 'WH1', 0) ON CONFLICT DO NOTHING`).run();
      other.prepare(`INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES ('default', ?, 'WH1', 5, 0, 0, 0)`).run(direct);
      other.close();
    }
    const after = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: direct, quantity: 1, unitPrice: 300 }] }));
    expect(after.body.orders?.[0]).toMatchObject({ outcome: 'created', reservation: 'held', hold: null });
  });

  it('never oversells: 200 concurrent orders for 10 units → 10 reserved, 190 kept as stock-short', async () => {
    const hot = sku('HOT');
    await setStock(s, hot, 10);
    const bodies = Array.from({ length: 200 }, () => JSON.stringify(orderBody({ lines: [{ sku: hot, quantity: 1, unitPrice: 9900 }] })));
    const answers = await Promise.all(
      bodies.map((body) =>
        fetch(`${s.url}/hooks/ownshop/${shop.id}`, { method: 'POST', headers: ownshopHeaders(shop.secret, body), body }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { orders: { reservation: string; hold: string | null }[] },
        })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(200));
    const reservations = answers.map((a) => a.body.orders[0]);
    expect(reservations.filter((r) => r?.reservation === 'held')).toHaveLength(10);
    expect(reservations.filter((r) => r?.reservation === 'short' && r.hold === 'STOCK_SHORT')).toHaveLength(190);
    expect(await stock(hot)).toMatchObject({ onHand: 10, reserved: 10, available: 0 });

    const short = await s.api<{ items: { hold: { code: string; reason: string } }[]; total: number }>('GET', '/api/orders?hold=STOCK_SHORT&pageSize=200');
    expect(short.body.items.some((i) => i.hold.reason.includes(hot))).toBe(true);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });

    // Restocking serves the held orders, oldest first, up to what arrived.
    const restock = await s.api<{ servedOrders: string[]; reserved: number }>('PUT', `/api/stock/${hot}`, { warehouse: 'WH1', onHand: 25, reason: 'test count' });
    expect(restock.body.servedOrders).toHaveLength(15);
    expect(restock.body.reserved).toBe(25);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('reserves each line in one warehouse and takes warehouses in priority order', async () => {
    const a = sku('K');
    await setStock(s, a, 1, 'WH-A');
    await setStock(s, a, 5, 'WH-B');
    const r = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: a, quantity: 3, unitPrice: 100 }] }));
    const o = await order(r.body.orders?.[0]?.orderId as string);
    expect(o.reservation.items).toEqual([{ sku: a, warehouse: 'WH-B', quantity: 3, state: 'held' }]);
    const st = await stock(a);
    expect(st).toMatchObject({ onHand: 6, reserved: 3, available: 3 });
    expect(st.byWarehouse).toEqual([
      expect.objectContaining({ warehouse: 'WH-A', onHand: 1, reserved: 0 }),
      expect.objectContaining({ warehouse: 'WH-B', onHand: 5, reserved: 3 }),
    ]);
  });

  it('refuses to count stock below what is reserved', async () => {
    const a = sku('L');
    await setStock(s, a, 5);
    await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: a, quantity: 4, unitPrice: 100 }] }));
    const r = await s.api<{ error: { code: string; message: string } }>('PUT', `/api/stock/${a}`, { warehouse: 'WH1', onHand: 3, reason: 'test count' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('STOCK_BELOW_RESERVED');
    expect(await stock(a)).toMatchObject({ onHand: 5, reserved: 4 });
    const neg = await s.api<{ error: { code: string } }>('PUT', `/api/stock/${a}`, { warehouse: 'WH1', onHand: -1, reason: 'test count' });
    expect(neg.status).toBe(400);
    expect(neg.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('lets an operator move an order one legal step, and refuses the rest clearly', async () => {
    const a = sku('M');
    await setStock(s, a, 5);
    const r = await s.push(shop.id, shop.secret, orderBody({ status: 'paid', lines: [{ sku: a, quantity: 1, unitPrice: 100 }], paidAmount: 100 }));
    const id = r.body.orders?.[0]?.orderId as string;
    const bad = await s.api<{ error: { code: string; message: string } }>('POST', `/api/orders/${id}/transitions`, { to: 'completed', reason: 'test' });
    expect(bad.status).toBe(409);
    expect(bad.body.error).toMatchObject({ code: 'TRANSITION_NOT_ALLOWED' });
    expect(bad.body.error.message).toContain('allowed: shipped, cancelled');
    const ok = await s.api<OrderView>('POST', `/api/orders/${id}/transitions`, { to: 'shipped', reason: 'handed to SF' });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('shipped');
    expect(ok.body.history.at(-1)).toMatchObject({ kind: 'status', from: 'paid', to: 'shipped', cause: 'admin-token: handed to SF' });

    const heldSku = sku('N');
    await setStock(s, heldSku, 0);
    const h = await s.push(shop.id, shop.secret, orderBody({ status: 'paid', lines: [{ sku: heldSku, quantity: 1, unitPrice: 100 }], paidAmount: 100 }));
    const guarded = await s.api<{ error: { code: string } }>('POST', `/api/orders/${h.body.orders?.[0]?.orderId}/transitions`, { to: 'shipped', reason: 'x' });
    expect(guarded.status).toBe(409);
    expect(guarded.body.error.code).toBe('TRANSITION_GUARD_FAILED');
  });

  it('lists and filters orders with a total', async () => {
    const a = sku('P');
    await setStock(s, a, 50);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = orderBody({ status: i === 0 ? 'paid' : 'pending_payment', lines: [{ sku: a, quantity: 1, unitPrice: 100 }], paidAmount: i === 0 ? 100 : 0 });
      ids.push(b.orderId);
      await s.push(shop.id, shop.secret, b);
    }
    const byId = await s.api<{ items: { platformOrderId: string; receiverPhone: string }[]; total: number }>('GET', `/api/orders?platformOrderId=${ids[1]}`);
    expect(byId.body.total).toBe(1);
    expect(byId.body.items[0]?.platformOrderId).toBe(ids[1]);
    expect(byId.body.items[0]?.receiverPhone).toBe('138****1234');
    const q = await s.api<{ total: number }>('GET', `/api/orders?q=${ids[2]}`);
    expect(q.body.total).toBe(1);
    const all = await s.api<{ total: number; items: unknown[] }>('GET', `/api/orders?channel=ownshop&account=${shop.id}&pageSize=2&page=1`);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBeGreaterThanOrEqual(3);
    const paid = await s.api<{ items: { status: string }[] }>('GET', '/api/orders?status=paid&pageSize=200');
    expect(paid.body.items.every((i) => i.status === 'paid')).toBe(true);
    const badStatus = await s.api<{ error: { code: string } }>('GET', '/api/orders?status=nonsense');
    expect(badStatus.status).toBe(400);
    const nf = await s.api<{ error: { code: string } }>('GET', '/api/orders/ORD-19990101-00001');
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('ORDER_NOT_FOUND');
  });

  describe('bad input is refused with a clear code and leaves nothing behind', () => {
    const count = async () => {
      const o = await s.hub.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM orders');
      const r = await s.hub.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM raw_events');
      return { orders: Number(o?.n), raw: Number(r?.n) };
    };
    const now = () => Math.floor(Date.now() / 1000);
    type Case = { name: string; status: number; code: string; send: () => Promise<Response> };
    const post = (body: string, headers: Record<string, string>, account?: string) =>
      fetch(`${s.url}/hooks/ownshop/${account ?? shop.id}`, { method: 'POST', headers, body });
    const signed = (body: string, opts: { timestamp?: number; eventId?: string } = {}) => post(body, ownshopHeaders(shop.secret, body, opts));
    const valid = () => orderBody({ lines: [{ sku: 'A1', quantity: 1, unitPrice: 100 }] });
    const withLine = (line: Record<string, unknown>) => JSON.stringify({ ...valid(), lines: [line] });
    const cases: Case[] = [
      { name: 'malformed JSON', status: 400, code: 'BODY_INVALID_JSON', send: () => signed('{"orderId": "x",') },
      { name: 'empty body', status: 400, code: 'BODY_INVALID_JSON', send: () => signed('') },
      { name: 'JSON that is not an object', status: 400, code: 'VALIDATION_FAILED', send: () => signed('[1,2,3]') },
      { name: 'quantity as a string', status: 400, code: 'VALIDATION_FAILED', send: () => signed(withLine({ sku: 'A1', quantity: '1', unitPrice: 100 })) },
      { name: 'zero quantity', status: 400, code: 'VALIDATION_FAILED', send: () => signed(withLine({ sku: 'A1', quantity: 0, unitPrice: 100 })) },
      { name: 'negative quantity', status: 400, code: 'VALIDATION_FAILED', send: () => signed(withLine({ sku: 'A1', quantity: -2, unitPrice: 100 })) },
      { name: 'money with decimals', status: 400, code: 'VALIDATION_FAILED', send: () => signed(withLine({ sku: 'A1', quantity: 1, unitPrice: 19.99 })) },
      { name: 'negative price', status: 400, code: 'VALIDATION_FAILED', send: () => signed(withLine({ sku: 'A1', quantity: 1, unitPrice: -1 })) },
      { name: 'no lines', status: 400, code: 'VALIDATION_FAILED', send: () => signed(JSON.stringify({ ...valid(), lines: [] })) },
      { name: 'no receiver', status: 400, code: 'VALIDATION_FAILED', send: () => signed(JSON.stringify({ ...valid(), receiver: undefined })) },
      { name: 'unknown status', status: 400, code: 'VALIDATION_FAILED', send: () => signed(JSON.stringify({ ...valid(), status: 'teleported' })) },
      { name: 'time without offset', status: 400, code: 'VALIDATION_FAILED', send: () => signed(JSON.stringify({ ...valid(), updatedAt: '2026-11-22T10:00:00' })) },
      { name: 'discount above the line', status: 400, code: 'VALIDATION_FAILED', send: () => signed(withLine({ sku: 'A1', quantity: 1, unitPrice: 100, discount: 101 })) },
      { name: 'lower-case currency', status: 400, code: 'VALIDATION_FAILED', send: () => signed(JSON.stringify({ ...valid(), currency: 'cny' })) },
      {
        name: 'missing signature header',
        status: 401,
        code: 'SIGNATURE_MISSING',
        send: () => {
          const body = JSON.stringify(valid());
          const { 'x-orderhub-signature': _drop, ...h } = ownshopHeaders(shop.secret, body);
          return post(body, h);
        },
      },
      {
        name: 'missing timestamp header',
        status: 401,
        code: 'TIMESTAMP_INVALID',
        send: () => {
          const body = JSON.stringify(valid());
          const { 'x-orderhub-timestamp': _drop, ...h } = ownshopHeaders(shop.secret, body);
          return post(body, h);
        },
      },
      {
        name: 'missing event id header',
        status: 400,
        code: 'EVENT_ID_MISSING',
        send: () => {
          const body = JSON.stringify(valid());
          const { 'x-orderhub-event-id': _drop, ...h } = ownshopHeaders(shop.secret, body);
          return post(body, h);
        },
      },
      { name: 'timestamp 301 s old', status: 401, code: 'TIMESTAMP_OUT_OF_WINDOW', send: () => signed(JSON.stringify(valid()), { timestamp: now() - 301 }) },
      { name: 'timestamp 301 s ahead', status: 401, code: 'TIMESTAMP_OUT_OF_WINDOW', send: () => signed(JSON.stringify(valid()), { timestamp: now() + 301 }) },
      {
        name: 'body changed by one byte after signing',
        status: 401,
        code: 'SIGNATURE_INVALID',
        send: () => {
          const body = JSON.stringify(valid());
          return post(body.replace('"quantity":1', '"quantity":9'), ownshopHeaders(shop.secret, body));
        },
      },
      {
        name: 'timestamp changed after signing',
        status: 401,
        code: 'SIGNATURE_INVALID',
        send: () => {
          const body = JSON.stringify(valid());
          const h = ownshopHeaders(shop.secret, body);
          return post(body, { ...h, 'x-orderhub-timestamp': String(Number(h['x-orderhub-timestamp']) + 1) });
        },
      },
      {
        name: 'signed with another secret',
        status: 401,
        code: 'SIGNATURE_INVALID',
        send: () => {
          const body = JSON.stringify(valid());
          return post(body, ownshopHeaders(shop.secret + 'x', body));
        },
      },
      {
        name: 'signature not in v1=hex form',
        status: 401,
        code: 'SIGNATURE_INVALID',
        send: () => {
          const body = JSON.stringify(valid());
          return post(body, { ...ownshopHeaders(shop.secret, body), 'x-orderhub-signature': 'sha256=abc' });
        },
      },
      { name: 'unknown account', status: 404, code: 'ACCOUNT_NOT_FOUND', send: () => post(JSON.stringify(valid()), ownshopHeaders(shop.secret, JSON.stringify(valid())), randomUUID()) },
      {
        name: 'body over the configured limit',
        status: 413,
        code: 'BODY_TOO_LARGE',
        send: () => signed(JSON.stringify({ ...valid(), padding: 'x'.repeat(300 * 1024) })),
      },
    ];

    it.each(cases)('$name → $status $code', async (c) => {
      const before = await count();
      const res = await c.send();
      const body = (await res.json()) as { error?: { code: string; message: string } };
      expect(res.status).toBe(c.status);
      expect(body.error?.code).toBe(c.code);
      expect(body.error?.message.length).toBeGreaterThan(5);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
      expect(await count()).toEqual(before);
    });

    it('refuses an event id reused with a different body, and keeps serving', async () => {
      const eventId = `evt-${randomUUID()}`;
      const a = JSON.stringify(valid());
      expect((await post(a, ownshopHeaders(shop.secret, a, { eventId }))).status).toBe(200);
      const before = await count();
      const b = JSON.stringify(valid());
      const res = await post(b, ownshopHeaders(shop.secret, b, { eventId }));
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CONFLICT');
      expect(await count()).toEqual(before);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await s.push(shop.id, shop.secret, valid())).status).toBe(200);
    });

    it('refuses pushes to a switched-off account', async () => {
      const other = await createShop(s, 'other-secret-0123456789');
      await s.api('PATCH', `/api/channel-accounts/${other.id}`, { active: false });
      const body = JSON.stringify(valid());
      const res = await post(body, ownshopHeaders(other.secret, body), other.id);
      expect(res.status).toBe(403);
    });
  });
});

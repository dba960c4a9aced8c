// Stock done right (issue 18 item 4) over real HTTP on loopback, on every store: an unknown warehouse is refused with
// nothing written, every person's change needs a reason, and the movement ledger (出入库流水) records count,
// adjustment, stock count (盘点), order reservation and shipment with who, why and before → after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { paidOrder, route, uniq, warehouse, zj, type ErrorReply, type ShipmentBody } from '../fulfilment/hub-support.ts';

interface Movement {
  id: number;
  sku: string;
  warehouse: string;
  at: string;
  cause: string;
  reason: string | null;
  actor: string | null;
  ref: string | null;
  onHand: { before: number; after: number };
  reserved: { before: number; after: number };
}
interface Ledger {
  items: Movement[];
  nextBefore: number | null;
}

describe.each(httpBackends)('stock ledger and refusals on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  const count = async (sql: string, params: string[]) => Number((await s.hub.db.read.get<{ n: number }>(sql, params))?.n);

  beforeAll(async () => {
    s = await startServer(backend, { approvals: 'none' });
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a count or an adjustment in a warehouse that does not exist, and writes nothing', async () => {
    const [sku, typo] = [uniq('TYPO'), uniq('WH-TYPO')];
    const set = await s.api<ErrorReply>('PUT', `/api/stock/${sku}`, { warehouse: typo, onHand: 5, reason: 'count' });
    expect([set.status, set.body.error.code]).toEqual([404, 'WAREHOUSE_NOT_FOUND']);
    const bulk = await s.api<ErrorReply>('POST', '/api/stock/adjustments', { items: [{ sku, warehouse: typo, delta: 3 }], reason: 'found' });
    expect([bulk.status, bulk.body.error.code]).toEqual([404, 'WAREHOUSE_NOT_FOUND']);
    expect(await count('SELECT count(*) AS n FROM warehouses WHERE code = ?', [typo])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM skus WHERE sku = ?', [sku])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM stock WHERE sku = ?', [sku])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM stock_movements WHERE sku = ?', [sku])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM approvals WHERE summary LIKE ?', [`%${typo}%`])).toBe(0);
    // Routing never sees it either: the warehouse list is what it was.
    const list = await s.api<{ code: string }[]>('GET', '/api/warehouses');
    expect(list.body.map((w) => w.code)).not.toContain(typo);
  });

  it('needs a reason on every change a person makes', async () => {
    const [sku, w] = [uniq('RSN'), uniq('W')];
    await warehouse(s, w, { regions: ['*'] });
    const none = await s.api<ErrorReply>('PUT', `/api/stock/${sku}`, { warehouse: w, onHand: 5 });
    expect([none.status, none.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const blank = await s.api<ErrorReply>('PUT', `/api/stock/${sku}`, { warehouse: w, onHand: 5, reason: '   ' });
    expect([blank.status, blank.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const bulk = await s.api<ErrorReply>('POST', '/api/stock/adjustments', { items: [{ sku, warehouse: w, delta: 1 }], reason: ' ' });
    expect([bulk.status, bulk.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await count('SELECT count(*) AS n FROM stock WHERE sku = ?', [sku])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM stock_movements WHERE sku = ?', [sku])).toBe(0);
  });

  it('records count, adjustment, stock count, reservation and shipment with who, why and before → after', async () => {
    const [sku, w] = [uniq('LED'), uniq('W')];
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    expect((await s.api('PUT', `/api/stock/${sku}`, { warehouse: w, onHand: 10, reason: 'opening count' })).status).toBe(200);
    const adj = await s.api('POST', '/api/stock/adjustments', { items: [{ sku, warehouse: w, delta: 2 }], reason: 'found behind shelf' });
    expect(adj.status, JSON.stringify(adj.body)).toBe(200);
    const counted = await s.api('POST', '/api/stock/adjustments', { items: [{ sku, warehouse: w, onHand: 11 }], reason: 'monthly count', kind: 'count' });
    expect(counted.status, JSON.stringify(counted.body)).toBe(200);
    // A count that finds what the books say moves nothing and leaves no entry.
    expect((await s.api('PUT', `/api/stock/${sku}`, { warehouse: w, onHand: 11, reason: 'recount' })).status).toBe(200);

    const o = await paidOrder(s, shop, [[sku, 3]], { receiver: zj, buyer: { id: uniq('buyer') } });
    await route(s, [o.id]);
    const sh = (await s.api<{ shipments: ShipmentBody[] }>('GET', `/api/orders/${o.id}`)).body.shipments[0] as ShipmentBody;
    const scan = await s.api<{ state: string }>('POST', `/api/shipments/${sh.id}/scans`, { codes: [sku, sku, sku] });
    expect(scan.body.state, JSON.stringify(scan.body)).toBe('packed');
    const shipped = await s.api('POST', `/api/shipments/${sh.id}/ship`, { carrier: 'sf', trackingNo: `SF${Date.now()}` });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);

    const ledger = await s.api<Ledger>('GET', `/api/stock/${sku}/movements?warehouse=${w}`);
    expect(ledger.status).toBe(200);
    const rows = [...ledger.body.items].reverse().map((m) => ({ cause: m.cause, reason: m.reason, onHand: m.onHand, reserved: m.reserved }));
    expect(rows).toEqual([
      { cause: 'set', reason: 'opening count', onHand: { before: 0, after: 10 }, reserved: { before: 0, after: 0 } },
      { cause: 'adjust', reason: 'found behind shelf', onHand: { before: 10, after: 12 }, reserved: { before: 0, after: 0 } },
      { cause: 'count', reason: 'monthly count', onHand: { before: 12, after: 11 }, reserved: { before: 0, after: 0 } },
      { cause: 'reserve', reason: null, onHand: { before: 11, after: 11 }, reserved: { before: 0, after: 3 } },
      { cause: 'ship', reason: null, onHand: { before: 11, after: 8 }, reserved: { before: 3, after: 0 } },
    ]);
    const [ship, reserve, , , set] = ledger.body.items;
    expect(set?.actor).toBe('admin-token');
    expect(reserve).toMatchObject({ actor: null, ref: o.id, warehouse: w });
    expect(ship?.ref).toContain(sh.id);
    // Each entry starts where the one before it ended: the ledger is the stock row's whole story.
    const asc = [...ledger.body.items].reverse();
    for (let i = 1; i < asc.length; i++) expect(asc[i]?.onHand.before).toBe(asc[i - 1]?.onHand.after);
    const row = await s.hub.db.read.get<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM stock WHERE sku = ? AND warehouse = ?', [sku, w]);
    expect([Number(row?.on_hand), Number(row?.reserved)]).toEqual([8, 0]);

    // Paged, newest first.
    const p1 = await s.api<Ledger>('GET', `/api/stock/${sku}/movements?limit=2`);
    expect(p1.body.items.map((m) => m.cause)).toEqual(['ship', 'reserve']);
    const p2 = await s.api<Ledger>('GET', `/api/stock/${sku}/movements?limit=2&before=${p1.body.nextBefore}`);
    expect(p2.body.items.map((m) => m.cause)).toEqual(['count', 'adjust']);
    const p3 = await s.api<Ledger>('GET', `/api/stock/${sku}/movements?limit=2&before=${p2.body.nextBefore}`);
    expect([p3.body.items.map((m) => m.cause), p3.body.nextBefore]).toEqual([['set'], null]);
    expect((await s.api<ErrorReply>('GET', `/api/stock/${uniq('NOPE')}/movements`)).status).toBe(404);
    await stockInvariants(s.hub);
  }, 120_000);

  it('names products in the stock list and finds them by part of the name', async () => {
    const [sku, w] = [uniq('NAMED'), uniq('W')];
    await warehouse(s, w, { regions: ['*'] });
    expect((await s.api('POST', '/api/skus', { sku, title: '保温杯 500ml 红' })).status).toBeLessThan(300);
    expect((await s.api('PUT', `/api/stock/${sku}`, { warehouse: w, onHand: 4, reason: 'opening count' })).status).toBe(200);
    const found = await s.api<{ items: { sku: string; title?: string }[] }>('GET', `/api/stock?q=${encodeURIComponent('保温杯 500')}`);
    expect(found.body.items.map((i) => [i.sku, i.title])).toContainEqual([sku, '保温杯 500ml 红']);
    expect((await s.api<{ title?: string }>('GET', `/api/stock/${sku}`)).body.title).toBe('保温杯 500ml 红');
  });
});

// Bundles (组合装) over real HTTP on loopback (SQLite file, the writer thread, PostgreSQL with CI=true): definitions and
// their refusals, a bundle's sellable quantity, 200 concurrent orders of two bundles sharing a component and of the
// component itself, all-or-none reservation, cancel, and the warehouse flow picking, packing and shipping components.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSellable, definitionProblem, stockLines } from '../../src/modules/inventory/domain/bundles.ts';
import { httpBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { orderBody, type OrderBody } from '../support/sign.ts';
import { order, route, stockRows, uniq, warehouse, type ErrorReply, type ShipmentBody } from '../fulfilment/hub-support.ts';

interface BundleBody {
  sku: string;
  title: string;
  components: { sku: string; title: string; quantity: number }[];
}
interface StockBody {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  sellable: number;
  byWarehouse: unknown[];
  components?: { sku: string; quantity: number; onHand: number; available: number; sellable: number }[];
}
type BundleLine = ShipmentBody['lines'][number] & { bundleSku?: string | null; bundleLineNo?: number | null };

describe('bundle rules (pure)', () => {
  it('sells as many bundles as the scarcest component makes', () => {
    const c = [
      { sku: 'C', quantity: 2 },
      { sku: 'X', quantity: 1 },
    ];
    expect(bundleSellable(c, new Map([['C', 9], ['X', 100]]))).toBe(4);
    expect(bundleSellable(c, new Map([['C', 100], ['X', 3]]))).toBe(3);
    expect(bundleSellable(c, new Map([['C', 100]]))).toBe(0);
    expect(bundleSellable(c, (sku) => (sku === 'C' ? -5 : 10))).toBe(0);
    expect(bundleSellable([], new Map())).toBe(0);
  });

  it('expands a bundle line into its components and leaves plain lines alone', () => {
    const lines = stockLines(
      [
        { sku: 'B', quantity: 3 },
        { sku: 'C', quantity: 1 },
      ],
      new Map([['B', [{ sku: 'C', quantity: 2 }, { sku: 'X', quantity: 1 }]]]),
    );
    expect(lines).toEqual([
      { sku: 'C', quantity: 6, bundleSku: 'B' },
      { sku: 'X', quantity: 3, bundleSku: 'B' },
      { sku: 'C', quantity: 1, bundleSku: null },
    ]);
  });

  it('names what is wrong with a definition', () => {
    const facts = { knownSkus: new Set(['C', 'X', 'B2']), bundles: new Set(['B2']), componentsOfBundles: new Set(['C']) };
    expect(definitionProblem('B', [{ sku: 'C', quantity: 1 }], facts)).toBeNull();
    expect(definitionProblem('B', [], facts)).toContain('at least one component');
    expect(definitionProblem('B', [{ sku: 'B', quantity: 1 }], facts)).toContain('cannot contain itself');
    expect(definitionProblem('B', [{ sku: 'C', quantity: 0 }], facts)).toContain('at least 1');
    expect(definitionProblem('B', [{ sku: 'NOPE', quantity: 1 }], facts)).toContain('not a SKU known');
    expect(definitionProblem('B', [{ sku: 'B2', quantity: 1 }], facts)).toContain('itself a bundle');
    expect(definitionProblem('B', [{ sku: 'C', quantity: 1 }, { sku: 'C', quantity: 2 }], facts)).toContain('named twice');
    expect(definitionProblem('C', [{ sku: 'X', quantity: 1 }], facts)).toContain('component of another bundle');
  });
});

describe.each(httpBackends)('bundles over the API on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  const define = (sku: string, components: { sku: string; quantity: number }[]) => s.api<BundleBody & ErrorReply>('PUT', `/api/bundles/${sku}`, { components });
  const stock = async (sku: string) => {
    const r = await s.api<StockBody>('GET', `/api/stock/${sku}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const reserved = async (sku: string) =>
    Number((await s.hub.db.read.get<{ r: number | null }>('SELECT SUM(reserved) AS r FROM stock WHERE sku = ?', [sku]))?.r ?? 0);
  const onHand = async (sku: string) => Number((await s.hub.db.read.get<{ r: number | null }>('SELECT SUM(on_hand) AS r FROM stock WHERE sku = ?', [sku]))?.r ?? 0);
  const body = (lines: [string, number][], over: Partial<OrderBody> = {}): OrderBody =>
    orderBody({ lines: lines.map(([sku, quantity]) => ({ sku, title: sku, quantity, unitPrice: 1000, discount: 0 })), buyer: { id: uniq('buyer') }, ...over });
  const push = async (b: OrderBody) => {
    const r = await s.push(shop.id, shop.secret, b);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.orders?.[0] as { orderId: string; orderNo: string; status: string; reservation: string; hold: string | null };
  };

  it('defines, reads, lists and deletes a bundle, audited', async () => {
    const [b, c, x] = [uniq('B'), uniq('C'), uniq('X')];
    await setStock(s, c, 10);
    await setStock(s, x, 10);
    const put = await define(b, [
      { sku: c, quantity: 2 },
      { sku: x, quantity: 1 },
    ]);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.components.map((k) => [k.sku, k.quantity])).toEqual([
      [c, 2],
      [x, 1],
    ]);
    expect((await s.api<BundleBody>('GET', `/api/bundles/${b}`)).body.components).toHaveLength(2);
    expect((await s.api<{ items: BundleBody[] }>('GET', '/api/bundles')).body.items.map((i) => i.sku)).toContain(b);
    // Redefined while nothing is reserved for it: allowed.
    expect((await define(b, [{ sku: c, quantity: 3 }])).body.components).toEqual([{ sku: c, title: '', quantity: 3 }]);
    const audit = await s.hub.db.read.all<{ action: string }>(`SELECT action FROM audit_log WHERE target_type = 'bundle' AND target_id = ? ORDER BY id`, [b]);
    expect(audit.map((a) => a.action)).toEqual(['bundle.create', 'bundle.update']);
    const del = await s.api<{ deleted: string }>('DELETE', `/api/bundles/${b}`);
    expect(del.status).toBe(200);
    const gone = await s.api<ErrorReply>('GET', `/api/bundles/${b}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('BUNDLE_NOT_FOUND');
    expect((await s.api<ErrorReply>('DELETE', `/api/bundles/${b}`)).body.error.code).toBe('BUNDLE_NOT_FOUND');
  });

  it('refuses bad definitions with a clear error and writes nothing', async () => {
    const [b, other, c, x] = [uniq('B'), uniq('BO'), uniq('C'), uniq('X')];
    await setStock(s, c, 10);
    await setStock(s, x, 10);
    expect((await define(b, [{ sku: c, quantity: 1 }])).status).toBe(200);
    const components = async (sku: string) =>
      (await s.hub.db.read.all<{ component_sku: string; quantity: number }>('SELECT component_sku, quantity FROM bundle_components WHERE bundle_sku = ? ORDER BY place', [sku])).map((r) => [
        r.component_sku,
        Number(r.quantity),
      ]);
    const cases: [string, { sku: string; quantity: number }[], string, number, string][] = [
      [b, [{ sku: c, quantity: 1 }, { sku: 'NOPE-SKU', quantity: 1 }], 'BUNDLE_INVALID', 400, 'not a SKU known'],
      [b, [{ sku: b, quantity: 1 }], 'BUNDLE_INVALID', 400, 'cannot contain itself'],
      [b, [{ sku: x, quantity: 1 }, { sku: x, quantity: 2 }], 'BUNDLE_INVALID', 400, 'named twice'],
      [other, [{ sku: b, quantity: 1 }], 'BUNDLE_INVALID', 400, 'itself a bundle'],
      [c, [{ sku: x, quantity: 1 }], 'BUNDLE_INVALID', 400, 'component of another bundle'],
      [b, [{ sku: c, quantity: 0 }], 'VALIDATION_FAILED', 400, 'quantity'],
      [b, [], 'VALIDATION_FAILED', 400, 'components'],
    ];
    for (const [sku, comps, code, status, text] of cases) {
      const r = await define(sku, comps);
      expect(r.status, `${sku} ${JSON.stringify(comps)}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toContain(text);
    }
    // Nothing half-written: the first definition stands, no other bundle appeared, no SKU was created.
    expect(await components(b)).toEqual([[c, 1]]);
    expect(await components(other)).toEqual([]);
    expect(await components(c)).toEqual([]);
    expect(await s.hub.db.read.get('SELECT 1 AS x FROM skus WHERE sku = ?', [other])).toBeUndefined();
    // A SKU with stock of its own cannot become a bundle; a bundle cannot be counted.
    const stocked = await define(x, [{ sku: c, quantity: 1 }]);
    expect(stocked.status).toBe(400);
    expect(stocked.body.error.message).toContain('holds stock of its own');
    const counted = await s.api<ErrorReply>('PUT', `/api/stock/${b}`, { warehouse: 'WH1', onHand: 5, reason: 'test count' });
    expect(counted.status).toBe(409);
    expect(counted.body.error.code).toBe('BUNDLE_HOLDS_NO_STOCK');
    expect(await s.hub.db.read.get('SELECT 1 AS x FROM stock WHERE sku = ?', [b])).toBeUndefined();
  });

  it("reports a bundle's sellable quantity from its scarcest component, in the SKU view and the stock list", async () => {
    const [b, c, x] = [uniq('B'), uniq('C'), uniq('X')];
    await setStock(s, c, 9);
    await setStock(s, x, 100);
    await define(b, [
      { sku: c, quantity: 2 },
      { sku: x, quantity: 3 },
    ]);
    let v = await stock(b);
    expect(v).toMatchObject({ sku: b, onHand: 4, available: 4, reserved: 0, sellable: 4, byWarehouse: [] });
    expect(v.components?.map((k) => [k.sku, k.quantity, k.sellable])).toEqual([
      [c, 2, 9],
      [x, 3, 100],
    ]);
    // X becomes the scarcest: 7 ÷ 3 → 2.
    await setStock(s, x, 7);
    v = await stock(b);
    expect(v.sellable).toBe(2);
    // An order of the component itself lowers what the bundle can make.
    const o = await push(body([[c, 6]]));
    expect(o.reservation).toBe('held');
    v = await stock(b);
    expect(v).toMatchObject({ onHand: 2, available: 1, reserved: 1, sellable: 1 });
    const list = await s.api<{ items: StockBody[] }>('GET', '/api/stock?pageSize=500');
    expect(list.body.items.find((i) => i.sku === b)).toMatchObject({ sellable: 1, components: [{ sku: c }, { sku: x }] });
  });

  it('reserves all of a bundle line or none: held STOCK_SHORT while one component is short, served when it arrives', async () => {
    const [b, c, x] = [uniq('B'), uniq('C'), uniq('X')];
    await setStock(s, c, 10);
    await setStock(s, x, 1);
    await define(b, [
      { sku: c, quantity: 2 },
      { sku: x, quantity: 1 },
    ]);
    const o = await push(body([[b, 2]]));
    expect(o).toMatchObject({ reservation: 'short', hold: 'STOCK_SHORT' });
    expect(await reserved(c)).toBe(0);
    expect(await reserved(x)).toBe(0);
    expect((await order(s, o.orderId)).reservation.items).toEqual([]);
    await setStock(s, x, 5);
    const now = await order(s, o.orderId);
    expect(now.reservation.state).toBe('held');
    expect(now.reservation.items.map((i) => [i.sku, i.quantity, (i as { bundleSku?: string | null }).bundleSku]).sort()).toEqual(
      [
        [c, 4, b],
        [x, 2, b],
      ].sort(),
    );
    expect(await reserved(c)).toBe(4);
    expect(await reserved(x)).toBe(2);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it("releases a bundle's components when its order is cancelled", async () => {
    const [b, c, x] = [uniq('B'), uniq('C'), uniq('X')];
    await setStock(s, c, 10);
    await setStock(s, x, 10);
    await define(b, [
      { sku: c, quantity: 2 },
      { sku: x, quantity: 1 },
    ]);
    const ob = body([
      [b, 2],
      [c, 1],
    ]);
    const o = await push(ob);
    expect(o.reservation).toBe('held');
    expect(await reserved(c)).toBe(5);
    expect(await reserved(x)).toBe(2);
    // Open reservations freeze the definition.
    const busy = await define(b, [{ sku: c, quantity: 1 }]);
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('BUNDLE_IN_USE');
    expect((await s.api<ErrorReply>('DELETE', `/api/bundles/${b}`)).body.error.code).toBe('BUNDLE_IN_USE');
    const cancelled = await s.push(shop.id, shop.secret, { ...ob, status: 'cancelled', updatedAt: '2026-11-22T11:00:00+08:00' });
    expect(cancelled.body.orders?.[0]?.status).toBe('cancelled');
    expect(await reserved(c)).toBe(0);
    expect(await reserved(x)).toBe(0);
    expect((await order(s, o.orderId)).reservation.items.every((i) => i.state === 'released')).toBe(true);
    expect((await define(b, [{ sku: c, quantity: 1 }])).status).toBe(200);
  });

  it('never oversells a component two bundles share under 200 concurrent orders (and serves exactly what fits)', async () => {
    const [b1, b2, c, x, y] = [uniq('B1'), uniq('B2'), uniq('C'), uniq('X'), uniq('Y')];
    await setStock(s, c, 100);
    await setStock(s, x, 1000);
    await setStock(s, y, 1000);
    await define(b1, [
      { sku: c, quantity: 2 },
      { sku: x, quantity: 1 },
    ]);
    await define(b2, [
      { sku: y, quantity: 1 },
      { sku: c, quantity: 3 },
    ]);
    // Each order's need of C: B1 × 1 → 2, B2 × 1 → 3, C × 1 → 1, B1 + C → 3.
    const kinds: { lines: [string, number][]; needC: number }[] = [
      { lines: [[b1, 1]], needC: 2 },
      { lines: [[b2, 1]], needC: 3 },
      { lines: [[c, 1]], needC: 1 },
      {
        lines: [
          [b1, 1],
          [c, 1],
        ],
        needC: 3,
      },
    ];
    const bodies = Array.from({ length: 200 }, (_, i) => ({ kind: kinds[i % kinds.length] as (typeof kinds)[number], b: body((kinds[i % kinds.length] as (typeof kinds)[number]).lines) }));
    const answers = await Promise.all(bodies.map(async ({ kind, b }) => ({ kind, o: await push(b) })));
    const served = answers.filter((a) => a.o.reservation === 'held');
    const held = answers.filter((a) => a.o.reservation !== 'held');
    expect(served.length + held.length).toBe(200);
    expect(held.every((a) => a.o.hold === 'STOCK_SHORT' && a.o.reservation === 'short')).toBe(true);
    const servedC = served.reduce((a, x) => a + x.kind.needC, 0);
    expect(servedC).toBeLessThanOrEqual(100);
    expect(await reserved(c)).toBe(servedC);
    // Free units only ever went down: every held order wanted more than was left at the end.
    const left = 100 - servedC;
    for (const h of held) expect(h.kind.needC).toBeGreaterThan(left);
    expect(held.length).toBeGreaterThan(0);
    const bundleLines = served.filter((a) => a.kind.lines.some(([sku]) => sku === b1 || sku === b2)).length;
    expect(await reserved(x)).toBe(served.filter((a) => a.kind.lines.some(([sku]) => sku === b1)).length);
    expect(await reserved(y)).toBe(served.filter((a) => a.kind.lines.some(([sku]) => sku === b2)).length);
    expect(bundleLines).toBeGreaterThan(0);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
    // Each reservation row of C says whom it serves: the bundles' rows sum to their lines' need.
    const byBundle = await s.hub.db.read.all<{ bundle_sku: string | null; q: number }>(
      `SELECT bundle_sku, SUM(quantity) AS q FROM reservations WHERE sku = ? AND state = 'held' GROUP BY bundle_sku`,
      [c],
    );
    const want = new Map<string | null, number>();
    for (const a of served) for (const [sku, q] of a.kind.lines) {
      const [k, n] = sku === b1 ? [b1, 2 * q] : sku === b2 ? [b2, 3 * q] : [null, q];
      want.set(k, (want.get(k) ?? 0) + n);
    }
    expect(new Map(byBundle.map((r) => [r.bundle_sku, Number(r.q)]))).toEqual(want);
  }, 120_000);

  it('picks, packs and ships components: the pick list and the parcel name the bundle, on_hand drops by component', async () => {
    const w = uniq('BW');
    await warehouse(s, w, { priority: 1 });
    const [b, c, x] = [uniq('B'), uniq('C'), uniq('X')];
    await setStock(s, c, 20, w);
    await setStock(s, x, 20, w);
    await define(b, [
      { sku: c, quantity: 2 },
      { sku: x, quantity: 1 },
    ]);
    const o = await push(
      body(
        [
          [b, 2],
          [c, 1],
        ],
        { status: 'paid', paidAmount: 3000 },
      ),
    );
    expect(o.reservation).toBe('deducted');
    const r = await route(s, [o.orderId]);
    expect(r.unplanned).toEqual([]);
    const sh = (await order(s, o.orderId)).shipments[0] as ShipmentBody;
    const lines = sh.lines as BundleLine[];
    expect(lines.map((l) => [l.sku, l.quantity, l.bundleSku ?? null]).sort()).toEqual(
      [
        [c, 4, b],
        [x, 2, b],
        [c, 1, null],
      ].sort(),
    );
    const wave = await s.api<{ id: string; shipments: ShipmentBody[] }>('POST', '/api/waves', { warehouse: w });
    expect(wave.status, JSON.stringify(wave.body)).toBe(201);
    const pick = await s.api<{ units: number; items: { sku: string; quantity: number; bundles: { sku: string; quantity: number }[] }[] }>('GET', `/api/waves/${wave.body.id}/pick-list`);
    expect(pick.body.units).toBe(7);
    expect(pick.body.items.map((i) => [i.sku, i.quantity, i.bundles.map((k) => [k.sku, k.quantity])]).sort()).toEqual(
      [
        [c, 5, [[b, 4]]],
        [x, 2, [[b, 2]]],
      ].sort(),
    );
    const page = await (await fetch(`${s.url}/api/waves/${wave.body.id}/pick-list.html`, { headers: { authorization: `Bearer ${s.token}` } })).text();
    expect(page).toContain(b);
    // The bundle's own code is not in the parcel: scanning it is refused; its components pack it.
    const wrong = await s.api<ErrorReply>('POST', `/api/shipments/${sh.id}/scans`, { codes: [b] });
    expect(wrong.status).toBe(422);
    const packed = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: [c, c, c, c, c, x, x] });
    expect(packed.status, JSON.stringify(packed.body)).toBe(200);
    expect(packed.body.state).toBe('packed');
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier: 'sf', trackingNo: `SF${Date.now()}` });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    expect(await stockRows(s, c, [w])).toEqual({ [w]: { onHand: 15, reserved: 0 } });
    expect(await stockRows(s, x, [w])).toEqual({ [w]: { onHand: 18, reserved: 0 } });
    expect(await onHand(b)).toBe(0);
    expect((await order(s, o.orderId)).status).toBe('shipped');
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
    // Shipped: nothing open names the bundle any more, so it may change.
    expect((await define(b, [{ sku: c, quantity: 1 }])).status).toBe(200);
  });
});

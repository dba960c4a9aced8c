// What a decider sees and what the console is told, over real HTTP on every store: the diff of each kind of request
// (SKUs, quantities, old → new), the "待审批" marker on the order while a request waits, the bell's count, and the
// guard rails: a price change a marketplace cannot carry and a hand move to shipped past the warehouse are refused
// with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from './support/backends.ts';
import { createShop, ensureWarehouse, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { ownshop } from '../src/modules/channels/connectors/ownshop/index.ts';
import { DEFAULT_TENANT } from '../src/kernel/tenancy.ts';

const PASSWORD = 'correct horse battery';

interface Answer<T> {
  status: number;
  body: T;
}
interface Approval {
  id: string;
  kind: string;
  state: string;
  targetType: string;
  targetId: string | null;
  diff: Record<string, unknown> | null;
}
interface ErrorAnswer {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface OrderDetail {
  id: string;
  orderNo: string;
  status: string;
  totalAmount: number;
  history: unknown[];
  shipments: { id: string; state: string }[];
  blockedActions: { priceChange: string | null; ship: string | null };
  pendingApprovals: { id: string; kind: string }[];
}

async function call<T>(s: TestServer, token: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(s.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

describe.each(httpBackends)('approval diffs, pending markers and guard rails on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  let taobao: string;
  const tokens = new Map<string, string>();
  const as = <T>(user: string, method: string, path: string, body?: unknown) => call<T>(s, tokens.get(user) as string, method, path, body);
  const order = async (ref: string) => (await s.api<OrderDetail>('GET', `/api/orders/${ref}`)).body;
  const listed = async (orderNo: string) =>
    (await s.api<{ items: { orderNo: string; pendingApprovals: string[] }[] }>('GET', `/api/orders?q=${orderNo}`)).body.items.find((o) => o.orderNo === orderNo);
  const inbox = async (user: string) => (await as<{ count: number; more: boolean }>(user, 'GET', '/api/approvals/inbox')).body;
  const approvalRows = async () => Number((await s.hub.db.read.get<{ n: number }>('SELECT count(*) AS n FROM approvals'))?.n);

  const place = async (overrides: Parameters<typeof orderBody>[0] = {}) => {
    const r = await s.push(shop.id, shop.secret, orderBody(overrides));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.orders?.[0] as { orderNo: string; orderId: string };
  };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s, 'diff-shop-secret-0123456');
    const tb = await s.api<{ id: string }>('POST', '/api/channel-accounts', {
      platform: 'taobao',
      name: '淘宝旗舰店',
      credentials: { appKey: '12345678', appSecret: 'taobao-app-secret-0123', session: 'seller-session-0123' },
    });
    expect(tb.status, JSON.stringify(tb.body)).toBe(201);
    taobao = tb.body.id;
    await setStock(s, 'A1', 100, 'WH1');
    await setStock(s, 'B1', 10, 'WH1');
    for (const [username, roles] of [
      ['ops1', ['operations']],
      ['ops2', ['operations']],
      ['fin', ['finance']],
      ['cs', ['customer_service']],
    ] as const) {
      const r = await s.api<{ id: string }>('POST', '/api/users', { username, password: PASSWORD, roles });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      tokens.set(username, (await s.api<{ token: string }>('POST', '/api/tokens', { name: username, userId: r.body.id })).body.token);
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  it('shows a price change as lines (SKU, quantity, old → new unit price), fee and total, marks the order pending, and clears the mark once decided', async () => {
    const o = await place({ lines: [{ sku: 'A1', quantity: 2, unitPrice: 1999 }, { sku: 'B1', quantity: 1, unitPrice: 500 }], shippingFee: 500 });
    expect((await order(o.orderNo)).pendingApprovals).toEqual([]);
    const req = await as<{ pendingApproval: Approval }>('ops1', 'POST', `/api/orders/${o.orderNo}/price-change`, { lines: [{ lineNo: 1, unitPrice: 1500 }], shippingFee: 0, reason: '老客户' });
    expect(req.status, JSON.stringify(req.body)).toBe(202);
    const a = req.body.pendingApproval;
    expect(a.targetType).toBe('order');
    expect(a.targetId).toBe(o.orderId);
    expect(a.diff).toEqual({
      kind: 'order.price_change',
      orderId: o.orderId,
      orderNo: o.orderNo,
      currency: 'CNY',
      lines: [{ lineNo: 1, sku: 'A1', quantity: 2, unitPrice: { from: 1999, to: 1500 }, discount: { from: 0, to: 0 } }],
      shippingFee: { from: 500, to: 0 },
      discountSeller: null,
      total: { from: 4998, to: 3500 },
    });
    // The decider reads the same diff from the list and from the request itself.
    const seen = (await as<{ items: Approval[] }>('ops2', 'GET', '/api/approvals?state=pending')).body.items.find((x) => x.id === a.id);
    expect(seen?.diff).toEqual(a.diff);
    expect((await as<Approval>('ops2', 'GET', `/api/approvals/${a.id}`)).body.diff).toEqual(a.diff);

    // The order says it waits, in its 360° view and in the list.
    expect((await order(o.orderNo)).pendingApprovals).toEqual([{ id: a.id, kind: 'order.price_change' }]);
    expect((await listed(o.orderNo))?.pendingApprovals).toEqual(['order.price_change']);

    expect((await as('ops2', 'POST', `/api/approvals/${a.id}/decision`, { decision: 'reject', reason: 'no' })).status).toBe(200);
    expect((await order(o.orderNo)).pendingApprovals).toEqual([]);
    expect((await listed(o.orderNo))?.pendingApprovals).toEqual([]);
  });

  it('shows a paid cancellation as status → cancelled with the amount paid', async () => {
    const o = await place({ status: 'paid', paidAmount: 1999 });
    const req = await as<{ pendingApproval: Approval }>('ops1', 'POST', `/api/orders/${o.orderNo}/transitions`, { to: 'cancelled', reason: '买家要求' });
    expect(req.status, JSON.stringify(req.body)).toBe(202);
    expect(req.body.pendingApproval.diff).toEqual({
      kind: 'order.cancel_paid',
      orderId: o.orderId,
      orderNo: o.orderNo,
      currency: 'CNY',
      status: { from: 'paid', to: 'cancelled' },
      paidAmount: 1999,
    });
    expect((await order(o.orderNo)).pendingApprovals.map((p) => p.kind)).toEqual(['order.cancel_paid']);
    expect((await as('ops1', 'POST', `/api/approvals/${req.body.pendingApproval.id}/withdraw`)).status).toBe(200);
    expect((await order(o.orderNo)).pendingApprovals).toEqual([]);
  });

  it('shows a bulk stock change per SKU and warehouse as on hand before → after, as counted when asked', async () => {
    await setStock(s, 'C1', 7, 'WH1', 2);
    // A warehouse is made by its own action; the row of C1 in it does not exist yet.
    await ensureWarehouse(s, 'WH2');
    const req = await as<{ pendingApproval: Approval }>('ops1', 'POST', '/api/stock/adjustments', {
      items: [
        { sku: 'C1', warehouse: 'WH1', onHand: 12 },
        { sku: 'C1', warehouse: 'WH2', delta: 5, safetyStock: 1 },
      ],
      reason: '盘点',
    });
    expect(req.status, JSON.stringify(req.body)).toBe(202);
    expect(req.body.pendingApproval.diff).toEqual({
      kind: 'stock.bulk_adjust',
      rows: [
        { sku: 'C1', warehouse: 'WH1', before: 7, after: 12, delta: 5, safetyStock: null },
        // A row that did not exist starts at 0.
        { sku: 'C1', warehouse: 'WH2', before: 0, after: 5, delta: 5, safetyStock: { from: 0, to: 1 } },
      ],
    });
    expect((await as('ops1', 'POST', `/api/approvals/${req.body.pendingApproval.id}/withdraw`)).status).toBe(200);
  });

  it('counts in the bell only what the caller may decide: not its own, only kinds it holds the permission of', async () => {
    const o = await place({ lines: [{ sku: 'A1', quantity: 1, unitPrice: 1000 }] });
    const before = { ops1: await inbox('ops1'), ops2: await inbox('ops2'), fin: await inbox('fin') };
    const req = await as<{ pendingApproval: Approval }>('ops1', 'POST', `/api/orders/${o.orderNo}/price-change`, { shippingFee: 100, reason: 'postage' });
    expect(req.status).toBe(202);
    expect((await inbox('ops2')).count).toBe(before.ops2.count + 1);
    // Its own request is not for ops1 to decide; finance decides approvals but may not change prices.
    expect((await inbox('ops1')).count).toBe(before.ops1.count);
    expect((await inbox('fin')).count).toBe(before.fin.count);
    // Customer service decides nothing.
    expect(await inbox('cs')).toEqual({ count: 0, more: false });
    expect((await as('ops1', 'POST', `/api/approvals/${req.body.pendingApproval.id}/withdraw`)).status).toBe(200);
    expect((await inbox('ops2')).count).toBe(before.ops2.count);
  });

  it('refuses a price change on a Taobao order (the buyer pays Taobao’s price) before anything is written, and says so in the view', async () => {
    const body = orderBody({ lines: [{ sku: 'A1', quantity: 1, unitPrice: 2500 }] });
    const raw = Buffer.from(JSON.stringify(body));
    const [normalized] = ownshop.parsePush?.(raw, { eventId: `tb-${body.orderId}`, keptHeaders: {} }) ?? [];
    expect(normalized).toBeDefined();
    const stored = await s.hub.writes.ingest({
      tenantId: DEFAULT_TENANT,
      accountId: taobao,
      channel: 'taobao',
      eventId: `tb-${body.orderId}`,
      receivedAt: Date.now(),
      headers: {},
      rawBody: raw,
      orders: [normalized as NonNullable<typeof normalized>],
      via: 'pull',
    });
    const orderNo = stored.orders[0]?.orderNo as string;
    expect(orderNo, JSON.stringify(stored)).toBeTruthy();
    const view = await order(orderNo);
    expect(view.status).toBe('pending_payment');
    expect(view.blockedActions.priceChange).toBe('PRICE_CHANGE_UNSUPPORTED');

    const rows = await approvalRows();
    const r = await as<ErrorAnswer>('ops1', 'POST', `/api/orders/${orderNo}/price-change`, { lines: [{ lineNo: 1, unitPrice: 2000 }], reason: '优惠' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('PRICE_CHANGE_UNSUPPORTED');
    expect(r.body.error.message).toContain('Taobao');
    expect(await approvalRows()).toBe(rows);
    expect((await order(orderNo)).totalAmount).toBe(view.totalAmount);

    // The own shop (paid through the hub) keeps 改价.
    const own = await place({ lines: [{ sku: 'A1', quantity: 1, unitPrice: 1000 }] });
    expect((await order(own.orderNo)).blockedActions.priceChange).toBeNull();
  });

  it('refuses a hand move to shipped while the warehouse holds a parcel (nothing written), and allows it once there is none', async () => {
    const o = await place({ status: 'paid', paidAmount: 1999 });
    const free = await place({ status: 'paid', paidAmount: 1999 });
    expect((await s.api('POST', '/api/routing/run', { orderIds: [o.orderId] })).status).toBe(200);
    const routed = await order(o.orderNo);
    expect(routed.shipments.map((x) => x.state)).toEqual(['planned']);
    expect(routed.blockedActions.ship).toBe('SHIP_THROUGH_WAREHOUSE');

    const r = await as<ErrorAnswer>('ops1', 'POST', `/api/orders/${o.orderNo}/transitions`, { to: 'shipped', reason: '已发' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('SHIP_THROUGH_WAREHOUSE');
    expect(r.body.error.details?.shipments).toEqual([routed.shipments[0]?.id]);
    const after = await order(o.orderNo);
    expect(after.status).toBe('paid');
    expect(after.shipments.map((x) => x.state)).toEqual(['planned']);
    expect(after.history.length).toBe(routed.history.length);

    // An order with no parcel in the warehouse (shipped from the platform's back office) may still be marked shipped.
    expect((await order(free.orderNo)).blockedActions.ship).toBeNull();
    const ok = await as<OrderDetail>('ops1', 'POST', `/api/orders/${free.orderNo}/transitions`, { to: 'shipped', reason: '平台后台已发货' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.status).toBe('shipped');
  });
});

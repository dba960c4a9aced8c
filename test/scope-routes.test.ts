// The data-scope policy, walked from the route table on SQLite and PostgreSQL: one tenant, two shops in two provinces
// shipping from two warehouses, objects of every scoped kind on both sides, and users scoped to one shop, one province
// and one warehouse. Every /api route must be classified here, so a new one cannot slip by unchecked.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from './support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { buildApp } from '../src/app/http/app.ts';
import { allPermissions } from '../src/kernel/permissions.ts';
import { DEFAULT_TENANT } from '../src/kernel/tenancy.ts';
import { startTrackingFake, type TrackingFake } from '../src/sandbox/fakes/tracking.ts';
import { createPaymentAccount, deliver, stripeEvent, stripeIntent, stripeWebhookSecret } from './payments/support/hub.ts';
import { kuaidi100Push, sendPush } from './fulfilment/tracking-support.ts';
import { dictionary } from './fulfilment/wms-support.ts';

const PASSWORD = 'correct horse battery';

/** Waits until the condition holds (true) or the time is up (false). */
async function heard(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}
const kd100 = { key: 'kd100-scope-key', salt: 'kd100-scope-salt', customer: 'KD100SCOPE' };

type Dim = 'accounts' | 'provinces' | 'warehouses';
const allDims: readonly Dim[] = ['accounts', 'provinces', 'warehouses'];
type Key = 'A' | 'B';

interface OrderRef {
  id: string;
  orderNo: string;
  platformOrderId: string;
  eventId: string;
}

/** Everything made on one side: one shop, shipping to one province, from one warehouse. */
interface Side {
  key: Key;
  shop: { id: string; secret: string };
  province: string;
  warehouse: string;
  sku: string;
  paid: OrderRef;
  unpaid: OrderRef;
  shipmentId: string;
  trackingNo: string;
  waveId: string;
  caseId: string;
  exceptionId: number;
  outRefundNo: string;
  rawEventId: number;
  priceApproval: string;
  stockApproval: string;
  alertId: number;
  /** A refused ship-back of the side's paid order (an exception in the outbound queue, its reason the marker). */
  outboundId: number;
  wmsId: string;
  /** Text written into the side's order-bound objects (notes, cases, tracking, price changes). */
  marker: string;
  /** Text in the side's stock approval (a warehouse's) and in its shop's alert (a shop's). */
  stockMarker: string;
  alertMarker: string;
}

interface ScopedUser {
  name: string;
  /** The one dimension this user is limited on (to side A). */
  dim: Dim;
  token: string;
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

/** How a route is probed with side B's objects (out of scope) and side A's (in scope). */
type ReadProbe =
  | { notScoped: string }
  | { refused: string; path: string }
  | { stream: string }
  | {
      /** One or more paths per side; `dims`: the dimensions under which side B's object is outside a user's scope. */
      targets: (x: Side) => { path: string; dims: readonly Dim[] }[];
      /** What side A's answer must show a scoped user (so a policy that hides everything fails). */
      visible?: (a: Side) => string[];
      /** Counts a scoped user's answer must have, beyond showing no out-of-scope identifier. */
      counts?: (body: Record<string, unknown>, x: Side, u: ScopedUser | null) => void;
    };

type WriteProbe =
  | { notScoped: string }
  | {
      target: (x: Side, extra: Extra) => { path: string; body?: unknown; dims: readonly Dim[] }[];
      /** 404 unless the route names a place (a warehouse, a shop) the caller may not work in: then 403 is the answer. */
      allow: readonly number[];
    };

interface Extra {
  orphanExceptionId: number;
}

describe.each(allBackends)('the data scope over every route on $name', (backend) => {
  let s: TestServer;
  let fake: TrackingFake;
  let trackingAccount: string;
  let paymentAccount: string;
  const sides = {} as Record<Key, Side>;
  const extra: Extra = { orphanExceptionId: 0 };
  const users: ScopedUser[] = [];
  let routes: { method: string; url: string }[] = [];
  const run = randomUUID().slice(0, 6).toUpperCase();

  async function call(token: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(s.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel();
      return { status: res.status, text: '', json: null };
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, text, json };
  }
  const admin = <T>(method: string, path: string, body?: unknown) => s.api<T>(method, path, body);
  const ok = <T>(r: { status: number; body: T }, status = 200): T => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };

  async function push(x: Key, shop: { id: string; secret: string }, province: string, sku: string, n: number): Promise<OrderRef> {
    const eventId = `evt-scope-${run}-${x}-${n}`;
    const body = orderBody({
      orderId: `PSCOPE${run}${x}${n}`,
      receiver: { name: `收件人${x}`, phone: '13812345678', province, city: '某市', district: '某区', address: '某路 1 号' },
      lines: [{ sku, title: sku, quantity: 1, unitPrice: 1999, discount: 0 }],
    });
    const r = await s.push(shop.id, shop.secret, body, { eventId });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const o = r.body.orders?.[0];
    return { id: o?.orderId as string, orderNo: o?.orderNo as string, platformOrderId: body.orderId, eventId };
  }

  async function makeSide(x: Key, province: string): Promise<Side> {
    const shop = await createShop(s, `scope-shop-${x}-secret-0123456789`);
    const warehouse = `WH-SCOPE-${run}-${x}`;
    const sku = `SKU-SCOPE-${run}-${x}`;
    const marker = `scope-marker-${run}-${x}`;
    const stockMarker = `scope-stock-${run}-${x}`;
    const alertMarker = `scope-alert-${run}-${x}`;
    ok(await admin('PUT', `/api/warehouses/${warehouse}`, { priority: 1 }));
    await setStock(s, sku, 50, warehouse);
    const wms = ok(await admin<{ id: string }>('POST', '/api/wms-accounts', { name: `wms ${x}`, warehouse, secret: 'wms-secret-0123456789', dictionary }), 201);
    // Pushed unpaid, paid through Stripe, then paid a second time: a duplicate payment, with a refund proposed.
    const paid = await push(x, shop, province, sku, 1);
    expect((await deliver(s, `/hooks/pay/stripe/${paymentAccount}`, stripeEvent('payment_intent.succeeded', stripeIntent(paid.orderNo, 1999)))).status).toBe(200);
    expect((await deliver(s, `/hooks/pay/stripe/${paymentAccount}`, stripeEvent('payment_intent.succeeded', stripeIntent(paid.orderNo, 1999)))).status).toBe(200);
    const exceptions = ok(await admin<{ items: { id: number; code: string; refund: { outRefundNo: string } | null }[] }>('GET', `/api/payment-exceptions?orderId=${paid.id}`));
    const duplicate = exceptions.items.find((e) => e.code === 'DUPLICATE_PAYMENT');
    expect(duplicate, JSON.stringify(exceptions)).toBeDefined();
    // Routed, waved, picked, packed by scanning, shipped, delivered (signed for), and then "not received".
    ok(await admin('POST', '/api/routing/run', { orderIds: [paid.id] }));
    const detail = ok(await admin<{ shipments: { id: string; warehouse: string }[] }>('GET', `/api/orders/${paid.id}`));
    const shipmentId = detail.shipments[0]?.id as string;
    expect(detail.shipments[0]?.warehouse).toBe(warehouse);
    const wave = ok(await admin<{ id: string }>('POST', '/api/waves', { warehouse, shipmentIds: [shipmentId] }), 201);
    ok(await admin('POST', `/api/waves/${wave.id}/picked`));
    ok(await admin('POST', `/api/shipments/${shipmentId}/scans`, { codes: [sku] }));
    const trackingNo = `YTSCOPE${run}${x}`;
    ok(await admin('POST', `/api/shipments/${shipmentId}/ship`, { carrier: 'yuantong', trackingNo }));
    // An e-waybill on record for the parcel (own-shop orders get none from a network): its view and labels are read below.
    await s.hub.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO waybill_accounts (id, tenant_id, network, name, carrier, credentials, sender, active, created_at, updated_at) VALUES (?, ?, 'cainiao', ?, 'yto', ?, ?, 1, ?, ?)`, [
        `wba-${run}-${x}`,
        DEFAULT_TENANT,
        `cainiao ${x}`,
        s.hub.keyring.encrypt('{}'),
        JSON.stringify({ name: 'scope', phone: '1', province: 'p', city: 'c', district: 'd', address: 'a' }),
        Date.now(),
        Date.now(),
      ]);
      await tx.run(`INSERT INTO waybills (tenant_id, shipment_id, account_id, network, carrier, object_id, state, waybill_no, attempts, requested_at, issued_at, updated_at) VALUES (?, ?, ?, 'cainiao', 'yto', ?, 'issued', ?, 1, ?, ?, ?)`, [
        DEFAULT_TENANT,
        shipmentId,
        `wba-${run}-${x}`,
        shipmentId,
        trackingNo,
        Date.now(),
        Date.now(),
        Date.now(),
      ]);
    });
    const delivered = await sendPush(s, `/hooks/tracking/kuaidi100/${trackingAccount}`, kuaidi100Push(kd100.salt, trackingNo, '3', [{ at: Date.now() - 7_200_000, context: `${marker} 已签收，本人签收`, statusCode: '301' }]));
    expect(delivered.status, delivered.text).toBe(200);
    const opened = ok(await admin<{ items: { id: string }[] }>('POST', `/api/shipments/${shipmentId}/not-received`, { note: marker }), 201);
    // A second, unpaid order whose price change waits for a second person; a bulk stock change that waits too.
    const unpaid = await push(x, shop, province, sku, 2);
    const price = ok(await admin<{ pendingApproval: { id: string } }>('POST', `/api/orders/${unpaid.id}/price-change`, { shippingFee: 100, reason: marker }), 202);
    const bulk = ok(await admin<{ pendingApproval: { id: string } }>('POST', '/api/stock/adjustments', { items: [{ sku, warehouse, delta: 1 }], reason: stockMarker }), 202);
    ok(await admin('POST', `/api/orders/${paid.id}/notes`, { text: marker }));
    await s.hub.writes.recordDrift({ tenantId: DEFAULT_TENANT, accountId: shop.id, platform: 'ownshop', shape: 'order', at: Date.now(), stats: null, findings: [{ kind: 'field_added', key: alertMarker, message: alertMarker }] });
    const alerts = ok(await admin<{ items: { id: number }[] }>('GET', `/api/channel-alerts?accountId=${shop.id}`)).items;
    const raw = ok(await admin<{ items: { id: number; eventId: string }[] }>('GET', `/api/channel-accounts/${shop.id}/raw-events`)).items;
    // The own shop has no ship-back client: the side's refused ship-back is written as the outbound worker would keep it.
    const outbound = await s.hub.db.transaction((tx) =>
      tx.get<{ id: number }>(
        `INSERT INTO outbound_calls (tenant_id, account_id, channel, kind, order_id, shipment_id, platform_order_id, idempotency_key, request, state, attempts, last_code, last_error, created_at, updated_at)
         VALUES (?, ?, 'ownshop', 'ship_back', ?, ?, ?, ?, ?, 'refused', 1, 'probe', ?, ?, ?) RETURNING id`,
        [DEFAULT_TENANT, shop.id, paid.id, shipmentId, paid.platformOrderId, `ship_back:scope:${run}:${x}`, JSON.stringify({ platformOrderId: paid.platformOrderId, carrier: 'yuantong', trackingNo, shippedAt: Date.now(), lines: [], idempotencyKey: 'x' }), marker, Date.now(), Date.now()],
      ),
    );
    return {
      key: x,
      shop,
      province,
      warehouse,
      sku,
      paid,
      unpaid,
      shipmentId,
      trackingNo,
      waveId: wave.id,
      caseId: opened.items[0]?.id as string,
      exceptionId: duplicate?.id as number,
      outRefundNo: duplicate?.refund?.outRefundNo as string,
      rawEventId: raw.find((r) => r.eventId === paid.eventId)?.id as number,
      priceApproval: price.pendingApproval.id,
      stockApproval: bulk.pendingApproval.id,
      alertId: alerts[0]?.id as number,
      outboundId: Number(outbound?.id),
      wmsId: wms.id,
      marker,
      stockMarker,
      alertMarker,
    };
  }

  beforeAll(async () => {
    fake = await startTrackingFake({ kuaidi100: { key: kd100.key, customer: kd100.customer } });
    s = await startServer(backend);
    const t = ok(await admin<{ id: string }>('POST', '/api/tracking-accounts', { source: 'kuaidi100', name: 'Kuaidi100', credentials: kd100, apiBase: fake.apiBase('kuaidi100') }), 201);
    trackingAccount = t.id;
    paymentAccount = await createPaymentAccount(s, 'stripe', { webhookSecret: stripeWebhookSecret }, []);
    sides.A = await makeSide('A', '浙江省');
    sides.B = await makeSide('B', '广东省');
    ok(await admin('PATCH', `/api/payment-accounts/${paymentAccount}`, { channelAccounts: [sides.A.shop.id, sides.B.shop.id] }));
    // A payment for an order nobody has: an exception that names no order.
    const orphan = `NOSUCH-SCOPE-${run}`;
    expect((await deliver(s, `/hooks/pay/stripe/${paymentAccount}`, stripeEvent('payment_intent.succeeded', stripeIntent(orphan, 500)))).status).toBe(200);
    const unknown = ok(await admin<{ items: { id: number; orderId: string | null; reason: string }[] }>('GET', '/api/payment-exceptions?code=UNKNOWN_ORDER'));
    extra.orphanExceptionId = unknown.items.find((e) => e.orderId === null)?.id as number;
    expect(extra.orphanExceptionId).toBeGreaterThan(0);
    // Every shipment's subscription with the tracking source is done, so nothing moves in the background later.
    for (const x of [sides.A, sides.B]) {
      for (let i = 0; i < 400 && !(await s.hub.db.read.get<{ at: number | null }>('SELECT subscribed_at AS at FROM shipments WHERE id = ?', [x.shipmentId]))?.at; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    ok(await admin('PUT', '/api/roles/scope_probe', { description: 'every permission, for the scope test', permissions: [...allPermissions] }));
    const scoped: [string, Dim, Record<Dim, string[] | null>][] = [
      ['shop_a', 'accounts', { accounts: [sides.A.shop.id], provinces: null, warehouses: null }],
      ['province_a', 'provinces', { accounts: null, provinces: [sides.A.province], warehouses: null }],
      ['warehouse_a', 'warehouses', { accounts: null, provinces: null, warehouses: [sides.A.warehouse] }],
    ];
    for (const [name, dim, scope] of scoped) {
      const u = ok(await admin<{ id: string }>('POST', '/api/users', { username: `${name}_${run}`, password: PASSWORD, roles: ['scope_probe'], scope }), 201);
      const token = ok(await admin<{ token: string }>('POST', '/api/tokens', { name: `${name} probe`, userId: u.id }), 201).token;
      users.push({ name, dim, token });
    }
    const app = await buildApp(s.hub);
    await app.ready();
    routes = app.routeTable.filter((r) => r.url.startsWith('/api/')).map((r) => ({ method: r.method, url: r.url }));
    await app.close();
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  /** The identifiers of side B's objects that a user limited on `dim` must never read. */
  function forbidden(u: ScopedUser): string[] {
    const b = sides.B;
    const out = [
      // Orders and everything that hangs on them: shipments, tracking, cases, payments, refunds, raw events, approvals.
      b.paid.id,
      b.paid.orderNo,
      b.paid.platformOrderId,
      b.unpaid.id,
      b.unpaid.orderNo,
      b.unpaid.platformOrderId,
      b.paid.eventId,
      b.unpaid.eventId,
      b.shipmentId,
      b.trackingNo,
      b.waveId,
      b.caseId,
      b.outRefundNo,
      b.priceApproval,
      b.marker,
      `NOSUCH-SCOPE-${run}`,
    ];
    // Stock, warehouses and WMS accounts are of a warehouse, not of a shop or a province.
    if (u.dim === 'warehouses') out.push(b.warehouse, b.sku, b.wmsId, b.stockApproval, b.stockMarker);
    // A shop (and its alerts) is limited by the account scope only.
    if (u.dim === 'accounts') out.push(b.shop.id, b.alertMarker);
    return out;
  }

  const leaks = (u: ScopedUser, text: string) => forbidden(u).filter((id) => text.includes(id));

  const orderTargets = (x: Side) => [x.paid.id, x.paid.orderNo, x.unpaid.id, x.unpaid.orderNo].map((id) => ({ path: `/api/orders/${id}`, dims: allDims }));
  /** A list or a count: it names no object, so it answers 200 and must simply not show side B. */
  const all = (path: string) => () => [{ path, dims: [] as Dim[] }];

  const reads: Record<string, ReadProbe> = {
    'GET /api/auth/options': { notScoped: 'how to sign in; public' },
    'GET /api/auth/me': { notScoped: 'the caller itself' },
    'GET /api/users': { notScoped: 'people are not scoped data (users.manage)' },
    'GET /api/users/:id': { notScoped: 'people are not scoped data (users.manage)' },
    'GET /api/permissions': { notScoped: 'the catalogue of permissions' },
    'GET /api/roles': { notScoped: 'roles are tenant configuration' },
    'GET /api/tokens': { notScoped: 'API tokens of people; not scoped data' },
    'GET /api/audit': { targets: all('/api/audit?limit=500'), visible: (a) => [a.paid.id] },
    'GET /api/audit/verify': { refused: 'verifying the whole chain reads every entry: an unlimited scope only', path: '/api/audit/verify' },
    'GET /api/approvals': { targets: all('/api/approvals?limit=200'), visible: (a) => [a.priceApproval, a.stockApproval] },
    'GET /api/approvals/inbox': { targets: all('/api/approvals/inbox') },
    'GET /api/approvals/:id': {
      targets: (x) => [
        { path: `/api/approvals/${x.priceApproval}`, dims: allDims },
        { path: `/api/approvals/${x.stockApproval}`, dims: ['warehouses'] },
      ],
    },
    'GET /api/channel-accounts': { targets: all('/api/channel-accounts'), visible: (a) => [a.shop.id] },
    'GET /api/channel-accounts/:id': { targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}`, dims: ['accounts'] }] },
    'GET /api/stock/:sku': { targets: (x) => [{ path: `/api/stock/${x.sku}`, dims: ['warehouses'] }] },
    'GET /api/stock/:sku/movements': {
      targets: (x) => [
        { path: `/api/stock/${x.sku}/movements`, dims: ['warehouses'] },
        { path: `/api/stock/${x.sku}/movements?warehouse=${x.warehouse}`, dims: ['warehouses'] },
      ],
    },
    'GET /api/stock-allocation': { targets: all('/api/stock-allocation') },
    'GET /api/stock': {
      targets: all('/api/stock?pageSize=500'),
      visible: (a) => [a.sku],
      counts: (b) => expect(b.total).toBe((b.items as unknown[]).length),
    },
    'GET /api/orders/export': { targets: all('/api/orders/export'), visible: (a) => [a.paid.orderNo, a.unpaid.orderNo] },
    'GET /api/orders': {
      targets: all('/api/orders?pageSize=200'),
      visible: (a) => [a.paid.orderNo, a.unpaid.orderNo],
      counts: (b) => expect(b.total).toBe((b.items as unknown[]).length),
    },
    'GET /api/orders/:idOrOrderNo': { targets: orderTargets },
    'GET /api/webhooks': { refused: 'an endpoint receives every event of the tenant: managing them needs an unlimited scope', path: '/api/webhooks' },
    'GET /api/webhooks/:id/deliveries': { refused: 'deliveries carry every event of the tenant', path: '/api/webhooks/no-such-webhook/deliveries' },
    'GET /api/events': { targets: all('/api/events?limit=1000'), visible: (a) => [a.paid.orderNo, a.shipmentId] },
    'GET /api/raw-events/:id': { targets: (x) => [{ path: `/api/raw-events/${x.rawEventId}`, dims: allDims }] },
    'GET /api/dashboard': {
      targets: all('/api/dashboard'),
      counts: (b, _x, u) => {
        const n = u ? 2 : 4;
        expect(b.ordersToday).toBe(n);
        expect((b.byStatus as { orders: number }[]).reduce((a, r) => a + r.orders, 0)).toBe(n);
        expect((b.perMinute as { orders: number }[]).reduce((a, r) => a + r.orders, 0)).toBe(n);
        expect(b.waitingToShip).toBe(0);
      },
    },
    'GET /api/stream': { stream: 'checked by "streams only in-scope orders" below' },
    'GET /api/platforms': { notScoped: 'the catalogue of platforms' },
    'GET /api/channel-accounts/:id/integration': {
      targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/integration`, dims: ['accounts'] }],
      // Side B's raw events are of side B's orders: a province or warehouse scope counts none of them.
      counts: (b, x, u) => expect((b.last24h as { pushed: number }).pushed).toBe(u && x.key === 'B' ? 0 : 2),
    },
    'GET /api/channel-accounts/:id/pulls': { targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/pulls`, dims: ['accounts'] }] },
    'GET /api/channel-accounts/:id/outbound': { targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/outbound`, dims: ['accounts'] }] },
    'GET /api/channel-accounts/:id/platform-calls': { targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/platform-calls`, dims: ['accounts'] }] },
    'GET /api/channel-accounts/:id/raw-events': {
      targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/raw-events`, dims: ['accounts'] }],
      visible: (a) => [a.paid.eventId, a.unpaid.eventId],
    },
    'GET /api/channel-alerts': { targets: all('/api/channel-alerts?limit=500'), visible: (a) => [a.alertMarker] },
    'GET /api/outbound-exceptions': { targets: all('/api/outbound-exceptions?limit=500'), visible: (a) => [a.marker] },
    'GET /api/channel-accounts/:id/listings': { targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/listings`, dims: ['accounts'] }] },
    'GET /api/channel-accounts/:id/listings/pull': { targets: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/listings/pull`, dims: ['accounts'] }] },
    'GET /api/listings/unmatched': { targets: all('/api/listings/unmatched?limit=500') },
    // A list: the listings of the SKU in the caller's shops only (empty for a SKU no shop of theirs lists).
    'GET /api/listings': { targets: (x) => [{ path: `/api/listings?sku=${x.sku}`, dims: [] }] },
    'GET /api/unmatched-codes': { targets: all('/api/unmatched-codes') },
    'GET /api/payment-providers': { notScoped: 'the catalogue of payment providers' },
    'GET /api/payment-accounts': { notScoped: 'payment accounts are tenant configuration (credentials never shown), not order data' },
    'GET /api/payment-accounts/:id': { notScoped: 'payment accounts are tenant configuration (credentials never shown), not order data' },
    'GET /api/payment-exceptions': { targets: all('/api/payment-exceptions?limit=500'), visible: (a) => [a.paid.orderNo] },
    'GET /api/payment-exceptions/:id': {
      targets: (x) => [
        { path: `/api/payment-exceptions/${x.exceptionId}`, dims: allDims },
        ...(x.key === 'B' ? [{ path: `/api/payment-exceptions/${extra.orphanExceptionId}`, dims: allDims }] : []),
      ],
    },
    'GET /api/routing/rules': { notScoped: 'routing rules are tenant configuration' },
    'GET /api/warehouses': { targets: all('/api/warehouses'), visible: (a) => [a.warehouse] },
    'GET /api/sku-traits': { notScoped: 'the SKU catalogue and its fulfilment traits: tenant configuration, no stock levels' },
    'GET /api/bundles': { notScoped: 'bundle definitions (组合装): the SKU catalogue, no stock levels' },
    'GET /api/bundles/:sku': { notScoped: 'a bundle definition (组合装): the SKU catalogue, no stock levels' },
    'GET /api/shipments': {
      targets: all('/api/shipments?pageSize=500'),
      visible: (a) => [a.shipmentId, a.trackingNo],
      counts: (b) => expect(b.total).toBe((b.items as unknown[]).length),
    },
    'GET /api/shipments/:id': { targets: (x) => [{ path: `/api/shipments/${x.shipmentId}`, dims: allDims }] },
    'GET /api/waves': { targets: all('/api/waves?limit=500'), visible: (a) => [a.waveId] },
    'GET /api/waves/:id': { targets: (x) => [{ path: `/api/waves/${x.waveId}`, dims: allDims }] },
    'GET /api/waves/:id/pick-list': { targets: (x) => [{ path: `/api/waves/${x.waveId}/pick-list`, dims: allDims }] },
    'GET /api/waves/:id/pick-list.html': { targets: (x) => [{ path: `/api/waves/${x.waveId}/pick-list.html`, dims: allDims }] },
    'GET /api/tracking-sources': { notScoped: 'the catalogue of tracking sources' },
    'GET /api/tracking-accounts': { notScoped: 'tracking source accounts are tenant configuration' },
    'GET /api/tracking-accounts/:id': { notScoped: 'tracking source accounts are tenant configuration' },
    'GET /api/shipments/:id/tracking': { targets: (x) => [{ path: `/api/shipments/${x.shipmentId}/tracking`, dims: allDims }], visible: (a) => [a.marker] },
    'GET /api/tracking/trust-board': {
      targets: all('/api/tracking/trust-board'),
      counts: (b, _x, u) => expect((b.carriers as { delivered: number }[]).reduce((a, c) => a + c.delivered, 0)).toBe(u ? 1 : 2),
    },
    'GET /api/tracking/settings': { notScoped: 'delivery trust settings are tenant configuration' },
    'GET /api/cases': { targets: all('/api/cases'), visible: (a) => [a.caseId] },
    'GET /api/waybill-accounts': { notScoped: 'waybill accounts are tenant configuration' },
    'GET /api/shipments/:id/waybill': { targets: (x) => [{ path: `/api/shipments/${x.shipmentId}/waybill`, dims: allDims }] },
    'GET /api/shipments/:id/label.pdf': { targets: (x) => [{ path: `/api/shipments/${x.shipmentId}/label.pdf`, dims: allDims }] },
    'GET /api/waves/:id/labels.pdf': { targets: (x) => [{ path: `/api/waves/${x.waveId}/labels.pdf`, dims: allDims }] },
    'GET /api/wms-accounts': { targets: all('/api/wms-accounts'), visible: (a) => [a.wmsId] },
    'GET /api/wms-accounts/:id': { targets: (x) => [{ path: `/api/wms-accounts/${x.wmsId}`, dims: ['warehouses'] }] },
  };

  const order1 = (x: Side) => `/api/orders/${x.paid.id}`;
  const order2 = (x: Side) => `/api/orders/${x.unpaid.orderNo}`;
  const writes: Record<string, WriteProbe> = {
    'POST /api/auth/sign-in': { notScoped: 'signing in' },
    'POST /api/auth/sign-out': { notScoped: "the caller's own session" },
    'POST /api/users': { notScoped: 'people; a scoped manager cannot give a wider scope than its own (tested in people-scope)' },
    'PATCH /api/users/:id': { notScoped: 'people; a scoped manager cannot give a wider scope than its own (tested in people-scope)' },
    'DELETE /api/users/:id': { notScoped: 'people are not scoped data' },
    'PUT /api/roles/:name': { notScoped: 'roles are tenant configuration' },
    'DELETE /api/roles/:name': { notScoped: 'roles are tenant configuration' },
    'POST /api/tokens': { notScoped: 'API tokens of people' },
    'DELETE /api/tokens/:id': { notScoped: 'API tokens of people' },
    'POST /api/approvals/:id/decision': {
      target: (x) => [
        { path: `/api/approvals/${x.priceApproval}/decision`, body: { decision: 'reject', reason: 'probe' }, dims: allDims },
        { path: `/api/approvals/${x.stockApproval}/decision`, body: { decision: 'reject', reason: 'probe' }, dims: ['warehouses'] },
      ],
      allow: [404],
    },
    'POST /api/approvals/:id/withdraw': { target: (x) => [{ path: `/api/approvals/${x.priceApproval}/withdraw`, dims: allDims }], allow: [404] },
    'POST /api/channel-accounts': { notScoped: 'adds a new shop; names no existing object' },
    'PATCH /api/channel-accounts/:id': { target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}`, body: { name: 'taken over' }, dims: ['accounts'] }], allow: [404] },
    'DELETE /api/channel-accounts/:id': { target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}?reason=probe`, dims: ['accounts'] }], allow: [404] },
    'PUT /api/stock/:sku': { target: (x) => [{ path: `/api/stock/${x.sku}`, body: { warehouse: x.warehouse, onHand: 7, reason: 'test count' }, dims: ['warehouses'] }], allow: [403, 404] },
    'POST /api/stock/adjustments': {
      target: (x) => [{ path: '/api/stock/adjustments', body: { items: [{ sku: x.sku, warehouse: x.warehouse, delta: -1 }], reason: 'probe' }, dims: ['warehouses'] }],
      allow: [403, 404],
    },
    'PUT /api/stock-allocation/:accountId': {
      target: (x) => [{ path: `/api/stock-allocation/${x.shop.id}`, body: { ratioPct: 100, safetyStock: 0, syncEnabled: true }, dims: ['accounts'] }],
      allow: [404],
    },
    'PUT /api/stock/:sku/exclusive': { target: (x) => [{ path: `/api/stock/${x.sku}/exclusive`, body: { accountId: null }, dims: allDims }], allow: [403] },
    'POST /api/sku-mappings': { target: (x) => [{ path: '/api/sku-mappings', body: { externalSku: 'EXT-PROBE', sku: x.sku, accountId: x.shop.id }, dims: ['accounts'] }], allow: [403, 404] },
    'POST /api/orders/:idOrOrderNo/transitions': { target: (x) => [{ path: `${order2(x)}/transitions`, body: { to: 'cancelled', reason: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/orders/:idOrOrderNo/price-change': { target: (x) => [{ path: `${order2(x)}/price-change`, body: { shippingFee: 1, reason: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/orders/:idOrOrderNo/notes': { target: (x) => [{ path: `${order1(x)}/notes`, body: { text: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/orders/:idOrOrderNo/remark': { target: (x) => [{ path: `${order1(x)}/remark`, body: { text: 'probe', flag: 1 }, dims: allDims }], allow: [404] },
    'POST /api/orders/:idOrOrderNo/retry-reservation': { target: (x) => [{ path: `${order1(x)}/retry-reservation`, dims: allDims }], allow: [404] },
    'POST /api/orders/:idOrOrderNo/refunds': { target: (x) => [{ path: `${order1(x)}/refunds`, body: { reason: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/webhooks': { target: () => [{ path: '/api/webhooks', body: { url: 'http://127.0.0.1:9/probe' }, dims: allDims }], allow: [403] },
    'DELETE /api/webhooks/:id': { target: () => [{ path: '/api/webhooks/no-such-webhook', dims: allDims }], allow: [403] },
    'POST /api/channel-accounts/:id/pull': { target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/pull`, dims: ['accounts'] }], allow: [404] },
    'POST /api/channel-accounts/:id/listings/pull': { target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/listings/pull`, dims: ['accounts'] }], allow: [404] },
    'POST /api/channel-accounts/:id/listings/:listingId/ignore': {
      target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/listings/1/ignore`, body: { ignored: true }, dims: ['accounts'] }],
      allow: [404],
    },
    'PUT /api/channel-accounts/:id/listings/:listingId/overrides': {
      target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/listings/1/overrides`, body: { fixedQuantity: 1, capQuantity: null }, dims: ['accounts'] }],
      allow: [404],
    },
    'POST /api/channel-accounts/:id/listings/:listingId/match': {
      target: (x) => [{ path: `/api/channel-accounts/${x.shop.id}/listings/1/match`, body: { sku: x.sku }, dims: ['accounts'] }],
      allow: [404],
    },
    'POST /api/skus': { notScoped: 'adds a SKU to the tenant catalogue (nothing on hand, of no warehouse); names no existing object' },
    'POST /api/channel-alerts/:id/acknowledge': { target: (x) => [{ path: `/api/channel-alerts/${x.alertId}/acknowledge`, dims: ['accounts'] }], allow: [404] },
    'POST /api/raw-events/:id/replay': { target: (x) => [{ path: `/api/raw-events/${x.rawEventId}/replay`, dims: allDims }], allow: [404] },
    'POST /api/outbound-calls/:id/retry': { target: (x) => [{ path: `/api/outbound-calls/${x.outboundId}/retry`, dims: allDims }], allow: [404] },
    'POST /api/outbound-calls/:id/resend': { target: (x) => [{ path: `/api/outbound-calls/${x.outboundId}/resend`, body: { trackingNo: 'PROBE1' }, dims: allDims }], allow: [404] },
    'POST /api/outbound-calls/:id/handled': { target: (x) => [{ path: `/api/outbound-calls/${x.outboundId}/handled`, body: { note: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/payment-accounts': { notScoped: 'payment accounts are tenant configuration' },
    'PATCH /api/payment-accounts/:id': { notScoped: 'payment accounts are tenant configuration' },
    'POST /api/payment-exceptions/:id/resolve': {
      target: (x, e) => [
        { path: `/api/payment-exceptions/${x.exceptionId}/resolve`, body: { note: 'probe' }, dims: allDims },
        { path: `/api/payment-exceptions/${e.orphanExceptionId}/resolve`, body: { note: 'probe' }, dims: allDims },
      ],
      allow: [404],
    },
    'POST /api/payment-exceptions/:id/approve-refund': { target: (x) => [{ path: `/api/payment-exceptions/${x.exceptionId}/approve-refund`, body: { note: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/payment-exceptions/:id/decline-refund': { target: (x) => [{ path: `/api/payment-exceptions/${x.exceptionId}/decline-refund`, body: { note: 'probe' }, dims: allDims }], allow: [404] },
    'POST /api/payment-exceptions/:id/recheck': {
      target: (x, e) => [
        { path: `/api/payment-exceptions/${x.exceptionId}/recheck`, dims: allDims },
        { path: `/api/payment-exceptions/${e.orphanExceptionId}/recheck`, dims: allDims },
      ],
      allow: [404],
    },
    'PUT /api/routing/rules': { notScoped: 'routing rules are tenant configuration' },
    'PUT /api/warehouses/:code': { target: (x) => [{ path: `/api/warehouses/${x.warehouse}`, body: { priority: 9 }, dims: ['warehouses'] }], allow: [403, 404] },
    'PUT /api/sku-traits/:sku': { notScoped: 'the SKU catalogue: tenant configuration' },
    'PUT /api/bundles/:sku': { notScoped: 'bundle definitions (组合装): the SKU catalogue, tenant configuration' },
    'DELETE /api/bundles/:sku': { notScoped: 'bundle definitions (组合装): the SKU catalogue, tenant configuration' },
    'POST /api/routing/dry-run': { target: (x) => [{ path: '/api/routing/dry-run', body: { orderIds: [x.paid.id] }, dims: allDims }], allow: [404] },
    'POST /api/routing/run': { target: (x) => [{ path: '/api/routing/run', body: { orderIds: [x.paid.id] }, dims: allDims }], allow: [404] },
    'POST /api/shipments/:id/scans': { target: (x) => [{ path: `/api/shipments/${x.shipmentId}/scans`, body: { codes: [x.sku] }, dims: allDims }], allow: [404] },
    'POST /api/shipments/:id/ship': { target: (x) => [{ path: `/api/shipments/${x.shipmentId}/ship`, body: { carrier: 'yuantong', trackingNo: 'PROBE1' }, dims: allDims }], allow: [404] },
    'POST /api/shipments/:id/tracking': { target: (x) => [{ path: `/api/shipments/${x.shipmentId}/tracking`, body: { trackingNo: 'PROBE2' }, dims: allDims }], allow: [404] },
    'POST /api/waves': { target: (x) => [{ path: '/api/waves', body: { warehouse: x.warehouse, shipmentIds: [x.shipmentId] }, dims: allDims }], allow: [403, 404] },
    'POST /api/waves/:id/picked': { target: (x) => [{ path: `/api/waves/${x.waveId}/picked`, dims: allDims }], allow: [404] },
    'POST /api/tracking-accounts': { notScoped: 'tracking source accounts are tenant configuration' },
    'POST /api/waybill-accounts': { notScoped: 'waybill accounts are tenant configuration' },
    'POST /api/shipments/:id/waybill': { target: (x) => [{ path: `/api/shipments/${x.shipmentId}/waybill`, dims: allDims }], allow: [404] },
    'POST /api/shipments/:id/waybill/cancel': { target: (x) => [{ path: `/api/shipments/${x.shipmentId}/waybill/cancel`, dims: allDims }], allow: [404] },
    'POST /api/waves/:id/waybills': { target: (x) => [{ path: `/api/waves/${x.waveId}/waybills`, dims: allDims }], allow: [404] },
    'PATCH /api/tracking-accounts/:id': { notScoped: 'tracking source accounts are tenant configuration' },
    'DELETE /api/tracking-accounts/:id': { notScoped: 'tracking source accounts are tenant configuration' },
    'POST /api/shipments/:id/not-received': { target: (x) => [{ path: `/api/shipments/${x.shipmentId}/not-received`, body: {}, dims: allDims }], allow: [404] },
    'PUT /api/tracking/settings': { notScoped: 'delivery trust settings are tenant configuration' },
    'POST /api/wms-accounts': {
      target: (x) => [{ path: '/api/wms-accounts', body: { name: 'probe', warehouse: x.warehouse, secret: 'wms-secret-0123456789', dictionary }, dims: ['warehouses'] }],
      allow: [403],
    },
    'PATCH /api/wms-accounts/:id': { target: (x) => [{ path: `/api/wms-accounts/${x.wmsId}`, body: { name: 'taken over' }, dims: ['warehouses'] }], allow: [404] },
    'POST /api/wms-accounts/:id/rotate-secret': { target: (x) => [{ path: `/api/wms-accounts/${x.wmsId}/rotate-secret`, dims: ['warehouses'] }], allow: [404] },
    'DELETE /api/wms-accounts/:id': { target: (x) => [{ path: `/api/wms-accounts/${x.wmsId}`, dims: ['warehouses'] }], allow: [404] },
  };

  it('classifies every /api route: a new route fails here until someone says how its scope is checked', () => {
    const unclassified = routes.filter((r) => !((`${r.method} ${r.url}` in reads && r.method === 'GET') || (`${r.method} ${r.url}` in writes && r.method !== 'GET')));
    expect(unclassified.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const stale = [...Object.keys(reads), ...Object.keys(writes)].filter((k) => !routes.some((r) => `${r.method} ${r.url}` === k));
    expect(stale).toEqual([]);
    expect(users).toHaveLength(3);
  });

  it('answers a scoped user 404 (or 403, or a list without it) for every out-of-scope object, and shows the in-scope ones', async () => {
    const problems: string[] = [];
    const a = sides.A;
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const probe = reads[`GET ${r.url}`];
      if (!probe || 'notScoped' in probe || 'stream' in probe) continue;
      const route = `GET ${r.url}`;
      if ('refused' in probe) {
        for (const u of users) {
          const res = await call(u.token, 'GET', probe.path);
          if (res.status !== 403) problems.push(`${route} as ${u.name}: ${res.status}, not 403`);
        }
        continue;
      }
      // The unlimited admin sees both sides (so the test data is there) and its counts hold every object.
      for (const x of [sides.A, sides.B]) {
        for (const t of probe.targets(x)) {
          if (x.key === 'B' && t.dims.length === 0) continue;
          const res = await call(s.token, 'GET', t.path);
          if (res.status !== 200) problems.push(`${route} ${t.path} as admin: ${res.status} ${res.text.slice(0, 200)}`);
          else if (probe.counts) {
            try {
              probe.counts(res.json as Record<string, unknown>, x, null);
            } catch (e) {
              problems.push(`${route} ${t.path} as admin: ${(e as Error).message}`);
            }
          }
        }
      }
      for (const u of users) {
        for (const x of [sides.A, sides.B]) {
          for (const t of probe.targets(x)) {
            if (x.key === 'B' && t.dims.length === 0) continue; // a list: side A's call was the same
            const res = await call(u.token, 'GET', t.path);
            if (x.key === 'B' && t.dims.includes(u.dim)) {
              if (res.status !== 404 && res.status !== 403) problems.push(`${route} ${t.path} as ${u.name}: ${res.status}, not 404 (${res.text.slice(0, 160)})`);
              continue;
            }
            if (res.status !== 200) {
              problems.push(`${route} ${t.path} as ${u.name}: ${res.status} ${res.text.slice(0, 200)}`);
              continue;
            }
            const leaked = leaks(u, res.text);
            if (leaked.length) problems.push(`${route} ${t.path} as ${u.name} shows ${leaked.join(', ')}`);
            if (x.key === 'A' && probe.visible) {
              const missing = probe.visible(a).filter((id) => !res.text.includes(id));
              if (missing.length) problems.push(`${route} ${t.path} as ${u.name} does not show ${missing.join(', ')}`);
            }
            if (probe.counts) {
              try {
                probe.counts(res.json as Record<string, unknown>, x, u);
              } catch (e) {
                problems.push(`${route} ${t.path} as ${u.name}: ${(e as Error).message}`);
              }
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  /** What the admin reads of side B (and of the tenant's logs): equal before and after a refused write. */
  async function snapshot(): Promise<string> {
    const b = sides.B;
    const paths = [
      `/api/orders/${b.paid.id}`,
      `/api/orders/${b.unpaid.id}`,
      `/api/shipments/${b.shipmentId}`,
      `/api/shipments/${b.shipmentId}/tracking`,
      `/api/waves/${b.waveId}`,
      `/api/payment-exceptions/${b.exceptionId}`,
      `/api/payment-exceptions/${extra.orphanExceptionId}`,
      `/api/approvals/${b.priceApproval}`,
      `/api/approvals/${b.stockApproval}`,
      `/api/channel-accounts/${b.shop.id}`,
      `/api/channel-alerts?accountId=${b.shop.id}`,
      `/api/stock/${b.sku}`,
      `/api/warehouses`,
      `/api/wms-accounts/${b.wmsId}`,
      `/api/webhooks`,
      `/api/cases`,
      `/api/audit?limit=1`,
    ];
    const out: unknown[] = [];
    for (const p of paths) out.push(p, (await admin('GET', p)).body);
    const events = await s.hub.db.read.get<{ n: number | null }>('SELECT MAX(id) AS n FROM outbox');
    out.push(Number(events?.n ?? 0));
    return JSON.stringify(out);
  }

  it('refuses every write naming an out-of-scope object with 404 (403 where it names a place), and changes nothing', async () => {
    const problems: string[] = [];
    let before = await snapshot();
    for (const r of routes.filter((x) => x.method !== 'GET')) {
      const probe = writes[`${r.method} ${r.url}`];
      if (!probe || 'notScoped' in probe) continue;
      for (const u of users) {
        for (const t of probe.target(sides.B, extra)) {
          if (!t.dims.includes(u.dim)) continue;
          const res = await call(u.token, r.method, t.path, t.body);
          if (!probe.allow.includes(res.status)) problems.push(`${r.method} ${t.path} as ${u.name}: ${res.status} ${res.text.slice(0, 200)}`);
          const after = await snapshot();
          if (after !== before) {
            problems.push(`${r.method} ${t.path} as ${u.name} changed side B`);
            before = after;
          }
        }
      }
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('lets each scoped user write to its own side: a note, a "not received" report, a wave of a planned shipment', async () => {
    const a = sides.A;
    for (const u of users) {
      const note = await call(u.token, 'POST', `/api/orders/${a.paid.orderNo}/notes`, { text: `note by ${u.name}` });
      expect(note.status, note.text).toBe(200);
      const again = await call(u.token, 'POST', `/api/shipments/${a.shipmentId}/not-received`, {});
      expect(again.status, again.text).toBe(201);
      expect((again.json as { items: { id: string }[] }).items.map((c) => c.id)).toEqual([a.caseId]);
      const exception = await call(u.token, 'GET', `/api/payment-exceptions/${a.exceptionId}`);
      expect(exception.status, exception.text).toBe(200);
    }
    // A paid order of side A, routed by the admin; each scoped user in turn finds its shipment and the shop's user waves it.
    const o = await push('A', a.shop, a.province, a.sku, 20);
    expect((await deliver(s, `/hooks/pay/stripe/${paymentAccount}`, stripeEvent('payment_intent.succeeded', stripeIntent(o.orderNo, 1999)))).status).toBe(200);
    const routed = await call(users[0]?.token as string, 'POST', '/api/routing/run', { orderIds: [o.id] });
    expect(routed.status, routed.text).toBe(200);
    const shipment = ((await admin<{ shipments: { id: string }[] }>('GET', `/api/orders/${o.id}`)).body.shipments[0]?.id ?? '') as string;
    for (const u of users) expect((await call(u.token, 'GET', `/api/shipments/${shipment}`)).status).toBe(200);
    const wave = await call(users[0]?.token as string, 'POST', '/api/waves', { warehouse: a.warehouse, shipmentIds: [shipment] });
    expect(wave.status, wave.text).toBe(201);
    const scanned = await call(users[2]?.token as string, 'POST', `/api/shipments/${shipment}/scans`, { codes: [a.sku] });
    expect(scanned.status, scanned.text).toBe(200);
    expect((scanned.json as { state: string }).state).toBe('packed');
  }, 60_000);

  it('streams a scoped listener only the orders in its scope, named', async () => {
    const listen = async (token: string) => {
      const ctrl = new AbortController();
      const res = await fetch(`${s.url}/api/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const events: { type: string; orderNo: string | null }[] = [];
      let text = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          text += new TextDecoder().decode(value);
          for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
            const data = /^data: (.*)$/m.exec(text.slice(0, i))?.[1];
            text = text.slice(i + 2);
            if (data) events.push(JSON.parse(data) as { type: string; orderNo: string | null });
          }
        }
      })();
      return { events, close: () => ctrl.abort() };
    };
    const all = await listen(s.token);
    const scoped = await Promise.all(users.map((u) => listen(u.token)));
    // The feed starts at the present: orders of side A are pushed until the unlimited listener hears one.
    const sideA: string[] = [];
    for (let n = 3; n < 10 && !all.events.some((e) => e.orderNo !== null && sideA.includes(e.orderNo)); n++) {
      sideA.push((await push('A', sides.A.shop, sides.A.province, sides.A.sku, n)).orderNo);
      await heard(() => all.events.some((e) => e.orderNo === sideA.at(-1)), 3000);
    }
    const b = await push('B', sides.B.shop, sides.B.province, sides.B.sku, 10);
    const a = await push('A', sides.A.shop, sides.A.province, sides.A.sku, 11);
    sideA.push(a.orderNo);
    await expect.poll(() => all.events.some((e) => e.orderNo === b.orderNo) && all.events.some((e) => e.orderNo === a.orderNo), { timeout: 10_000 }).toBe(true);
    for (const [i, l] of scoped.entries()) {
      await expect.poll(() => l.events.some((e) => e.orderNo === a.orderNo), { timeout: 10_000, message: `${users[i]?.name} hears of ${a.orderNo}` }).toBe(true);
      // Nothing about side B reaches it, not even an event without its number.
      expect(l.events.filter((e) => e.orderNo === null || !sideA.includes(e.orderNo)), users[i]?.name).toEqual([]);
    }
    for (const l of [all, ...scoped]) l.close();
  }, 60_000);
});

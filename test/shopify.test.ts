// Shopify webhooks in: signed the way Shopify signs (checked against Shopify's own library), verified against the
// raw bytes, statuses mapped from the dictionaries, amounts to the cent.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, shopifyApi } from '@shopify/shopify-api';
import { httpBackends } from './support/backends.ts';
import { setStock, startServer, type TestServer } from './support/server.ts';
import { shopifyHeaders, shopifyOrder } from './support/shopify.ts';
import { shopifyAnchor, shopifyFinancialStatuses, shopifyFulfillmentStatuses } from '../src/modules/channels/connectors/shopify/status.ts';

const SECRET = 'shpss_test_app_client_secret_0123456789';
const SHOP = 'hub-test.myshopify.com';

describe('the test signer', () => {
  it("is accepted by Shopify's own library (the independent oracle)", async () => {
    const shopify = shopifyApi({ apiKey: 'key', apiSecretKey: SECRET, hostName: 'localhost', apiVersion: ApiVersion.October25, isEmbeddedApp: false });
    const body = JSON.stringify(shopifyOrder());
    const results: unknown[] = [];
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        void shopify.webhooks.validate({ rawBody: raw, rawRequest: req, rawResponse: res }).then((v) => {
          results.push(v);
          res.end();
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const send = (headers: Record<string, string>, b: string) => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body: b });
    await send(shopifyHeaders(SECRET, body, { shop: SHOP }), body);
    await send(shopifyHeaders(SECRET, body, { shop: SHOP }), body + ' ');
    server.close();
    expect(results[0]).toMatchObject({ valid: true, topic: 'ORDERS_UPDATED', domain: SHOP });
    expect(results[1]).toMatchObject({ valid: false, reason: 'invalid_hmac' });
  });
});

describe('the Shopify status dictionary', () => {
  it('maps every documented financial × fulfillment state, and refuses to guess an unknown one', () => {
    const expected: Record<string, string> = {
      pending: 'pending_payment',
      authorized: 'pending_payment',
      partially_paid: 'pending_payment',
      paid: 'paid',
      partially_refunded: 'paid',
      refunded: 'paid',
      voided: 'cancelled',
      expired: 'cancelled',
    };
    expect(Object.keys(shopifyFinancialStatuses).sort()).toEqual(Object.keys(expected).sort());
    for (const [f, anchor] of Object.entries(expected)) {
      expect(shopifyAnchor(f, null, false), f).toBe(anchor);
      expect(shopifyAnchor(f, 'partial', false), f).toBe(anchor);
      expect(shopifyAnchor(f, 'fulfilled', false), f).toBe(anchor === 'cancelled' ? 'cancelled' : 'shipped');
      expect(shopifyAnchor(f, null, true), f).toBe('cancelled');
    }
    expect(Object.keys(shopifyFulfillmentStatuses).sort()).toEqual(['fulfilled', 'partial', 'restocked', 'unfulfilled']);
    expect(shopifyAnchor('chargeback_pending', null, false)).toBeNull();
    expect(shopifyAnchor('paid', 'in_transit', false)).toBeNull();
  });
});

describe.each(httpBackends)('Shopify webhooks on $name', (backend) => {
  let s: TestServer;
  let accountId = '';
  const push = (body: string, headers: Record<string, string>) =>
    fetch(`${s.url}/hooks/shopify/${accountId}`, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const rawEvents = async () => Number((await s.hub.db.read.get<{ n: number }>('SELECT count(*) AS n FROM raw_events'))?.n);

  beforeAll(async () => {
    s = await startServer(backend);
    const a = await s.api<{ id: string; webhookUrl: string }>('POST', '/api/channel-accounts', {
      platform: 'shopify',
      name: 'Shopify US',
      credentials: { shopDomain: SHOP, apiSecret: SECRET },
    });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body.webhookUrl).toMatch(/\/hooks\/shopify\//);
    accountId = a.body.id;
    await setStock(s, 'A1', 10);
    await s.api('PUT', '/api/stock/variant-102', { warehouse: 'WH1', onHand: 10, reason: 'test count' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('takes a signed order, to the cent, and answers an empty 200', async () => {
    const order = shopifyOrder({ id: 5001 });
    const body = JSON.stringify(order);
    const r = await push(body, shopifyHeaders(SECRET, body, { topic: 'orders/create' }));
    expect(r).toEqual({ status: 200, text: '' });
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', '/api/orders?platformOrderId=5001');
    const detail = await s.api<{ status: string; channel: string; amounts: Record<string, number>; lines: { sku: string | null; discount: number }[]; reservationState: string }>(
      'GET',
      `/api/orders/${found.body.items[0]?.orderNo}`,
    );
    expect(detail.body).toMatchObject({ status: 'paid', channel: 'shopify', reservationState: 'deducted' });
    expect(detail.body.amounts).toMatchObject({ goods: 6000, lineDiscounts: 500, shippingFee: 800, discountSeller: 300, tax: 440, total: 6440, paid: 6440 });
    expect(detail.body.lines.map((l) => l.sku)).toEqual(['A1', 'variant-102']);
  });

  it('moves the order with later webhooks, ignores an older one, and does nothing twice for a redelivery', async () => {
    const id = 5002;
    const created = JSON.stringify(shopifyOrder({ id, financial: 'pending', updatedAt: '2026-11-21T20:00:05-05:00' }));
    const paid = JSON.stringify(shopifyOrder({ id, financial: 'paid', updatedAt: '2026-11-21T20:10:00-05:00' }));
    const shipped = JSON.stringify(shopifyOrder({ id, financial: 'paid', fulfillment: 'fulfilled', updatedAt: '2026-11-21T22:00:00-05:00' }));
    const h = shopifyHeaders(SECRET, shipped, { topic: 'orders/fulfilled' });
    expect((await push(shipped, h)).status).toBe(200);
    expect((await push(created, shopifyHeaders(SECRET, created, { topic: 'orders/create' }))).status).toBe(200);
    expect((await push(paid, shopifyHeaders(SECRET, paid, { topic: 'orders/paid' }))).status).toBe(200);
    expect((await push(shipped, h)).status).toBe(200); // the same delivery again
    const o = await s.api<{ items: { status: string; platformStatus: string }[]; total: number }>('GET', `/api/orders?platformOrderId=${id}`);
    expect(o.body.total).toBe(1);
    expect(o.body.items[0]).toMatchObject({ status: 'shipped', platformStatus: 'paid/fulfilled' });
  });

  it('keeps a refund notice as a raw event without touching orders', async () => {
    const before = await rawEvents();
    const refund = JSON.stringify({ id: 9, order_id: 5001, refund_line_items: [] });
    expect((await push(refund, shopifyHeaders(SECRET, refund, { topic: 'refunds/create' }))).status).toBe(200);
    expect(await rawEvents()).toBe(before + 1);
  });

  it('refuses a tampered body, signature or secret, another shop, and unknown statuses — leaving no trace', async () => {
    const body = JSON.stringify(shopifyOrder({ id: 5003 }));
    const good = shopifyHeaders(SECRET, body);
    const before = await rawEvents();
    const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);
    const cases: [string, Record<string, string>, string, number, string][] = [
      ['body changed by one byte', good, flip(body, 40), 401, 'SIGNATURE_INVALID'],
      ['signature changed by one byte', { ...good, 'x-shopify-hmac-sha256': flip(good['x-shopify-hmac-sha256'], 5) }, body, 401, 'SIGNATURE_INVALID'],
      ['signed with another secret', shopifyHeaders(`${SECRET}x`, body), body, 401, 'SIGNATURE_INVALID'],
      ['no signature', Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'x-shopify-hmac-sha256')), body, 401, 'SIGNATURE_MISSING'],
      ['another shop', shopifyHeaders(SECRET, body, { shop: 'someone-else.myshopify.com' }), body, 401, 'SIGNATURE_INVALID'],
    ];
    for (const [name, headers, b, status, code] of cases) {
      const r = await push(b, headers);
      expect([r.status, (JSON.parse(r.text) as { error: { code: string } }).error.code], name).toEqual([status, code]);
    }
    expect(await rawEvents()).toBe(before);
    expect((await s.api<{ total: number }>('GET', '/api/orders?platformOrderId=5003')).body.total).toBe(0);
    // Repeated refusals of one kind are an alert: the platform may have changed how it signs.
    await s.hub.drift.idle();
    const alert = await s.hub.db.read.get<{ message: string }>(`SELECT message FROM channel_alerts WHERE account_id = ? AND kind = 'refusals' AND alert_key = ?`, [
      accountId,
      'push:SIGNATURE_INVALID',
    ]);
    expect(alert?.message).toMatch(/pushes refused with SIGNATURE_INVALID in 10 minutes/);
    expect(s.hub.drift.snapshot(accountId).refused.byCode).toMatchObject({ SIGNATURE_INVALID: 4, SIGNATURE_MISSING: 1 });
  });

  it('keeps an order with an unknown status or parts that miss the total: held and alerted, never guessed or lost', async () => {
    const order = (id: string) =>
      s.hub.db.read.get<{ status: string; platform_status: string; hold_code: string | null; hold_reason: string | null }>(
        'SELECT status, platform_status, hold_code, hold_reason FROM orders WHERE account_id = ? AND platform_order_id = ?',
        [accountId, id],
      );
    const unknown = JSON.stringify({ ...shopifyOrder({ id: 5004, updatedAt: '2026-11-21T20:00:05-05:00' }), financial_status: 'chargeback_pending' });
    expect((await push(unknown, shopifyHeaders(SECRET, unknown))).status).toBe(200);
    expect(await order('5004')).toMatchObject({ status: 'pending_payment', platform_status: 'chargeback_pending/unfulfilled', hold_code: 'STATUS_UNKNOWN' });
    const wrongTotal = JSON.stringify({ ...shopifyOrder({ id: 5005 }), total_price: '64.41' });
    expect((await push(wrongTotal, shopifyHeaders(SECRET, wrongTotal))).status).toBe(200);
    expect(await order('5005')).toMatchObject({ status: 'paid', hold_code: 'AMOUNT_MISMATCH' });
    expect((await order('5005'))?.hold_reason).toMatch(/add up to 6440 but the platform's total is 6441/);
    const alerts = await s.hub.db.read.all<{ kind: string; alert_key: string }>(
      `SELECT kind, alert_key FROM channel_alerts WHERE account_id = ? AND kind IN ('status_unknown', 'amount_mismatch') ORDER BY kind`,
      [accountId],
    );
    expect(alerts).toEqual([
      { kind: 'amount_mismatch', alert_key: 'amounts' },
      { kind: 'status_unknown', alert_key: 'chargeback_pending/unfulfilled' },
    ]);
    // The platform says where the order is again: the hold is lifted and the order moves.
    const known = JSON.stringify(shopifyOrder({ id: 5004, financial: 'paid', updatedAt: '2026-11-21T20:10:00-05:00' }));
    expect((await push(known, shopifyHeaders(SECRET, known))).status).toBe(200);
    expect(await order('5004')).toMatchObject({ status: 'paid', hold_code: null });
  });

  it('refuses bad credentials for a new account with a clear error', async () => {
    const r = await s.api<{ error: { message: string } }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'x', credentials: { shopDomain: 'nope', apiSecret: 'short' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/shopDomain must look like my-shop\.myshopify\.com; credentials\.apiSecret/);
  });
});

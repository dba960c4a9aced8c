// The integration page's facts and contract drift, over real HTTP: fields learnt then compared, a vanished field, a
// body much larger than usual or over the limit, refusals counted by reason, and a raw event replayed after a mapping
// fix (the Shopify adapter stands in for any platform).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { shopifyHeaders, shopifyOrder } from '../support/shopify.ts';
import { shopifyFinancialStatuses } from '../../src/modules/channels/connectors/shopify/status.ts';

const SECRET = 'shpss_integration_secret_0123456789';
const SHOP = 'hub-test.myshopify.com';
const LIMIT = 256 * 1024;

interface Alert {
  id: number;
  kind: string;
  key: string;
  message: string;
  occurrences: number;
  acknowledgedAt: string | null;
}

describe.each(httpBackends)('channel integration on $name', (backend) => {
  let s: TestServer;
  let accountId = '';
  const push = (body: string, headers: Record<string, string>) => fetch(`${s.url}/hooks/shopify/${accountId}`, { method: 'POST', headers, body }).then((r) => r.status);
  const alerts = async () => {
    await s.hub.drift.idle();
    return (await s.api<{ items: Alert[] }>('GET', `/api/channel-alerts?accountId=${accountId}`)).body.items;
  };
  let t = Date.parse('2026-11-21T01:00:00Z');
  const next = (o: Parameters<typeof shopifyOrder>[0] = {}) => {
    t += 1000;
    return shopifyOrder({ updatedAt: new Date(t).toISOString(), ...o });
  };

  beforeAll(async () => {
    s = await startServer(backend, { bodyLimitBytes: LIMIT });
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Shopify US', credentials: { shopDomain: SHOP, apiSecret: SECRET } });
    accountId = a.body.id;
  });
  afterAll(() => s?.close());

  it('learns the fields of each topic, then alerts on a new one and on one that vanished', async () => {
    for (let i = 0; i < 20; i++) {
      const body = JSON.stringify(next());
      expect(await push(body, shopifyHeaders(SECRET, body, { shop: SHOP }))).toBe(200);
    }
    expect((await alerts()).filter((a) => a.kind.startsWith('field_'))).toEqual([]);
    const { phone: _phone, ...withoutPhone } = next();
    const changed = JSON.stringify({ ...withoutPhone, buyer_accepts_sms: true });
    expect(await push(changed, shopifyHeaders(SECRET, changed, { shop: SHOP }))).toBe(200);
    const drift = (await alerts()).filter((a) => a.kind.startsWith('field_')).map((a) => [a.kind, a.key]);
    expect(drift).toEqual(expect.arrayContaining([
      ['field_added', 'push:orders/updated:buyer_accepts_sms'],
      ['field_missing', 'push:orders/updated:phone'],
    ]));
    // Another topic is learnt apart: its first deliveries are not "new fields".
    const refund = JSON.stringify({ id: 1, order_id: 2, refund_line_items: [] });
    expect(await push(refund, shopifyHeaders(SECRET, refund, { shop: SHOP, topic: 'refunds/create' }))).toBe(200);
    expect((await alerts()).filter((a) => a.key.startsWith('push:refunds/create'))).toEqual([]);
  });

  it('alerts on a body far larger than usual, one near the limit, and one refused as too large (413)', async () => {
    const big = next();
    const padded = JSON.stringify({ ...big, note: 'x'.repeat(150 * 1024) });
    expect(await push(padded, shopifyHeaders(SECRET, padded, { shop: SHOP }))).toBe(200);
    const tooBig = JSON.stringify({ ...next(), note: 'x'.repeat(LIMIT) });
    expect(await push(tooBig, shopifyHeaders(SECRET, tooBig, { shop: SHOP }))).toBe(413);
    const kinds = (await alerts()).map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['body_large', 'body_near_limit', 'body_too_large']));
    const overview = (await s.api<{ sinceStart: { refused: { byCode: Record<string, number> } } }>('GET', `/api/channel-accounts/${accountId}/integration`)).body;
    expect(overview.sinceStart.refused.byCode).toEqual({ BODY_TOO_LARGE: 1 });
  });

  it('shows deliveries, answer times and refusals on the integration page, and acknowledges an alert until it happens again', async () => {
    const body = JSON.stringify(next());
    const headers = shopifyHeaders(SECRET, body, { shop: SHOP });
    expect(await push(body, { ...headers, 'x-shopify-hmac-sha256': headers['x-shopify-hmac-sha256'].replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).toBe(401);
    const r = await s.api<{
      account: { platform: string };
      push: { supported: boolean };
      last24h: { pushed: number; pushDeliveries: number; byOutcome: Record<string, number> };
      sinceStart: { refused: { total: number; byCode: Record<string, number>; recent: { code: string }[] }; answers: { count: number; p99Ms: number; overDeadline: number } };
      openAlerts: number;
    }>('GET', `/api/channel-accounts/${accountId}/integration`);
    expect(r.status).toBe(200);
    expect(r.body.account.platform).toBe('shopify');
    expect(r.body.push.supported).toBe(true);
    expect(r.body.last24h.pushed).toBe(23);
    expect(r.body.last24h.byOutcome.no_order).toBe(1);
    expect(r.body.sinceStart.refused).toMatchObject({ total: 2, byCode: { BODY_TOO_LARGE: 1, SIGNATURE_INVALID: 1 } });
    expect(r.body.sinceStart.refused.recent[0]?.code).toBe('SIGNATURE_INVALID');
    expect(r.body.sinceStart.answers.count).toBe(23);
    expect(r.body.sinceStart.answers.overDeadline).toBe(0);
    expect(r.body.openAlerts).toBeGreaterThanOrEqual(4);

    const alert = (await alerts()).find((a) => a.kind === 'body_too_large') as Alert;
    const ack = await s.api<{ acknowledgedAt: string }>('POST', `/api/channel-alerts/${alert.id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect((await s.api<{ items: Alert[] }>('GET', `/api/channel-alerts?accountId=${accountId}&open=true`)).body.items.map((a) => a.id)).not.toContain(alert.id);
    const again = JSON.stringify({ ...next(), note: 'x'.repeat(LIMIT) });
    expect(await push(again, shopifyHeaders(SECRET, again, { shop: SHOP }))).toBe(413);
    const reopened = (await alerts()).find((a) => a.id === alert.id) as Alert;
    expect(reopened).toMatchObject({ acknowledgedAt: null, occurrences: 2 });
    expect((await s.api('POST', '/api/channel-alerts/999999/acknowledge')).status).toBe(404);
  });

  it("takes the platform's newer numbers (a price changed before payment), and holds an order whose lines were edited", async () => {
    const order = () =>
      s.hub.db.read.get<{ id: string; total_amount: number; goods_amount: number; hold_code: string | null }>(
        "SELECT id, total_amount, goods_amount, hold_code FROM orders WHERE platform_order_id = '88001'",
      );
    const first = next({ id: 88001, financial: 'pending' });
    let body = JSON.stringify(first);
    expect(await push(body, shopifyHeaders(SECRET, body, { shop: SHOP }))).toBe(200);
    expect(await order()).toMatchObject({ total_amount: 6440, goods_amount: 6000 });
    // The seller lowers the mug from 25.00 to 24.00 before the buyer pays: the total follows, to the cent.
    const cheaper = next({ id: 88001, financial: 'pending' });
    cheaper.line_items[0]!.price = '24.00';
    cheaper.total_price = '62.40';
    body = JSON.stringify(cheaper);
    expect(await push(body, shopifyHeaders(SECRET, body, { shop: SHOP }))).toBe(200);
    expect(await order()).toMatchObject({ total_amount: 6240, goods_amount: 5800, hold_code: 'SKU_UNMATCHED' });
    const line = await s.hub.db.read.get<{ unit_price: number }>('SELECT unit_price FROM order_lines WHERE order_id = ? AND line_no = 1', [(await order())?.id ?? '']);
    expect(line?.unit_price).toBe(2400);
    // An order edit that adds a line: the hub keeps its lines and stock, takes the new total, and asks a person.
    const edited = next({ id: 88001, financial: 'pending' });
    edited.line_items.push({ id: 13, variant_id: 103, sku: 'B2', title: 'Coaster', quantity: 1, price: '5.00', discount_allocations: [] });
    edited.total_price = '69.40';
    body = JSON.stringify(edited);
    expect(await push(body, shopifyHeaders(SECRET, body, { shop: SHOP }))).toBe(200);
    expect(await order()).toMatchObject({ total_amount: 6940, hold_code: 'ORDER_EDITED' });
    const updates = await s.hub.db.read.all<{ detail: string }>("SELECT detail FROM order_history WHERE order_id = ? AND kind = 'update' ORDER BY id", [(await order())?.id ?? '']);
    expect(updates.map((u) => (JSON.parse(u.detail) as { amounts: { after: { total: number } }; linesChanged: boolean }))).toMatchObject([
      { amounts: { after: { total: 6240 } }, linesChanged: false },
      { amounts: { after: { total: 6940 } }, linesChanged: true },
    ]);
  });

  it('does not pull on a schedule a shop whose credentials cannot pull (a Shopify shop without an API token)', async () => {
    const runs = await s.hub.poller.runDue();
    expect(runs.map((r) => r.accountId)).not.toContain(accountId);
    const o = await s.api<{ pull: { supported: boolean; configured: boolean } }>('GET', `/api/channel-accounts/${accountId}/integration`);
    expect(o.body.pull).toEqual({ supported: true, configured: false });
    // Asked for by hand, it says why.
    const run = await s.api<{ errorCode: string; error: string }>('POST', `/api/channel-accounts/${accountId}/pull`);
    expect(run.body).toMatchObject({ errorCode: 'CREDENTIALS_MISSING' });
  });

  it('sends a shop token to an API base only over https, or plain http on this machine', async () => {
    const make = (apiBase: string) =>
      s.api<{ error?: { message: string } }>('POST', '/api/channel-accounts', {
        platform: 'shopify',
        name: 'api base',
        credentials: { shopDomain: SHOP, apiSecret: SECRET, accessToken: 'shpat_0123456789abcdef', apiBase },
      });
    const plain = await make('http://shop.example.com');
    expect([plain.status, plain.body.error?.message]).toEqual([400, expect.stringMatching(/apiBase must be https/)]);
    expect((await make('ftp://127.0.0.1/')).status).toBe(400);
    expect((await make('https://sandbox.example.com')).status).toBe(201);
    expect((await make('http://127.0.0.1:4010/shopify')).status).toBe(201);
  });

  it('lists the platforms with their credentials and dictionaries', async () => {
    const r = await s.api<{ items: { platform: string; push: string | null; credentialFields: { name: string; secret: boolean }[]; statuses: { raw: string }[] }[] }>('GET', '/api/platforms');
    const shopify = r.body.items.find((p) => p.platform === 'shopify');
    expect(shopify?.push).toMatch(/X-Shopify-Hmac-Sha256/);
    expect(shopify?.credentialFields.find((f) => f.name === 'apiSecret')?.secret).toBe(true);
    expect(shopify?.statuses.map((x) => x.raw)).toContain('financial:paid');
  });

  it.skipIf(backend.writerThread)('does not let the payment timeout cancel an order whose platform status is unknown', async () => {
    // Known SKUs: the unpaid order holds stock and gets its payment timer, as any unpaid order does.
    await setStock(s, 'A1', 100);
    await setStock(s, 'variant-102', 100);
    const body = JSON.stringify({ ...next({ id: 66001 }), financial_status: 'pending_review_v9' });
    expect(await push(body, shopifyHeaders(SECRET, body, { shop: SHOP }))).toBe(200);
    const id = (await s.hub.db.read.get<{ id: string }>("SELECT id FROM orders WHERE platform_order_id = '66001'"))?.id ?? '';
    expect(await s.hub.db.read.get("SELECT reservation_state, hold_code FROM orders WHERE id = ?", [id])).toEqual({ reservation_state: 'held', hold_code: 'STATUS_UNKNOWN' });
    expect(await s.hub.db.read.get("SELECT state FROM timers WHERE ref = ?", [id])).toEqual({ state: 'pending' });
    await s.hub.local?.timers.runDue(Date.now() + 3_600_000);
    // Cancelling would be a guess: the order stays unpaid, held, with its stock, until the platform says more.
    expect(await s.hub.db.read.get("SELECT status, reservation_state, hold_code FROM orders WHERE id = ?", [id])).toEqual({
      status: 'pending_payment',
      reservation_state: 'held',
      hold_code: 'STATUS_UNKNOWN',
    });
    // The platform says it is awaiting payment after all: the hold is lifted and the payment clock starts again.
    const known = JSON.stringify(next({ id: 66001, financial: 'pending' }));
    expect(await push(known, shopifyHeaders(SECRET, known, { shop: SHOP }))).toBe(200);
    expect(await s.hub.db.read.get('SELECT state FROM timers WHERE ref = ?', [id])).toEqual({ state: 'pending' });
    await s.hub.local?.timers.runDue(Date.now() + 3_600_000);
    expect(await s.hub.db.read.get('SELECT status, reservation_state FROM orders WHERE id = ?', [id])).toEqual({ status: 'cancelled', reservation_state: 'released' });
  });

  it.skipIf(backend.writerThread)('replays a raw event after a mapping fix: the held order moves, and the replay is audited', async () => {
    const body = JSON.stringify({ ...next({ id: 77001 }), financial_status: 'paid_by_gift_card_v2' });
    expect(await push(body, shopifyHeaders(SECRET, body, { shop: SHOP }))).toBe(200);
    const raw = (await s.api<{ items: { id: number; outcome: string }[] }>('GET', `/api/channel-accounts/${accountId}/raw-events?limit=1`)).body.items[0];
    expect(raw?.outcome).toBe('created');
    const before = await s.hub.db.read.get<{ status: string; hold_code: string }>("SELECT status, hold_code FROM orders WHERE platform_order_id = '77001'");
    expect(before).toEqual({ status: 'pending_payment', hold_code: 'STATUS_UNKNOWN' });
    // The mapping fix: the dictionary learns the new value (in this process, as a deploy would).
    const dict = shopifyFinancialStatuses as Record<string, string>;
    dict.paid_by_gift_card_v2 = 'paid';
    try {
      const r = await s.api<{ orders: { outcome: string; status: string; hold: string | null }[] }>('POST', `/api/raw-events/${raw?.id}/replay`);
      expect(r.status).toBe(200);
      // The platform hold is lifted and the order takes its stock (the SKUs were stocked by the test before).
      expect(r.body.orders[0]).toMatchObject({ outcome: 'updated', status: 'paid', hold: null });
    } finally {
      delete dict.paid_by_gift_card_v2;
    }
    const history = await s.hub.db.read.all<{ cause: string }>(
      "SELECT h.cause FROM order_history h JOIN orders o ON o.id = h.order_id WHERE o.platform_order_id = '77001' AND h.kind = 'status'",
    );
    expect(history.map((h) => h.cause)).toEqual([`replay of raw event ${raw?.id} by admin-token`]);
    const audit = await s.hub.db.read.get<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'raw_event.replay'");
    expect(Number(audit?.n)).toBe(1);
    expect((await s.api('POST', '/api/raw-events/999999/replay')).status).toBe(404);
  });
});

// WooCommerce: webhooks signed as WC_Webhook signs them (base64 HMAC-SHA256 of the raw body), the unsigned creation
// ping answered and forgotten, deliveries known by order version rather than by a delivery id that repeats within a
// second; REST v3 orders normalised to the cent (taxes on top or included, coupons, positive and negative fees);
// the pull signed with one-legged OAuth 1.0a over plain HTTP, checked by a simulator that verifies as
// WC_REST_Authentication does. The signers here are the tests' own, written from WooCommerce's PHP and RFC 5849.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { woocommerceSimulator } from '../../src/sandbox/simulators/woocommerce.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { normalizeWooOrder, oauthBaseString, woocommerce, type WooCommerceCredentials, type WooOrder } from '../../src/modules/channels/connectors/woocommerce/index.ts';
import { wooStatusDictionary } from '../../src/modules/channels/connectors/woocommerce/status.ts';
import { meaningOf, PullError, type PullContext, type PulledOrder } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';
import { enc } from '../support/platform-signers.ts';

// ---- the tests' own signers -------------------------------------------------------------------------------------

/** WC_Webhook::generate_signature: base64(hash_hmac('sha256', body, secret, true)). */
const webhookSignature = (secret: string, body: string) => createHmac('sha256', secret).update(body, 'utf8').digest('base64');

/** A signed GET /wp-json/wc/v3/orders URL, as a WooCommerce REST client signs one over plain HTTP. */
function signedOrdersUrl(c: { apiBase: string; consumerKey: string; consumerSecret: string }, query: Record<string, string>, o: { timestamp?: number; nonce?: string } = {}) {
  const endpoint = `${c.apiBase}/wp-json/wc/v3/orders`;
  const params: Record<string, string> = {
    ...query,
    oauth_consumer_key: c.consumerKey,
    oauth_nonce: o.nonce ?? randomBytes(16).toString('hex'),
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(o.timestamp ?? Math.floor(Date.now() / 1000)),
  };
  const normalized = Object.keys(params)
    .sort()
    .map((k) => `${enc(k)}=${enc(params[k] ?? '')}`)
    .join('&');
  const base = `GET&${enc(endpoint)}&${enc(normalized)}`;
  const signature = createHmac('sha256', `${c.consumerSecret}&`).update(base).digest('base64');
  return `${endpoint}?${Object.entries({ ...params, oauth_signature: signature })
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&')}`;
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

const T0 = Date.parse('2026-11-22T02:00:00Z');

function simOrder(id: string, o: Partial<SimOrder> = {}): SimOrder {
  return {
    id,
    phase: 'paid',
    createdAt: T0,
    updatedAt: T0 + 60_000,
    currency: 'CNY',
    lines: [
      { sku: 'WC-A', title: '手冲壶', quantity: 2, unitPrice: 15900, discount: 1000 },
      { sku: 'WC-B', title: '滤纸 100 张', quantity: 3, unitPrice: 1990, discount: 0 },
    ],
    shippingFee: 1200,
    discountPlatform: 0,
    discountSeller: 500,
    buyer: { id: '42', name: '李雷', phone: '13900001111' },
    receiver: { name: '李雷', phone: '13900001111', province: '上海市', city: '上海市', district: '徐汇区', address: '漕溪北路 88 号' },
    ...o,
  };
}

/** What the hub should hold for a simulated order: WooCommerce spreads coupons over lines; order discounts are negative fees. */
function expectedAmounts(o: SimOrder) {
  const goods = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
  const lineDiscounts = o.lines.reduce((a, l) => a + l.discount, 0);
  const seller = o.discountSeller + o.discountPlatform;
  return { goods, lineDiscounts, shippingFee: o.shippingFee, discountPlatform: 0, discountSeller: seller, tax: 0, total: goods - lineDiscounts + o.shippingFee - seller };
}

async function collect(gen: AsyncGenerator<PulledOrder[], void, void>): Promise<PulledOrder[][]> {
  const pages: PulledOrder[][] = [];
  for await (const p of gen) pages.push(p);
  return pages;
}

function pullCtx(credentials: Record<string, unknown>, from: number, to: number, fetchFn: typeof fetch = fetch): PullContext<WooCommerceCredentials> {
  return { credentials: credentials as unknown as WooCommerceCredentials, from, to, fetch: fetchFn, now: () => Date.now() };
}

async function pullError(p: Promise<unknown>): Promise<PullError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PullError) return e;
    throw e;
  }
  throw new Error('expected a PullError');
}

/** A REST v3 order written by hand (not by the simulator), for the arithmetic. */
function restOrder(o: Partial<WooOrder> & Record<string, unknown>): WooOrder {
  return {
    id: 7001,
    status: 'processing',
    currency: 'USD',
    date_created_gmt: '2026-11-21T12:00:00',
    date_modified_gmt: '2026-11-21T12:05:30',
    date_paid_gmt: '2026-11-21T12:01:00',
    prices_include_tax: false,
    shipping_total: '0.00',
    shipping_tax: '0.00',
    total: '0.00',
    total_tax: '0.00',
    customer_id: 0,
    billing: { first_name: 'Ada', last_name: 'Lovelace', phone: '+14155550123', address_1: '1 Market St', city: 'San Francisco', state: 'CA', postcode: '94105', country: 'US' },
    shipping: { first_name: 'Ada', last_name: 'Lovelace', phone: '', address_1: '1 Market St', city: 'San Francisco', state: 'CA', postcode: '94105', country: 'US' },
    line_items: [],
    fee_lines: [],
    ...o,
  };
}

// ---- statuses -----------------------------------------------------------------------------------------------------

describe('the WooCommerce status dictionary', () => {
  // Written out from WooCommerce's OrderStatus enum and the store-manager docs, apart from the dictionary.
  const expected: Record<string, { anchor: string | null; hold?: string }> = {
    pending: { anchor: 'pending_payment' },
    failed: { anchor: 'pending_payment' },
    'checkout-draft': { anchor: 'pending_payment' },
    processing: { anchor: 'paid' },
    completed: { anchor: 'completed' },
    cancelled: { anchor: 'cancelled' },
    'on-hold': { anchor: null, hold: 'PLATFORM_HOLD' },
    refunded: { anchor: null, hold: 'PLATFORM_HOLD' },
    trash: { anchor: null, hold: 'PLATFORM_HOLD' },
    draft: { anchor: null, hold: 'PLATFORM_HOLD' },
    'auto-draft': { anchor: null, hold: 'PLATFORM_HOLD' },
  };

  it('covers every documented status with the meaning written here', () => {
    expect(Object.keys(wooStatusDictionary).sort()).toEqual(Object.keys(expected).sort());
    for (const [raw, want] of Object.entries(expected)) {
      const entry = wooStatusDictionary[raw as keyof typeof wooStatusDictionary];
      expect({ anchor: entry.anchor, hold: 'hold' in entry ? entry.hold : undefined }, raw).toEqual({ anchor: want.anchor, hold: want.hold });
      expect(entry.doc.length, raw).toBeGreaterThan(10);
      const m = meaningOf(woocommerce.statusDictionary, raw, 'WooCommerce');
      expect(m.status, raw).toBe(want.anchor);
      expect(m.hold?.code, raw).toBe(want.hold);
      // The order a push carries gets the same meaning.
      const n = normalizeWooOrder(restOrder({ status: raw }));
      expect([n.status, n.hold?.code, n.platformStatus], raw).toEqual([want.anchor, want.hold, raw]);
    }
  });

  it('never guesses a status it does not know (a plugin\'s "shipped", a wc- prefixed value)', () => {
    for (const raw of ['shipped', 'wc-processing', 'Processing', '']) {
      expect(meaningOf(woocommerce.statusDictionary, raw, 'WooCommerce').hold?.code, raw).toBe('STATUS_UNKNOWN');
      const n = normalizeWooOrder(restOrder({ status: raw }));
      expect([n.status, n.hold?.code]).toEqual([null, 'STATUS_UNKNOWN']);
    }
  });
});

// ---- amounts ------------------------------------------------------------------------------------------------------

describe('WooCommerce amounts', () => {
  it('adds tax on top, spreads coupons into lines, puts the cents of an uneven line into its discount, and models fees', () => {
    // 8 % tax on top. Line 1: 3 × (10.00 ÷ 3) with a 1.00 coupon share; line 2: 2 × 12.50 with 2.50 off.
    // A 2.50 gift-wrap fee (taxed) and a −4.00 loyalty fee. total = 9.00 + 22.50 + 5.00 + 2.50 − 4.00 + 3.12 = 38.12
    const o = restOrder({
      line_items: [
        { id: 1, name: 'Tea sampler', product_id: 10, variation_id: 0, quantity: 3, subtotal: '10.00', subtotal_tax: '0.80', total: '9.00', total_tax: '0.72', sku: 'TEA-S', price: 3 },
        { id: 2, name: 'Kettle', product_id: 11, variation_id: 12, quantity: 2, subtotal: '25.00', subtotal_tax: '2.00', total: '22.50', total_tax: '1.80', sku: '', price: 11.25 },
      ],
      shipping_total: '5.00',
      shipping_tax: '0.40',
      fee_lines: [
        { total: '2.50', total_tax: '0.20' },
        { total: '-4.00', total_tax: '0.00' },
      ],
      total_tax: '3.12',
      total: '38.12',
    });
    const n = normalizeWooOrder(o);
    expect(n.lines).toEqual([
      { sku: 'TEA-S', title: 'Tea sampler', quantity: 3, unitPrice: 334, discount: 102 },
      { sku: 'product-12', title: 'Kettle', quantity: 2, unitPrice: 1250, discount: 250 },
    ]);
    expect({ shippingFee: n.shippingFee, discountPlatform: n.discountPlatform, discountSeller: n.discountSeller, tax: n.tax, paid: n.paidAmount, total: n.platformTotal }).toEqual({
      shippingFee: 750,
      discountPlatform: 0,
      discountSeller: 400,
      tax: 312,
      paid: 3812,
      total: 3812,
    });
    expect(computeAmounts(n).totalAmount).toBe(n.platformTotal);
  });

  it('shows prices with their tax where the shop enters them so (prices_include_tax), with tax 0', () => {
    // 20 % VAT included. WooCommerce still stores amounts without tax: the hub adds each tax back.
    const o = restOrder({
      currency: 'EUR',
      prices_include_tax: true,
      line_items: [
        { id: 1, name: 'Mug', product_id: 20, quantity: 1, subtotal: '10.00', subtotal_tax: '2.00', total: '8.00', total_tax: '1.60', sku: 'MUG' },
        { id: 2, name: 'Spoon', product_id: 21, quantity: 2, subtotal: '15.00', subtotal_tax: '3.00', total: '15.00', total_tax: '3.00', sku: 'SPOON' },
      ],
      shipping_total: '4.17',
      shipping_tax: '0.83',
      fee_lines: [{ total: '-2.50', total_tax: '-0.50' }],
      total_tax: '4.93',
      total: '29.60',
    });
    const n = normalizeWooOrder(o);
    expect(n.lines.map((l) => [l.unitPrice, l.discount])).toEqual([
      [1200, 240],
      [900, 0],
    ]);
    expect([n.shippingFee, n.discountSeller, n.tax, n.platformTotal]).toEqual([500, 300, 0, 2960]);
    expect(computeAmounts(n).totalAmount).toBe(2960);
  });

  it('reads _gmt times as UTC, takes payment from date_paid, and refuses fractions of a cent', () => {
    const n = normalizeWooOrder(restOrder({ line_items: [{ id: 1, quantity: 1, subtotal: '1.00', total: '1.00' }], total: '1.00' }));
    expect([n.platformCreatedAt, n.sourceUpdatedAt]).toEqual([Date.UTC(2026, 10, 21, 12, 0, 0), Date.UTC(2026, 10, 21, 12, 5, 30)]);
    expect(n.lines[0]?.sku).toBe('item-1');
    expect(n.paidAmount).toBe(100);
    // Staff moved a paid order back to pending: the stale date_paid does not count.
    expect(normalizeWooOrder(restOrder({ status: 'pending', total: '1.00', line_items: [] })).paidAmount).toBe(0);
    expect(normalizeWooOrder(restOrder({ date_paid_gmt: null, total: '1.00', line_items: [] })).paidAmount).toBe(0);
    expect(() => normalizeWooOrder(restOrder({ total: '1.005', line_items: [] }))).toThrow(/more decimals/);
    expect(() => normalizeWooOrder(restOrder({ date_modified_gmt: '21/11/2026' }))).toThrow(/UTC time/);
  });

  it('builds the OAuth 1.0a signature base string exactly as RFC 5849 §3.4.1.1 prints it', () => {
    const base = oauthBaseString('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', [
      ['b5', '=%3D'],
      ['a3', 'a'],
      ['c@', ''],
      ['a2', 'r b'],
      ['c2', ''],
      ['a3', '2 q'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
    ]);
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D' +
        '%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1' +
        '%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });
});

// ---- webhooks into a real hub -------------------------------------------------------------------------------------

describe.each(httpBackends)('WooCommerce webhooks on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let accountId = '';
  let secret = '';

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${s.url}/hooks/woocommerce/${accountId}`, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const count = async (table: string) => Number((await s.hub.db.read.get<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`))?.n);
  // A refusal raises the hub's own `refusals` channel alert (an outbox event of its own): not a trace of the push.
  const trace = async () => ({ rawEvents: await count('raw_events'), orders: await count('orders'), outbox: await count("outbox WHERE type <> 'channel.alert'") });
  const order = async (platformOrderId: string) => {
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${platformOrderId}`);
    const no = found.body.items[0]?.orderNo;
    if (!no) return null;
    return (
      await s.api<{ status: string; platformStatus: string; version: number; hold: { code: string } | null; amounts: Record<string, number>; lines: { sku: string | null; unitPrice: number; discount: number }[] }>(
        'GET',
        `/api/orders/${no}`,
      )
    ).body;
  };
  const deliver = (o: SimOrder) => {
    const [p] = sim.record(o, `${s.url}/hooks/woocommerce/${accountId}`);
    if (!p) throw new Error('the simulator sent no webhook');
    return p;
  };

  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('woo', woocommerceSimulator, `hooks-${backend.name}`);
    secret = String(sim.credentials.webhookSecret);
    s = await startServer(backend);
    const a = await s.api<{ id: string; webhookUrl: string }>('POST', '/api/channel-accounts', { platform: 'woocommerce', name: 'Woo store', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body.webhookUrl).toMatch(/\/hooks\/woocommerce\//);
    accountId = a.body.id;
    for (const sku of ['WC-A', 'WC-B']) await setStock(s, sku, 500);
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('answers the creation ping with 200 and stores nothing; any other unsigned body is refused', async () => {
    const before = await trace();
    expect(await post('webhook_id=12', { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)' })).toEqual({ status: 200, text: '' });
    expect(await trace()).toEqual(before);
    const lookalikes: [string, Record<string, string>][] = [
      ['webhook_id=12&status=processing', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['webhook_id=12\n', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['webhook_id=', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['webhook_id=12', { 'content-type': 'application/x-www-form-urlencoded', 'x-wc-webhook-topic': 'order.updated' }],
      [deliver(simOrder('9101')).body, { 'content-type': 'application/json' }],
    ];
    for (const [body, headers] of lookalikes) {
      const r = await post(body, headers);
      expect([r.status, (JSON.parse(r.text) as { error: { code: string } }).error.code], body.slice(0, 40)).toEqual([401, 'SIGNATURE_MISSING']);
    }
    expect(await trace()).toEqual(before);
  });

  it('takes a signed order from the simulator, to the cent, with an empty 200', async () => {
    const o = simOrder('9001');
    const p = deliver(o);
    expect(p.headers['x-wc-webhook-topic']).toBe('order.created');
    // The body is PHP's json_encode: escaped slashes and \u escapes, verified as sent.
    expect(p.body).toContain('\\/wp-json\\/wc\\/v3\\/orders');
    expect(p.body).toContain('\\u624b\\u51b2\\u58f6');
    expect(await post(p.body, p.headers)).toEqual({ status: 200, text: '' });
    const d = await order('9001');
    expect(d).toMatchObject({ status: 'paid', platformStatus: 'processing', hold: null });
    expect(d?.amounts).toEqual({ ...expectedAmounts(o), paid: expectedAmounts(o).total });
    expect(d?.lines.map((l) => [l.sku, l.unitPrice, l.discount])).toEqual([
      ['WC-A', 15900, 1000],
      ['WC-B', 1990, 0],
    ]);
  });

  it('refuses a tampered body, signature, secret or store — and leaves no trace', async () => {
    const p = deliver(simOrder('9002'));
    const before = await trace();
    const at = p.body.indexOf('"total":"') + 10;
    const cases: [string, Record<string, string>, string, string][] = [
      ['body changed by one byte', p.headers, flip(p.body, at), 'SIGNATURE_INVALID'],
      ['signature changed by one byte', { ...p.headers, 'x-wc-webhook-signature': flip(p.headers['x-wc-webhook-signature'] ?? '', 7) }, p.body, 'SIGNATURE_INVALID'],
      ['signed with another secret', { ...p.headers, 'x-wc-webhook-signature': webhookSignature(`${secret}x`, p.body) }, p.body, 'SIGNATURE_INVALID'],
      ['no signature', Object.fromEntries(Object.entries(p.headers).filter(([k]) => k !== 'x-wc-webhook-signature')), p.body, 'SIGNATURE_MISSING'],
      ['another store', { ...p.headers, 'x-wc-webhook-source': 'https://other-shop.example/' }, p.body, 'SIGNATURE_INVALID'],
    ];
    for (const [name, headers, body, code] of cases) {
      const r = await post(body, headers);
      expect([r.status, (JSON.parse(r.text) as { error: { code: string } }).error.code], name).toEqual([401, code]);
    }
    expect(await trace()).toEqual(before);
    expect(await order('9002')).toBeNull();
    // The test's own signer agrees with the simulator's.
    expect(webhookSignature(secret, p.body)).toBe(p.headers['x-wc-webhook-signature']);
  });

  it('applies a delivery once, whether WooCommerce repeats it with the same or a new delivery id', async () => {
    const p = deliver(simOrder('9003'));
    expect((await post(p.body, p.headers)).status).toBe(200);
    const first = await order('9003');
    const before = await trace();
    expect((await post(p.body, p.headers)).status).toBe(200);
    expect((await post(p.body, { ...p.headers, 'x-wc-webhook-delivery-id': 'f'.repeat(32) })).status).toBe(200);
    expect(await trace()).toEqual(before);
    expect((await order('9003'))?.version).toBe(first?.version);
    const deliveries = await s.hub.db.read.get<{ n: number | string }>("SELECT deliveries AS n FROM raw_events WHERE event_id LIKE '9003@%'");
    expect(Number(deliveries?.n)).toBe(3);
  });

  it('keeps two orders whose deliveries share a delivery id (one webhook, one second)', async () => {
    const a = deliver(simOrder('9004'));
    const b = deliver(simOrder('9005'));
    // wp_hash(webhook id . time()): the same for both when sent within one second; forced here.
    const same = { ...b.headers, 'x-wc-webhook-delivery-id': a.headers['x-wc-webhook-delivery-id'] ?? '' };
    expect((await post(a.body, a.headers)).status).toBe(200);
    expect((await post(b.body, same)).status).toBe(200);
    expect((await order('9004'))?.status).toBe('paid');
    expect((await order('9005'))?.status).toBe('paid');
  });

  it('follows an order through its life; trashing it is kept as a raw event and touches nothing', async () => {
    const id = '9006';
    const steps: [Partial<SimOrder>, string, string][] = [
      [{ phase: 'created', updatedAt: T0 + 1000 }, 'pending_payment', 'pending'],
      [{ phase: 'paid', updatedAt: T0 + 2000 }, 'paid', 'processing'],
      [{ phase: 'completed', updatedAt: T0 + 3000 }, 'completed', 'completed'],
    ];
    for (const [change, status, raw] of steps) {
      const p = deliver(simOrder(id, change));
      expect((await post(p.body, p.headers)).status).toBe(200);
      expect(await order(id)).toMatchObject({ status, platformStatus: raw });
    }
    const before = await trace();
    const trashed = deliver(simOrder(id, { phase: 'completed', rawStatus: 'trash', updatedAt: T0 + 4000 }));
    expect([trashed.headers['x-wc-webhook-topic'], trashed.body]).toEqual(['order.deleted', `{"id":${id}}`]);
    expect((await post(trashed.body, trashed.headers)).status).toBe(200);
    expect(await trace()).toMatchObject({ rawEvents: before.rawEvents + 1, orders: before.orders });
    expect(await order(id)).toMatchObject({ status: 'completed', platformStatus: 'completed' });
    const restored = deliver(simOrder(id, { phase: 'completed', updatedAt: T0 + 5000 }));
    expect(restored.headers['x-wc-webhook-topic']).toBe('order.restored');
    expect((await post(restored.body, restored.headers)).status).toBe(200);
  });

  it('holds an on-hold order for a person, and an unknown status as STATUS_UNKNOWN', async () => {
    const held = deliver(simOrder('9007', { phase: 'created', rawStatus: 'on-hold' }));
    expect((await post(held.body, held.headers)).status).toBe(200);
    expect(await order('9007')).toMatchObject({ platformStatus: 'on-hold', hold: { code: 'PLATFORM_HOLD' } });
    const unknown = deliver(simOrder('9008', { rawStatus: 'packed' }));
    expect((await post(unknown.body, unknown.headers)).status).toBe(200);
    expect(await order('9008')).toMatchObject({ platformStatus: 'packed', hold: { code: 'STATUS_UNKNOWN' } });
  });
});

// ---- the pull -----------------------------------------------------------------------------------------------------

describe('the WooCommerce pull against the simulator', () => {
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  const inWindow = new Map<string, SimOrder>();
  const from = T0 + 10_000;
  const to = T0 + 400_000;

  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('woo', woocommerceSimulator, 'pull');
    // 150 orders a second apart, then 120 modified within one second (more than a page), and some outside the window.
    const phases: SimOrder['phase'][] = ['created', 'paid', 'shipped', 'completed', 'cancelled'];
    for (let i = 0; i < 290; i++) {
      const updatedAt = i < 150 ? T0 + i * 1000 : i < 270 ? T0 + 200_000 : T0 + 400_000 + i * 1000;
      const o = simOrder(String(20_000 + i), {
        phase: phases[i % phases.length] ?? 'paid',
        updatedAt,
        createdAt: T0 - 3_600_000,
        shippingFee: (i % 3) * 500,
        discountSeller: i % 4 === 0 ? 300 : 0,
        discountPlatform: i % 7 === 0 ? 150 : 0,
        lines: [
          { sku: `SKU-${i % 9}`, title: `Item ${i}`, quantity: 1 + (i % 4), unitPrice: 999 + i, discount: i % 5 === 0 ? 100 : 0 },
          ...(i % 2 ? [{ sku: 'SKU-X', title: 'Extra', quantity: 3, unitPrice: 333, discount: 1 }] : []),
        ],
      });
      sim.record(o, 'http://127.0.0.1:9/unused');
      if (updatedAt >= from && updatedAt < to) inWindow.set(o.id, o);
    }
  });
  afterAll(() => sims?.close());

  it('gets every order modified in the window, once, across pages, to the cent — signed with OAuth 1.0a', async () => {
    const callsBefore = sim.stats.calls;
    const pages = await collect(woocommerce.pull!(pullCtx(sim.credentials, from, to)));
    const got = pages.flat();
    expect(pages.length).toBeGreaterThan(2);
    expect(sim.stats.refusedSignature).toBe(0);
    expect(sim.stats.calls - callsBefore).toBeGreaterThan(3);
    expect(got.map((p) => p.order.platformOrderId).sort()).toEqual([...inWindow.keys()].sort());
    expect(new Set(got.map((p) => p.eventId)).size).toBe(got.length);
    for (const p of got) {
      const o = inWindow.get(p.order.platformOrderId) as SimOrder;
      const a = computeAmounts(p.order);
      const want = expectedAmounts(o);
      expect(
        { goods: a.goodsAmount, lineDiscounts: a.lineDiscountAmount, shippingFee: p.order.shippingFee, discountPlatform: p.order.discountPlatform, discountSeller: p.order.discountSeller, tax: p.order.tax, total: a.totalAmount },
        o.id,
      ).toEqual(want);
      expect(p.order.platformTotal).toBe(want.total);
      expect(p.eventId).toBe(`${o.id}@${o.updatedAt}`);
      expect(p.order.sourceUpdatedAt).toBe(o.updatedAt);
      expect((JSON.parse(p.rawBody.toString('utf8')) as { id: number }).id).toBe(Number(o.id));
      // A stored pulled order reads back the same (replay after a mapping fix).
      expect(woocommerce.parsePulled!(p.rawBody)).toEqual([p.order]);
      const anchor = { created: 'pending_payment', paid: 'paid', shipped: 'completed', delivered: 'completed', completed: 'completed', cancelled: 'cancelled' }[o.phase];
      expect(p.order.status, o.id).toBe(anchor);
    }
  });

  it('misses nothing when orders are modified while the pages are read', async () => {
    const shifting = new Map(inWindow);
    let moved = false;
    const sneaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!moved) {
        moved = true;
        // Three orders from the first page change: two leave the window, one moves later inside it.
        const ids = ['20010', '20011', '20012'];
        for (const [n, id] of ids.entries()) {
          const o = shifting.get(id) as SimOrder;
          const updated = { ...o, updatedAt: n < 2 ? T0 + 900_000 + n * 1000 : T0 + 300_000 };
          sim.record(updated, 'http://127.0.0.1:9/unused');
          shifting.set(id, updated);
        }
      }
      return res;
    };
    const got = (await collect(woocommerce.pull!(pullCtx(sim.credentials, from, to, sneaky)))).flat();
    const ids = new Set(got.map((p) => p.order.platformOrderId));
    for (const id of inWindow.keys()) expect(ids.has(id), id).toBe(true);
    expect(got.some((p) => p.eventId === `20012@${T0 + 300_000}`)).toBe(true);
  });

  it('fails with authFailed for a wrong consumer secret or key, and rateLimited when throttled', async () => {
    const badSecret = await pullError(collect(woocommerce.pull!(pullCtx({ ...sim.credentials, consumerSecret: `cs_${'0'.repeat(40)}` }, from, to))));
    expect([badSecret.code, badSecret.message, badSecret.opts.authFailed]).toEqual(['woocommerce_rest_authentication_error', 'Invalid signature - provided signature does not match.', true]);
    const badKey = await pullError(collect(woocommerce.pull!(pullCtx({ ...sim.credentials, consumerKey: `ck_${'0'.repeat(40)}` }, from, to))));
    expect([badKey.message, badKey.opts.authFailed]).toEqual(['Consumer key is invalid.', true]);
    sim.throttleNext(1);
    const limited = await pullError(collect(woocommerce.pull!(pullCtx(sim.credentials, from, to))));
    expect([limited.code, limited.opts.rateLimited, limited.opts.retryAfterMs]).toEqual(['rate_limit_exceeded', true, 3000]);
  });

  it('is refused by the simulator, as WooCommerce refuses it, for a tampered signature, a replayed nonce or an old timestamp', async () => {
    const c = sim.credentials as { apiBase: string; consumerKey: string; consumerSecret: string };
    const q = { per_page: '5', orderby: 'modified', order: 'asc' };
    const ok = await fetch(signedOrdersUrl(c, q));
    expect(ok.status).toBe(200);
    expect(Number(ok.headers.get('x-wp-totalpages'))).toBeGreaterThan(1);
    expect(ok.headers.get('link')).toMatch(/rel="next"/);
    const refusedBefore = sim.stats.refusedSignature;
    const url = new URL(signedOrdersUrl(c, q));
    url.searchParams.set('oauth_signature', flip(url.searchParams.get('oauth_signature') ?? '', 3));
    const tampered = await fetch(url);
    expect([tampered.status, await tampered.json()]).toEqual([
      401,
      { code: 'woocommerce_rest_authentication_error', message: 'Invalid signature - provided signature does not match.', data: { status: 401 } },
    ]);
    expect(sim.stats.refusedSignature).toBe(refusedBefore + 1);
    const changedParam = new URL(signedOrdersUrl(c, q));
    changedParam.searchParams.set('per_page', '6');
    expect((await fetch(changedParam)).status).toBe(401);
    const once = signedOrdersUrl(c, q, { nonce: 'n'.repeat(32) });
    expect((await fetch(once)).status).toBe(200);
    expect(((await (await fetch(once)).json()) as { message: string }).message).toBe('Invalid nonce - nonce has already been used.');
    const old = await fetch(signedOrdersUrl(c, q, { timestamp: Math.floor(Date.now() / 1000) - 16 * 60 }));
    expect(((await old.json()) as { message: string }).message).toBe('Invalid timestamp.');
    // Over plain HTTP WooCommerce ignores Basic credentials: the request is anonymous.
    const basic = await fetch(`${c.apiBase}/wp-json/wc/v3/orders`, { headers: { authorization: `Basic ${Buffer.from(`${c.consumerKey}:${c.consumerSecret}`).toString('base64')}` } });
    expect([basic.status, ((await basic.json()) as { code: string }).code]).toEqual([401, 'woocommerce_rest_cannot_view']);
  });

  it('uses HTTP Basic over HTTPS, with the window in UTC and a second of margin', async () => {
    const seen: string[] = [];
    const fake: typeof fetch = async (input, init) => {
      seen.push(String(input), new Headers(init?.headers).get('authorization') ?? '');
      return new Response('[]', { status: 200, headers: { 'x-wp-total': '0', 'x-wp-totalpages': '0' } });
    };
    const creds = { storeUrl: 'https://shop.example.com/', webhookSecret: 'x', consumerKey: 'ck_abcdefgh12', consumerSecret: 'cs_abcdefgh34' };
    expect(await collect(woocommerce.pull!(pullCtx(creds, Date.UTC(2026, 0, 1, 8, 0, 0, 250), Date.UTC(2026, 0, 1, 9), fake)))).toEqual([]);
    const [url = '', auth] = seen;
    expect(auth).toBe(`Basic ${Buffer.from('ck_abcdefgh12:cs_abcdefgh34').toString('base64')}`);
    const u = new URL(url);
    expect(`${u.origin}${u.pathname}`).toBe('https://shop.example.com/wp-json/wc/v3/orders');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      modified_after: '2026-01-01T07:59:59',
      modified_before: '2026-01-01T09:00:00',
      dates_are_gmt: 'true',
      per_page: '100',
      page: '1',
      orderby: 'modified',
      order: 'asc',
    });
  });
});

describe('WooCommerce credentials', () => {
  it('names what is wrong', () => {
    expect(woocommerce.credentialProblems({ storeUrl: 'shop', webhookSecret: '', consumerKey: 'key' })).toEqual([
      'credentials.storeUrl must be the store address, e.g. https://shop.example.com',
      'credentials.webhookSecret must be the webhook secret (1–512 characters)',
      'credentials.consumerKey and consumerSecret go together',
      'credentials.consumerKey must look like ck_…',
    ]);
    expect(woocommerce.credentialProblems({ storeUrl: 'https://shop.example.com', webhookSecret: 's' })).toEqual([]);
    expect(woocommerce.credentialFields.filter((f) => f.secret).map((f) => f.name)).toEqual(['webhookSecret', 'consumerSecret']);
  });
});

// Shopify pull and simulator: the simulator's webhooks are accepted by Shopify's own library and by the hub; its
// Admin REST orders (Link-header cursor pages, access-token auth, leaky-bucket 429) are read by Shopify's own REST
// client and by the adapter's pull, which must get every order updated in the window, to the cent.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, Session, shopifyApi } from '@shopify/shopify-api';
import { createHmac } from 'node:crypto';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { shopifySimulator } from '../../src/sandbox/simulators/shopify.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { shopify, type ShopifyCredentials } from '../../src/modules/channels/connectors/shopify/index.ts';
import { nextLink } from '../../src/modules/channels/connectors/shopify/pull.ts';
import { PullError, type PullContext, type PulledOrder } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';

const T0 = Date.parse('2026-11-21T15:00:00Z');
const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

function simOrder(id: string, o: Partial<SimOrder> = {}): SimOrder {
  return {
    id,
    phase: 'paid',
    createdAt: T0,
    updatedAt: T0 + 60_000,
    currency: 'USD',
    lines: [
      { sku: 'SH-A', title: 'Mug', quantity: 2, unitPrice: 2500, discount: 500 },
      { sku: 'SH-B', title: 'Sticker', quantity: 3, unitPrice: 333, discount: 0 },
    ],
    shippingFee: 800,
    discountPlatform: 0,
    discountSeller: 301,
    buyer: { id: '777', name: 'Ada', phone: '+14155550123' },
    receiver: { name: 'Ada Lovelace', phone: '+14155550123', province: 'California', city: 'San Francisco', district: 'SoMa', address: '1 Market St' },
    ...o,
  };
}

/** What the hub should hold: Shopify allocates order-level discounts onto the lines (discount_allocations). */
function expected(o: SimOrder) {
  const goods = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
  const discounts = o.lines.reduce((a, l) => a + l.discount, 0) + o.discountSeller + o.discountPlatform;
  return { goods, lineDiscounts: discounts, shippingFee: o.shippingFee, discountPlatform: 0, discountSeller: 0, tax: 0, total: goods - discounts + o.shippingFee };
}

const anchorOf = (o: SimOrder) => ({ created: 'pending_payment', paid: 'paid', shipped: 'shipped', delivered: 'shipped', completed: 'shipped', cancelled: 'cancelled' })[o.phase];

async function collect(gen: AsyncGenerator<PulledOrder[], void, void>): Promise<PulledOrder[][]> {
  const pages: PulledOrder[][] = [];
  for await (const p of gen) pages.push(p);
  return pages;
}

function pullCtx(credentials: Record<string, unknown>, from: number, to: number, fetchFn: typeof fetch = fetch): PullContext<ShopifyCredentials> {
  return { credentials: credentials as unknown as ShopifyCredentials, from, to, fetch: fetchFn, now: () => Date.now() };
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

/** Serves one simulator at the root of its own port, as a shop's domain would (Shopify's client keeps only the origin). */
async function serveAtRoot(): Promise<{ sim: PlatformSimulator; url: string; server: Server }> {
  let sim: PlatformSimulator | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://sim');
      const a = sim?.handle({ method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks) }) ?? { status: 500, body: '' };
      res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim = shopifySimulator({ apiBase: url, seed: 'oracle' });
  return { sim, url, server };
}

describe('the Shopify simulator, checked by Shopify’s own library', () => {
  let root: Awaited<ReturnType<typeof serveAtRoot>>;
  beforeAll(async () => {
    root = await serveAtRoot();
    for (let i = 0; i < 7; i++) root.sim.record(simOrder(String(6_000 + i), { updatedAt: T0 + i * 1000 }), 'http://127.0.0.1:9/unused');
  });
  afterAll(() => new Promise<void>((r) => root.server.close(() => r())));

  it('signs webhooks that shopify.webhooks.validate accepts, and only those', async () => {
    const c = root.sim.credentials as { apiSecret: string; shopDomain: string };
    const api = shopifyApi({ apiKey: 'key', apiSecretKey: c.apiSecret, hostName: 'localhost', apiVersion: ApiVersion.October25, isEmbeddedApp: false, logger: { level: LogSeverity.Error } });
    const [push] = root.sim.record(simOrder('6100'), 'http://127.0.0.1:9/unused');
    if (!push) throw new Error('no webhook');
    const results: unknown[] = [];
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (ch: Buffer) => (raw += ch.toString('utf8')));
      req.on('end', () => {
        void api.webhooks.validate({ rawBody: raw, rawRequest: req, rawResponse: res }).then((v) => {
          results.push(v);
          res.end();
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await fetch(url, { method: 'POST', headers: push.headers, body: push.body });
    await fetch(url, { method: 'POST', headers: push.headers, body: flip(push.body, 20) });
    server.close();
    expect(results[0]).toMatchObject({ valid: true, topic: 'ORDERS_CREATE', domain: c.shopDomain });
    expect(results[1]).toMatchObject({ valid: false, reason: 'invalid_hmac' });
  });

  it('pages orders the way Shopify’s REST client reads them (Link header, page_info alone)', async () => {
    const c = root.sim.credentials as { accessToken: string };
    const api = shopifyApi({
      apiKey: 'key',
      apiSecretKey: 'secret',
      adminApiAccessToken: c.accessToken,
      isCustomStoreApp: true,
      hostName: 'localhost',
      hostScheme: 'http',
      apiVersion: ApiVersion.October25,
      isEmbeddedApp: false,
      logger: { level: LogSeverity.Error },
    });
    const session = new Session({ id: 'offline_sim', shop: new URL(root.url).host, state: '', isOnline: false, accessToken: c.accessToken });
    const client = new api.clients.Rest({ session });
    const ids: string[] = [];
    let page = await client.get<{ orders: { id: string; updated_at: string }[] }>({ path: 'orders', query: { status: 'any', limit: 3, order: 'updated_at asc', updated_at_min: new Date(T0).toISOString() } });
    for (let n = 0; ; n++) {
      ids.push(...page.body.orders.map((o) => String(o.id)));
      const next = page.pageInfo?.nextPage;
      if (!next || n > 10) break;
      expect(Object.keys(next.query ?? {}).sort()).toEqual(['limit', 'page_info']);
      page = await client.get<{ orders: { id: string; updated_at: string }[] }>(next);
    }
    expect(ids).toEqual(['6000', '6001', '6002', '6003', '6004', '6005', '6006', '6100']);
    expect(page.pageInfo?.prevPage?.query?.page_info).toBeTruthy();
    // The adapter reads the same pages.
    const got = (await collect(shopify.pull!(pullCtx(root.sim.credentials, T0, T0 + 3_600_000)))).flat();
    expect(got.map((p) => p.order.platformOrderId).sort()).toEqual([...ids].sort());
  });
});

describe.each(httpBackends)('Shopify simulator webhooks into the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let accountId = '';
  const post = (body: string, headers: Record<string, string>) => fetch(`${s.url}/hooks/shopify/${accountId}`, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const count = async (table: string) => Number((await s.hub.db.read.get<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`))?.n);
  const trace = async () => [await count('raw_events'), await count('orders'), await count("outbox WHERE type <> 'channel.alert'")];
  const order = async (id: string) => {
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    const no = found.body.items[0]?.orderNo;
    return no ? (await s.api<{ status: string; platformStatus: string; hold: unknown; amounts: Record<string, number> }>('GET', `/api/orders/${no}`)).body : null;
  };

  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('shop', shopifySimulator, `hooks-${backend.name}`);
    s = await startServer(backend);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Shopify sim', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    accountId = a.body.id;
    for (const sku of ['SH-A', 'SH-B']) await setStock(s, sku, 100);
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('takes every webhook of an order’s life, with statuses and amounts as the simulator says', async () => {
    const id = '7001';
    const steps: SimOrder['phase'][] = ['created', 'paid', 'shipped', 'cancelled'];
    for (const [n, phase] of steps.entries()) {
      const o = simOrder(id, { phase, updatedAt: T0 + n * 1000 });
      for (const p of sim.record(o, `${s.url}/hooks/shopify/${accountId}`)) expect(await post(p.body, p.headers)).toEqual({ status: 200, text: '' });
      const d = await order(id);
      expect(d?.status, phase).toBe(anchorOf(o));
      const want = expected(o);
      expect(d?.amounts).toMatchObject({ goods: want.goods, lineDiscounts: want.lineDiscounts, shippingFee: want.shippingFee, discountSeller: 0, tax: 0, total: want.total });
    }
    // Cancelled after payment: Shopify refunds it.
    expect((await order(id))?.platformStatus).toBe('refunded/unfulfilled/cancelled');
  });

  it('refuses the simulator’s webhook tampered by one byte, or signed with another secret, leaving no trace', async () => {
    const [p] = sim.record(simOrder('7002'), `${s.url}/hooks/shopify/${accountId}`);
    if (!p) throw new Error('no webhook');
    const before = await trace();
    const sig = p.headers['x-shopify-hmac-sha256'] ?? '';
    for (const [headers, body] of [
      [p.headers, flip(p.body, 30)],
      [{ ...p.headers, 'x-shopify-hmac-sha256': flip(sig, 4) }, p.body],
      [{ ...p.headers, 'x-shopify-hmac-sha256': createHmac('sha256', 'another-secret-0123456789').update(p.body).digest('base64') }, p.body],
    ] as const) {
      expect((await post(body, headers)).status).toBe(401);
    }
    expect(await trace()).toEqual(before);
  });
});

describe('the Shopify pull against the simulator', () => {
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  const inWindow = new Map<string, SimOrder>();
  const from = T0 + 5_000;
  const to = T0 + 700_000;

  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('shop', shopifySimulator, 'pull');
    const phases: SimOrder['phase'][] = ['created', 'paid', 'shipped', 'delivered', 'completed', 'cancelled'];
    for (let i = 0; i < 620; i++) {
      // Several orders share a second; a few fall before and after the window.
      const updatedAt = i < 600 ? T0 + Math.floor(i / 3) * 3000 + 5000 : T0 + 700_000 + i * 1000;
      const o = simOrder(String(5_100_000_000_000 + i), {
        phase: phases[i % phases.length] ?? 'paid',
        updatedAt,
        createdAt: T0 - 86_400_000,
        shippingFee: (i % 4) * 250,
        discountSeller: i % 3 === 0 ? 199 : 0,
        lines: [
          { sku: `S-${i % 11}`, title: `Item ${i}`, quantity: 1 + (i % 3), unitPrice: 1999 + i, discount: i % 5 === 0 ? 250 : 0 },
          ...(i % 2 ? [{ sku: 'S-X', title: 'Add-on', quantity: 7, unitPrice: 143, discount: 0 }] : []),
        ],
      });
      sim.record(o, 'http://127.0.0.1:9/unused');
      if (updatedAt >= from && updatedAt < to) inWindow.set(o.id, o);
    }
    // One order updated twice: only its latest version is in the store.
    const again = simOrder('5100000000000', { phase: 'shipped', updatedAt: T0 + 650_000, createdAt: T0 - 86_400_000 });
    sim.record(again, 'http://127.0.0.1:9/unused');
    inWindow.set(again.id, again);
  });
  afterAll(() => sims?.close());

  it('gets every order updated in the window, once, across Link-header pages, to the cent', async () => {
    const calls = sim.stats.calls;
    const pages = await collect(shopify.pull!(pullCtx(sim.credentials, from, to)));
    expect(pages.length).toBe(3);
    expect(sim.stats.calls - calls).toBe(3);
    const got = pages.flat();
    expect(got.map((p) => p.order.platformOrderId).sort()).toEqual([...inWindow.keys()].sort());
    for (const p of got) {
      const o = inWindow.get(p.order.platformOrderId) as SimOrder;
      const a = computeAmounts(p.order);
      expect({ goods: a.goodsAmount, lineDiscounts: a.lineDiscountAmount, shippingFee: p.order.shippingFee, discountPlatform: p.order.discountPlatform, discountSeller: p.order.discountSeller, tax: p.order.tax, total: a.totalAmount }, o.id).toEqual(expected(o));
      expect(p.order.platformTotal).toBe(expected(o).total);
      expect(p.order.status, o.id).toBe(anchorOf(o));
      expect(p.order.paidAmount, o.id).toBe(o.phase === 'created' || o.phase === 'cancelled' ? 0 : expected(o).total);
      expect(p.eventId).toBe(`${o.id}@${o.updatedAt}`);
      expect((JSON.parse(p.rawBody.toString('utf8')) as { id: number }).id).toBe(Number(o.id));
      expect(shopify.parsePulled!(p.rawBody)).toEqual([p.order]);
    }
  });

  it('fails with authFailed for a wrong token, rateLimited when the bucket is full', async () => {
    const bad = await pullError(collect(shopify.pull!(pullCtx({ ...sim.credentials, accessToken: `shpat_${'0'.repeat(32)}` }, from, to))));
    expect([bad.code, bad.message, bad.opts.authFailed]).toEqual(['HTTP_401', '[API] Invalid API key or access token (unrecognized login or wrong password)', true]);
    sim.throttleNext(1);
    const limited = await pullError(collect(shopify.pull!(pullCtx(sim.credentials, from, to))));
    expect([limited.code, limited.opts.rateLimited, limited.opts.retryAfterMs]).toEqual(['HTTP_429', true, 2000]);
    const none = await pullError(collect(shopify.pull!(pullCtx({ ...sim.credentials, accessToken: undefined }, from, to))));
    expect(none.opts.authFailed).toBe(true);
  });

  it('is refused by the simulator for a tampered token, and for a page_info that repeats the filters', async () => {
    const c = sim.credentials as { apiBase: string; accessToken: string };
    const url = `${c.apiBase}/admin/api/2025-10/orders.json?status=any&limit=5&order=updated_at%20asc`;
    const ok = await fetch(url, { headers: { 'x-shopify-access-token': c.accessToken } });
    expect(ok.status).toBe(200);
    const next = nextLink(ok.headers.get('link'));
    expect(next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/shop\/admin\/api\/2025-10\/orders\.json\?limit=5&page_info=[\w-]+$/);
    const refused = sim.stats.refusedSignature;
    const tampered = await fetch(url, { headers: { 'x-shopify-access-token': flip(c.accessToken, 8) } });
    expect([tampered.status, await tampered.json()]).toEqual([401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }]);
    expect(sim.stats.refusedSignature).toBe(refused + 1);
    const repeated = await fetch(`${next}&status=any`, { headers: { 'x-shopify-access-token': c.accessToken } });
    expect(repeated.status).toBe(400);
    const page2 = await fetch(next ?? '', { headers: { 'x-shopify-access-token': c.accessToken } });
    expect(page2.status).toBe(200);
    expect(nextLink(page2.headers.get('link'))).toBeTruthy();
    expect(page2.headers.get('link')).toMatch(/rel="previous"/);
  });

  it('asks Shopify for whole seconds around the window, with the filters only on the first page', async () => {
    const seen: string[] = [];
    const fake: typeof fetch = async (input, init) => {
      seen.push(String(input));
      expect(new Headers(init?.headers).get('x-shopify-access-token')).toBe('shpat_0123456789abcdef0123');
      const n = seen.length;
      const link = n === 1 ? '<https://hub-test.myshopify.com/admin/api/2025-10/orders.json?limit=250&page_info=abc>; rel="next"' : '';
      return new Response(JSON.stringify({ orders: [] }), { status: 200, headers: link ? { link } : {} });
    };
    const creds = { shopDomain: 'hub-test.myshopify.com', apiSecret: 'x'.repeat(20), accessToken: 'shpat_0123456789abcdef0123' };
    await collect(shopify.pull!(pullCtx(creds, Date.UTC(2026, 0, 1, 8, 0, 0, 250), Date.UTC(2026, 0, 1, 9, 0, 0, 1), fake)));
    const first = new URL(seen[0] ?? '');
    expect(`${first.origin}${first.pathname}`).toBe('https://hub-test.myshopify.com/admin/api/2025-10/orders.json');
    expect(Object.fromEntries(first.searchParams)).toEqual({
      status: 'any',
      updated_at_min: '2026-01-01T08:00:00Z',
      updated_at_max: '2026-01-01T09:00:01Z',
      limit: '250',
      order: 'updated_at asc',
    });
    expect(seen[1]).toBe('https://hub-test.myshopify.com/admin/api/2025-10/orders.json?limit=250&page_info=abc');
    // A next link to another host would carry the token away: refused.
    const evil: typeof fetch = async () => new Response(JSON.stringify({ orders: [] }), { headers: { link: '<https://evil.example/admin/api/2025-10/orders.json?page_info=x>; rel="next"' } });
    expect((await pullError(collect(shopify.pull!(pullCtx(creds, 0, 1000, evil))))).code).toBe('INVALID_RESPONSE');
  });

  it('takes the new credentials and names what is wrong with them', () => {
    expect(shopify.credentialProblems({ shopDomain: 'a.myshopify.com', apiSecret: 'x'.repeat(20), accessToken: 'short', apiBase: 'ftp://x' })).toEqual([
      'credentials.accessToken must be the Admin API access token (shpat_…)',
      'credentials.apiBase must be an https URL',
    ]);
    expect(shopify.credentialProblems(sim.credentials)).toEqual([]);
    expect(shopify.credentialFields.find((f) => f.name === 'accessToken')).toMatchObject({ secret: true, optional: true });
  });
});

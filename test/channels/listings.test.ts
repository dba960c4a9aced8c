// Listings (商品下载) and matching (商品对应), over real HTTP on loopback against the Shopify and WooCommerce simulators:
// the connectors' listing reads and stock writes, checked by the tests' own code from the platforms' documentation
// (WooCommerce's one-legged OAuth 1.0a over plain HTTP; Shopify's Admin REST paths from the official
// @shopify/shopify-api package and its access-token header), then the hub's listing pull as a job — on account
// creation, on demand — matching by merchant code and alias, keeping a person's match and ignore, marking what left the
// platform as gone — and mapping an unmatched code, which releases every order held for it and matches its listings in
// one transaction. On SQLite (with and without the writer thread) and PostgreSQL.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import '@shopify/shopify-api/adapters/node';
import { restResources } from '@shopify/shopify-api/rest/admin/2025-10';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { woocommerceSimulator } from '../../src/sandbox/simulators/woocommerce.ts';
import { shopifySimulator } from '../../src/sandbox/simulators/shopify.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { woocommerce } from '../../src/modules/channels/connectors/woocommerce/index.ts';
import { shopify } from '../../src/modules/channels/connectors/shopify/index.ts';
import { PlatformWriteError, type ChannelAdapter, type PlatformListing } from '../../src/modules/channels/connectors/types.ts';
import { systemPrincipal } from '../../src/kernel/principal.ts';
import { wooSignatureValid } from '../support/platform-signers.ts';

// ---- the tests' own checks, from the platforms' documentation ------------------------------------------------

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    out.push({ method: init?.method ?? 'GET', url: String(input), headers, body: typeof init?.body === 'string' ? init.body : null });
    return fetch(input, init);
  };
}

/** The Admin REST paths @shopify/shopify-api declares for a resource (generated from Shopify's API description). */
function shopifyPaths(resource: unknown): { method: string; re: RegExp }[] {
  return (resource as { paths: { http_method: string; path: string }[] }).paths.map((p) => ({ method: p.http_method.toUpperCase(), re: new RegExp(`^/admin/api/2025-10/${p.path.replace(/\./g, '\\.').replace(/<[a-z_]+>/g, '\\d+')}$`) }));
}

/** One Shopify simulator at the root of its own port, as a shop's domain is. */
async function shopAtRoot(seed: string): Promise<{ sim: PlatformSimulator; server: Server }> {
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
  sim = shopifySimulator({ apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seed });
  return { sim, server };
}

async function allListings(adapter: ChannelAdapter<unknown>, credentials: unknown, f: typeof fetch = fetch): Promise<PlatformListing[]> {
  const out: PlatformListing[] = [];
  const pages = adapter.pullListings?.({ credentials, fetch: f, now: Date.now });
  if (!pages) throw new Error(`${adapter.platform} has no listing pull`);
  for await (const page of pages) out.push(...page);
  return out;
}

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };

function simOrder(id: string, currency: string, lines: [string, number][]): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency,
    lines: lines.map(([sku, quantity]) => ({ sku, title: `商品 ${sku}`, quantity, unitPrice: 1000, discount: 0 })),
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

// ---- the connectors against the simulators, requests checked -------------------------------------------------

describe('listing reads and stock writes, checked from the platforms’ documentation', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('reads WooCommerce products and their variations, every request signed as WooCommerce documents; a tampered signature is refused', async () => {
    const sim = sims.mount('woo-list', woocommerceSimulator, 'list');
    const c = sim.credentials as { consumerKey: string; consumerSecret: string };
    sim.putListing!('W-SIMPLE', { title: 'Tea cup', quantity: 7 });
    sim.putListing!('W-RED', { title: 'Red', quantity: 3, parent: 'T-shirt' });
    sim.putListing!('W-BLUE', { title: 'Blue', quantity: null, parent: 'T-shirt' });
    sim.putListing!('W-NOCODE', { code: null, title: 'Gift wrap' });
    const seen: Recorded[] = [];
    const got = await allListings(woocommerce as ChannelAdapter<unknown>, sim.credentials, recordingFetch(seen));
    const byCode = new Map(got.map((l) => [l.merchantCode, l]));
    expect(byCode.get('W-SIMPLE')).toMatchObject({ platformSkuId: '', title: 'Tea cup', quantity: 7 });
    const red = byCode.get('W-RED');
    expect(red).toMatchObject({ quantity: 3, title: 'T-shirt - Red' });
    expect(red?.platformSkuId).toMatch(/^\d+$/);
    expect(red?.ref).toEqual({ parentId: red?.platformItemId });
    expect(byCode.get('W-BLUE')?.quantity).toBeNull();
    expect(byCode.get(null)).toMatchObject({ title: 'Gift wrap' });
    expect(got).toHaveLength(4);
    expect(seen.map((x) => `${x.method} ${new URL(x.url).pathname.replace(/\/\d+/g, '/N')}`)).toEqual(['GET /woo-list/wp-json/wc/v3/products', 'GET /woo-list/wp-json/wc/v3/products/N/variations']);
    for (const x of seen) expect(wooSignatureValid(x.method, x.url, c.consumerKey, c.consumerSecret), x.url).toBe(true);
    // The same request with one byte of its signature changed: the store refuses it.
    const u = new URL(seen[0]?.url ?? '');
    const sig = u.searchParams.get('oauth_signature') ?? '';
    u.searchParams.set('oauth_signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    u.searchParams.set('oauth_nonce', 'another-nonce-list-01');
    expect((await fetch(u)).status).toBe(401);
  });

  it('sets WooCommerce stock on a product and on a variation (manage_stock on); a limit is retryable, a 4xx refused', async () => {
    const sim = sims.mount('woo-stock', woocommerceSimulator, 'stock');
    const c = sim.credentials as { consumerKey: string; consumerSecret: string };
    sim.putListing!('WS-1', { quantity: 10 });
    sim.putListing!('WS-V', { quantity: 10, parent: 'Shoe' });
    const listings = await allListings(woocommerce as ChannelAdapter<unknown>, sim.credentials);
    const ref = (code: string) => {
      const l = listings.find((x) => x.merchantCode === code) as PlatformListing;
      return { platformItemId: l.platformItemId, platformSkuId: l.platformSkuId, ref: l.ref ?? {} };
    };
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    const setStock = (woocommerce as ChannelAdapter<unknown>).setStock!;
    expect((await setStock(ctx, { listing: ref('WS-1'), quantity: 4, expected: 10 })).status).toBe(200);
    expect((await setStock(ctx, { listing: ref('WS-V'), quantity: 0, expected: 10 })).status).toBe(200);
    const q = new Map(sim.listings!().map((l) => [l.code, l.quantity]));
    expect([q.get('WS-1'), q.get('WS-V')]).toEqual([4, 0]);
    expect(seen.map((x) => `${x.method} ${new URL(x.url).pathname.replace(/\/\d+/g, '/N')}`)).toEqual(['PUT /woo-stock/wp-json/wc/v3/products/N', 'PUT /woo-stock/wp-json/wc/v3/products/N/variations/N']);
    for (const x of seen) {
      expect(wooSignatureValid(x.method, x.url, c.consumerKey, c.consumerSecret), x.url).toBe(true);
      expect(JSON.parse(x.body ?? '{}')).toEqual({ manage_stock: true, stock_quantity: expect.any(Number) as number });
    }
    sim.throttleNext(1);
    const limited = await setStock(ctx, { listing: ref('WS-1'), quantity: 2, expected: 4 }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(PlatformWriteError);
    expect(limited).toMatchObject({ opts: { status: 429, retryAfterMs: 3000 } });
    expect((limited as PlatformWriteError).opts.refused).toBeFalsy();
    sim.failNextWrite!({ status: 400, code: 'woocommerce_rest_invalid_product', message: 'Product is locked.' });
    await expect(setStock(ctx, { listing: ref('WS-1'), quantity: 2, expected: 4 })).rejects.toMatchObject({ code: 'woocommerce_rest_invalid_product', opts: { refused: true, status: 400 } });
    expect(sim.listings!().find((l) => l.code === 'WS-1')?.quantity).toBe(4);
  });

  it('reads Shopify products, variants and inventory levels on the documented Admin REST paths with the shop’s token; a tampered token is refused', async () => {
    const { sim, server } = await shopAtRoot('list');
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const c = sim.credentials as { accessToken: string; apiBase: string };
    sim.putListing!('S-MUG', { title: 'Mug', quantity: 12 });
    sim.putListing!('S-S', { title: 'S', quantity: 5, parent: 'Hoodie' });
    sim.putListing!('S-M', { title: 'M', quantity: null, parent: 'Hoodie' });
    sim.placeSku!('S-M', 70_000_000_002);
    const seen: Recorded[] = [];
    const got = await allListings(shopify as ChannelAdapter<unknown>, sim.credentials, recordingFetch(seen));
    const byCode = new Map(got.map((l) => [l.merchantCode, l]));
    expect(byCode.get('S-MUG')).toMatchObject({ title: 'Mug', quantity: 12, ref: { locationId: '70000000001' } });
    expect(byCode.get('S-S')).toMatchObject({ title: 'Hoodie / S', quantity: 5 });
    expect(byCode.get('S-M')).toMatchObject({ quantity: null, ref: { locationId: '70000000002' } });
    expect(byCode.get('S-S')?.platformItemId).toBe(byCode.get('S-M')?.platformItemId);
    expect(byCode.get('S-S')?.ref?.inventoryItemId).toMatch(/^\d+$/);
    const documented = [restResources.Product, restResources.InventoryLevel].flatMap(shopifyPaths);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const x of seen) {
      expect(documented.some((d) => d.method === x.method && d.re.test(new URL(x.url).pathname)), x.url).toBe(true);
      expect(x.headers['x-shopify-access-token']).toBe(c.accessToken);
    }
    const tampered = `${c.accessToken.slice(0, -1)}${c.accessToken.endsWith('a') ? 'b' : 'a'}`;
    expect((await fetch(seen[0]?.url ?? '', { headers: { 'x-shopify-access-token': tampered } })).status).toBe(401);
    await expect(allListings(shopify as ChannelAdapter<unknown>, { ...sim.credentials, accessToken: tampered })).rejects.toMatchObject({ code: 'HTTP_401', opts: { refused: true } });
  });
  // Shopify's stock writes (GraphQL inventorySetQuantities with compare-and-set) are tested in shopify-stock-cas.test.ts.
});

// ---- the hub ---------------------------------------------------------------------------------------------------

interface ListingItem {
  id: number;
  platformItemId: string;
  platformSkuId: string;
  merchantCode: string | null;
  title: string;
  sku: string | null;
  matchSource: string | null;
  ignored: boolean;
  platformQuantity: number | null;
}
interface LastPull {
  startedAt: string | null;
  finishedAt: string | null;
  running: boolean;
  seen: number;
  matched: number;
  unmatched: number;
  gone: number;
  errorCode: string | null;
}
interface ListingPage {
  items: ListingItem[];
  total: number;
  listingApi: boolean;
  lastPull: LastPull | null;
}

describe.each(httpBackends)('listings in the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let woo: PlatformSimulator;
  let shop: PlatformSimulator;
  let wooAccount: string;
  let shopAccount: string;
  const run = Math.random().toString(36).slice(2, 8).toUpperCase();
  const code = (x: string) => `${x}-${run}`;

  const listings = (accountId: string, query = '') => s.api<ListingPage & { error?: { code: string } }>('GET', `/api/channel-accounts/${accountId}/listings${query}`);
  const byCode = async (accountId: string) => new Map((await listings(accountId, '?limit=500')).body.items.map((l) => [l.merchantCode, l]));

  /** Waits until the account's listing pull that started after `after` has finished. */
  async function pulled(accountId: string, after: number): Promise<LastPull> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const p = (await s.api<{ lastPull: LastPull | null }>('GET', `/api/channel-accounts/${accountId}/listings/pull`)).body.lastPull;
      if (p?.finishedAt && Date.parse(p.startedAt ?? '') >= after) return p;
      if (Date.now() > deadline) throw new Error(`no listing pull of ${accountId} finished: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Asks for a pull over HTTP (202) and waits for it to end. */
  async function pullNow(accountId: string): Promise<LastPull> {
    const after = Date.now() - 5;
    // A scheduled run may hold the lease this moment: the request is accepted anyway, and a run that starts later is awaited.
    const r = await s.api<{ accepted: boolean; status: string }>('POST', `/api/channel-accounts/${accountId}/listings/pull`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.status).toBe(`/api/channel-accounts/${accountId}/listings/pull`);
    return pulled(accountId, after);
  }

  beforeAll(async () => {
    sims = await startSimulatorServer();
    woo = sims.mount('woo', woocommerceSimulator, `listings-${backend.name}`);
    shop = sims.mount('shop', shopifySimulator, `listings-${backend.name}`);
    s = await startServer(backend, { listingPullIntervalHours: 6 }, { listingTickMs: 100 });
    await setStock(s, code('KNOWN'), 20);
    await setStock(s, code('TARGET'), 50);
    woo.putListing!(code('KNOWN'), { title: 'Known teapot', quantity: 5 });
    woo.putListing!(code('LOST'), { title: 'Unknown kettle', quantity: 2 });
    woo.putListing!(code('NOCODE'), { code: null, title: 'Gift wrap' });
    shop.putListing!(code('KNOWN'), { title: 'Known teapot', quantity: 8 });
    shop.putListing!(code('ODD'), { title: 'Odd cup', quantity: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('pulls a new account’s listings by itself and matches them by merchant code', async () => {
    const created = Date.now() - 5;
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'woocommerce', name: 'Woo store', credentials: woo.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    wooAccount = a.body.id;
    const b = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Shopify store', credentials: shop.credentials });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    shopAccount = b.body.id;
    // Nobody asked: the listing puller finds the new accounts.
    const wooPull = await pulled(wooAccount, created);
    expect(wooPull).toMatchObject({ errorCode: null, running: false, seen: 3, matched: 1, unmatched: 2, gone: 0 });
    const shopPull = await pulled(shopAccount, created);
    expect(shopPull).toMatchObject({ errorCode: null, seen: 2, matched: 1, unmatched: 1 });

    const w = await byCode(wooAccount);
    expect(w.get(code('KNOWN'))).toMatchObject({ sku: code('KNOWN'), matchSource: 'code', platformQuantity: 5, title: 'Known teapot', ignored: false });
    expect(w.get(code('LOST'))).toMatchObject({ sku: null, matchSource: null });
    expect(w.get(null)).toMatchObject({ sku: null, title: 'Gift wrap' });
    const sh = await byCode(shopAccount);
    expect(sh.get(code('KNOWN'))).toMatchObject({ sku: code('KNOWN'), matchSource: 'code', platformQuantity: 8 });
    expect(sh.get(code('KNOWN'))?.platformSkuId).toMatch(/^\d+$/);

    // Filters and paging.
    const unmatched = await listings(wooAccount, '?state=unmatched');
    expect(unmatched.body.items.map((l) => l.merchantCode).sort()).toEqual([code('LOST'), null].sort());
    expect(unmatched.body.total).toBe(2);
    expect((await listings(wooAccount, '?state=matched')).body.items.map((l) => l.merchantCode)).toEqual([code('KNOWN')]);
    expect((await listings(wooAccount, '?q=kettle')).body.items.map((l) => l.merchantCode)).toEqual([code('LOST')]);
    const page = await listings(wooAccount, '?limit=1&offset=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toBe(3);
  });

  it('matches by an alias, keeps a person’s match and ignore through a re-pull, and marks what left the platform as gone', async () => {
    // A mapping made before the listing exists: the pull matches through it.
    expect((await s.api('POST', '/api/sku-mappings', { externalSku: code('ALIASED'), sku: code('KNOWN'), accountId: wooAccount })).status).toBe(200);
    woo.putListing!(code('ALIASED'), { title: 'Known teapot, other link', quantity: 1 });
    await pullNow(wooAccount);
    let w = await byCode(wooAccount);
    expect(w.get(code('ALIASED'))).toMatchObject({ sku: code('KNOWN'), matchSource: 'alias' });

    // A person ignores the gift wrap and matches the kettle by hand.
    const wrap = w.get(null) as ListingItem;
    const ignored = await s.api('POST', `/api/channel-accounts/${wooAccount}/listings/${wrap.id}/ignore`, { ignored: true });
    expect(ignored.status, JSON.stringify(ignored.body)).toBe(200);
    const kettle = w.get(code('LOST')) as ListingItem;
    const matched = await s.api('POST', `/api/channel-accounts/${wooAccount}/listings/${kettle.id}/match`, { sku: code('TARGET') });
    expect(matched.status, JSON.stringify(matched.body)).toBe(200);
    // Behind the hub's back, the kettle's quantity changes and the known teapot is taken off the platform.
    woo.putListing!(code('LOST'), { quantity: 9 });
    woo.removeListing!(code('KNOWN'));
    const p = await pullNow(wooAccount);
    expect(p).toMatchObject({ errorCode: null, seen: 3, gone: 1 });
    w = await byCode(wooAccount);
    expect(w.get(code('LOST'))).toMatchObject({ sku: code('TARGET'), matchSource: 'manual', platformQuantity: 9 });
    expect(w.get(null)).toMatchObject({ ignored: true, sku: null });
    expect(w.has(code('KNOWN'))).toBe(false);
    expect((await listings(wooAccount, '?state=ignored')).body.items.map((l) => l.title)).toEqual(['Gift wrap']);
    const gone = await s.hub.db.read.get<{ gone: number }>('SELECT gone FROM listings WHERE account_id = ? AND merchant_code = ?', [wooAccount, code('KNOWN')]);
    expect(Number(gone?.gone)).toBe(1);
    // Back on the platform: seen again, no longer gone.
    woo.putListing!(code('KNOWN'), { title: 'Known teapot', quantity: 5 });
    await pullNow(wooAccount);
    expect((await byCode(wooAccount)).get(code('KNOWN'))).toMatchObject({ sku: code('KNOWN'), matchSource: 'code' });
  });

  it('maps an unmatched code: every order held for it is released and its listings matched, in one transaction', async () => {
    const waiting = code('WAIT');
    woo.putListing!(waiting, { title: 'Waiting lamp', quantity: 4 });
    await pullNow(wooAccount);
    for (const id of ['91001', '91002']) woo.record(simOrder(`${id}${run.length}`, 'CNY', [[waiting, 1]]), 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, woocommerce as ChannelAdapter<never>, wooAccount, Date.now() - 3_600_000, Date.now() + 60_000);
    const codes = await s.api<{ items: { accountId: string; externalSku: string; heldOrders: number; title: string }[] }>('GET', '/api/unmatched-codes');
    expect(codes.body.items.find((c) => c.externalSku === waiting)).toMatchObject({ accountId: wooAccount, heldOrders: 2, title: `商品 ${waiting}` });
    const unmatched = await s.api<{ items: { merchantCode: string | null; accountName: string }[] }>('GET', '/api/listings/unmatched?limit=500');
    expect(unmatched.body.items.find((l) => l.merchantCode === waiting)).toMatchObject({ accountName: 'Woo store' });

    // To a SKU the hub does not know: refused, and nothing of it is written.
    const refused = await s.api<{ error: { code: string } }>('POST', '/api/sku-mappings', { externalSku: waiting, sku: code('NOSUCH'), accountId: wooAccount });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('SKU_NOT_FOUND');
    expect((await byCode(wooAccount)).get(waiting)?.sku).toBeNull();
    expect((await s.api<{ items: { externalSku: string; heldOrders: number }[] }>('GET', '/api/unmatched-codes')).body.items.find((c) => c.externalSku === waiting)?.heldOrders).toBe(2);

    // A new SKU made for it (title from the listing), then the mapping.
    const made = await s.api('POST', '/api/skus', { sku: code('LAMP'), title: 'Waiting lamp' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await s.api<{ error: { code: string } }>('POST', '/api/skus', { sku: code('LAMP'), title: 'again' })).body.error.code).toBe('SKU_EXISTS');
    await setStock(s, code('LAMP'), 10);
    const mapped = await s.api<{ rematchedOrders: string[] }>('POST', '/api/sku-mappings', { externalSku: waiting, sku: code('LAMP'), accountId: wooAccount });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
    expect(mapped.body.rematchedOrders).toHaveLength(2);
    expect((await byCode(wooAccount)).get(waiting)).toMatchObject({ sku: code('LAMP'), matchSource: 'alias' });
    expect((await s.api<{ items: { externalSku: string }[] }>('GET', '/api/unmatched-codes')).body.items.some((c) => c.externalSku === waiting)).toBe(false);
    for (const no of mapped.body.rematchedOrders) {
      const o = (await s.api<{ hold: { code: string } | null; reservation: string }>('GET', `/api/orders/${no}`)).body;
      expect(o.hold).toBeNull();
    }
    // The mapping, the listings and the orders moved in one transaction: one sku.mapped event that names both orders.
    const events = await s.hub.db.read.all<{ payload: string }>("SELECT payload FROM outbox WHERE type = 'sku.mapped' AND aggregate_id = ?", [code('LAMP')]);
    expect(events).toHaveLength(1);
    expect((JSON.parse(events[0]?.payload ?? '{}') as { rematchedOrders: string[] }).rematchedOrders.sort()).toEqual([...mapped.body.rematchedOrders].sort());
  });

  it('refuses bad input clearly: unknown and foreign accounts, unknown listings, a shop without a listing API, a scoped user', async () => {
    const nope = await listings('no-such-account');
    expect(nope.status).toBe(404);
    expect(nope.body.error?.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await s.api('POST', '/api/channel-accounts/no-such-account/listings/pull')).status).toBe(404);
    expect((await s.api('POST', `/api/channel-accounts/${wooAccount}/listings/999999999/ignore`, { ignored: true })).body).toMatchObject({ error: { code: 'LISTING_NOT_FOUND' } });
    const kettle = (await byCode(wooAccount)).get(code('LOST')) as ListingItem;
    // A listing of one account named under another: not found, nothing changed.
    expect((await s.api('POST', `/api/channel-accounts/${shopAccount}/listings/${kettle.id}/ignore`, { ignored: true })).status).toBe(404);
    expect((await s.api('POST', `/api/channel-accounts/${wooAccount}/listings/${kettle.id}/match`, { sku: code('NOSUCH') })).body).toMatchObject({ error: { code: 'SKU_NOT_FOUND' } });
    expect((await byCode(wooAccount)).get(code('LOST'))).toMatchObject({ ignored: false, sku: code('TARGET') });
    expect((await s.api('POST', `/api/channel-accounts/${wooAccount}/listings/${kettle.id}/ignore`, { ignored: 'yes' })).status).toBe(400);

    // Another organisation's account does not exist here.
    const foreign = await s.hub.writes.createAccount(systemPrincipal('acme-listings', 'setup'), { platform: 'woocommerce', name: 'Acme', credentials: woo.credentials });
    expect((await listings(foreign.id)).status).toBe(404);
    expect((await s.api('POST', `/api/channel-accounts/${foreign.id}/listings/pull`)).status).toBe(404);
    expect((await s.api('POST', '/api/sku-mappings', { externalSku: code('LOST'), sku: code('KNOWN'), accountId: foreign.id })).status).toBe(404);

    // The own web shop has no listing API: said in its listing view, refused as a pull.
    const own = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: 'Web shop', credentials: { secret: 'shop-secret-0123456789' } });
    const ownView = await listings(own.body.id);
    expect(ownView.status).toBe(200);
    expect(ownView.body).toMatchObject({ items: [], total: 0, listingApi: false });
    expect((await s.api<{ error: { code: string } }>('POST', `/api/channel-accounts/${own.body.id}/listings/pull`)).body.error.code).toBe('PLATFORM_NOT_SUPPORTED');

    // A user scoped to the Shopify shop sees its listings only.
    expect((await s.api('PUT', '/api/roles/listing_probe', { description: 'listings probe', permissions: ['accounts.read', 'stock.read', 'stock.adjust', 'orders.read'] })).status).toBe(200);
    const u = await s.api<{ id: string }>('POST', '/api/users', { username: `lp_${run.toLowerCase()}`, password: 'correct horse battery', roles: ['listing_probe'], scope: { accounts: [shopAccount] } });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const token = (await s.api<{ token: string }>('POST', '/api/tokens', { name: 'probe', userId: u.body.id })).body.token;
    const as = async <T>(method: string, path: string, body?: unknown) => {
      const res = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json()) as T };
    };
    expect((await as<ListingPage>('GET', `/api/channel-accounts/${shopAccount}/listings`)).body.items.length).toBeGreaterThan(0);
    expect((await as('GET', `/api/channel-accounts/${wooAccount}/listings`)).status).toBe(404);
    expect((await as('POST', `/api/channel-accounts/${wooAccount}/listings/${kettle.id}/ignore`, { ignored: true })).status).toBe(404);
    const mine = (await as<{ items: { accountId: string }[] }>('GET', '/api/listings/unmatched?limit=500')).body.items;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((l) => l.accountId === shopAccount)).toBe(true);
    expect((await as<{ items: { accountId: string }[] }>('GET', '/api/unmatched-codes')).body.items.every((c) => c.accountId === shopAccount)).toBe(true);
    expect((await byCode(wooAccount)).get(code('LOST'))?.ignored).toBe(false);
  });

  it('records a failed listing pull with the platform’s reason and keeps what it had', async () => {
    const before = (await listings(shopAccount, '?limit=500')).body.total;
    const bad = await s.api('PATCH', `/api/channel-accounts/${shopAccount}`, { credentials: { accessToken: 'shpat_00000000000000000000000000000000' } });
    expect(bad.status, JSON.stringify(bad.body)).toBe(200);
    const p = await pullNow(shopAccount);
    expect(p.errorCode).toBe('HTTP_401');
    expect((await listings(shopAccount, '?limit=500')).body.total).toBe(before);
    expect((await s.api('PATCH', `/api/channel-accounts/${shopAccount}`, { credentials: shop.credentials })).status).toBe(200);
    expect((await pullNow(shopAccount)).errorCode).toBeNull();
  });

  it('pulls each account again on the schedule (every 6 h by default), not before', async () => {
    expect(s.config.listingPullIntervalHours).toBe(6);
    const soon = await s.hub.listings.runDue(Date.now() + 60_000);
    expect(soon.filter((r) => r.accountId === wooAccount || r.accountId === shopAccount)).toEqual([]);
    const later = await s.hub.listings.runDue(Date.now() + 6 * 3_600_000 + 60_000);
    expect(later.map((r) => r.accountId)).toEqual(expect.arrayContaining([wooAccount, shopAccount]));
    expect(later.find((r) => r.accountId === wooAccount)).toMatchObject({ errorCode: null });
    // A Shopify shop without an API token is not pulled, and asking for it says why.
    const pushOnly = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Push only', credentials: { shopDomain: (shop.credentials as { shopDomain: string }).shopDomain, apiSecret: (shop.credentials as { apiSecret: string }).apiSecret } });
    expect(pushOnly.status, JSON.stringify(pushOnly.body)).toBe(201);
    expect((await s.api<{ error: { code: string } }>('POST', `/api/channel-accounts/${pushOnly.body.id}/listings/pull`)).body.error.code).toBe('VALIDATION_FAILED');
    expect((await s.hub.listings.runDue(Date.now() + 7 * 3_600_000)).some((r) => r.accountId === pushOnly.body.id)).toBe(false);
  });
});

// Ship-back (发货回传) over real HTTP on loopback: a WooCommerce and a Shopify order pulled in, routed, packed and
// shipped in the hub are told to the platform by the outbound worker — once, even when the platform's answer is lost,
// and not again when the platform refuses (the reason kept). The requests are checked by the tests' own code from the
// platforms' documentation: WooCommerce's one-legged OAuth 1.0a (RFC 5849 over plain HTTP, as
// WC_REST_Authentication checks it), and Shopify's paths and headers from the official @shopify/shopify-api package.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, Session, ShopifyHeader, shopifyApi } from '@shopify/shopify-api';
import { restResources } from '@shopify/shopify-api/rest/admin/2025-10';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { woocommerceSimulator } from '../../src/sandbox/simulators/woocommerce.ts';
import { shopifySimulator } from '../../src/sandbox/simulators/shopify.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { woocommerce } from '../../src/modules/channels/connectors/woocommerce/index.ts';
import { shopify } from '../../src/modules/channels/connectors/shopify/index.ts';
import type { ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';
import { outboundBackoff } from '../../src/modules/channels/outbound-worker.ts';
import { wooSignatureValid } from '../support/platform-signers.ts';

interface OutboundItem {
  id: number;
  kind: string;
  orderId: string | null;
  platformOrderId: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastCode: string | null;
  lastError: string | null;
  trackingNo: string | null;
  carrier: string | null;
}
interface CallRequest {
  op: string;
  attempt: number;
  httpStatus: number | null;
  result: string;
  code: string | null;
  latencyMs: number;
}
interface LoggedCall extends CallRequest {
  kind: string;
  subject: string;
  orderId: string | null;
  outboundId: number | null;
  error: string | null;
}
interface OutboundPage {
  items: OutboundItem[];
  nextBefore: number | null;
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
    lines: lines.map(([sku, quantity]) => ({ sku, title: sku, quantity, unitPrice: 1000, discount: 0 })),
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

// ---- the tests' own checks, from the platforms' documentation ------------------------------------------------

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** A fetch that records every request it passes on. */
function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    out.push({ method: init?.method ?? 'GET', url: String(input), headers, body: typeof init?.body === 'string' ? init.body : null });
    return fetch(input, init);
  };
}

/**
 * The paths @shopify/shopify-api's REST resources declare (generated from Shopify's API description), as regular
 * expressions. `paths` is protected in the library's types: read here as the data it is.
 */
function shopifyPaths(resource: unknown): { method: string; re: RegExp }[] {
  return (resource as { paths: { http_method: string; path: string }[] }).paths.map((p) => ({ method: p.http_method.toUpperCase(), re: new RegExp(`^/admin/api/2025-10/${p.path.replace(/\./g, '\\.').replace(/<[a-z_]+>/g, '\\d+')}$`) }));
}

/** Serves one Shopify simulator at the root of its own port, as a shop's domain is (Shopify's client keeps the origin only). */
async function shopAtRoot(): Promise<{ sim: PlatformSimulator; server: Server }> {
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
  sim = shopifySimulator({ apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seed: 'sig' });
  return { sim, server };
}

// ---- the connectors against the simulators, requests checked -------------------------------------------------

describe('ship-back requests, checked from the platforms’ documentation', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  const parcel = (platformOrderId: string, lines: { sku: string; quantity: number }[], carrier = 'sf', trackingNo = 'SF1234567890'): ShipBackParcel => ({
    platformOrderId,
    carrier,
    trackingNo,
    shippedAt: Date.now(),
    lines,
    idempotencyKey: `ship_back:S1:${platformOrderId}`,
  });

  it('signs every WooCommerce write with OAuth 1.0a as WooCommerce documents it; a tampered signature is refused', async () => {
    const sim = sims.mount('woo-sig', woocommerceSimulator, 'sig');
    const c = sim.credentials as { consumerKey: string; consumerSecret: string; apiBase: string };
    sim.record(simOrder('3001', 'CNY', [['WA', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const r = await (woocommerce as ChannelAdapter<unknown>).shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel('3001', [{ sku: 'WA', quantity: 1 }]));
    expect(r.already).toBe(false);
    expect(seen.map((x) => `${x.method} ${new URL(x.url).pathname}`)).toEqual([
      `GET /woo-sig/wp-json/wc-shipment-tracking/v3/orders/3001/shipment-trackings`,
      `POST /woo-sig/wp-json/wc-shipment-tracking/v3/orders/3001/shipment-trackings`,
      `PUT /woo-sig/wp-json/wc/v3/orders/3001`,
    ]);
    for (const x of seen) expect(wooSignatureValid(x.method, x.url, c.consumerKey, c.consumerSecret), x.url).toBe(true);
    // The fields the Shipment Tracking extension documents for "create a tracking item", and the status change.
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ tracking_provider: 'SF Express', tracking_number: 'SF1234567890', date_shipped: new Date().toISOString().slice(0, 10) });
    expect(JSON.parse(seen[2]?.body ?? '{}')).toEqual({ status: 'completed' });
    // The same request with one byte of its signature changed: the store refuses it.
    const put = seen[2] as Recorded;
    const u = new URL(put.url);
    const sig = u.searchParams.get('oauth_signature') ?? '';
    u.searchParams.set('oauth_signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    u.searchParams.set('oauth_nonce', 'another-nonce-0001');
    const tampered = await fetch(u, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: put.body ?? '' });
    expect(tampered.status).toBe(401);
    expect(sim.shipmentsOf!('3001')).toEqual(['SF1234567890']);
  });

  it('tells WooCommerce a Chinese carrier its provider list lacks as a custom provider with a tracking link; an unknown one is refused', async () => {
    const sim = sims.mount('woo-zto', woocommerceSimulator, 'zto');
    const c = sim.credentials as { consumerKey: string; consumerSecret: string };
    sim.record(simOrder('3002', 'CNY', [['WA', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    // Typed as Kuaidi100's pinyin code: the same carrier as the hub's zto.
    await (woocommerce as ChannelAdapter<unknown>).shipBack!(ctx, { ...parcel('3002', [{ sku: 'WA', quantity: 1 }]), carrier: 'zhongtong', trackingNo: 'ZT7300000001' });
    for (const x of seen) expect(wooSignatureValid(x.method, x.url, c.consumerKey, c.consumerSecret), x.url).toBe(true);
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({
      custom_tracking_provider: '中通快递',
      custom_tracking_link: 'https://www.kuaidi100.com/chaxun?com=zhongtong&nu=%1$s',
      tracking_number: 'ZT7300000001',
      date_shipped: new Date().toISOString().slice(0, 10),
    });
    expect(sim.shipmentsOf!('3002')).toEqual(['ZT7300000001']);
    const before = seen.length;
    await expect((woocommerce as ChannelAdapter<unknown>).shipBack!(ctx, { ...parcel('3002', [{ sku: 'WA', quantity: 1 }]), carrier: 'pigeon-post', trackingNo: 'PG1' })).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    expect(seen.length).toBe(before);
  });

  it('fulfils a Shopify order through its fulfillment orders with the paths and header of the official library, one request per location', async () => {
    const { sim, server } = await shopAtRoot();
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const c = sim.credentials as { accessToken: string; apiBase: string };
    sim.record(simOrder('5001', 'USD', [['SA', 2], ['SB', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const r = await (shopify as ChannelAdapter<unknown>).shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel('5001', [{ sku: 'SA', quantity: 2 }, { sku: 'SB', quantity: 1 }], 'zto', 'ZT777'));
    expect(r.already).toBe(false);
    const documented = [restResources.Fulfillment, restResources.FulfillmentOrder, restResources.Order].flatMap(shopifyPaths);
    for (const x of seen) {
      const path = new URL(x.url).pathname;
      expect(documented.some((d) => d.method === x.method && d.re.test(path)), `${x.method} ${path}`).toBe(true);
      expect(x.headers[ShopifyHeader.AccessToken.toLowerCase()]).toBe(c.accessToken);
    }
    const posts = seen.filter((x) => x.method === 'POST');
    expect(posts).toHaveLength(1);
    const body = JSON.parse(posts[0]?.body ?? '{}') as { fulfillment: { tracking_info: unknown; line_items_by_fulfillment_order: { fulfillment_order_id: number; fulfillment_order_line_items: { quantity: number }[] }[] } };
    expect(body.fulfillment.tracking_info).toEqual({ number: 'ZT777', company: 'ZTO Express' });
    expect(body.fulfillment.line_items_by_fulfillment_order.flatMap((g) => g.fulfillment_order_line_items.map((l) => l.quantity)).sort()).toEqual([1, 2]);

    // Read back with Shopify's own REST client: one fulfillment, our tracking number, the order fulfilled.
    const api = shopifyApi({ apiKey: 'key', apiSecretKey: 'secret', adminApiAccessToken: c.accessToken, isCustomStoreApp: true, hostName: 'localhost', hostScheme: 'http', apiVersion: ApiVersion.October25, isEmbeddedApp: false, logger: { level: LogSeverity.Error } });
    const session = new Session({ id: 'offline_sim', shop: new URL(c.apiBase).host, state: '', isOnline: false, accessToken: c.accessToken });
    const client = new api.clients.Rest({ session });
    const read = (await client.get<{ fulfillments: { tracking_number: string; tracking_company: string }[] }>({ path: 'orders/5001/fulfillments' })).body;
    expect(read.fulfillments.map((f) => [f.tracking_number, f.tracking_company])).toEqual([['ZT777', 'ZTO Express']]);
  });

  it('makes one Shopify fulfillment per location for a parcel spread over two, and none again when the call is repeated', async () => {
    const { sim, server } = await shopAtRoot();
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    sim.placeSku!('ML-A', 70_000_000_001);
    sim.placeSku!('ML-B', 70_000_000_002);
    sim.record(simOrder('5002', 'USD', [['ML-A', 1], ['ML-B', 2]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const call = () => (shopify as ChannelAdapter<unknown>).shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel('5002', [{ sku: 'ML-A', quantity: 1 }, { sku: 'ML-B', quantity: 2 }], 'sf', 'SF5002'));
    expect((await call()).already).toBe(false);
    const posts = seen.filter((x) => x.method === 'POST').map((x) => JSON.parse(x.body ?? '{}') as { fulfillment: { line_items_by_fulfillment_order: { fulfillment_order_line_items: { quantity: number }[] }[] } });
    // All fulfillment orders of one request share a location (Shopify refuses a mix): two requests, one per location.
    expect(posts.map((p) => p.fulfillment.line_items_by_fulfillment_order.flatMap((g) => g.fulfillment_order_line_items.map((l) => l.quantity)))).toEqual([[1], [2]]);
    expect(sim.shipmentsOf!('5002')).toEqual(['SF5002', 'SF5002']);
    // The same call again (a retry after a lost answer): Shopify already has both, nothing is posted.
    seen.length = 0;
    expect(await call()).toMatchObject({ already: true });
    expect(seen.filter((x) => x.method === 'POST')).toEqual([]);
    expect(sim.shipmentsOf!('5002')).toHaveLength(2);
  });

  it('refuses a carrier missing from the platform’s carrier dictionary before any request', async () => {
    const seen: Recorded[] = [];
    const call = (woocommerce as ChannelAdapter<unknown>).shipBack!({ credentials: { storeUrl: 'http://127.0.0.1:9', webhookSecret: 'x', consumerKey: 'ck_abcdefgh12', consumerSecret: 'cs_abcdefgh12' }, fetch: recordingFetch(seen), now: Date.now }, parcel('1', [], 'pigeon-post'));
    await expect(call).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    expect(seen).toEqual([]);
  });
});

describe('outbound back-off', () => {
  it('doubles from the base with ±25 % jitter and stops growing at an hour', () => {
    expect(outboundBackoff(0, 10_000, () => 0)).toBe(7_500);
    expect(outboundBackoff(0, 10_000, () => 0.999999)).toBe(12_500);
    expect(outboundBackoff(3, 10_000, () => 0.5)).toBe(80_000);
    expect(outboundBackoff(40, 10_000, () => 0.5)).toBe(3_600_000);
    const spread = new Set(Array.from({ length: 50 }, () => outboundBackoff(2, 10_000)));
    expect(spread.size).toBeGreaterThan(1);
  });
});

// ---- the whole flow in the hub -------------------------------------------------------------------------------

describe.each(httpBackends)('ship-back from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let woo: PlatformSimulator;
  let shop: PlatformSimulator;
  let wooAccount: string;
  let shopAccount: string;
  let wh: string;

  beforeAll(async () => {
    sims = await startSimulatorServer();
    woo = sims.mount('woo', woocommerceSimulator, `flow-${backend.name}`);
    shop = sims.mount('shop', shopifySimulator, `flow-${backend.name}`);
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'woocommerce', name: 'Woo store', credentials: woo.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    wooAccount = a.body.id;
    const b = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Shopify store', credentials: shop.credentials });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    shopAccount = b.body.id;
    wh = uniq('SB');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  const outbound = (accountId: string, query = '') => s.api<OutboundPage & { error?: { code: string } }>('GET', `/api/channel-accounts/${accountId}/outbound${query}`);
  async function callLog(accountId: string, query = '') {
    const r = await s.api<{ items: LoggedCall[]; nextBefore: number | null; last24h: { byKind: Record<string, number> } }>('GET', `/api/channel-accounts/${accountId}/platform-calls${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  }

  /** Waits until the account's call for this platform order is in one of `states` (the worker polls every 50 ms). */
  async function settled(accountId: string, platformOrderId: string, states: string[]): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await outbound(accountId)).body.items.filter((x) => x.platformOrderId === platformOrderId);
      if (mine.length && mine.every((x) => states.includes(x.state))) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-back of ${platformOrderId} did not reach ${states.join('/')}`);
  }

  /** The platform's order pulled into the hub, routed, packed by scanning and shipped with this tracking number. */
  async function shipInHub(sim: PlatformSimulator, adapter: ChannelAdapter<never>, accountId: string, o: SimOrder, carrier: string, trackingNo: string, beforeShip?: () => void) {
    for (const l of o.lines) await setStock(s, l.sku, 50, wh);
    sim.record(o, 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, adapter, accountId, Date.now() - 3_600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string; orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${o.id}`);
    const id = found.body.items[0]?.id as string;
    expect(id, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [id]);
    const sh = (await order(s, id)).shipments[0] as ShipmentBody;
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    beforeShip?.();
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier, trackingNo });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    return { orderId: id, shipmentId: sh.id };
  }

  /** The hub's view of the platform order after pulling it again. */
  async function pulledAgain(adapter: ChannelAdapter<never>, accountId: string, platformOrderId: string) {
    await pullIntoHub(s, adapter, accountId, Date.now() - 3_600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${platformOrderId}`);
    return (await s.api<{ status: string; platformStatus: string }>('GET', `/api/orders/${found.body.items[0]?.orderNo}`)).body;
  }

  it('tells WooCommerce a shipped order once: completed with our tracking number, one done call in the log', async () => {
    const o = simOrder('4101', 'CNY', [[uniq('WC'), 2]]);
    const { orderId } = await shipInHub(woo, woocommerce as ChannelAdapter<never>, wooAccount, o, 'sf', 'SF4101000001');
    const [call] = await settled(wooAccount, o.id, ['done']);
    expect(call).toMatchObject({ kind: 'ship_back', orderId, state: 'done', attempts: 1, lastStatus: 200, carrier: 'sf', trackingNo: 'SF4101000001', lastError: null });
    expect(woo.shipmentsOf!(o.id)).toEqual(['SF4101000001']);
    // The 360° view shows the order's call too, with every request it made (the call log).
    const view = (await s.api<{ platformCalls: { kind: string; state: string; trackingNo: string; requests: CallRequest[] }[] }>('GET', `/api/orders/${orderId}`)).body;
    expect(view.platformCalls).toEqual([expect.objectContaining({ kind: 'ship_back', state: 'done', trackingNo: 'SF4101000001' })]);
    const ops = ['GET /wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings', 'POST /wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings', 'PUT /wp-json/wc/v3/orders/{id}'];
    expect(view.platformCalls[0]?.requests.map((r) => [r.op.replace(/^(\w+) \/[^/]+/, '$1 '), r.attempt, r.httpStatus, r.result])).toEqual([
      [ops[0], 1, 200, 'ok'],
      [ops[1], 1, 201, 'ok'],
      [ops[2], 1, 200, 'ok'],
    ]);
    // The account's call log has them, newest first, with the platform order they were about.
    const log = await callLog(wooAccount, '?kind=ship_back');
    expect(log.items.filter((c) => c.subject === o.id).map((c) => [c.op.replace(/^(\w+) \/[^/]+/, '$1 '), c.orderId, c.result])).toEqual([
      [ops[2], orderId, 'ok'],
      [ops[1], orderId, 'ok'],
      [ops[0], orderId, 'ok'],
    ]);
    expect(log.last24h.byKind.ship_back).toBeGreaterThanOrEqual(3);
    // Closed loop: the next pull reads the platform's order as completed.
    expect((await pulledAgain(woocommerce as ChannelAdapter<never>, wooAccount, o.id)).platformStatus).toBe('completed');
  });

  it('tells Shopify a shipped order once: fulfilled with our tracking number, one done call in the log', async () => {
    const o = simOrder('5101', 'USD', [[uniq('SH'), 1], [uniq('SH'), 3]]);
    await shipInHub(shop, shopify as ChannelAdapter<never>, shopAccount, o, 'sf', 'SF5101000001');
    const calls = await settled(shopAccount, o.id, ['done']);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ state: 'done', attempts: 1, lastStatus: 201 });
    expect(shop.shipmentsOf!(o.id)).toEqual(['SF5101000001']);
    expect((await pulledAgain(shopify as ChannelAdapter<never>, shopAccount, o.id)).platformStatus).toContain('fulfilled');
  });

  it('retries a ship-back whose answer was lost (5xx after the platform applied it) and the platform keeps one shipment', async () => {
    shop.failNextWrite!({ status: 502, applied: true });
    const o = simOrder('5102', 'USD', [[uniq('SH'), 1]]);
    await shipInHub(shop, shopify as ChannelAdapter<never>, shopAccount, o, 'sf', 'SF5102000001');
    const [call] = await settled(shopAccount, o.id, ['done']);
    expect(call).toMatchObject({ state: 'done', attempts: 2, lastCode: 'ALREADY_THERE' });
    expect(shop.shipmentsOf!(o.id)).toEqual(['SF5102000001']);
    // The call log tells both attempts apart: the first one's lost answer (502, retried), the second one's check.
    const mine = (await callLog(shopAccount, '?kind=ship_back')).items.filter((c) => c.outboundId === call?.id).reverse();
    expect(mine.filter((c) => c.attempt === 1).at(-1)).toMatchObject({ httpStatus: 502, result: 'retry', code: 'HTTP_502' });
    expect(mine.filter((c) => c.attempt === 2).at(-1)).toMatchObject({ result: 'ok', code: 'ALREADY_THERE' });
    expect((await callLog(shopAccount, '?kind=ship_back&result=retry')).items.every((c) => c.result === 'retry')).toBe(true);

    woo.failNextWrite!({ status: 503, applied: true });
    const w = simOrder('4102', 'CNY', [[uniq('WC'), 1]]);
    await shipInHub(woo, woocommerce as ChannelAdapter<never>, wooAccount, w, 'sf', 'SF4102000001');
    const [wc] = await settled(wooAccount, w.id, ['done']);
    expect(wc).toMatchObject({ state: 'done', attempts: 2 });
    expect(woo.shipmentsOf!(w.id)).toEqual(['SF4102000001']);
  });

  it('keeps a platform refusal as refused with the platform’s reason, and does not retry it', async () => {
    woo.failNextWrite!({ status: 400, code: 'woocommerce_rest_order_refunded', message: 'The buyer was refunded: the order cannot be shipped.' });
    const w = simOrder('4103', 'CNY', [[uniq('WC'), 1]]);
    await shipInHub(woo, woocommerce as ChannelAdapter<never>, wooAccount, w, 'sf', 'SF4103000001');
    const [call] = await settled(wooAccount, w.id, ['refused']);
    expect(call).toMatchObject({ state: 'refused', attempts: 1, lastStatus: 400, lastCode: 'woocommerce_rest_order_refunded', lastError: 'The buyer was refunded: the order cannot be shipped.' });
    expect((await callLog(wooAccount, '?result=refused')).items.find((c) => c.outboundId === call?.id)).toMatchObject({
      kind: 'ship_back',
      httpStatus: 400,
      code: 'woocommerce_rest_order_refunded',
      error: 'The buyer was refunded: the order cannot be shipped.',
    });
    const callsBefore = woo.stats.calls;
    await new Promise((r) => setTimeout(r, 400));
    expect(woo.stats.calls).toBe(callsBefore);
    expect(woo.shipmentsOf!(w.id)).toEqual([]);

    // A carrier Shopify's dictionary does not know: refused by the hub's own client, with the reason.
    const o = simOrder('5103', 'USD', [[uniq('SH'), 1]]);
    await shipInHub(shop, shopify as ChannelAdapter<never>, shopAccount, o, 'pigeon', 'PG1');
    const [c2] = await settled(shopAccount, o.id, ['refused']);
    expect(c2).toMatchObject({ state: 'refused', lastCode: 'CARRIER_UNKNOWN' });
    expect(c2?.lastError).toContain('pigeon');
    // Refused before any request: nothing in the call log (it records requests the platform got).
    expect((await callLog(shopAccount)).items.filter((c) => c.outboundId === c2?.id)).toEqual([]);
  });

  it('gives a ship-back up as failed after the last attempt when the platform keeps answering 429, the error kept', { timeout: 30_000 }, async () => {
    const busy = sims.mount('woo-busy', woocommerceSimulator, `busy-${backend.name}`);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'woocommerce', name: 'Busy store', credentials: busy.credentials });
    const w = simOrder('4201', 'CNY', [[uniq('WC'), 1]]);
    await shipInHub(busy, woocommerce as ChannelAdapter<never>, a.body.id, w, 'sf', 'SF4201000001', () => busy.throttleNext(100));
    const [call] = await settled(a.body.id, w.id, ['failed']);
    expect(call).toMatchObject({ state: 'failed', attempts: 3, lastStatus: 429, lastCode: 'rate_limit_exceeded' });
    // Each retry waited at least the Retry-After the store sent (3 s), not the shorter back-off.
    const row = await s.hub.db.read.get<{ created_at: number; updated_at: number }>('SELECT created_at, updated_at FROM outbound_calls WHERE id = ?', [call?.id ?? 0]);
    expect(Number(row?.updated_at) - Number(row?.created_at)).toBeGreaterThanOrEqual(6_000);
    expect(busy.shipmentsOf!(w.id)).toEqual([]);
  });

  it('pages the outbound log newest first; a bad id or another tenant’s account is 404, wrong types 400', async () => {
    const all = (await outbound(wooAccount)).body.items;
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.map((x) => x.id)).toEqual([...all.map((x) => x.id)].sort((a, b) => b - a));
    const first = await outbound(wooAccount, '?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextBefore).toBe(first.body.items[0]?.id);
    const second = await outbound(wooAccount, `?limit=1&before=${first.body.nextBefore}`);
    expect(second.body.items[0]?.id).toBe(all[1]?.id);

    expect((await outbound('no-such-account')).status).toBe(404);
    for (const q of ['?limit=abc', '?limit=0', '?before=-1', '?before=1.5']) {
      const r = await outbound(wooAccount, q);
      expect([r.status, r.body.error?.code], q).toEqual([400, 'VALIDATION_FAILED']);
    }
    // Another tenant's account answers like one that does not exist.
    if (!s.hub.local) return;
    const other = uniq('acct');
    await s.hub.db.transaction((tx) =>
      tx.run(`INSERT INTO channel_accounts (id, tenant_id, platform, name, credentials, active, created_at, updated_at) VALUES (?, 'other-tenant', 'woocommerce', 'Theirs', '{}', 1, 0, 0)`, [other]),
    );
    const r = await outbound(other);
    expect(r.status).toBe(404);
    expect((await s.api('GET', `/api/channel-accounts/${other}/platform-calls`)).status).toBe(404);
  });

  it('pages the platform call log, refuses a filter it does not know, and prunes entries past the keeping time', async () => {
    const all = (await callLog(wooAccount)).items;
    expect(all.length).toBeGreaterThanOrEqual(4);
    const first = await callLog(wooAccount, '?limit=2');
    const second = await callLog(wooAccount, `?limit=2&before=${first.nextBefore}`);
    expect([...first.items, ...second.items].map((c) => c.op)).toEqual(all.slice(0, 4).map((c) => c.op));
    for (const q of ['?kind=stok', '?result=fine', '?limit=501', '?before=0']) {
      const r = await s.api<{ error?: { code: string } }>('GET', `/api/channel-accounts/${wooAccount}/platform-calls${q}`);
      expect([r.status, r.body.error?.code], q).toEqual([400, 'VALIDATION_FAILED']);
    }
    if (!s.hub.local) return;
    // The hourly prune: nothing younger than the keeping time goes; everything older does.
    expect(await s.hub.local.outbound.pruneCallLog()).toBe(0);
    expect(await s.hub.local.outbound.pruneCallLog(Date.now() + 15 * 86_400_000)).toBeGreaterThanOrEqual(all.length);
    expect((await callLog(wooAccount)).items).toEqual([]);
  });
});

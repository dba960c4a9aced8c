// Correcting a shipped parcel's carrier or tracking number (更正运单号, a typo found after the platform was told), over
// real HTTP on loopback. Per platform, the correction goes with the platform's own method — Taobao
// taobao.logistics.consign.resend, Douyin order.logisticsEdit / order.logisticsEditByPack, PDD pdd.logistics.online.send
// with redelivery_type=2 (修改发货), Shopify fulfillments/{id}/update_tracking.json, WooCommerce a new Shipment Tracking
// item for the old one — every request checked by the test's own signer or check written from the platform's
// documentation (apart from the adapters and the simulators): accepted as sent, refused with one byte tampered; the
// platform's next read shows the new number. JD and Shopee take none and are refused before anything is written. In
// the hub (POST /api/shipments/{id}/tracking): the shipment takes the new number, tracking follows it, the platform is
// told once (a double submit makes one correction), the next pull confirms it; refusals are clear and write nothing.
import { createHash } from 'node:crypto';
import { restResources } from '@shopify/shopify-api/rest/admin/2025-10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { kuaidi100Push, sendPush, tracking, until } from '../fulfilment/tracking-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import { douyinSimulator } from '../../src/sandbox/simulators/douyin.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import { shopifySimulator } from '../../src/sandbox/simulators/shopify.ts';
import { woocommerceSimulator } from '../../src/sandbox/simulators/woocommerce.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import type { PlatformSimulator, SimOrder, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { startTrackingFake, type TrackingFake } from '../../src/sandbox/fakes/tracking.ts';
import { taobao } from '../../src/modules/channels/connectors/taobao/index.ts';
import { douyin } from '../../src/modules/channels/connectors/douyin/index.ts';
import { pinduoduo } from '../../src/modules/channels/connectors/pinduoduo/index.ts';
import { shopify } from '../../src/modules/channels/connectors/shopify/index.ts';
import { woocommerce } from '../../src/modules/channels/connectors/woocommerce/index.ts';
import { jd } from '../../src/modules/channels/connectors/jd/index.ts';
import type { ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';
import { ourDouyinSign, ourTopSign, wooSignatureValid } from '../support/platform-signers.ts';

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };

let seq = 0;
/** A fresh 19-digit id (Taobao tid, Douyin order id), unique across runs sharing a database. */
const newLongId = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
/** A fresh JD orderId. */
const newJdId = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
/** A fresh PDD order_sn (yyMMdd-15 digits). */
const newSn = () => `261207-${String(Date.now()).slice(-10)}${String(++seq % 100).padStart(2, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
/** A fresh tracking number with a prefix (the hub refuses one number on two parcels). */
const num = (prefix: string) => `${prefix}${String(Date.now()).slice(-9)}${String(++seq).padStart(3, '0')}`;

function simOrder(id: string, lines: [string, number][], currency = 'CNY'): SimOrder {
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

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

// ---- the test's own signers and checks, from each platform's documentation --------------------------------------

/** PDD: every parameter but sign, sorted by name, k1v1…, wrapped in the client secret, MD5, upper hex. */
function ourPddSign(params: Record<string, string>, secret: string): string {
  const body = Object.entries(params)
    .filter(([k]) => k !== 'sign')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => k + v)
    .join('');
  return createHash('md5').update(secret + body + secret, 'utf8').digest('hex').toUpperCase();
}

/** The Admin REST paths @shopify/shopify-api declares for the Fulfillment resource (generated from Shopify's API description). */
const shopifyFulfillmentPaths = (restResources.Fulfillment as unknown as { paths: { http_method: string; path: string }[] }).paths.map((p) => ({
  method: p.http_method.toUpperCase(),
  re: new RegExp(`/admin/api/2025-10/${p.path.replace(/\./g, '\\.').replace(/<[a-z_]+>/g, '\\d+')}$`),
  path: p.path,
}));

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    out.push({ method: init?.method ?? 'GET', url: String(input), headers: Object.fromEntries(new Headers(init?.headers).entries()), body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(input, init);
  };
}

/** TOP's form or PDD's JSON body as a flat map of parameters. */
function paramsOf(body: string): Record<string, string> {
  if (body.startsWith('{')) return Object.fromEntries(Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(new URLSearchParams(body));
}

const ctxOf = (sim: PlatformSimulator, seen: Recorded[]) => ({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now });

function parcel(platformOrderId: string, carrier: string, trackingNo: string, over: Partial<ShipBackParcel> = {}): ShipBackParcel {
  return { platformOrderId, carrier, trackingNo, shippedAt: Date.now(), lines: [], idempotencyKey: `ship_back:T-${trackingNo}:${platformOrderId}`, ...over };
}

/** The numbers the platform's next pull shows for an order, read with the connector's own pull and parse. */
async function pulledNumbers(adapter: ChannelAdapter<unknown>, sim: PlatformSimulator, id: string): Promise<string[]> {
  for await (const page of adapter.pull!({ credentials: sim.credentials, from: Date.now() - 600_000, to: Date.now() + 60_000, fetch, now: Date.now })) {
    const hit = page.find((p) => p.order.platformOrderId === id);
    if (hit) return hit.order.platformTrackingNos ?? [];
  }
  throw new Error(`order ${id} not pulled`);
}

// ---- the connectors against the simulators ----------------------------------------------------------------------

describe('tracking corrections per platform, checked by the test’s own signers', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('Taobao: taobao.logistics.consign.resend with the new number and company, TOP-signed; a tampered byte refused; a repeat sends nothing', async () => {
    const sim = sims.mount('tb', taobaoSimulator, 'tb');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const tid = newLongId();
    sim.record(simOrder(tid, [['TA', 1]]), '');
    const seen: Recorded[] = [];
    const a = taobao as ChannelAdapter<unknown>;
    await a.shipBack!(ctxOf(sim, seen), parcel(tid, 'zto', 'ZT1000000001'));
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel(tid, 'yto', 'YT2000000002', { replacesTrackingNo: 'ZT1000000001' }))).toMatchObject({ already: false, status: 200 });
    const calls = seen.map((x) => paramsOf(x.body));
    expect(calls.map((p) => p.method)).toEqual(['taobao.trade.fullinfo.get', 'taobao.logistics.consign.resend']);
    expect(calls[1]).toMatchObject({ tid, out_sid: 'YT2000000002', company_code: 'YTO' });
    expect(calls[1]?.is_split).toBeUndefined();
    for (const p of calls) expect(p.sign, p.method).toBe(ourTopSign(p, secret));
    expect(sim.shipmentsOf!(tid)).toEqual(['YT2000000002']);
    expect(await pulledNumbers(a, sim, tid)).toEqual(['YT2000000002']);

    const resend = seen[1] as Recorded;
    const res = await fetch(resend.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...calls[1], out_sid: flip(calls[1]?.out_sid ?? '', 3) }).toString() });
    expect(((await res.json()) as { error_response?: { code?: number } }).error_response?.code).toBe(25);
    expect(sim.shipmentsOf!(tid)).toEqual(['YT2000000002']);

    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel(tid, 'yto', 'YT2000000002', { replacesTrackingNo: 'ZT1000000001' }))).toMatchObject({ already: true });
    expect(seen.map((x) => paramsOf(x.body).method)).toEqual(['taobao.trade.fullinfo.get']);
  });

  it('Douyin: order.logisticsEdit for an order sent in one parcel, order.logisticsEditByPack with the pack id for one of several; signed; a tampered byte refused', async () => {
    const sim = sims.mount('dy', douyinSimulator, 'dy');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const a = douyin as ChannelAdapter<unknown>;
    const method = (x: Recorded) => new URL(x.url).searchParams.get('method');
    const expectSigned = (xs: Recorded[]) => {
      for (const x of xs) expect(new URL(x.url).searchParams.get('sign'), method(x) ?? '').toBe(ourDouyinSign(secret, new URL(x.url).searchParams, x.body));
    };

    const one = newLongId();
    sim.record(simOrder(one, [['DA', 1]]), '');
    const seen: Recorded[] = [];
    await a.shipBack!(ctxOf(sim, seen), parcel(one, 'sf', 'SF3000000001', { lines: [{ sku: 'DA', quantity: 1 }] }));
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel(one, 'zto', 'ZT3000000002', { lines: [{ sku: 'DA', quantity: 1 }], replacesTrackingNo: 'SF3000000001' }))).toMatchObject({ already: false });
    expect(seen.map(method)).toEqual(['order.orderDetail', 'order.logisticsEdit']);
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ company_code: 'zhongtong', logistics_code: 'ZT3000000002', order_id: one });
    expectSigned(seen);
    expect(sim.shipmentsOf!(one)).toEqual(['ZT3000000002']);
    expect(await pulledNumbers(a, sim, one)).toEqual(['ZT3000000002']);
    // The edit with one byte of its param_json changed: Douyin refuses the sign.
    const edit = seen[1] as Recorded;
    const tampered = await fetch(edit.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: flip(edit.body, edit.body.indexOf('ZT3') + 4) });
    expect((await tampered.json()) as unknown).toMatchObject({ code: 40003, sub_code: 'isv.signature-invalid' });
    // Again (a lost answer): the new number is there, the old gone; nothing is sent.
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel(one, 'zto', 'ZT3000000002', { replacesTrackingNo: 'SF3000000001' }))).toMatchObject({ already: true });
    expect(seen.map(method)).toEqual(['order.orderDetail']);

    const two = newLongId();
    sim.record(simOrder(two, [['DB', 1], ['DC', 1]]), '');
    await a.shipBack!(ctxOf(sim, []), parcel(two, 'sf', 'SF3100000001', { lines: [{ sku: 'DB', quantity: 1 }], partial: true }));
    await a.shipBack!(ctxOf(sim, []), parcel(two, 'sf', 'SF3100000002', { lines: [{ sku: 'DC', quantity: 1 }], partial: true }));
    seen.length = 0;
    await a.shipBack!(ctxOf(sim, seen), parcel(two, 'yto', 'YT3100000009', { lines: [{ sku: 'DC', quantity: 1 }], partial: true, replacesTrackingNo: 'SF3100000002' }));
    expect(seen.map(method)).toEqual(['order.orderDetail', 'order.logisticsEditByPack']);
    const detail = JSON.parse(((await fetch(seen[0]?.url ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: seen[0]?.body ?? '' }).then((r) => r.text())) || '{}').replace(/:(\d{16,})/g, ':"$1"')) as {
      data: { shop_order_detail: { logistics_info: { tracking_no: string; delivery_id: string }[] } };
    };
    const packOfNew = detail.data.shop_order_detail.logistics_info.find((l) => l.tracking_no === 'YT3100000009')?.delivery_id;
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ company_code: 'yuantong', logistics_code: 'YT3100000009', order_id: two, pack_id: packOfNew });
    expectSigned(seen);
    expect(sim.shipmentsOf!(two)).toEqual(['SF3100000001', 'YT3100000009']);
    expect((await pulledNumbers(a, sim, two)).sort()).toEqual(['SF3100000001', 'YT3100000009']);
    // A number Douyin does not hold: refused before any write.
    seen.length = 0;
    await expect(a.shipBack!(ctxOf(sim, seen), parcel(two, 'yto', 'YT3100000010', { replacesTrackingNo: 'NOPE1' }))).rejects.toMatchObject({ code: 'NOTHING_TO_CORRECT', opts: { refused: true } });
    expect(seen.map(method)).toEqual(['order.orderDetail']);
  });

  it('Pinduoduo: pdd.logistics.online.send with redelivery_type=2 (修改发货), MD5-signed; a tampered byte refused; an extra parcel’s number refused as CORRECTION_UNSUPPORTED', async () => {
    const sim = sims.mount('pdd', pinduoduoSimulator, 'pdd');
    const secret = (sim.credentials as { clientSecret: string }).clientSecret;
    const a = pinduoduo as ChannelAdapter<unknown>;
    const sn = newSn();
    sim.record(simOrder(sn, [['PA', 1]]), '');
    const seen: Recorded[] = [];
    await a.shipBack!(ctxOf(sim, seen), parcel(sn, 'sf', 'SF4000000001'));
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel(sn, 'zto', 'ZT4000000002', { replacesTrackingNo: 'SF4000000001' }))).toMatchObject({ already: false });
    const calls = seen.map((x) => paramsOf(x.body));
    expect(calls.map((p) => p.type)).toEqual(['pdd.order.information.get', 'pdd.logistics.online.send']);
    expect(calls[1]).toMatchObject({ order_sn: sn, logistics_id: '115', tracking_number: 'ZT4000000002', redelivery_type: '2' });
    for (const p of calls) expect(p.sign, p.type).toBe(ourPddSign(p, secret));
    expect(sim.shipmentsOf!(sn)).toEqual(['ZT4000000002']);
    expect(await pulledNumbers(a, sim, sn)).toEqual(['ZT4000000002']);
    const send = seen[1] as Recorded;
    const res = await fetch(send.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...calls[1], tracking_number: flip(calls[1]?.tracking_number ?? '', 4) }) });
    expect(((await res.json()) as { error_response?: { error_code?: number } }).error_response?.error_code).toBe(20004);
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel(sn, 'zto', 'ZT4000000002', { replacesTrackingNo: 'SF4000000001' }))).toMatchObject({ already: true });
    expect(seen.map((x) => paramsOf(x.body).type)).toEqual(['pdd.order.information.get']);

    // A later parcel went as extra logistics: PDD documents no change of it.
    await a.shipBack!(ctxOf(sim, []), parcel(sn, 'zto', 'ZT4000000003'));
    expect(sim.shipmentsOf!(sn)).toEqual(['ZT4000000002', 'ZT4000000003']);
    seen.length = 0;
    await expect(a.shipBack!(ctxOf(sim, seen), parcel(sn, 'zto', 'ZT4000000004', { replacesTrackingNo: 'ZT4000000003' }))).rejects.toMatchObject({ code: 'CORRECTION_UNSUPPORTED', opts: { refused: true } });
    expect(seen.map((x) => paramsOf(x.body).type)).toEqual(['pdd.order.information.get']);
    expect(sim.shipmentsOf!(sn)).toEqual(['ZT4000000002', 'ZT4000000003']);
  });

  it('Shopify: POST fulfillments/{id}/update_tracking.json on the documented path with the shop’s token; a tampered token refused', async () => {
    const sim = sims.mount('shop', shopifySimulator, 'shop');
    const token = (sim.credentials as { accessToken: string }).accessToken;
    const a = shopify as ChannelAdapter<unknown>;
    sim.record(simOrder('7001', [['SA', 1]], 'USD'), '');
    await a.shipBack!(ctxOf(sim, []), parcel('7001', 'sf', 'SF5000000001', { lines: [{ sku: 'SA', quantity: 1 }] }));
    const seen: Recorded[] = [];
    expect(await a.shipBack!(ctxOf(sim, seen), parcel('7001', 'ups', '1Z5000000002', { lines: [{ sku: 'SA', quantity: 1 }], replacesTrackingNo: 'SF5000000001' }))).toMatchObject({ already: false });
    expect(seen.map((x) => `${x.method} ${new URL(x.url).pathname.replace(/^\/shop/, '')}`)).toEqual([expect.stringMatching(/^GET \/admin\/api\/2025-10\/orders\/7001\/fulfillments\.json$/), expect.stringMatching(/^POST \/admin\/api\/2025-10\/fulfillments\/\d+\/update_tracking\.json$/)]);
    for (const x of seen) {
      expect(x.headers['x-shopify-access-token']).toBe(token);
      expect(shopifyFulfillmentPaths.some((d) => d.method === x.method && d.re.test(new URL(x.url).pathname)), `${x.method} ${x.url}`).toBe(true);
    }
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ fulfillment: { tracking_info: { number: '1Z5000000002', company: 'UPS' }, notify_customer: true } });
    expect(sim.shipmentsOf!('7001')).toEqual(['1Z5000000002']);
    expect(await pulledNumbers(a, sim, '7001')).toEqual(['1Z5000000002']);
    const before = sim.stats.refusedSignature;
    const tampered = await fetch(seen[1]?.url ?? '', { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': flip(token, 5) }, body: seen[1]?.body ?? '' });
    expect(tampered.status).toBe(401);
    expect(sim.stats.refusedSignature).toBe(before + 1);
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel('7001', 'ups', '1Z5000000002', { replacesTrackingNo: 'SF5000000001' }))).toMatchObject({ already: true });
    expect(seen.map((x) => x.method)).toEqual(['GET']);
  });

  it('WooCommerce: the new tracking item added and the old one deleted by its tracking_id, OAuth-signed; a tampered signature refused', async () => {
    const sim = sims.mount('woo', woocommerceSimulator, 'woo');
    const c = sim.credentials as { consumerKey: string; consumerSecret: string };
    const a = woocommerce as ChannelAdapter<unknown>;
    sim.record(simOrder('3101', [['WA', 1]]), '');
    await a.shipBack!(ctxOf(sim, []), parcel('3101', 'zto', 'ZT6000000001'));
    const seen: Recorded[] = [];
    expect(await a.shipBack!(ctxOf(sim, seen), parcel('3101', 'sf', 'SF6000000002', { replacesTrackingNo: 'ZT6000000001' }))).toMatchObject({ already: false });
    const path = (x: Recorded) => `${x.method} ${new URL(x.url).pathname.replace(/^\/woo/, '')}`;
    expect(seen.map(path)).toEqual([
      'GET /wp-json/wc-shipment-tracking/v3/orders/3101/shipment-trackings',
      'POST /wp-json/wc-shipment-tracking/v3/orders/3101/shipment-trackings',
      expect.stringMatching(/^DELETE \/wp-json\/wc-shipment-tracking\/v3\/orders\/3101\/shipment-trackings\/[A-Za-z0-9]+$/),
    ]);
    for (const x of seen) expect(wooSignatureValid(x.method, x.url, c.consumerKey, c.consumerSecret), x.url).toBe(true);
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ tracking_provider: 'SF Express', tracking_number: 'SF6000000002', date_shipped: new Date().toISOString().slice(0, 10) });
    expect(sim.shipmentsOf!('3101')).toEqual(['SF6000000002']);
    expect(await pulledNumbers(a, sim, '3101')).toEqual(['SF6000000002']);
    const del = seen[2] as Recorded;
    const u = new URL(del.url);
    const sig = u.searchParams.get('oauth_signature') ?? '';
    u.searchParams.set('oauth_signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    u.searchParams.set('oauth_nonce', 'another-nonce-0002');
    expect((await fetch(u, { method: 'DELETE' })).status).toBe(401);
    seen.length = 0;
    expect(await a.shipBack!(ctxOf(sim, seen), parcel('3101', 'sf', 'SF6000000002', { replacesTrackingNo: 'ZT6000000001' }))).toMatchObject({ already: true });
    expect(seen.map((x) => x.method)).toEqual(['GET']);
  });

  it('JD: refused as CORRECTION_UNSUPPORTED before any request (no documented method), and declared so for the hub to refuse first', async () => {
    const sim = sims.mount('jd', jdSimulator, 'jd');
    const seen: Recorded[] = [];
    await expect((jd as ChannelAdapter<unknown>).shipBack!(ctxOf(sim, seen), parcel('123456789', 'zto', 'ZT7000000002', { replacesTrackingNo: 'ZT7000000001' }))).rejects.toMatchObject({
      code: 'CORRECTION_UNSUPPORTED',
      opts: { refused: true },
    });
    expect(seen).toEqual([]);
    expect(jd.trackingCorrectionRefused).toMatch(/JD/);
  });
});

// ---- the whole correction in the hub -------------------------------------------------------------------------

interface OutboundItem {
  id: number;
  orderId: string | null;
  shipmentId: string | null;
  platformOrderId: string;
  state: string;
  carrier: string | null;
  trackingNo: string | null;
  replacesTrackingNo: string | null;
  supersededBy: number | null;
  resendOf: number | null;
  confirmedAt: string | null;
  lastCode: string | null;
}

interface Corrected {
  shipment: ShipmentBody;
  from: { carrier: string | null; trackingNo: string | null };
  platformWrites: { orderId: string; platformOrderId: string; kind: string; id?: number; supersedes?: number; mode?: string; reason?: string }[];
}

interface FlowPlatform {
  platform: string;
  factory: SimulatorFactory;
  adapter: ChannelAdapter<never>;
  newId: () => string;
  /** The correction's request as the simulator receives it: its method name, and its new number's field. */
  correction: { name: string; tracking: string };
  nameOf: (path: string, body: string, query: URLSearchParams) => string;
}

const flowPlatforms: FlowPlatform[] = [
  { platform: 'taobao', factory: taobaoSimulator, adapter: taobao as ChannelAdapter<never>, newId: newLongId, correction: { name: 'taobao.logistics.consign.resend', tracking: 'out_sid' }, nameOf: (_p, body) => paramsOf(body).method ?? '' },
  {
    platform: 'douyin',
    factory: douyinSimulator,
    adapter: douyin as ChannelAdapter<never>,
    newId: newLongId,
    correction: { name: 'order.logisticsEdit', tracking: 'logistics_code' },
    nameOf: (_p, _b, q) => q.get('method') ?? '',
  },
];

const kd100 = { key: 'kd100-retrack-key', salt: 'kd100-retrack-salt', customer: 'KD100RETRACK' };

describe.each(httpBackends)('correcting a shipped parcel’s tracking number in the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let fake: TrackingFake;
  let trackingAccount: string;
  let wh: string;
  const shops = new Map<string, { sim: PlatformSimulator; account: string; received: { name: string; params: Record<string, unknown> }[] }>();

  beforeAll(async () => {
    sims = await startSimulatorServer();
    fake = await startTrackingFake({ kuaidi100: { key: kd100.key, customer: kd100.customer } });
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    for (const p of [...flowPlatforms.map((f) => ({ platform: f.platform, factory: f.factory, nameOf: f.nameOf })), { platform: 'jd', factory: jdSimulator, nameOf: (_p: string, body: string, q: URLSearchParams) => q.get('method') ?? paramsOf(body).method ?? '' }]) {
      const sim = sims.mount(p.platform, p.factory, `flow-${backend.name}`);
      const received: { name: string; params: Record<string, unknown> }[] = [];
      // Recorded where the platform receives them: on the writer thread the hub's fetch is out of the test's reach.
      const handle = sim.handle.bind(sim);
      sim.handle = (req) => {
        const body = req.body.toString('utf8');
        let params: Record<string, unknown> = {};
        try {
          params = body.startsWith('{') ? (JSON.parse(body.replace(/:(\d{16,})/g, ':"$1"')) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(body));
        } catch {
          params = {};
        }
        received.push({ name: p.nameOf(req.path, body, req.query), params });
        return handle(req);
      };
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: p.platform, name: `${p.platform} shop`, credentials: sim.credentials });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      shops.set(p.platform, { sim, account: a.body.id, received });
    }
    const t = await s.api<{ id: string }>('POST', '/api/tracking-accounts', { source: 'kuaidi100', name: 'Kuaidi100', credentials: kd100, apiBase: fake.apiBase('kuaidi100') });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    trackingAccount = t.body.id;
    wh = uniq('RT');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
    await fake?.close();
  });

  const adapterOf = (platform: string) => (platform === 'jd' ? (jd as ChannelAdapter<never>) : (flowPlatforms.find((f) => platform.startsWith(f.platform)) as FlowPlatform).adapter);

  async function outboundOf(platform: string, platformOrderId: string): Promise<OutboundItem[]> {
    const { account } = shops.get(platform)!;
    return (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === platformOrderId).sort((a, b) => a.id - b.id);
  }

  async function settled(platform: string, platformOrderId: string, count: number): Promise<OutboundItem[]> {
    let last: OutboundItem[] = [];
    await until(async () => {
      last = await outboundOf(platform, platformOrderId);
      return last.length === count && last.every((x) => ['done', 'refused', 'failed', 'superseded'].includes(x.state));
    });
    return last;
  }

  /** An order pulled in from the platform and routed; packed and shipped with this number unless `ship` is false. */
  async function shipInHub(platform: string, carrier: string, trackingNo: string, opts: { ship?: boolean; beforeShip?: () => void } = {}): Promise<{ id: string; orderId: string; shipment: ShipmentBody }> {
    const { sim, account } = shops.get(platform)!;
    const id = platform === 'jd' ? newJdId() : newLongId();
    const sku = uniq('RTS');
    await setStock(s, sku, 20, wh);
    sim.record(simOrder(id, [[sku, 1]]), 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, adapterOf(platform), account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    const orderId = found.body.items[0]?.id as string;
    expect(orderId, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [orderId]);
    const sh = (await order(s, orderId)).shipments[0] as ShipmentBody;
    if (opts.ship === false) return { id, orderId, shipment: sh };
    opts.beforeShip?.();
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier, trackingNo });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    return { id, orderId, shipment: shipped.body };
  }

  const correct = (shipmentId: string, body: unknown) => s.api<Corrected & { error?: { code: string; message: string } }>('POST', `/api/shipments/${shipmentId}/tracking`, body);
  const count = async (sql: string, params: unknown[]) => Number((await s.hub.db.read.get<{ c: number }>(sql, params as never[]))?.c ?? 0);
  const hook = () => `/hooks/tracking/kuaidi100/${trackingAccount}`;

  describe.each(flowPlatforms)('$platform', (p) => {
    it(
      'corrects the number: the shipment takes it, the platform is told once with its correction and its next pull confirms it, tracking follows the new number',
      { timeout: 120_000 },
      async () => {
        const { sim, received } = shops.get(p.platform)!;
        const oldNo = num('ZT');
        const { id, orderId, shipment } = await shipInHub(p.platform, 'zto', oldNo);
        const [first] = await settled(p.platform, id, 1);
        expect(first).toMatchObject({ state: 'done', trackingNo: oldNo });
        // Tracking had the old number: subscribed, and an event heard for it.
        await until(() => fake.requests.some((q) => q.kind === 'subscribe' && q.number === oldNo && q.status === 200));
        expect((await sendPush(s, hook(), kuaidi100Push(kd100.salt, oldNo, '0', [{ at: Date.now() - 600_000, context: '【杭州】已揽收', statusCode: '1' }], 'zhongtong'))).status).toBe(200);
        expect((await tracking(s, shipment.id)).events).toHaveLength(1);

        const newNo = num('YT');
        const r = await correct(shipment.id, { carrier: 'yto', trackingNo: newNo });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.shipment).toMatchObject({ id: shipment.id, state: 'shipped', carrier: 'yto', trackingNo: newNo });
        expect(r.body.from).toEqual({ carrier: 'zto', trackingNo: oldNo });
        expect(r.body.platformWrites).toEqual([{ orderId, platformOrderId: id, kind: 'queued', id: expect.any(Number) as number, supersedes: first?.id, mode: 'correct' }]);
        expect((await order(s, orderId)).shipments[0]).toMatchObject({ carrier: 'yto', trackingNo: newNo });

        // The platform is told with its correction method, once; the first write is superseded by it.
        const calls = await settled(p.platform, id, 2);
        expect(calls.map((c) => [c.state, c.trackingNo, c.replacesTrackingNo, c.supersededBy, c.resendOf])).toEqual([
          ['done', oldNo, null, calls[1]?.id, null],
          ['done', newNo, oldNo, null, first?.id],
        ]);
        const corrections = received.filter((x) => x.name === p.correction.name && JSON.stringify(x.params).includes(id));
        expect(corrections.map((x) => x.params[p.correction.tracking])).toEqual([newNo]);
        expect(sim.shipmentsOf!(id)).toEqual([newNo]);
        // Closed loop: the next pull shows the new number, and confirms the correction.
        await pullIntoHub(s, p.adapter, shops.get(p.platform)!.account, Date.now() - 600_000, Date.now() + 60_000);
        expect((await outboundOf(p.platform, id)).find((c) => c.id === calls[1]?.id)?.confirmedAt).not.toBeNull();

        // Tracking follows: the old number's event is gone, the new number is subscribed, its pushes land on the parcel
        // and the old number's do not.
        const t0 = await tracking(s, shipment.id);
        expect(t0.shipment).toMatchObject({ carrier: 'yto', trackingNo: newNo, trackingStatus: null });
        expect(t0.events).toEqual([]);
        await until(() => fake.requests.some((q) => q.kind === 'subscribe' && q.number === newNo && q.status === 200 && q.signed));
        expect((await sendPush(s, hook(), kuaidi100Push(kd100.salt, newNo, '0', [{ at: Date.now() - 300_000, context: '【杭州】圆通已揽收', statusCode: '1' }]))).status).toBe(200);
        expect((await sendPush(s, hook(), kuaidi100Push(kd100.salt, oldNo, '0', [{ at: Date.now() - 200_000, context: '【上海】中通转运', statusCode: '0' }], 'zhongtong'))).status).toBe(200);
        const t1 = await tracking(s, shipment.id);
        expect(t1.events.map((e) => e.description)).toEqual(['【杭州】圆通已揽收']);
        expect(await count(`SELECT COUNT(*) AS c FROM tracking_pushes WHERE tracking_no = ? AND outcome = 'unmatched'`, [oldNo])).toBe(1);

        // Recorded: the event, a line in the order's history, the audit with both numbers.
        const events = await s.hub.db.read.all<{ payload: string }>(`SELECT payload FROM outbox WHERE type = 'shipment.tracking_corrected' AND aggregate_id = ?`, [shipment.id]);
        expect(events.map((e) => JSON.parse(e.payload) as unknown)).toEqual([{ shipmentId: shipment.id, orderIds: [orderId], from: { carrier: 'zto', trackingNo: oldNo }, to: { carrier: 'yto', trackingNo: newNo }, platformWrites: 1 }]);
        expect((await order(s, orderId)).history.some((h) => h.cause.endsWith('tracking number corrected'))).toBe(true);
        const audit = await s.hub.db.read.all<{ before: string; after: string }>(`SELECT before, after FROM audit_log WHERE action = 'shipment.correct_tracking' AND target_id = ?`, [shipment.id]);
        expect(audit).toHaveLength(1);
        expect(JSON.parse(audit[0]?.before ?? '{}')).toEqual({ carrier: 'zto', trackingNo: oldNo });
        expect(JSON.parse(audit[0]?.after ?? '{}')).toMatchObject({ carrier: 'yto', trackingNo: newNo, droppedTrackingEvents: 1 });
      },
    );
  });

  it(
    'a double submit makes one correction: one answer 200, the other TRACKING_NO_UNCHANGED, one write to the platform',
    { timeout: 120_000 },
    async () => {
      const { received } = shops.get('taobao')!;
      const oldNo = num('ZT');
      const { id, shipment } = await shipInHub('taobao', 'zto', oldNo);
      await settled('taobao', id, 1);
      const newNo = num('ZT');
      const answers = await Promise.all([correct(shipment.id, { trackingNo: newNo }), correct(shipment.id, { trackingNo: newNo })]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      expect(answers.find((a) => a.status === 409)?.body.error?.code).toBe('TRACKING_NO_UNCHANGED');
      const calls = await settled('taobao', id, 2);
      expect(calls.filter((c) => c.replacesTrackingNo === oldNo)).toHaveLength(1);
      expect(received.filter((x) => x.name === 'taobao.logistics.consign.resend' && x.params.tid === id)).toHaveLength(1);
      expect(await count(`SELECT COUNT(*) AS c FROM outbox WHERE type = 'shipment.tracking_corrected' AND aggregate_id = ?`, [shipment.id])).toBe(1);
    },
  );

  it(
    'a ship-back that has not gone out yet (the shop paused) is replaced: the platform hears only the new number, as a plain send',
    { timeout: 120_000 },
    async () => {
      const { sim, account, received } = shops.get('taobao')!;
      expect((await s.api('PATCH', `/api/channel-accounts/${account}`, { active: false })).status).toBe(200);
      try {
        const oldNo = num('ZT');
        const { id, shipment } = await shipInHub('taobao', 'zto', oldNo);
        const newNo = num('ZT');
        const r = await correct(shipment.id, { trackingNo: newNo });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.platformWrites[0]).toMatchObject({ kind: 'queued', mode: 'replace' });
        expect((await s.api('PATCH', `/api/channel-accounts/${account}`, { active: true })).status).toBe(200);
        const calls = await settled('taobao', id, 2);
        expect(calls.map((c) => [c.state, c.trackingNo, c.replacesTrackingNo])).toEqual([
          ['superseded', oldNo, null],
          ['done', newNo, null],
        ]);
        expect(received.filter((x) => x.params.tid === id && String(x.name).startsWith('taobao.logistics.')).map((x) => [x.name, x.params.out_sid])).toEqual([['taobao.logistics.offline.send', newNo]]);
        expect(sim.shipmentsOf!(id)).toEqual([newNo]);
      } finally {
        await s.api('PATCH', `/api/channel-accounts/${account}`, { active: true });
      }
    },
  );

  it(
    'refuses while the platform is still being told the old number (a retry due after a failed attempt): SHIP_BACK_IN_FLIGHT, nothing written',
    { timeout: 120_000 },
    async () => {
      // A shop of its own, throttled for good once its order is in: its ship-back fails and waits to be tried again.
      const sim = sims.mount(`taobao-busy-${backend.name.replaceAll(' ', '-')}`, taobaoSimulator, `busy-${backend.name}`);
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'busy Taobao shop', credentials: sim.credentials });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      shops.set('taobao-busy', { sim, account: a.body.id, received: [] });
      const oldNo = num('ZT');
      const { id, shipment } = await shipInHub('taobao-busy', 'zto', oldNo, { beforeShip: () => sim.throttleNext(100_000) });
      let call: OutboundItem | undefined;
      await until(async () => {
        call = (await outboundOf('taobao-busy', id))[0];
        return call?.state === 'pending' && call.lastCode !== null;
      });
      // Paused before TOP's one-second back-off ends: the write stays due, tried once.
      expect((await s.api('PATCH', `/api/channel-accounts/${a.body.id}`, { active: false })).status).toBe(200);
      const r = await correct(shipment.id, { trackingNo: num('ZT') });
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error?.code).toBe('SHIP_BACK_IN_FLIGHT');
      expect(r.body.error?.message).toContain(oldNo);
      expect((await s.api<ShipmentBody>('GET', `/api/shipments/${shipment.id}`)).body.trackingNo).toBe(oldNo);
      expect((await outboundOf('taobao-busy', id)).map((c) => [c.id, c.trackingNo, c.supersededBy])).toEqual([[call?.id, oldNo, null]]);
      expect(await count(`SELECT COUNT(*) AS c FROM outbox WHERE type = 'shipment.tracking_corrected' AND aggregate_id = ?`, [shipment.id])).toBe(0);
    },
  );

  it(
    'refuses clearly and writes nothing: a platform without corrections (JD), a parcel not shipped yet, a delivered one, a bad or unchanged or taken number, an unknown shipment',
    { timeout: 120_000 },
    async () => {
      const written = async (shipmentId: string) => ({
        outbound: await count('SELECT COUNT(*) AS c FROM outbound_calls WHERE shipment_id = ?', [shipmentId]),
        events: await count(`SELECT COUNT(*) AS c FROM outbox WHERE type = 'shipment.tracking_corrected' AND aggregate_id = ?`, [shipmentId]),
        audit: await count(`SELECT COUNT(*) AS c FROM audit_log WHERE action = 'shipment.correct_tracking' AND target_id = ?`, [shipmentId]),
        timers: await count(`SELECT COUNT(*) AS c FROM timers WHERE kind = 'tracking_subscribe' AND ref = ? AND state = 'pending'`, [shipmentId]),
      });
      const refused = async (shipmentId: string, body: unknown, status: number, code: string, message: RegExp) => {
        // The parcel's own subscription (from shipping it) accepted by the tracking source first — not only its timer
        // gone, which a busy machine can see between a failed attempt and its retry: a timer a refusal set again
        // would then show.
        const row = await s.hub.db.read.get<{ carrier: string | null; tracking_no: string | null }>('SELECT carrier, tracking_no FROM shipments WHERE id = ?', [shipmentId]);
        if (row?.tracking_no) await until(() => fake.requests.some((q) => q.kind === 'subscribe' && q.number === row.tracking_no));
        await until(async () => (await written(shipmentId)).timers === 0);
        const before = await written(shipmentId);
        const r = await correct(shipmentId, body);
        expect(r.status, JSON.stringify(r.body)).toBe(status);
        expect(r.body.error?.code).toBe(code);
        expect(r.body.error?.message).toMatch(message);
        expect(await s.hub.db.read.get('SELECT carrier, tracking_no FROM shipments WHERE id = ?', [shipmentId])).toEqual(row ?? undefined);
        expect(await written(shipmentId)).toEqual(before);
      };

      // JD: shipped back, but JD takes no correction.
      const jdNo = num('ZT');
      const j = await shipInHub('jd', 'zto', jdNo);
      await settled('jd', j.id, 1);
      await refused(j.shipment.id, { trackingNo: num('ZT') }, 409, 'CORRECTION_UNSUPPORTED', /JD/);
      expect(shops.get('jd')!.sim.shipmentsOf!(j.id)).toEqual([jdNo]);

      // Not shipped yet: it takes its number when it ships.
      const waiting = await shipInHub('taobao', 'zto', '', { ship: false });
      await refused(waiting.shipment.id, { trackingNo: num('ZT') }, 409, 'SHIPMENT_STATE', /has not left yet.*\/ship/);

      const oldNo = num('ZT');
      const t = await shipInHub('taobao', 'zto', oldNo);
      await settled('taobao', t.id, 1);
      // The edge refuses what no use case should see: a malformed number or carrier.
      await refused(t.shipment.id, { trackingNo: 'ZT 123' }, 400, 'VALIDATION_FAILED', /trackingNo/);
      await refused(t.shipment.id, { trackingNo: '' }, 400, 'VALIDATION_FAILED', /trackingNo/);
      await refused(t.shipment.id, { carrier: 'no such carrier!', trackingNo: num('ZT') }, 400, 'VALIDATION_FAILED', /carrier/);
      await refused(t.shipment.id, { trackingNo: oldNo }, 409, 'TRACKING_NO_UNCHANGED', /already has zto/);
      await refused(t.shipment.id, { trackingNo: jdNo }, 409, 'TRACKING_NO_IN_USE', new RegExp(j.shipment.id));
      const missing = await correct('SHP-NO-SUCH', { trackingNo: num('ZT') });
      expect([missing.status, missing.body.error?.code]).toEqual([404, 'SHIPMENT_NOT_FOUND']);

      // Delivered (signed for in person, per the tracking source): its number is history.
      await until(() => fake.requests.some((q) => q.kind === 'subscribe' && q.number === oldNo));
      const at = Date.now() - 600_000;
      const pushed = await sendPush(s, hook(), kuaidi100Push(kd100.salt, oldNo, '3', [{ at: at - 3_600_000, context: '派件中', statusCode: '5' }, { at, context: '已签收，本人签收', statusCode: '301' }], 'zhongtong'));
      expect(pushed.status).toBe(200);
      expect((await order(s, t.orderId)).shipments[0]?.state).toBe('delivered');
      await refused(t.shipment.id, { trackingNo: num('ZT') }, 409, 'SHIPMENT_STATE', /delivered/);
    },
  );

  it('corrects the hub’s record only when the number was corrected in the platform’s back office (JD): no request, the old write closed with a note', { timeout: 120_000 }, async () => {
    const jdNo = num('ZT');
    const j = await shipInHub('jd', 'zto', jdNo);
    await settled('jd', j.id, 1);
    const calls = shops.get('jd')!.sim.stats.calls;
    const fixed = num('ZT');
    const r = await correct(j.shipment.id, { trackingNo: fixed, correctedOnPlatform: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ shipment: { trackingNo: fixed }, platformWrites: [{ kind: 'none', reason: 'corrected_by_hand' }] });
    const rows = await s.hub.db.read.all<{ handled_at: number | null; handled_note: string | null; superseded_by: number | null }>(
      `SELECT handled_at, handled_note, superseded_by FROM outbound_calls WHERE shipment_id = ? ORDER BY id`,
      [j.shipment.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.handled_note).toContain(fixed);
    // Nothing was sent to JD: it holds what the person typed there (the simulator still has the old number).
    await new Promise((res) => setTimeout(res, 300));
    expect(shops.get('jd')!.sim.stats.calls).toBe(calls);
    expect(shops.get('jd')!.sim.shipmentsOf!(j.id)).toEqual([jdNo]);
  });
});

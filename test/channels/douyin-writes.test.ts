// Douyin (抖店) writes over real HTTP on loopback: ship-back with order.logisticsAdd (the whole order) and
// order.logisticsAddMultiPack (part of it), once even when the answer is lost and not again when Douyin refuses; the
// seller's remark with order.addOrderRemark; the listing pull (product.listV2 + sku.list) and the stock write
// (sku.syncStock, incremental=false). Every request's sign is checked by the test's own Douyin signer, written from
// the platform's formula (app_secret + "app_key"… "method"… "param_json"… "timestamp"… "v"… + app_secret, MD5 or
// HMAC-SHA256 keyed by app_secret) apart from the adapter and the simulator; a tampered byte is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { douyinSimulator } from '../../src/sandbox/simulators/douyin.ts';
import type { PlatformSimulator, SimOrder, SimRequest } from '../../src/sandbox/simulators/types.ts';
import { douyin } from '../../src/modules/channels/connectors/douyin/index.ts';
import type { ChannelAdapter, PlatformListing, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';
import { ourDouyinSign } from '../support/platform-signers.ts';

const adapter = douyin as ChannelAdapter<unknown>;
const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };

/** A fresh 19-digit order id, as Douyin's are (unique across runs sharing a database). */
let seq = 0;
const newId = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

function simOrder(id: string, lines: [string, number][]): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency: 'CNY',
    lines: lines.map(([sku, quantity]) => ({ sku, title: `商品 ${sku}`, quantity, unitPrice: 1000, discount: 0 })),
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

// ---- the test's own Douyin signer ----------------------------------------------------------------------------------

interface Recorded {
  url: string;
  query: URLSearchParams;
  body: string;
}

/** param_json's keys are sorted at every level (Douyin signs the text, and its SDK writes keys sorted). */
function expectSortedKeys(v: unknown, at = '$'): void {
  if (Array.isArray(v)) v.forEach((x, i) => expectSortedKeys(x, `${at}[${i}]`));
  else if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    expect(keys, at).toEqual([...keys].sort());
    for (const k of keys) expectSortedKeys((v as Record<string, unknown>)[k], `${at}.${k}`);
  }
}

function expectSigned(seen: Recorded[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) {
    expect(x.query.get('sign'), x.query.get('method') ?? '').toBe(ourDouyinSign(secret, x.query, x.body));
    expect(x.query.get('v')).toBe('2');
    expect(new URL(x.url).pathname.endsWith(`/${(x.query.get('method') ?? '').replaceAll('.', '/')}`)).toBe(true);
    expectSortedKeys(JSON.parse(x.body));
  }
}

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    out.push({ url, query: new URL(url).searchParams, body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(input, init);
  };
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

/** The recorded request sent again with one byte of its param_json changed: Douyin refuses the sign. */
async function expectTamperedRefused(sim: PlatformSimulator, x: Recorded, at: number): Promise<void> {
  const before = sim.stats.refusedSignature;
  const res = await fetch(x.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: flip(x.body, at) });
  expect((await res.json()) as unknown).toMatchObject({ code: 40003, sub_code: 'isv.signature-invalid' });
  expect(sim.stats.refusedSignature).toBe(before + 1);
}

const methods = (seen: Recorded[]) => seen.map((x) => x.query.get('method'));
const paramsOf = (x: Recorded | undefined) => JSON.parse(x?.body ?? '{}') as Record<string, unknown>;

const parcel = (platformOrderId: string, lines: [string, number][], carrier = 'sf', trackingNo = 'SF1234567890'): ShipBackParcel => ({
  platformOrderId,
  carrier,
  trackingNo,
  shippedAt: Date.now(),
  lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  idempotencyKey: `ship_back:S-${trackingNo}:${platformOrderId}`,
});

/** The order's JSON as the next order.searchList returns it. */
async function pulledJson(sim: PlatformSimulator, id: string): Promise<Record<string, unknown>> {
  for await (const page of adapter.pull!({ credentials: sim.credentials, from: Date.now() - 600_000, to: Date.now() + 60_000, fetch, now: Date.now })) {
    const hit = page.find((p) => p.order.platformOrderId === id);
    if (hit) return JSON.parse(hit.rawBody.toString('utf8')) as Record<string, unknown>;
  }
  throw new Error(`order ${id} not pulled`);
}

// ---- the connector against the simulator ---------------------------------------------------------------------------

describe('Douyin ship-back, remark, listings and stock, checked by the test’s own signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it.each(['hmac-sha256', 'md5'] as const)('reads the order, then sends the whole order with logisticsAdd, signed (%s); a tampered byte is refused; a repeat sends nothing', async (signMethod) => {
    const sim = sims.mount(`dy-sig-${signMethod}`, douyinSimulator, `sig-${signMethod}`);
    const credentials = { ...sim.credentials, signMethod };
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const id = newId();
    sim.record(simOrder(id, [['DA', 2]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    expect(await adapter.shipBack!({ credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(id, [['DA', 2]], 'zto', 'ZT9000001'))).toMatchObject({ already: false, status: 200 });
    expect(methods(seen)).toEqual(['order.orderDetail', 'order.logisticsAdd']);
    expectSigned(seen, secret);
    expect(paramsOf(seen[1])).toEqual({ order_id: id, company_code: 'zhongtong', logistics_code: 'ZT9000001' });
    expect(sim.shipmentsOf!(id)).toEqual(['ZT9000001']);
    await expectTamperedRefused(sim, seen[1] as Recorded, 15);

    // The next pull shows the order shipped (3) with our number.
    const pulled = await pulledJson(sim, id);
    expect(pulled.order_status).toBe(3);
    expect(pulled.logistics_info).toEqual([expect.objectContaining({ tracking_no: 'ZT9000001', company: 'zhongtong' })]);

    seen.length = 0;
    expect(await adapter.shipBack!({ credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(id, [['DA', 2]], 'zto', 'ZT9000001'))).toMatchObject({ already: true });
    expect(methods(seen)).toEqual(['order.orderDetail']);
    expect(sim.shipmentsOf!(id)).toEqual(['ZT9000001']);
  });

  it('sends part of an order with logisticsAddMultiPack (sku orders and counts, request_id), then the rest; the order goes 101 then 3', async () => {
    const sim = sims.mount('dy-multi', douyinSimulator, 'multi');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const id = newId();
    sim.record(simOrder(id, [['MA', 2], ['MB', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const call = (p: ShipBackParcel) => adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, p);

    const first = parcel(id, [['MA', 2]], 'yto', 'YT0000001');
    const r1 = await call(first);
    expect(r1).toMatchObject({ already: false, status: 200, platformRef: expect.stringMatching(/^\d{19}$/) as unknown });
    expect(methods(seen)).toEqual(['order.orderDetail', 'order.logisticsAddMultiPack']);
    // The pack names the first sku order (the shop order's own id for a first line) with its count.
    expect(paramsOf(seen[1])).toEqual({ order_id: id, request_id: first.idempotencyKey, pack_list: [{ company_code: 'yuantong', logistics_code: 'YT0000001', shipped_order_info: [{ shipped_num: 2, shipped_order_id: id }] }] });
    expect((await pulledJson(sim, id)).order_status).toBe(101);

    const r2 = await call(parcel(id, [['MB', 1]], 'yto', 'YT0000002'));
    expect(r2.already).toBe(false);
    expect(methods(seen).filter((m) => m === 'order.logisticsAddMultiPack')).toHaveLength(2);
    expectSigned(seen, secret);
    expect(sim.shipmentsOf!(id)).toEqual(['YT0000001', 'YT0000002']);
    const pulled = await pulledJson(sim, id);
    expect(pulled.order_status).toBe(3);
    expect((pulled.logistics_info as { tracking_no: string }[]).map((l) => l.tracking_no)).toEqual(['YT0000001', 'YT0000002']);

    // The same request_id again (sent without the read): Douyin answers the first result and ships nothing more.
    const again = seen[1] as Recorded;
    const res = await fetch(again.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: again.body });
    expect((await res.json()) as unknown).toMatchObject({ code: 10000 });
    expect(sim.shipmentsOf!(id)).toEqual(['YT0000001', 'YT0000002']);
    // Two sku orders of one code, one parcel each: the second parcel goes to the sku order still waiting (Douyin's
    // product_info says what the first carried), not to the one already sent.
    const id3 = newId();
    sim.record(simOrder(id3, [['MS', 1], ['MS', 1]]), 'http://127.0.0.1:9/unused');
    seen.length = 0;
    await call(parcel(id3, [['MS', 1]], 'yto', 'YT0000011'));
    await call(parcel(id3, [['MS', 1]], 'yto', 'YT0000012'));
    const shippedIds = seen.filter((x) => x.query.get('method') === 'order.logisticsAddMultiPack').map((x) => (paramsOf(x).pack_list as { shipped_order_info: { shipped_order_id: string }[] }[])[0]?.shipped_order_info[0]?.shipped_order_id);
    expect(shippedIds).toHaveLength(2);
    expect(new Set(shippedIds).size).toBe(2);
    expect((await pulledJson(sim, id3)).order_status).toBe(3);

    // A parcel line the order does not have is refused before any send.
    seen.length = 0;
    const id2 = newId();
    sim.record(simOrder(id2, [['MC', 1], ['MD', 1]]), 'http://127.0.0.1:9/unused');
    await expect(call(parcel(id2, [['ZZ', 1]], 'yto', 'YT0000003'))).rejects.toMatchObject({ code: 'LINE_UNKNOWN', opts: { refused: true } });
    expect(methods(seen)).toEqual(['order.orderDetail']);
  });

  it('reads Douyin’s error codes: 50002 refused with its reason, 60000 and 20000/isp.* retried; an unknown carrier refused before any request', async () => {
    const sim = sims.mount('dy-err', douyinSimulator, 'err');
    const call = (p: ShipBackParcel) => adapter.shipBack!({ credentials: sim.credentials, fetch, now: Date.now }, p);
    const id = newId();
    sim.record(simOrder(id, [['EA', 1]]), 'http://127.0.0.1:9/unused');

    sim.failNextWrite!({ status: 400, code: 'isv.business-failed:order_aftersale', message: '订单存在售后，不能发货' });
    await expect(call(parcel(id, [['EA', 1]]))).rejects.toMatchObject({ code: 'isv.business-failed:order_aftersale', message: expect.stringContaining('订单存在售后') as unknown, opts: { refused: true } });
    expect(sim.shipmentsOf!(id)).toEqual([]);

    sim.throttleNext(1);
    await expect(call(parcel(id, [['EA', 1]]))).rejects.toMatchObject({ code: '60000', opts: { retryAfterMs: 1000 } });

    sim.failNextWrite!({ status: 500, applied: true, code: 'isp.service-timeout' });
    await expect(call(parcel(id, [['EA', 1]]))).rejects.toMatchObject({ code: 'isp.service-timeout', opts: { refused: false } });
    // Applied behind the lost answer: the retry finds our number and sends nothing.
    expect(await call(parcel(id, [['EA', 1]]))).toMatchObject({ already: true });
    expect(sim.shipmentsOf!(id)).toEqual(['SF1234567890']);

    // Another number for units Douyin's order shows sent already: refused from the order read, nothing sent; a parcel
    // naming no lines goes as the whole order, and Douyin itself refuses an order that already left.
    await expect(call(parcel(id, [['EA', 1]], 'sf', 'SF000OTHER'))).rejects.toMatchObject({ code: 'ALREADY_SENT', opts: { refused: true } });
    await expect(call(parcel(id, [], 'sf', 'SF000OTHER'))).rejects.toMatchObject({ code: 'isv.business-failed:status_not_allow', message: expect.stringContaining('订单状态不允许发货') as unknown, opts: { refused: true } });
    expect(sim.shipmentsOf!(id)).toEqual(['SF1234567890']);

    const seen: Recorded[] = [];
    await expect(adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(id, [['EA', 1]], 'pigeon-post'))).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    expect(seen).toEqual([]);
  });

  it('writes the seller’s remark and star with addOrderRemark; the next pull shows them; too long is refused before any request', async () => {
    const sim = sims.mount('dy-remark', douyinSimulator, 'remark');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const id = newId();
    sim.record(simOrder(id, [['RA', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const call = (text: string, flag: number | null) => adapter.setRemark!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, { platformOrderId: id, text, flag });
    expect(await call('加急，周五前发', 1)).toMatchObject({ status: 200 });
    expect(paramsOf(seen[0])).toEqual({ order_id: id, remark: '加急，周五前发', is_add_star: 'true', star: '5' });
    expectSigned(seen, secret);
    await expectTamperedRefused(sim, seen[0] as Recorded, 30);
    let pulled = await pulledJson(sim, id);
    expect(pulled).toMatchObject({ seller_words: '加急，周五前发', seller_remark_stars: 5 });

    // Replaces the last remark; no flag: no star.
    await call('已和买家确认', null);
    expect(paramsOf(seen[1])).toEqual({ order_id: id, remark: '已和买家确认', is_add_star: 'false' });
    pulled = await pulledJson(sim, id);
    expect(pulled).toMatchObject({ seller_words: '已和买家确认', seller_remark_stars: 0 });

    seen.length = 0;
    await expect(call('长'.repeat(61), null)).rejects.toMatchObject({ code: 'REMARK_TOO_LONG', opts: { refused: true } });
    expect(seen).toEqual([]);
  });

  it('pulls the listings (product.listV2 + sku.list, code as merchant code) and writes stock with sku.syncStock (incremental=false)', async () => {
    const sim = sims.mount('dy-list', douyinSimulator, 'list');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    sim.record(simOrder(newId(), [['LA', 1], ['LB', 2]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    const pull = async () => {
      const out: PlatformListing[] = [];
      for await (const page of adapter.pullListings!(ctx)) out.push(...page);
      return out.sort((a, b) => String(a.merchantCode).localeCompare(String(b.merchantCode)));
    };
    const cat = new Map(sim.catalogueOf!().map((c) => [c.code, c]));
    const listings = await pull();
    expect(listings).toEqual(
      ['LA', 'LB'].map((code) => ({ platformItemId: cat.get(code)?.itemId, platformSkuId: cat.get(code)?.skuId, merchantCode: code, title: `商品 ${code}（默认）`, quantity: 100, ref: {} })),
    );
    // 19-digit product ids went out exactly (a JSON number a double cannot hold).
    expect(listings[0]?.platformItemId).toMatch(/^\d{19}$/);
    expect(methods(seen)).toEqual(['product.listV2', 'sku.list', 'sku.list']);
    expect(seen[1]?.body).toMatch(/^\{"product_id":\d{19}\}$/);
    expectSigned(seen, secret);

    // Changed behind the hub's back: the next pull reads it.
    sim.setCatalogueQuantity!('LA', 7);
    expect((await pull())[0]?.quantity).toBe(7);

    seen.length = 0;
    const la = listings[0] as PlatformListing;
    const w = await adapter.setStock!(ctx, { listing: { platformItemId: la.platformItemId, platformSkuId: la.platformSkuId, ref: {} }, quantity: 3, expected: 7 });
    expect(w).toMatchObject({ status: 200 });
    expect(methods(seen)).toEqual(['sku.syncStock']);
    expect(seen[0]?.body).toBe(`{"incremental":false,"product_id":${la.platformItemId},"sku_id":${la.platformSkuId},"stock_num":3}`);
    expectSigned(seen, secret);
    expect(sim.catalogueOf!().find((c) => c.code === 'LA')?.quantity).toBe(3);
    expect((await pull())[0]?.quantity).toBe(3);
    // The same write again is the same absolute number, not 3 more.
    await adapter.setStock!(ctx, { listing: { platformItemId: la.platformItemId, platformSkuId: la.platformSkuId, ref: {} }, quantity: 3, expected: 3 });
    expect(sim.catalogueOf!().find((c) => c.code === 'LA')?.quantity).toBe(3);
    const write = seen.find((x) => x.query.get('method') === 'sku.syncStock') as Recorded;
    await expectTamperedRefused(sim, write, write.body.indexOf('stock_num') + 11);
    expect(sim.catalogueOf!().find((c) => c.code === 'LA')?.quantity).toBe(3);

    // Douyin's refusal (an activity locks the stock) and its limit.
    sim.failNextWrite!({ status: 400, code: 'isv.business-failed:sku_stock_locked', message: '活动中的商品不能修改库存' });
    await expect(adapter.setStock!(ctx, { listing: { platformItemId: la.platformItemId, platformSkuId: la.platformSkuId, ref: {} }, quantity: 1, expected: 3 })).rejects.toMatchObject({
      code: 'isv.business-failed:sku_stock_locked',
      message: expect.stringContaining('活动中的商品') as unknown,
      opts: { refused: true },
    });
    sim.throttleNext(1);
    await expect(adapter.setStock!(ctx, { listing: { platformItemId: la.platformItemId, platformSkuId: la.platformSkuId, ref: {} }, quantity: 1, expected: 3 })).rejects.toMatchObject({ code: '60000', opts: { retryAfterMs: 1000 } });
    expect(sim.catalogueOf!().find((c) => c.code === 'LA')?.quantity).toBe(3);
    await expect(adapter.setStock!(ctx, { listing: { platformItemId: la.platformItemId, platformSkuId: la.platformSkuId, ref: {} }, quantity: -1, expected: 3 })).rejects.toMatchObject({ code: 'QUANTITY_INVALID', opts: { refused: true } });
  });

  it('pages product.listV2 (100 a page, from 1) until the shop’s products are all read', async () => {
    const sim = sims.mount('dy-pages', douyinSimulator, 'pages');
    const codes = Array.from({ length: 101 }, (_, i) => `PG${String(i).padStart(3, '0')}`);
    sim.record(simOrder(newId(), codes.map((c) => [c, 1])), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const got: PlatformListing[] = [];
    for await (const page of adapter.pullListings!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now })) got.push(...page);
    expect(got.map((l) => l.merchantCode).sort()).toEqual(codes);
    expect(seen.filter((x) => x.query.get('method') === 'product.listV2').map((x) => paramsOf(x))).toEqual([{ page: 1, size: 100 }, { page: 2, size: 100 }]);
    expect(seen.filter((x) => x.query.get('method') === 'sku.list')).toHaveLength(101);
  });
});

// ---- the whole flow in the hub -------------------------------------------------------------------------------------

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

describe.each(httpBackends)('Douyin ship-back from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let account: string;
  let wh: string;
  let secret: string;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    sim = sims.mount('douyin', douyinSimulator, `flow-${backend.name}`);
    secret = (sim.credentials as { appSecret: string }).appSecret;
    // Recorded where Douyin receives them: the hub's outbound worker is out of the test's reach.
    const handle = sim.handle.bind(sim);
    sim.handle = (req: SimRequest) => {
      seen.push({ url: `http://sim${req.path}?${req.query.toString()}`, query: req.query, body: req.body.toString('utf8') });
      return handle(req);
    };
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'douyin', name: 'Douyin shop', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    wh = uniq('DY');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  async function settled(platformOrderId: string, states: string[], count = 1): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === platformOrderId);
      if (mine.length >= count && mine.every((x) => states.includes(x.state))) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-back of ${platformOrderId} did not reach ${states.join('/')}`);
  }

  /** The order pulled into the hub and routed; its shipments. */
  async function pullAndRoute(o: SimOrder, stock: (sku: string) => Promise<unknown>): Promise<{ id: string; shipments: ShipmentBody[] }> {
    for (const l of o.lines) await stock(l.sku);
    sim.record(o, 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, douyin as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${o.id}`);
    const id = found.body.items[0]?.id as string;
    expect(id, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [id]);
    return { id, shipments: (await order(s, id)).shipments };
  }

  async function ship(sh: ShipmentBody, carrier: string, trackingNo: string): Promise<void> {
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier, trackingNo });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  }

  const sends = (id: string) => seen.filter((x) => ['order.logisticsAdd', 'order.logisticsAddMultiPack'].includes(x.query.get('method') ?? '') && paramsOf(x).order_id === id);
  const platformStatus = async (id: string) => {
    await pullIntoHub(s, douyin as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    return (await s.api<{ platformStatus: string }>('GET', `/api/orders/${found.body.items[0]?.orderNo}`)).body.platformStatus;
  };

  it('sends a shipped order once with logisticsAdd: shipped on Douyin with our number and company code; the next pull reads it shipped', async () => {
    const id = newId();
    const o = await pullAndRoute(simOrder(id, [[uniq('DYS'), 2]]), (sku) => setStock(s, sku, 50, wh));
    await ship(o.shipments[0] as ShipmentBody, 'yunda', 'YD5101000001');
    const [call] = await settled(id, ['done']);
    expect(call).toMatchObject({ kind: 'ship_back', orderId: o.id, state: 'done', attempts: 1, lastStatus: 200, carrier: 'yunda', trackingNo: 'YD5101000001', lastError: null });
    expect(sim.shipmentsOf!(id)).toEqual(['YD5101000001']);
    expect(sends(id).map((x) => [x.query.get('method'), paramsOf(x).logistics_code, paramsOf(x).company_code])).toEqual([['order.logisticsAdd', 'YD5101000001', 'yunda']]);
    expectSigned(seen, secret);
    expect(await platformStatus(id)).toBe('3');
  });

  it('sends two parcels of one order (two warehouses) with logisticsAddMultiPack, each with its sku order; Douyin holds both numbers', async () => {
    const [w1, w2] = [uniq('DYA'), uniq('DYB')];
    await warehouse(s, w1, { priority: 2 });
    await warehouse(s, w2, { priority: 3 });
    const [x, y] = [uniq('DYX'), uniq('DYY')];
    const id = newId();
    const o = await pullAndRoute(simOrder(id, [[x, 1], [y, 2]]), (sku) => setStock(s, sku, 10, sku === x ? w1 : w2));
    expect(o.shipments).toHaveLength(2);
    const byWarehouse = new Map(o.shipments.map((sh) => [sh.warehouse, sh]));
    await ship(byWarehouse.get(w1) as ShipmentBody, 'zto', 'ZT5102000001');
    await settled(id, ['done']);
    expect(await platformStatus(id)).toBe('101');
    await ship(byWarehouse.get(w2) as ShipmentBody, 'sto', 'ST5102000002');
    const calls = await settled(id, ['done'], 2);
    expect(calls).toHaveLength(2);
    expect(sim.shipmentsOf!(id).sort()).toEqual(['ST5102000002', 'ZT5102000001']);
    const packs = sends(id).map((r) => {
      const p = paramsOf(r);
      expect(r.query.get('method')).toBe('order.logisticsAddMultiPack');
      return (p.pack_list as { logistics_code: string; shipped_order_info: { shipped_num: number }[] }[]).map((k) => [k.logistics_code, k.shipped_order_info.map((i) => i.shipped_num)]);
    });
    expect(packs.flat().sort()).toEqual([['ST5102000002', [2]], ['ZT5102000001', [1]]]);
    expectSigned(seen, secret);
    expect(await platformStatus(id)).toBe('3');
  });

  it('retries a send whose answer was lost after Douyin applied it: one platform shipment, nothing sent twice', async () => {
    sim.failNextWrite!({ status: 500, applied: true, code: 'isp.service-timeout' });
    const id = newId();
    const o = await pullAndRoute(simOrder(id, [[uniq('DYS'), 1]]), (sku) => setStock(s, sku, 50, wh));
    await ship(o.shipments[0] as ShipmentBody, 'sf', 'SF5103000001');
    expect((await settled(id, ['done']))[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(sim.shipmentsOf!(id)).toEqual(['SF5103000001']);
    expect(sends(id)).toHaveLength(1);

    // The gateway's 5xx page after applying: the same.
    sim.failNextWrite!({ status: 502, applied: true });
    const id2 = newId();
    const o2 = await pullAndRoute(simOrder(id2, [[uniq('DYS'), 1]]), (sku) => setStock(s, sku, 50, wh));
    await ship(o2.shipments[0] as ShipmentBody, 'sto', 'ST5103000002');
    expect((await settled(id2, ['done']))[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(sends(id2)).toHaveLength(1);
    expect(sim.shipmentsOf!(id2)).toEqual(['ST5103000002']);
  });

  it('keeps Douyin’s refusal (an after-sale is open) as refused with its reason, and does not retry it', async () => {
    sim.failNextWrite!({ status: 400, code: 'isv.business-failed:order_aftersale', message: '订单存在售后，不能发货' });
    const id = newId();
    const o = await pullAndRoute(simOrder(id, [[uniq('DYS'), 1]]), (sku) => setStock(s, sku, 50, wh));
    await ship(o.shipments[0] as ShipmentBody, 'zto', 'ZT5104000001');
    const [call] = await settled(id, ['refused']);
    expect(call).toMatchObject({ state: 'refused', attempts: 1, lastCode: 'isv.business-failed:order_aftersale' });
    expect(call?.lastError).toContain('订单存在售后');
    const before = sim.stats.calls;
    // Give a wrongly retrying worker (polling every 50 ms, retrying after 100 ms) time to call again.
    await new Promise((r) => setTimeout(r, 400));
    expect(sim.stats.calls).toBe(before);
    expect(sim.shipmentsOf!(id)).toEqual([]);
  });
});

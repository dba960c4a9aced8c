// Douyin shop (抖店): message pushes signed as the official SDK checks them (event-sign = hex MD5(app_key + body +
// app_secret)), kept as raw events (they carry no whole order); orders pulled from order.searchList with the SDK's
// request signing (md5 and hmac-sha256), normalised to the fen, statuses from the dictionary.
// The signers below are the tests' own, written from the SDK's formulas, apart from the adapter and the simulator.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullIntoHub as pullHub } from '../support/channels.ts';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { douyinSimulator } from '../../src/sandbox/simulators/douyin.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { douyin, normalizeDouyinOrder, parseExactJson, rawArrayItems, type DouyinCredentials, type DouyinShopOrder } from '../../src/modules/channels/connectors/douyin/index.ts';
import { douyinStatusDictionary } from '../../src/modules/channels/connectors/douyin/status.ts';
import { meaningOf, PullError, type PullContext, type PulledOrder } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';

// ---- the tests' own signers -------------------------------------------------------------------------------------

function pushSign(appKey: string, secret: string, body: string, method: 'md5' | 'hmac-sha256' = 'md5'): string {
  const text = appKey + body + secret;
  return method === 'md5' ? createHash('md5').update(text).digest('hex') : createHmac('sha256', secret).update(text).digest('hex');
}

function apiSign(secret: string, method: 'md5' | 'hmac-sha256', appKey: string, apiMethod: string, paramJson: string, timestamp: string): string {
  const text = [secret, 'app_key', appKey, 'method', apiMethod, 'param_json', paramJson, 'timestamp', timestamp, 'v', '2', secret].join('');
  return method === 'md5' ? createHash('md5').update(text).digest('hex') : createHmac('sha256', secret).update(text).digest('hex');
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

const T0 = Date.parse('2026-11-22T10:00:00+08:00');

function simOrder(id: string, o: Partial<SimOrder> = {}): SimOrder {
  return {
    id,
    phase: 'paid',
    createdAt: T0,
    updatedAt: T0 + 60_000,
    currency: 'CNY',
    lines: [
      { sku: 'DY-A', title: '保温杯', quantity: 2, unitPrice: 5990, discount: 500 },
      { sku: 'DY-B', title: '杯套', quantity: 1, unitPrice: 1290, discount: 0 },
    ],
    shippingFee: 800,
    discountPlatform: 300,
    discountSeller: 200,
    buyer: { id: 'buyer-1', name: '王芳', phone: '13812341234' },
    receiver: { name: '王芳', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 100 号 2 幢 301' },
    ...o,
  };
}

/** What the hub should hold for a simulated order: seller-borne line discounts are order level on Douyin. */
function expectedAmounts(o: SimOrder) {
  const goods = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
  const seller = o.lines.reduce((a, l) => a + l.discount, 0) + o.discountSeller;
  const total = goods - seller - o.discountPlatform + o.shippingFee;
  return { goods, lineDiscounts: 0, shippingFee: o.shippingFee, discountPlatform: o.discountPlatform, discountSeller: seller, tax: 0, total };
}

async function collect(gen: AsyncGenerator<PulledOrder[], void, void>): Promise<PulledOrder[][]> {
  const pages: PulledOrder[][] = [];
  for await (const p of gen) pages.push(p);
  return pages;
}

function pullCtx(credentials: Record<string, unknown>, from: number, to: number, fetchFn: typeof fetch = fetch): PullContext<DouyinCredentials> {
  return { credentials: credentials as unknown as DouyinCredentials, from, to, fetch: fetchFn, now: () => Date.now() };
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

// ---- status dictionary --------------------------------------------------------------------------------------------

describe('the Douyin status dictionary', () => {
  it('maps every documented order_status (and main_status refund ending) as documented', () => {
    // Written out from the SDK's order.searchList / orderDetail field docs, independently of status.ts.
    const expected: Record<string, { anchor: string | null; hold?: string }> = {
      '1': { anchor: 'pending_payment' }, // 待确认/待支付
      '103': { anchor: 'pending_payment' }, // 部分支付 (presale deposit)
      '105': { anchor: 'paid', hold: 'PLATFORM_HOLD' }, // 已支付, not yet released for shipping
      '2': { anchor: 'paid' }, // 备货中
      '101': { anchor: 'paid' }, // 部分发货
      '3': { anchor: 'shipped' }, // 已发货（全部发货）
      '4': { anchor: 'cancelled' }, // 已取消
      '5': { anchor: 'completed' }, // 已完成（已收货）
      '21': { anchor: 'cancelled' }, // main_status 发货前退款完结
      '22': { anchor: null }, // main_status 发货后退款完结: after-sales
      '39': { anchor: null }, // main_status 收货后退款完结: after-sales
    };
    expect(Object.keys(douyinStatusDictionary).sort()).toEqual(Object.keys(expected).sort());
    for (const [raw, want] of Object.entries(expected)) {
      const m = douyinStatusDictionary[raw as keyof typeof douyinStatusDictionary];
      expect({ anchor: m.anchor, hold: 'hold' in m ? m.hold : undefined }, raw).toEqual({ anchor: want.anchor, hold: want.hold });
      expect(m.doc.length, raw).toBeGreaterThan(0);
      const meaning = meaningOf(douyinStatusDictionary, raw, 'Douyin');
      expect(meaning.status, raw).toBe(want.anchor);
      expect(meaning.hold?.code, raw).toBe(want.hold);
    }
  });

  it('refuses to guess an unknown status: STATUS_UNKNOWN, kept as received', () => {
    expect(meaningOf(douyinStatusDictionary, '77', 'Douyin')).toMatchObject({ status: null, hold: { code: 'STATUS_UNKNOWN' } });
    const n = normalizeDouyinOrder({ ...fixture(), order_status: 77, main_status: 77 });
    expect(n).toMatchObject({ status: null, platformStatus: '77', hold: { code: 'STATUS_UNKNOWN' } });
    // A refund ending in main_status is what the hub keeps, not the bare 4 of order_status.
    expect(normalizeDouyinOrder({ ...fixture(), order_status: 4, main_status: 22 })).toMatchObject({ platformStatus: '22', status: null });
    expect(normalizeDouyinOrder({ ...fixture(), order_status: 4, main_status: 4 })).toMatchObject({ platformStatus: '4', status: 'cancelled' });
  });
});

// ---- normalisation ------------------------------------------------------------------------------------------------

/** An order.searchList shop order with shop, platform, talent and payment-channel discounts and shipping. */
function fixture(): DouyinShopOrder {
  return {
    order_id: '6936476692437472563',
    order_status: 2,
    main_status: 2,
    create_time: 1795053600,
    update_time: 1795053900,
    pay_time: 1795053630,
    // goods 2×5990 + 1×1290 = 13270; promotions 500 shop + 300 platform + 100 talent = 900; post 800
    // order_amount = 13270 − 900 + 800 = 13170; pay_amount = 13170 − 50 (支付优惠) = 13120
    order_amount: 13170,
    pay_amount: 13120,
    post_amount: 800,
    tax_amount: 0,
    promotion_amount: 900,
    promotion_shop_amount: 500,
    promotion_platform_amount: 300,
    promotion_talent_amount: 100,
    promotion_pay_amount: 50,
    doudian_open_id: '1@#abc',
    encrypt_post_receiver: '##qIOpbLPevlQwA6f*CgYIASAHKAESPgo8#1##',
    encrypt_post_tel: '$$KlqdO3S6/9vQsJesewp8R2oBlX*CgYIASAH$1$$',
    post_addr: {
      province: { name: '福建省', id: '35' },
      city: { name: '厦门市', id: '350200' },
      town: { name: '思明区', id: '350203' },
      street: { name: '莲前街道', id: '350203010' },
      encrypt_detail: '##i688Hg7Kf5y7JCzTAYa*CgYIASAHKAESPgo8VOu2#1##',
    },
    sku_order_list: [
      { order_id: '6936476692437472563', sku_id: 1766666666, code: 'DY-A', product_name: '保温杯', spec: [{ name: '颜色', value: '蓝' }], item_num: 2, origin_amount: 5990, sum_amount: 11980 },
      { order_id: '6936476692437472564', sku_id: 1766666667, code: 'DY-B', product_name: '杯套', item_num: 1, origin_amount: 1290, sum_amount: 1290 },
    ],
  };
}

describe('Douyin order normalisation', () => {
  it('adds up to pay_amount to the fen: shop, platform, talent and payment discounts, shipping', () => {
    const n = normalizeDouyinOrder(fixture());
    expect(n.lines).toEqual([
      { sku: 'DY-A', title: '保温杯（蓝）', quantity: 2, unitPrice: 5990, discount: 0 },
      { sku: 'DY-B', title: '杯套', quantity: 1, unitPrice: 1290, discount: 0 },
    ]);
    expect(n).toMatchObject({ shippingFee: 800, discountSeller: 500, discountPlatform: 300 + 100 + 50, tax: 0, platformTotal: 13120, paidAmount: 13120, currency: 'CNY' });
    expect(computeAmounts(n).totalAmount).toBe(13120);
    expect(n).toMatchObject({ platformOrderId: '6936476692437472563', status: 'paid', platformStatus: '2', platformCreatedAt: 1795053600_000, sourceUpdatedAt: 1795053900_000 });
  });

  it('splits the discounts by who bears them when shop_cost_amount and platform_cost_amount split the total', () => {
    // A platform campaign the shop co-funds: issued 300 by the platform, but the shop bears 150 of it.
    const n = normalizeDouyinOrder({ ...fixture(), shop_cost_amount: 650, platform_cost_amount: 250 });
    expect(n).toMatchObject({ discountSeller: 650, discountPlatform: 250 + 50 });
    expect(computeAmounts(n).totalAmount).toBe(13120);
    // Cost fields that do not split the promotion total are not used.
    expect(normalizeDouyinOrder({ ...fixture(), shop_cost_amount: 650, platform_cost_amount: 999 })).toMatchObject({ discountSeller: 500, discountPlatform: 450 });
  });

  it('puts the residue of a line total that does not split over its quantity into the line discount', () => {
    const o = fixture();
    // 3 for 100 fen: no whole unit price; post 0, no promotions.
    const n = normalizeDouyinOrder({
      ...o,
      order_amount: 100,
      pay_amount: 100,
      post_amount: 0,
      promotion_amount: 0,
      promotion_shop_amount: 0,
      promotion_platform_amount: 0,
      promotion_talent_amount: 0,
      promotion_pay_amount: 0,
      sku_order_list: [{ sku_id: 5, code: 'DY-C', product_name: '贴纸', item_num: 3, origin_amount: 33, sum_amount: 100 }],
    });
    expect(n.lines).toEqual([{ sku: 'DY-C', title: '贴纸', quantity: 3, unitPrice: 34, discount: 2 }]);
    expect(computeAmounts(n).totalAmount).toBe(100);
  });

  it('keeps the encrypted receiver as given, and reads 19-digit ids exactly', () => {
    const n = normalizeDouyinOrder(fixture());
    expect(n.receiverProtection).toBe('encrypted');
    expect(n.receiver).toEqual({
      name: '##qIOpbLPevlQwA6f*CgYIASAHKAESPgo8#1##',
      phone: '$$KlqdO3S6/9vQsJesewp8R2oBlX*CgYIASAH$1$$',
      province: '福建省',
      city: '厦门市',
      district: '思明区',
      address: '##i688Hg7Kf5y7JCzTAYa*CgYIASAHKAESPgo8VOu2#1##',
    });
    const text = '{"data":{"shop_order_list":[{"order_id":"1","sku_order_list":[{"sku_id":3660207428038974464,"x":"a,]}"}]},{"order_id":"2"}]},"code":10000}';
    const items = rawArrayItems(text, ['data', 'shop_order_list']);
    expect(items).toEqual(['{"order_id":"1","sku_order_list":[{"sku_id":3660207428038974464,"x":"a,]}"}]}', '{"order_id":"2"}']);
    expect(parseExactJson(items?.[0] ?? '')).toMatchObject({ sku_order_list: [{ sku_id: '3660207428038974464' }] });
    const noCode = normalizeDouyinOrder({ ...fixture(), sku_order_list: [{ sku_id: '3660207428038974464', product_name: 'x', item_num: 1, sum_amount: 13270 }] });
    expect(noCode.lines[0]?.sku).toBe('sku-3660207428038974464');
  });

  it('says what is unpaid, partly paid (presale deposit) and paid', () => {
    expect(normalizeDouyinOrder({ ...fixture(), order_status: 1, main_status: 1, pay_time: 0 }).paidAmount).toBe(0);
    const presale = normalizeDouyinOrder({ ...fixture(), order_status: 103, main_status: 103, order_phase_list: [{ pay_success: true, phase_pay_amount: 2000 }, { pay_success: false, phase_pay_amount: 11120 }] });
    expect(presale).toMatchObject({ status: 'pending_payment', paidAmount: 2000 });
    expect(normalizeDouyinOrder({ ...fixture(), order_status: 4, main_status: 4, pay_time: 0 }).paidAmount).toBe(0);
    expect(normalizeDouyinOrder({ ...fixture(), order_status: 105, main_status: 105 })).toMatchObject({ status: 'paid', paidAmount: 13120, hold: { code: 'PLATFORM_HOLD' } });
  });

  it('refuses amounts that are not integer fen', () => {
    expect(() => normalizeDouyinOrder({ ...fixture(), pay_amount: 131.2 })).toThrow(/pay_amount must be a non-negative integer amount in fen/);
    expect(() => normalizeDouyinOrder({ ...fixture(), post_amount: -1 })).toThrow(/post_amount/);
  });
});

// ---- pull against the simulator -----------------------------------------------------------------------------------

describe('Douyin order.searchList pull against the simulator', () => {
  let simServer: SimulatorServer;
  let sim: PlatformSimulator;
  const orders: SimOrder[] = [];

  beforeAll(async () => {
    simServer = await startSimulatorServer();
    sim = simServer.mount('douyin-pull', douyinSimulator, 'pull-shop');
    // 230 orders a minute apart, some changed later: three pages of 100 for a window that holds them all.
    for (let i = 0; i < 230; i++) {
      const o = simOrder(String(4781320682406083000n + BigInt(i)), {
        createdAt: T0 + i * 60_000,
        updatedAt: T0 + i * 60_000 + 5_000,
        phase: i % 7 === 0 ? 'created' : i % 5 === 0 ? 'shipped' : 'paid',
        discountPlatform: (i % 4) * 100,
        discountSeller: (i % 3) * 50,
        shippingFee: i % 2 ? 0 : 800,
      });
      orders.push(o);
      sim.record(o, 'http://hub.invalid/hooks/douyin/x');
    }
  });
  afterAll(async () => {
    await simServer?.close();
  });

  it.each(['hmac-sha256', 'md5'] as const)('brings every order modified in the window, over several pages, signed with %s', async (signMethod) => {
    const from = T0 + 10 * 60_000 + 5_000; // order 10 exactly at the start: included
    const to = T0 + 220 * 60_000 + 5_000; // order 220 exactly at the end: left out
    const calls: { url: URL; body: string }[] = [];
    const spy: typeof fetch = (input, init) => {
      calls.push({ url: new URL(String(input)), body: String(init?.body) });
      return fetch(input, init);
    };
    const pages = await collect(douyin.pull?.(pullCtx({ ...sim.credentials, signMethod }, from, to, spy)) ?? fail());
    expect(pages.length).toBe(3);
    const got = pages.flat();
    expect(got.map((p) => p.order.platformOrderId)).toEqual(orders.slice(10, 220).map((o) => o.id));
    for (const p of got) {
      const o = orders.find((x) => x.id === p.order.platformOrderId) ?? fail();
      const want = expectedAmounts(o);
      const amounts = computeAmounts(p.order);
      expect({ goods: amounts.goodsAmount, lineDiscounts: amounts.lineDiscountAmount, total: amounts.totalAmount }).toEqual({ goods: want.goods, lineDiscounts: 0, total: want.total });
      expect(p.order).toMatchObject({ shippingFee: want.shippingFee, discountPlatform: want.discountPlatform, discountSeller: want.discountSeller, platformTotal: want.total, receiverProtection: 'encrypted' });
      expect(p.order.paidAmount).toBe(o.phase === 'created' ? 0 : want.total);
      expect(p.order.status).toBe(o.phase === 'created' ? 'pending_payment' : o.phase === 'shipped' ? 'shipped' : 'paid');
      expect(p.eventId).toBe(`${o.id}@${o.updatedAt}`);
      // The raw body is the platform's bytes for this order: 19-digit product ids are still bare numbers.
      expect(p.rawBody.toString('utf8')).toMatch(/"product_id":\d{19},/);
      expect(p.rawBody.toString('utf8')).toContain(`"order_id":"${o.id}"`);
    }
    // The request as the SDK sends it: param_json with sorted keys and no spaces, unix seconds, v=2.
    const first = calls[0] ?? fail();
    expect(first.url.pathname).toBe('/douyin-pull/order/searchList');
    expect(first.body).toBe(`{"order_asc":true,"order_by":"update_time","page":0,"size":100,"update_time_end":${Math.ceil(to / 1000)},"update_time_start":${Math.floor(from / 1000)}}`);
    const q = first.url.searchParams;
    expect(q.get('method')).toBe('order.searchList');
    expect(q.get('v')).toBe('2');
    expect(q.get('sign_method')).toBe(signMethod);
    expect(q.get('timestamp')).toMatch(/^\d{10}$/);
    const c = sim.credentials as { appKey: string; appSecret: string };
    expect(q.get('sign')).toBe(apiSign(c.appSecret, signMethod, c.appKey, 'order.searchList', first.body, q.get('timestamp') ?? ''));
    // After a full page the window restarts at the last update_time read, page 0 again.
    const bodies = calls.map((x) => JSON.parse(x.body) as { page: number; update_time_start: number });
    expect(bodies.map((b) => b.page)).toEqual([0, 0, 0]);
    expect(bodies.map((b) => b.update_time_start)).toEqual([Math.floor(from / 1000), (orders[109]?.updatedAt ?? 0) / 1000, (orders[208]?.updatedAt ?? 0) / 1000]);
  });

  it('reports a wrong secret or token as an authentication failure', async () => {
    const wrongSecret = await pullError(collect(douyin.pull?.(pullCtx({ ...sim.credentials, appSecret: 'ffffffff-0000-0000-0000-000000000000' }, T0, T0 + 3_600_000)) ?? fail()));
    expect(wrongSecret.opts).toMatchObject({ authFailed: true });
    expect(wrongSecret.code).toBe('40003');
    expect(wrongSecret.message).toMatch(/isv\.signature-invalid/);
    const wrongToken = await pullError(collect(douyin.pull?.(pullCtx({ ...sim.credentials, accessToken: 'not-the-token' }, T0, T0 + 3_600_000)) ?? fail()));
    expect(wrongToken.opts).toMatchObject({ authFailed: true });
    expect(wrongToken.message).toMatch(/isv\.access-token-no-existed/);
  });

  it("reports the platform's rate limit (60000) as rate limited", async () => {
    sim.throttleNext(1);
    const e = await pullError(collect(douyin.pull?.(pullCtx(sim.credentials, T0, T0 + 3_600_000)) ?? fail()));
    expect(e.code).toBe('60000');
    expect(e.opts).toMatchObject({ rateLimited: true });
    expect(sim.stats.throttled).toBeGreaterThanOrEqual(1);
  });

  it('does not skip an order when another one changes while the pages are read', async () => {
    const from = T0 + 5_000;
    const to = T0 + 230 * 60_000;
    let first = true;
    const spy: typeof fetch = async (input, init) => {
      const r = await fetch(input, init);
      if (first) {
        // After the first page: order 50 (already read) changes and leaves the window; offset paging would now
        // start the next page one further on and never show order 100.
        first = false;
        const o = orders[50] ?? fail();
        sim.record({ ...o, phase: 'shipped', updatedAt: to + 60_000 }, 'http://hub.invalid/hooks/douyin/x');
      }
      return r;
    };
    const got = (await collect(douyin.pull?.(pullCtx(sim.credentials, from, to, spy)) ?? fail())).flat().map((p) => p.order.platformOrderId);
    expect(got).toEqual(orders.map((o) => o.id));
    sim.record(orders[50] ?? fail(), 'http://hub.invalid/hooks/douyin/x');
  });

  it('the simulator refuses a tampered sign and a stale timestamp, and takes the GMT+8 date form', async () => {
    const c = sim.credentials as { appKey: string; appSecret: string; accessToken: string; apiBase: string };
    const paramJson = '{"page":0,"size":10}';
    const call = async (timestamp: string, tamper = false) => {
      const sign = apiSign(c.appSecret, 'md5', c.appKey, 'order.searchList', paramJson, timestamp);
      const q = new URLSearchParams({ app_key: c.appKey, method: 'order.searchList', timestamp, v: '2', sign: tamper ? flip(sign, 3) : sign, sign_method: 'md5', access_token: c.accessToken });
      const r = await fetch(`${c.apiBase}/order/searchList?${q.toString()}`, { method: 'POST', body: paramJson, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(200);
      return (await r.json()) as { code: number; sub_code: string; data: { total?: number } };
    };
    const now = Math.floor(Date.now() / 1000);
    const refusedBefore = sim.stats.refusedSignature;
    expect(await call(String(now), true)).toMatchObject({ code: 40003, sub_code: 'isv.signature-invalid' });
    expect(sim.stats.refusedSignature).toBe(refusedBefore + 1);
    expect(await call(String(now - 20 * 60))).toMatchObject({ code: 40003, sub_code: 'isv.timestamp-invalid' });
    const gmt8 = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(await call(gmt8)).toMatchObject({ code: 10000, data: { total: 230 } });
  });
});

// ---- pushes into a real hub -----------------------------------------------------------------------------------------

describe.each(httpBackends)('Douyin pushes and pulls on $name', (backend) => {
  let s: TestServer;
  let simServer: SimulatorServer;
  let sim: PlatformSimulator;
  let accountId = '';
  let creds: { appKey: string; appSecret: string };
  const hook = () => `${s.url}/hooks/douyin/${accountId}`;
  const push = (body: string, headers: Record<string, string>) =>
    fetch(hook(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => {
      const answer = { status: r.status, text: await r.text() };
      // The orders a push names are fetched after the answer: let that finish before looking.
      await s.hub.poller.idle();
      return answer;
    });
  const count = async (table: string, where = '') => Number((await s.hub.db.read.get<{ n: number | string }>(`SELECT count(*) AS n FROM ${table} ${where}`))?.n);
  // A refusal raises the hub's own `refusals` channel alert (an outbox event of its own): not a trace of the push.
  const traces = async () => ({ raw: await count('raw_events'), orders: await count('orders'), outbox: await count('outbox', "WHERE type <> 'channel.alert'") });
  const success = { status: 200, text: '{"code":0,"msg":"success"}' };

  /** What the poller does with a pull: each order stored like a push, under its own event id. */
  const pullIntoHub = (from: number, to: number) => pullHub(s, douyin as ChannelAdapter<never>, accountId, from, to);

  async function orderDetail(platformOrderId: string) {
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${platformOrderId}`);
    const no = found.body.items[0]?.orderNo;
    if (!no) return null;
    return (await s.api<{ status: string; platformStatus: string; channel: string; hold: { code: string } | null; amounts: Record<string, number> }>('GET', `/api/orders/${no}`)).body;
  }

  beforeAll(async () => {
    s = await startServer(backend);
    simServer = await startSimulatorServer();
    sim = simServer.mount('douyin', douyinSimulator, `hub-${backend.name}`);
    creds = sim.credentials as { appKey: string; appSecret: string };
    const a = await s.api<{ id: string; webhookUrl: string }>('POST', '/api/channel-accounts', { platform: 'douyin', name: '抖店旗舰店', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body.webhookUrl).toMatch(/\/hooks\/douyin\//);
    accountId = a.body.id;
    await setStock(s, 'DY-A', 50);
    await setStock(s, 'DY-B', 50);
  });
  afterAll(async () => {
    await s?.close();
    await simServer?.close();
  });

  it('answers the verification message sent when the push URL is saved, and keeps nothing', async () => {
    const before = await traces();
    const body = '[{"tag":"0","msg_id":"0","data":"2020-09-10T16:27:56.52842897+08:00"}]';
    expect(await push(body, { 'app-id': creds.appKey, 'event-sign': pushSign(creds.appKey, creds.appSecret, body) })).toEqual(success);
    expect(await traces()).toEqual(before);
    // The test message is signed like any other: a wrong sign is refused.
    expect((await push(body, { 'app-id': creds.appKey, 'event-sign': pushSign(creds.appKey, 'other-secret', body) })).status).toBe(401);
  });

  it('keeps a signed message as a raw event, and the pull brings the order to the fen', async () => {
    const order = simOrder('4781320682406090001', { updatedAt: T0 + 120_000 });
    const [p] = sim.record(order, hook());
    if (!p) throw new Error('no push');
    expect(p.headers['event-sign']).toBe(pushSign(creds.appKey, creds.appSecret, p.body));
    const pushesBefore = await count('raw_events', "WHERE via = 'push'");
    expect(await push(p.body, p.headers)).toEqual(success);
    expect(await count('raw_events', "WHERE via = 'push'")).toBe(pushesBefore + 1);
    const msgId = (JSON.parse(p.body) as { msg_id: string }[])[0]?.msg_id ?? '';
    const raw = await s.hub.db.read.get<{ event_id: string; outcome: string; headers: string }>('SELECT event_id, outcome, headers FROM raw_events WHERE event_id = ?', [msgId]);
    expect(raw).toMatchObject({ event_id: msgId, outcome: 'no_order' });
    expect(JSON.parse(raw?.headers ?? '{}')).toMatchObject({ 'douyin-tags': '101', 'douyin-order-ids': order.id, 'app-id': creds.appKey });
    // The message names the order: the hub fetched it right after answering (a raw event of its own, via fetch).
    expect(await count('raw_events', "WHERE via = 'fetch'")).toBeGreaterThanOrEqual(1);
    expect(await orderDetail(order.id)).not.toBeNull();

    // The pull finds the same version again: nothing changes.
    await pullIntoHub(T0, T0 + 3_600_000);
    const d = await orderDetail(order.id);
    const want = expectedAmounts(order);
    // No hold: the parts add up to the platform's pay_amount (else the hub would hold it for AMOUNT_MISMATCH).
    expect(d).toMatchObject({ status: 'paid', platformStatus: '2', channel: 'douyin', hold: null });
    expect(d?.amounts).toMatchObject({ ...want, paid: want.total });
    // The receiver is stored as the platform gave it: ciphertexts, marked encrypted.
    const row = await s.hub.db.read.get<{ receiver_protection: string; receiver_name: string; receiver_province: string }>(
      'SELECT receiver_protection, receiver_name, receiver_province FROM orders WHERE platform_order_id = ?',
      [order.id],
    );
    expect(row).toMatchObject({ receiver_protection: 'encrypted', receiver_province: '浙江省' });
    expect(row?.receiver_name).toMatch(/^##.+#1##$/);
    // Pulling the same version again is the same raw event: nothing new.
    const again = await traces();
    await pullIntoHub(T0, T0 + 3_600_000);
    expect(await traces()).toEqual(again);
  });

  it('does not apply a redelivered message twice', async () => {
    const [p] = sim.record(simOrder('4781320682406090002', { phase: 'shipped', updatedAt: T0 + 180_000 }), hook());
    if (!p) throw new Error('no push');
    expect(await push(p.body, p.headers)).toEqual(success);
    const after = await traces();
    expect(await push(p.body, p.headers)).toEqual(success);
    expect(await traces()).toEqual(after);
    const msgId = (JSON.parse(p.body) as { msg_id: string }[])[0]?.msg_id ?? '';
    expect(await s.hub.db.read.get<{ deliveries: number }>('SELECT deliveries FROM raw_events WHERE event_id = ?', [msgId])).toMatchObject({ deliveries: 2 });
  });

  it('takes an array of several messages as one delivery, deduplicated on their msg_ids', async () => {
    const a = sim.record(simOrder('4781320682406090003', { phase: 'created', updatedAt: T0 + 200_000 }), hook())[0];
    const b = sim.record(simOrder('4781320682406090004', { phase: 'cancelled', updatedAt: T0 + 210_000 }), hook())[0];
    if (!a || !b) throw new Error('no push');
    const messages = [...(JSON.parse(a.body) as unknown[]), ...(JSON.parse(b.body) as unknown[])] as { msg_id: string }[];
    const body = JSON.stringify(messages);
    const headers = { 'app-id': creds.appKey, 'event-sign': pushSign(creds.appKey, creds.appSecret, body) };
    // Pushes only: the orders the messages name are fetched after the answer, as raw events of their own (via fetch).
    const before = await count('raw_events', "WHERE via = 'push'");
    expect(await push(body, headers)).toEqual(success);
    expect(await push(body, headers)).toEqual(success);
    expect(await count('raw_events', "WHERE via = 'push'")).toBe(before + 1);
    const eventId = messages.map((m) => m.msg_id).join(',');
    const raw = await s.hub.db.read.get<{ headers: string; deliveries: number }>('SELECT headers, deliveries FROM raw_events WHERE event_id = ?', [eventId]);
    expect(raw?.deliveries).toBe(2);
    expect(JSON.parse(raw?.headers ?? '{}')).toMatchObject({ 'douyin-tags': '100,106', 'douyin-order-ids': '4781320682406090003,4781320682406090004' });
  });

  it('takes the hmac-sha256 variant when sign-method says so', async () => {
    const [p] = sim.record(simOrder('4781320682406090005', { phase: 'completed', updatedAt: T0 + 240_000 }), hook());
    if (!p) throw new Error('no push');
    const sign = pushSign(creds.appKey, creds.appSecret, p.body, 'hmac-sha256');
    // The HMAC of the third-party vector (app-123 / secret-456 / the probe body), to pin the formula.
    expect(pushSign('app-123', 'secret-456', '[{"tag":"0","msg_id":"0","data":"probe"}]', 'hmac-sha256')).toBe('7e0bd8b248471435f5a09b27cbc1a07f2cb00f625810bde9f3cc5b0ba7bc4a11');
    const before = await traces();
    const pushesBefore = await count('raw_events', "WHERE via = 'push'");
    expect((await push(p.body, { 'app-id': creds.appKey, 'event-sign': sign })).status).toBe(401); // read as MD5
    expect(await traces()).toEqual(before);
    expect(await push(p.body, { 'app-id': creds.appKey, 'event-sign': sign, 'sign-method': 'hmac-sha256' })).toEqual(success);
    expect(await count('raw_events', "WHERE via = 'push'")).toBe(pushesBefore + 1);
  });

  it('refuses a tampered body, sign, secret or app key — leaving no trace', async () => {
    const [p] = sim.record(simOrder('4781320682406090006', { updatedAt: T0 + 300_000 }), hook());
    if (!p) throw new Error('no push');
    const good = p.headers;
    const sign = good['event-sign'] ?? '';
    const before = await traces();
    const cases: [string, Record<string, string>, string, string][] = [
      ['body changed by one byte', good, flip(p.body, 30), 'SIGNATURE_INVALID'],
      ['event-sign changed by one byte', { ...good, 'event-sign': flip(sign, 4) }, p.body, 'SIGNATURE_INVALID'],
      ['signed with another secret', { ...good, 'event-sign': pushSign(creds.appKey, `${creds.appSecret}x`, p.body) }, p.body, 'SIGNATURE_INVALID'],
      ['signed with another app key', { ...good, 'event-sign': pushSign(flip(creds.appKey, 18), creds.appSecret, p.body) }, p.body, 'SIGNATURE_INVALID'],
      ['app-id changed by one byte', { ...good, 'app-id': flip(creds.appKey, 18) }, p.body, 'SIGNATURE_INVALID'],
      ['no event-sign', { 'app-id': creds.appKey }, p.body, 'SIGNATURE_MISSING'],
      ['no app-id', { 'event-sign': sign }, p.body, 'SIGNATURE_MISSING'],
      ['an unknown sign-method', { ...good, 'sign-method': 'sha1' }, p.body, 'SIGNATURE_INVALID'],
    ];
    for (const [name, headers, body, code] of cases) {
      const r = await push(body, headers);
      expect([r.status, (JSON.parse(r.text) as { error: { code: string } }).error.code], name).toEqual([401, code]);
    }
    expect(await traces()).toEqual(before);
    // The untampered delivery still goes through afterwards.
    expect(await push(p.body, good)).toEqual(success);
  });

  it('keeps an order whose status is not in the dictionary on hold STATUS_UNKNOWN', async () => {
    const order = simOrder('4781320682406090007', { rawStatus: '77', createdAt: T0 + 7_200_000, updatedAt: T0 + 7_200_000 + 5_000 });
    sim.record(order, hook());
    await pullIntoHub(T0 + 7_200_000, T0 + 7_300_000);
    const d = await orderDetail(order.id);
    expect(d).toMatchObject({ platformStatus: '77', hold: { code: 'STATUS_UNKNOWN' } });
  });
});

function fail(): never {
  throw new Error('unexpected absence');
}

// JD POP (京东 JOS), pull only: the status dictionary against JD's documented states, the amounts against JD's own
// totals to the fen, the simulator's gateway checks (sign, timestamp, token) refusing tampered calls, and the adapter
// pulling every modified order across pages from the simulator into a real hub.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import { orderView, pullIntoHub as pullHub } from '../support/channels.ts';
import { jd, normalizeJdOrder, parseJdTime, type JdCredentials, type JdOrder } from '../../src/modules/channels/connectors/jd/index.ts';
import { jdStatuses } from '../../src/modules/channels/connectors/jd/status.ts';
import { meaningOf, PullError, type PulledOrder } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';

// ---------------------------------------------------------------------------------------------------------------
// An independent reference signer and clock, written from the JOS rules (not imported from the adapter).
// ---------------------------------------------------------------------------------------------------------------

function refSign(secret: string, params: Record<string, string>): string {
  let s = secret;
  for (const k of Object.keys(params).sort()) if (k !== 'sign' && params[k] !== '') s += k + params[k];
  return createHash('md5').update(s + secret, 'utf8').digest('hex').toUpperCase();
}

function beijingText(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

async function pullAll(credentials: JdCredentials, from: number, to: number, now: () => number = Date.now, f: typeof fetch = fetch): Promise<PulledOrder[][]> {
  const pages: PulledOrder[][] = [];
  const gen = jd.pull?.({ credentials, from, to, fetch: f, now });
  if (!gen) throw new Error('the JD adapter has no pull');
  for await (const p of gen) pages.push(p);
  return pages;
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

const second = (ms: number) => Math.floor(ms / 1000) * 1000;

function simOrder(id: string, over: Partial<SimOrder> = {}): SimOrder {
  const now = second(Date.now());
  return {
    id,
    phase: 'paid',
    createdAt: now - 3_600_000,
    updatedAt: now - 1_800_000,
    currency: 'CNY',
    lines: [
      { sku: 'JD-CUP', title: '保温杯 500ml 白色', quantity: 2, unitPrice: 4990, discount: 500 },
      { sku: 'JD-BRUSH', title: '杯刷', quantity: 1, unitPrice: 1500, discount: 0 },
    ],
    shippingFee: 800,
    discountPlatform: 1000,
    discountSeller: 300,
    buyer: { id: 'b-1', name: '张三', phone: '13812345678' },
    receiver: { name: '张三', phone: '13812345678', province: '广东', city: '广州市', district: '海珠区', address: '赤岗街道新港中路1号' },
    ...over,
  };
}

/** What the buyer owes for a simulated order, by the hub's formula. */
function simTotal(o: SimOrder): number {
  const goods = o.lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
  return goods - o.lines.reduce((a, l) => a + l.discount, 0) + o.shippingFee - o.discountPlatform - o.discountSeller;
}

let sims: SimulatorServer;
beforeAll(async () => {
  sims = await startSimulatorServer();
});
afterAll(async () => {
  await sims?.close();
});

// ---------------------------------------------------------------------------------------------------------------
// The status dictionary
// ---------------------------------------------------------------------------------------------------------------

describe('the JD status dictionary', () => {
  // Written out from JD's documentation (enSearch orderState / order_state, 360buy.order.search for LBP/SOPL).
  const expected: Record<string, { anchor: string | null; hold?: string }> = {
    WAIT_SELLER_STOCK_OUT: { anchor: 'paid' }, // 等待出库
    WAIT_SELLER_DELIVERY: { anchor: 'paid' }, // 等待发货 (海外购: 等待境内发货)
    WAIT_SEND_CODE: { anchor: 'paid' }, // 等待发码 (LOC)
    SEND_TO_DISTRIBUTION_CENER: { anchor: 'shipped' }, // 发往配送中心 (LBP/SOPL), JD's spelling
    DISTRIBUTION_CENTER_RECEIVED: { anchor: 'shipped' }, // 配送中心已收货 (LBP/SOPL)
    WAIT_GOODS_RECEIVE_CONFIRM: { anchor: 'shipped' }, // 等待确认收货
    RECEIPTS_CONFIRM: { anchor: 'delivered' }, // 收款确认（服务完成） (LBP/SOPL)
    FINISHED_L: { anchor: 'completed' }, // 完成
    TRADE_CANCELED: { anchor: 'cancelled' }, // 取消
    LOCKED: { anchor: null, hold: 'PLATFORM_HOLD' }, // 已锁定: never read as cancelled
    PAUSE: { anchor: null, hold: 'PLATFORM_HOLD' }, // 暂停
    POP_ORDER_PAUSE: { anchor: null, hold: 'PLATFORM_HOLD' }, // POP暂停
  };

  it('covers every documented state with the documented meaning', () => {
    expect(Object.keys(jdStatuses).sort()).toEqual(Object.keys(expected).sort());
    for (const [raw, want] of Object.entries(expected)) {
      const m = jdStatuses[raw as keyof typeof jdStatuses];
      expect({ anchor: m.anchor, hold: 'hold' in m ? m.hold : undefined }, raw).toEqual({ anchor: want.anchor, hold: want.hold });
      expect(m.doc.length, raw).toBeGreaterThan(0);
      const n = normalizeJdOrder(jdOrder({ orderState: raw }));
      expect([n.status, n.hold?.code], raw).toEqual([want.anchor, want.hold]);
    }
  });

  it('holds an unknown state as STATUS_UNKNOWN instead of guessing', () => {
    expect(meaningOf(jdStatuses, 'WAIT_BUYER_PAY_NEW', 'JD')).toMatchObject({ status: null, hold: { code: 'STATUS_UNKNOWN' } });
    expect(meaningOf(jdStatuses, 'toString', 'JD').hold?.code).toBe('STATUS_UNKNOWN');
    const n = normalizeJdOrder(jdOrder({ orderState: 'SOMETHING_NEW' }));
    expect(n).toMatchObject({ status: null, platformStatus: 'SOMETHING_NEW', hold: { code: 'STATUS_UNKNOWN' } });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Normalisation: JD's numbers, to the fen
// ---------------------------------------------------------------------------------------------------------------

/** An enSearch orderInfo as JD writes it (strings, yuan, Beijing time), with JD-borne and seller-borne discounts. */
function jdOrder(over: Partial<JdOrder> & Record<string, unknown> = {}): JdOrder {
  return {
    orderId: '301000000001',
    venderId: '10622317',
    orderType: '22',
    payType: '4-在线支付',
    orderState: 'WAIT_SELLER_STOCK_OUT',
    orderStateRemark: '等待出库',
    // 总金额 258.00 = 2 × 99.00 + 60.00; 商家优惠 20.00 (12.00 单品促销 + 8.00 店铺优惠); 京东券 30.00 (JD-borne);
    // 运费 10.00; 余额 15.50. 应付 = 238.00 − 30.00 − 15.50 + 10.00 = 202.50.
    orderTotalPrice: '258.00',
    sellerDiscount: '20.00',
    orderSellerPrice: '238.00',
    freightPrice: '10.00',
    balanceUsed: '15.50',
    orderPayment: '202.50',
    orderStartTime: '2026-11-11 00:00:05',
    modified: '2026-11-11 00:01:00',
    paymentConfirmTime: '2026-11-11 00:00:40',
    couponDetailList: [
      { orderId: '301000000001', skuId: '100012345678', couponType: '30-单品促销优惠', couponPrice: '12.00' },
      { orderId: '301000000001', skuId: '', couponType: '100-店铺优惠', couponPrice: '8.00' },
      { orderId: '301000000001', skuId: '', couponType: '41-京东券优惠', couponPrice: '30.00' },
    ],
    itemInfoList: [
      { skuId: '100012345678', outerSkuId: 'CUP-500', skuName: '保温杯 500ml', jdPrice: '99.00', itemTotal: '2', wareId: '10020665903516' },
      { skuId: '100087654321', outerSkuId: '', skuName: '杯刷', jdPrice: '60.00', itemTotal: '1', wareId: '10020665903517' },
    ],
    consigneeInfo: {
      fullname: 'AAS/ZFJFpmfveSmeZ0P9i+iPiAVtOMmowMRtStdbSOA32r6wKNWTMeyV2CU1umLIhl0=',
      fullAddress: 'AAS/ZFJFpmfveSmeZ0P9i+iPFTw2VsdIkCtv0YhpKHQZAdj5ssES7b4bjL2KwIPn/iK+ZcCvaBRb++Gpxh8mZde6Fk2c',
      mobile: '136*******5',
      telephone: '136*******5',
      province: '广东',
      city: '广州市',
      county: '海珠区',
      town: '赤岗街道',
      desen_mobile: '656233eb3c9d6035653f5a6d7f5965ac0c53815f3e9b785c17d35366fbbb72f1b52994',
    },
    open_id_buyer: 'o-buyer-1',
    ...over,
  } as JdOrder;
}

describe('JD amounts', () => {
  it('splits JD-borne and seller-borne discounts, freight and balance so the parts add up to what the buyer pays', () => {
    const n = normalizeJdOrder(jdOrder());
    expect(n.lines).toEqual([
      { sku: 'CUP-500', title: '保温杯 500ml', quantity: 2, unitPrice: 9900, discount: 1200, platformLineId: '100012345678' },
      { sku: '100087654321', title: '杯刷', quantity: 1, unitPrice: 6000, discount: 0, platformLineId: '100087654321' },
    ]);
    expect(n).toMatchObject({ shippingFee: 1000, discountSeller: 800, discountPlatform: 3000, tax: 0, currency: 'CNY' });
    // The balance (余额) is the buyer's own money: part of what they pay, not a discount.
    expect(n.platformTotal).toBe(20250 + 1550);
    expect(n.paidAmount).toBe(21800);
    expect(computeAmounts(n)).toEqual({ goodsAmount: 25800, lineDiscountAmount: 1200, totalAmount: 21800 });
    expect(n.platformCreatedAt).toBe(Date.UTC(2026, 10, 10, 16, 0, 5));
    expect(n.sourceUpdatedAt).toBe(Date.UTC(2026, 10, 10, 16, 1, 0));
    expect(n.buyer.id).toBe('o-buyer-1');
  });

  it('keeps a promotion that fits no line at order level, still to the fen', () => {
    const n = normalizeJdOrder(
      jdOrder({
        couponDetailList: [
          { skuId: '999', couponType: '30-单品促销优惠', couponPrice: '12.00' },
          { skuId: '', couponType: '100-店铺优惠', couponPrice: '8.00' },
        ],
      }),
    );
    expect(n.lines.map((l) => l.discount)).toEqual([0, 0]);
    expect(n.discountSeller).toBe(2000);
    expect(computeAmounts(n).totalAmount).toBe(n.platformTotal);
  });

  it('treats anything JD added on top (tax, service fee) as tax, and no discount as zero', () => {
    const n = normalizeJdOrder(
      jdOrder({ orderTotalPrice: '100.00', sellerDiscount: '0.00', orderSellerPrice: '100.00', freightPrice: '0.00', balanceUsed: '0.00', orderPayment: '109.10', couponDetailList: [], itemInfoList: [{ skuId: '1', outerSkuId: 'HK-1', skuName: '跨境商品', jdPrice: '100.00', itemTotal: '1' }] }),
    );
    expect(n).toMatchObject({ discountPlatform: 0, discountSeller: 0, tax: 910, platformTotal: 10910 });
    expect(computeAmounts(n).totalAmount).toBe(10910);
  });

  it('cash on delivery: only the balance part is paid until JD reports the money collected', () => {
    const cod = { payType: '1-货到付款', balanceUsed: '0.00', orderPayment: '218.00' };
    expect(normalizeJdOrder(jdOrder(cod)).paidAmount).toBe(0);
    expect(normalizeJdOrder(jdOrder({ ...cod, orderState: 'FINISHED_L' })).paidAmount).toBe(21800);
    expect(normalizeJdOrder(jdOrder({ orderState: 'TRADE_CANCELED', consigneeInfo: null })).paidAmount).toBe(0);
  });

  it("lets the hub see parts that do not add up to JD's total", () => {
    const n = normalizeJdOrder(jdOrder({ orderTotalPrice: '258.01', orderSellerPrice: '238.01', orderPayment: '202.51' }));
    expect(computeAmounts(n).totalAmount).not.toBe(n.platformTotal);
  });

  it('refuses amounts that are not JD decimals and times that are not JD times', () => {
    expect(() => normalizeJdOrder(jdOrder({ orderPayment: '202.505' }))).toThrow(/more decimals/);
    expect(() => normalizeJdOrder(jdOrder({ modified: '2026-11-11T00:01:00+08:00' }))).toThrow(/modified/);
    expect(() => normalizeJdOrder(jdOrder({ itemInfoList: [{ skuId: '1', jdPrice: '1.00', itemTotal: '1.5' }] }))).toThrow(/itemTotal/);
    expect(parseJdTime('2026-02-30 10:00:00')).toBeNull();
  });

  it('stores the receiver as JD gave it (encrypted name and address, masked phone) and says so', () => {
    const n = normalizeJdOrder(jdOrder());
    expect(n.receiver).toEqual({
      name: 'AAS/ZFJFpmfveSmeZ0P9i+iPiAVtOMmowMRtStdbSOA32r6wKNWTMeyV2CU1umLIhl0=',
      phone: '136*******5',
      province: '广东',
      city: '广州市',
      district: '海珠区',
      address: 'AAS/ZFJFpmfveSmeZ0P9i+iPFTw2VsdIkCtv0YhpKHQZAdj5ssES7b4bjL2KwIPn/iK+ZcCvaBRb++Gpxh8mZde6Fk2c',
    });
    expect(n.receiverProtection).toBe('encrypted');
    const masked = normalizeJdOrder(jdOrder({ consigneeInfo: { fullname: '张*', mobile: '138****5678', fullAddress: '广东广州市海珠区***', province: '广东', city: '广州市', county: '海珠区' } }));
    expect(masked.receiverProtection).toBe('masked');
    // A locked order comes without consignee data (锁定的订单不返回收货人基本信息).
    const locked = normalizeJdOrder(jdOrder({ orderState: 'LOCKED', consigneeInfo: undefined }));
    expect(locked.receiver).toMatchObject({ name: '-', phone: '', address: '-' });
    expect(locked.receiverProtection).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The simulator's gateway checks, called with the reference signer
// ---------------------------------------------------------------------------------------------------------------

describe('the JD simulator gateway', () => {
  let sim: PlatformSimulator;
  let base = '';
  let creds: JdCredentials;
  beforeAll(() => {
    sim = sims.mount('jd-gateway', jdSimulator, 'gateway');
    base = `${sims.url}/jd-gateway`;
    creds = sim.credentials as unknown as JdCredentials;
    const now = second(Date.now());
    sim.record(simOrder('302000000001', { updatedAt: now - 120_000 }), '');
  });

  function call(over: { system?: Record<string, string>; secret?: string; tamper?: (q: Record<string, string>, body: string) => [Record<string, string>, string] } = {}) {
    const now = Date.now();
    const business = JSON.stringify({
      start_date: beijingText(now - 3_600_000),
      end_date: beijingText(now),
      order_state: 'WAIT_SELLER_STOCK_OUT',
      optional_fields: 'orderId,orderState,modified',
      page: '1',
      page_size: '10',
      dateType: 0,
    });
    const system = { method: 'jingdong.pop.order.enSearch', access_token: creds.accessToken, app_key: creds.appKey, timestamp: beijingText(now), v: '2.0', format: 'json', ...over.system };
    const sign = refSign(over.secret ?? creds.appSecret, { ...system, '360buy_param_json': business });
    let [q, b]: [Record<string, string>, string] = [{ ...system, sign }, business];
    if (over.tamper) [q, b] = over.tamper(q, b);
    return fetch(`${base}/routerjson?${new URLSearchParams(q).toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams({ '360buy_param_json': b }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, { code?: string; searchorderinfo_result?: { orderTotal: number; orderInfoList: Record<string, unknown>[] } }> }));
  }

  it('answers a correctly signed enSearch in JD shape, with only the fields asked for', async () => {
    const r = await call();
    expect(r.status).toBe(200);
    const res = r.body.jingdong_pop_order_enSearch_responce;
    expect(res?.code).toBe('0');
    expect(res?.searchorderinfo_result?.orderTotal).toBe(1);
    expect(Object.keys(res?.searchorderinfo_result?.orderInfoList[0] ?? {}).sort()).toEqual(['modified', 'orderId', 'orderState']);
  });

  it('refuses a tampered sign, business JSON, secret, timestamp or token with the JOS error', async () => {
    const before = sim.stats.refusedSignature;
    const cases: [string, Parameters<typeof call>[0], string][] = [
      ['sign changed by one byte', { tamper: (q, b) => [{ ...q, sign: flip(q.sign ?? '', 3) }, b] }, '12'],
      ['360buy_param_json changed by one byte', { tamper: (q, b) => [q, flip(b, 20)] }, '12'],
      ['signed with another secret', { secret: `${creds.appSecret}x` }, '12'],
      ['timestamp changed by one byte after signing', { tamper: (q, b) => [{ ...q, timestamp: flip(q.timestamp ?? '', 18) }, b] }, '12'],
      ['no sign', { tamper: (q, b) => [Object.fromEntries(Object.entries(q).filter(([k]) => k !== 'sign')), b] }, '11'],
      ['timestamp seven minutes old, signed', { system: { timestamp: beijingText(Date.now() - 7 * 60_000) } }, '8'],
      ['timestamp in another format', { system: { timestamp: new Date().toISOString() } }, '8'],
      ['another access_token, signed', { system: { access_token: `x${creds.accessToken.slice(1)}` } }, '19'],
      ['another app_key', { system: { app_key: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' } }, '21'],
    ];
    for (const [name, over, code] of cases) {
      const r = await call(over);
      expect([r.status, r.body.error_response?.code], name).toEqual([200, code]);
      expect(r.body.jingdong_pop_order_enSearch_responce, name).toBeUndefined();
    }
    expect(sim.stats.refusedSignature - before).toBe(5);
  });

  it('accepts the timestamp the official Java SDK writes (yyyy-MM-dd HH:mm:ss.SSSZ)', async () => {
    const d = new Date(Date.now() + 8 * 3_600_000).toISOString();
    const r = await call({ system: { timestamp: `${d.slice(0, 10)} ${d.slice(11, 23)}+0800` } });
    expect(r.body.jingdong_pop_order_enSearch_responce?.code).toBe('0');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The adapter's pull against the simulator
// ---------------------------------------------------------------------------------------------------------------

describe('the JD pull', () => {
  let sim: PlatformSimulator;
  let creds: JdCredentials;
  const from = second(Date.now()) - 55 * 60_000;
  const to = from + 50 * 60_000;
  const inWindow: SimOrder[] = [];

  beforeAll(() => {
    sim = sims.mount('jd-pull', jdSimulator, 'pull');
    creds = sim.credentials as unknown as JdCredentials;
    for (let i = 0; i < 230; i += 1) {
      const o = simOrder(`303${String(i).padStart(9, '0')}`, {
        updatedAt: from + 1000 + i * 1000 + (i % 7) * 13, // JD keeps whole seconds
        phase: i % 11 === 0 ? 'shipped' : i % 13 === 0 ? 'completed' : 'paid',
        discountPlatform: (i % 5) * 100,
        shippingFee: i % 3 === 0 ? 0 : 800,
        lines: [{ sku: `JD-${i % 4}`, title: `商品 ${i % 4}`, quantity: 1 + (i % 3), unitPrice: 3990 + i, discount: i % 4 === 0 ? 250 : 0 }],
      });
      sim.record(o, '');
      inWindow.push(o);
    }
    const edge = (id: string, at: number) => sim.record(simOrder(id, { updatedAt: at }), '');
    edge('304000000001', from); // the window's first instant: in
    inWindow.push(simOrder('304000000001', { updatedAt: from }));
    edge('304000000002', to); // the window's end: out (the next window has it)
    edge('304000000003', from - 1000);
    edge('304000000004', to + 60_000);
  });

  it('gets every order modified in the window across pages, with amounts equal to the order', async () => {
    const calls = sim.stats.calls;
    const pages = await pullAll(creds, from, to);
    expect(sim.stats.calls - calls).toBe(3); // 232 hits (both edges asked for), 100 a page
    const got = pages.flat();
    expect(got.map((p) => p.order.platformOrderId).sort()).toEqual(inWindow.map((o) => o.id).sort());
    expect(new Set(got.map((p) => p.eventId)).size).toBe(got.length);
    for (const o of inWindow) {
      const p = got.find((x) => x.order.platformOrderId === o.id);
      if (!p) throw new Error(`missing ${o.id}`);
      const n = p.order;
      expect(p.eventId).toBe(`${o.id}@${second(o.updatedAt)}`);
      expect(n.sourceUpdatedAt).toBe(second(o.updatedAt));
      expect(n.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.discount])).toEqual(o.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.discount]));
      expect([n.shippingFee, n.discountPlatform, n.discountSeller, n.tax]).toEqual([o.shippingFee, o.discountPlatform, o.discountSeller, 0]);
      expect(computeAmounts(n).totalAmount).toBe(simTotal(o));
      expect(n.platformTotal).toBe(simTotal(o));
      expect(n.paidAmount).toBe(simTotal(o));
      expect(n.receiverProtection).toBe('encrypted');
      expect(n.receiver.name).not.toContain('张');
      expect((JSON.parse(p.rawBody.toString('utf8')) as { orderId: string }).orderId).toBe(o.id);
    }
  });

  it('says authFailed for a wrong secret or token, rateLimited when JD limits calls, and passes a skewed clock on', async () => {
    const badSecret = await pullError(pullAll({ ...creds, appSecret: `${creds.appSecret}x` }, from, to));
    expect([badSecret.code, badSecret.opts.authFailed]).toEqual(['12', true]);
    const badToken = await pullError(pullAll({ ...creds, accessToken: 'not-the-token' }, from, to));
    expect([badToken.code, badToken.opts.authFailed]).toEqual(['19', true]);
    sim.throttleNext(1);
    const limited = await pullError(pullAll(creds, from, to));
    expect([limited.code, limited.opts.rateLimited, limited.opts.authFailed]).toEqual(['2', true, undefined]);
    expect(limited.opts.retryAfterMs).toBeGreaterThan(0);
    const skewed = await pullError(pullAll(creds, from, to, () => Date.now() - 10 * 60_000));
    expect(skewed.code).toBe('8');
  });

  it('reads the pages again when an order moves out of the window while paging, so none is skipped', async () => {
    const shifting = sims.mount('jd-pull-shift', jdSimulator, 'shift');
    const ids: string[] = [];
    for (let i = 0; i < 150; i += 1) {
      const id = `306${String(i).padStart(9, '0')}`;
      shifting.record(simOrder(id, { updatedAt: from + 1000 + i * 1000 }), '');
      ids.push(id);
    }
    let calls = 0;
    // After the first page, the buyer changes an order on it: it leaves the window and every later order moves up one.
    const f: typeof fetch = async (input, init) => {
      const r = await fetch(input, init);
      calls += 1;
      if (calls === 1) shifting.record(simOrder(ids[5] ?? '', { updatedAt: to + 30_000 }), '');
      return r;
    };
    const got = new Set((await pullAll(shifting.credentials as unknown as JdCredentials, from, to, Date.now, f)).flat().map((p) => p.order.platformOrderId));
    // The moved order was read at its earlier version (in the window then); the one that slid onto page 1 is not lost.
    expect([...got].sort()).toEqual(ids);
    expect(calls).toBe(4); // page 1, page 2 (total changed), then pages 1 and 2 again
  });

  it('stays within JD’s one-month window', async () => {
    expect(jd.maxPullWindowMs).toBe(28 * 86_400_000);
    const wide = await pullError(pullAll(creds, to - 29 * 86_400_000, to));
    expect(wide.code).toBe('WINDOW_TOO_WIDE');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Into a real hub
// ---------------------------------------------------------------------------------------------------------------

describe.each(httpBackends)('JD orders into the hub on $name', (backend) => {
  let s: TestServer;
  let sim: PlatformSimulator;
  let accountId = '';
  const prefix = `jd-hub-${backend.name.replace(/\W+/g, '-')}`;

  /** What the poller does: pull the window with the account's stored credentials and ingest each order as a raw event. */
  const pullIntoHub = (from: number, to: number) => pullHub(s, jd as ChannelAdapter<never>, accountId, from, to);
  const count = async (table: string) => Number((await s.hub.db.read.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n);
  const detail = (platformOrderId: string) => orderView(s, platformOrderId);

  beforeAll(async () => {
    sim = sims.mount(prefix, jdSimulator, prefix);
    s = await startServer(backend);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'jd', name: 'JD 旗舰店', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    accountId = a.body.id;
    for (const sku of ['JD-CUP', 'JD-BRUSH']) await setStock(s, sku, 100);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses incomplete credentials for a new account', async () => {
    const r = await s.api<{ error: { message: string } }>('POST', '/api/channel-accounts', { platform: 'jd', name: 'x', credentials: { appKey: 'k', apiBase: 'ftp://x' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/appSecret.*accessToken.*apiBase/);
  });

  it('stores pulled orders with their status, amounts to the fen and the receiver as JD gave it; a second pull adds nothing', async () => {
    const now = second(Date.now());
    const paid = simOrder('305000000001', { updatedAt: now - 600_000 }); // odd id: part paid from the JD balance
    const shipped = simOrder('305000000002', { phase: 'shipped', updatedAt: now - 590_000 });
    sim.record(paid, '');
    sim.record(shipped, '');
    const results = await pullIntoHub(now - 3_600_000, now);
    expect(results.map((r) => r.orders[0]?.outcome)).toEqual(['created', 'created']);
    const d = await detail('305000000001');
    expect(d).toMatchObject({ status: 'paid', platformStatus: 'WAIT_SELLER_STOCK_OUT', hold: null });
    expect(d.amounts).toEqual({ goods: 11480, lineDiscounts: 500, shippingFee: 800, discountPlatform: 1000, discountSeller: 300, tax: 0, total: 10480, paid: 10480 });
    expect((await detail('305000000002')).status).toBe('shipped');
    const row = await s.hub.db.read.get<{ receiver_name: string; receiver_protection: string; receiver_province: string }>(
      'SELECT receiver_name, receiver_protection, receiver_province FROM orders WHERE platform_order_id = ?',
      ['305000000001'],
    );
    expect(row?.receiver_protection).toBe('encrypted');
    expect(row?.receiver_name).toMatch(/^[A-Za-z0-9+/]{24,}={0,2}$/);
    expect(row?.receiver_province).toBe('广东');

    const raw = await count('raw_events');
    const again = await pullIntoHub(now - 3_600_000, now);
    expect(again.every((r) => r.duplicateDelivery)).toBe(true);
    expect(await count('raw_events')).toBe(raw);
  });

  it('holds a LOCKED order (never cancelled) and shows it paid again when JD unlocks it', async () => {
    const now = second(Date.now());
    const id = '305000000010';
    sim.record(simOrder(id, { updatedAt: now - 300_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    sim.record(simOrder(id, { rawStatus: 'LOCKED', updatedAt: now - 200_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    const locked = await detail(id);
    expect(locked).toMatchObject({ platformStatus: 'LOCKED', hold: { code: 'PLATFORM_HOLD' } });
    expect(locked.status).toBe('paid');
    sim.record(simOrder(id, { updatedAt: now - 100_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    // Lifting the platform's hold on a clear state is the hub's work.
    expect(await detail(id)).toMatchObject({ status: 'paid', platformStatus: 'WAIT_SELLER_STOCK_OUT', hold: null });
  });

  it('keeps an order in a state JD has not documented, held as STATUS_UNKNOWN', async () => {
    const n = normalizeJdOrder(jdOrder({ orderId: '305000000020', orderState: 'WAIT_SOMETHING_NEW' }));
    const account = await s.hub.accounts.get(accountId);
    if (!account) throw new Error('no account');
    await s.hub.writes.ingest({ tenantId: account.tenantId, accountId, channel: 'jd', eventId: `305000000020@${n.sourceUpdatedAt}`, receivedAt: Date.now(), headers: {}, rawBody: Buffer.from('{}'), orders: [n], via: 'pull' });
    expect(await detail('305000000020')).toMatchObject({ platformStatus: 'WAIT_SOMETHING_NEW', hold: { code: 'STATUS_UNKNOWN' } });
  });
});

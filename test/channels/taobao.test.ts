// Taobao/Tmall (TOP): pull only. Calls signed by TOP's rule in all three sign methods (checked against the tests' own
// signer, written from TOP's formulas apart from the adapter and the simulator), trades normalised to the fen against
// Taobao's `payment`, every documented status mapped, the masked receiver kept as given, and pulled orders stored by a
// real hub.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import { orderView, pullIntoHub as pullHub } from '../support/channels.ts';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { createTaobaoSimulator, taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import {
  normalizeTaobaoTrade,
  parseTopJson,
  taobao,
  taobaoSign,
  type TaobaoCredentials,
  type TaobaoSignMethod,
  type TopTrade,
} from '../../src/modules/channels/connectors/taobao/index.ts';
import { taobaoStatusDictionary } from '../../src/modules/channels/connectors/taobao/status.ts';
import { meaningOf, PullError, type PullContext, type PulledOrder } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';

// ---- the tests' own TOP signer and helpers -----------------------------------------------------------------------

function ourSign(params: Record<string, string>, secret: string, method: TaobaoSignMethod): string {
  let s = '';
  for (const k of Object.keys(params).sort()) if (k !== 'sign' && params[k]) s += k + params[k];
  const d =
    method === 'md5'
      ? createHash('md5').update(secret + s + secret).digest('hex')
      : createHmac(method === 'hmac' ? 'md5' : 'sha256', secret).update(s).digest('hex');
  return d.toUpperCase();
}

const beijingTime = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const second = (ms: number) => Math.floor(ms / 1000) * 1000;
const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

function simOrder(id: string, o: Partial<SimOrder> = {}): SimOrder {
  return {
    id,
    phase: 'paid',
    createdAt: Date.parse('2026-11-11T00:00:05+08:00'),
    updatedAt: Date.parse('2026-11-11T00:10:00+08:00'),
    currency: 'CNY',
    lines: [
      { sku: 'TB-TEA-250', title: '龙井茶 250g', quantity: 2, unitPrice: 12800, discount: 1000 },
      { sku: 'TB-CUP', title: '玻璃杯', quantity: 1, unitPrice: 3990, discount: 0 },
    ],
    shippingFee: 1000,
    discountPlatform: 500,
    discountSeller: 2000,
    buyer: { id: 'buyer-7', name: '李雷', phone: '13900001111' },
    receiver: { name: '韩梅梅', phone: '13812345678', province: '浙江省', city: '杭州市', district: '余杭区', address: '文一西路969号3号楼' },
    ...o,
  };
}

/** What the buyer pays for a simulated order. */
const simTotal = (o: SimOrder) => o.lines.reduce((a, l) => a + l.unitPrice * l.quantity - l.discount, 0) + o.shippingFee - o.discountPlatform - o.discountSeller;

function ctx(credentials: TaobaoCredentials, from: number, to: number, now: () => number = () => Date.now()): PullContext<TaobaoCredentials> {
  return { credentials, from, to, fetch, now };
}

async function pullAll(credentials: TaobaoCredentials, from: number, to: number, now?: () => number): Promise<PulledOrder[][]> {
  const pages: PulledOrder[][] = [];
  const pull = taobao.pull;
  if (!pull) throw new Error('taobao has no pull');
  for await (const p of pull(ctx(credentials, from, to, now))) pages.push(p);
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

/** A trade as TOP's JSON gives it (after parseTopJson), for the normalisation tests. */
function trade(t: Partial<TopTrade> & Record<string, unknown> = {}): TopTrade {
  return {
    tid: '1347456243421196949',
    tid_str: '1347456243421196949',
    type: 'fixed',
    status: 'WAIT_SELLER_SEND_GOODS',
    created: '2020-11-04 14:59:33',
    modified: '2020-11-04 15:00:10',
    pay_time: '2020-11-04 15:00:00',
    payment: '1.80',
    total_fee: '4.90',
    post_fee: '0.00',
    platform_subsidy_fee: '0.00',
    buyer_nick: '糖**',
    buyer_open_uid: 'AAHk5d-EAAeGwJedwSFu0XXX',
    receiver_name: '软*',
    receiver_state: '辽宁省',
    receiver_city: '沈阳市',
    receiver_district: '苏家屯区',
    receiver_address: '民*街道**街**号菜鸟驿**城国**园三期店',
    receiver_mobile: '151********',
    oaid: '1Vb2GBKfY2wKk5ay2lX5ia3Y9sBQkQp1Ycm6WeC2ic1vEicYlk',
    orders: {
      order: [
        { oid: '1347456243421196949', num: 1, price: '4.90', discount_fee: '0.10', adjust_fee: '0.00', total_fee: '4.80', part_mjz_discount: '3.00', payment: '1.80', outer_sku_id: 'PP-32', title: '菜板' },
      ],
    },
    ...t,
  };
}

let sims: SimulatorServer;
beforeAll(async () => {
  sims = await startSimulatorServer();
});
afterAll(async () => {
  await sims?.close();
});

// ---------------------------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------------------------

describe('TOP request signing', () => {
  const params = {
    method: 'taobao.trades.sold.increment.get',
    app_key: '12345678',
    session: '6100a1b2c3',
    timestamp: '2026-11-11 10:00:00',
    format: 'json',
    v: '2.0',
    fields: 'tid,status,orders',
    start_modified: '2026-11-11 09:00:00',
    end_modified: '2026-11-11 09:59:59',
  };
  const secret = 'helloworld0123456789';

  it.each(['md5', 'hmac', 'hmac-sha256'] as const)("matches the tests' own signer for sign_method=%s", (m) => {
    const p = { ...params, sign_method: m };
    expect(taobaoSign(p, secret, m)).toBe(ourSign(p, secret, m));
    expect(taobaoSign(p, secret, m)).toMatch(m === 'hmac-sha256' ? /^[0-9A-F]{64}$/ : /^[0-9A-F]{32}$/);
  });

  it('wraps only md5 in the secret, leaves sign and empty values out, and sorts by ASCII name', () => {
    const p = { b: '2', a: '1', A: '0', sign: 'X', empty: '' };
    expect(taobaoSign(p, 's', 'md5')).toBe(createHash('md5').update('sA0a1b2s').digest('hex').toUpperCase());
    expect(taobaoSign(p, 's', 'hmac')).toBe(createHmac('md5', 's').update('A0a1b2').digest('hex').toUpperCase());
    expect(taobaoSign(p, 's', 'hmac-sha256')).toBe(createHmac('sha256', 's').update('A0a1b2').digest('hex').toUpperCase());
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The status dictionary
// ---------------------------------------------------------------------------------------------------------------

describe('the Taobao status dictionary', () => {
  // Written out from the TOP Trade.status documentation (trades.sold.increment.get / trade.fullinfo.get).
  const expected: Record<string, { anchor: string | null; hold?: string }> = {
    TRADE_NO_CREATE_PAY: { anchor: 'pending_payment' }, // 没有创建支付宝交易
    WAIT_BUYER_PAY: { anchor: 'pending_payment' }, // 等待买家付款
    PAY_PENDING: { anchor: 'pending_payment' }, // 国际信用卡支付付款确认中
    WAIT_PRE_AUTH_CONFIRM: { anchor: 'pending_payment' }, // 0元购合约中
    WAIT_SELLER_SEND_GOODS: { anchor: 'paid' }, // 等待卖家发货,即:买家已付款
    PAID_FORBID_CONSIGN: { anchor: 'paid', hold: 'PLATFORM_HOLD' }, // 拼团中或发货强管控: 已付款但禁止发货
    SELLER_CONSIGNED_PART: { anchor: 'paid' }, // 卖家部分发货
    WAIT_BUYER_CONFIRM_GOODS: { anchor: 'shipped' }, // 等待买家确认收货,即:卖家已发货
    TRADE_BUYER_SIGNED: { anchor: 'delivered' }, // 买家已签收,货到付款专用
    TRADE_FINISHED: { anchor: 'completed' }, // 交易成功
    TRADE_CLOSED: { anchor: 'cancelled' }, // 付款以后用户退款成功，交易自动关闭
    TRADE_CLOSED_BY_TAOBAO: { anchor: 'cancelled' }, // 付款以前，卖家或买家主动关闭交易
  };

  it('covers every documented status with the documented meaning', () => {
    expect(Object.keys(taobaoStatusDictionary).sort()).toEqual(Object.keys(expected).sort());
    for (const [raw, want] of Object.entries(expected)) {
      const m = taobaoStatusDictionary[raw as keyof typeof taobaoStatusDictionary];
      expect({ anchor: m.anchor, hold: 'hold' in m ? m.hold : undefined }, raw).toEqual({ anchor: want.anchor, hold: want.hold });
      expect(m.doc.length, raw).toBeGreaterThan(4);
      const n = normalizeTaobaoTrade(trade({ status: raw }));
      expect([n.status, n.hold?.code, n.platformStatus], raw).toEqual([want.anchor, want.hold, raw]);
    }
  });

  it('holds an unknown status as STATUS_UNKNOWN instead of guessing (query filters are not statuses)', () => {
    for (const raw of ['ALL_WAIT_PAY', 'ALL_CLOSED', 'WAIT_SOMETHING_NEW']) {
      expect(meaningOf(taobaoStatusDictionary, raw, 'Taobao')).toMatchObject({ status: null, hold: { code: 'STATUS_UNKNOWN' } });
      expect(normalizeTaobaoTrade(trade({ status: raw }))).toMatchObject({ status: null, platformStatus: raw, hold: { code: 'STATUS_UNKNOWN' } });
    }
    expect(meaningOf(taobaoStatusDictionary, 'toString', 'Taobao').hold?.code).toBe('STATUS_UNKNOWN');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------------------------

describe('Taobao trades to the fen', () => {
  it("reads a real-shaped trade: line promotion, apportioned shop promotion, payment (a trade TOP returned)", () => {
    const n = normalizeTaobaoTrade(trade());
    expect(n.lines).toEqual([{ sku: 'PP-32', title: '菜板', quantity: 1, unitPrice: 490, discount: 10, platformLineId: '1347456243421196949' }]);
    expect([n.shippingFee, n.discountPlatform, n.discountSeller, n.tax, n.platformTotal, n.paidAmount]).toEqual([0, 0, 300, 0, 180, 180]);
    expect(computeAmounts(n)).toEqual({ goodsAmount: 490, lineDiscountAmount: 10, totalAmount: 180 });
    expect(n.platformCreatedAt).toBe(Date.parse('2020-11-04T14:59:33+08:00'));
    expect(n.sourceUpdatedAt).toBe(Date.parse('2020-11-04T15:00:10+08:00'));
  });

  it("adds up TOP's own example: item-level 29 and 150 off, a 5.00 shop promotion apportioned 1.99/3.01, 5.00 post", () => {
    const n = normalizeTaobaoTrade(
      trade({
        payment: '198.00',
        total_fee: '377.00',
        post_fee: '5.00',
        orders: {
          order: [
            { oid: '1', num: 1, price: '108.00', discount_fee: '29.00', adjust_fee: '0.00', total_fee: '79.00', payment: '79.00', part_mjz_discount: '1.99', outer_sku_id: 'A' },
            { oid: '2', num: 1, price: '269.00', discount_fee: '150.00', adjust_fee: '0.00', total_fee: '119.00', payment: '119.00', part_mjz_discount: '3.01', outer_sku_id: 'B' },
          ],
        },
      }),
    );
    expect(n.lines.map((l) => [l.unitPrice, l.discount])).toEqual([[10800, 2900], [26900, 15000]]);
    expect([n.shippingFee, n.discountSeller, n.discountPlatform]).toEqual([500, 500, 0]);
    expect(computeAmounts(n).totalAmount).toBe(19800);
    expect(n.platformTotal).toBe(19800);
  });

  it('splits platform subsidy and seller promotions, shipping and a manual price change so the parts add up to payment', () => {
    // 2 × 128.00 less 10.00 item promotion, less a 3.33 manual cut; 1 × 39.90 raised by 0.50 by hand; 12.00 post;
    // 20.00 shop promotion apportioned; 8.88 platform subsidy.
    const goodsAfterLines = 25600 - 1000 - 333 + 3990 + 50; // 28307
    const payment = goodsAfterLines + 1200 - 2000 - 888; // 26619
    const n = normalizeTaobaoTrade(
      trade({
        payment: (payment / 100).toFixed(2),
        post_fee: '12.00',
        platform_subsidy_fee: '8.88',
        orders: {
          order: [
            { num: 2, price: '128.00', discount_fee: '10.00', adjust_fee: '-3.33', total_fee: '242.67', part_mjz_discount: '17.71', outer_sku_id: 'TEA' },
            { num: 1, price: '39.90', discount_fee: '0.00', adjust_fee: '0.50', total_fee: '40.40', part_mjz_discount: '2.29', outer_iid: 'CUP' },
          ],
        },
      }),
    );
    expect(n.lines).toEqual([
      { sku: 'TEA', title: 'TEA', quantity: 2, unitPrice: 12800, discount: 1333 },
      // A manual increase is a negative discount: the line still adds up to its total_fee.
      { sku: 'CUP', title: 'CUP', quantity: 1, unitPrice: 3990, discount: -50 },
    ]);
    expect([n.shippingFee, n.discountSeller, n.discountPlatform]).toEqual([1200, 2000, 888]);
    expect(computeAmounts(n).totalAmount).toBe(payment);
    expect(n.platformTotal).toBe(payment);
    expect(n.paidAmount).toBe(payment);
  });

  it("lets the hub see parts that do not add up to Taobao's payment", () => {
    const n = normalizeTaobaoTrade(trade({ payment: '1.81' }));
    expect(n.platformTotal).toBe(181);
    expect(computeAmounts(n).totalAmount).toBe(180);
  });

  it('counts what is paid: nothing while unpaid, the deposit of a presale, nothing on COD until signed, nothing once closed', () => {
    expect(normalizeTaobaoTrade(trade({ status: 'WAIT_BUYER_PAY' })).paidAmount).toBe(0);
    expect(normalizeTaobaoTrade(trade({ status: 'WAIT_BUYER_PAY', step_trade_status: 'FRONT_PAID_FINAL_NOPAID', step_paid_fee: '0.50' })).paidAmount).toBe(50);
    expect(normalizeTaobaoTrade(trade({ type: 'cod', status: 'WAIT_BUYER_CONFIRM_GOODS' })).paidAmount).toBe(0);
    expect(normalizeTaobaoTrade(trade({ type: 'cod', status: 'TRADE_BUYER_SIGNED' })).paidAmount).toBe(180);
    expect(normalizeTaobaoTrade(trade({ status: 'TRADE_CLOSED' })).paidAmount).toBe(0);
    expect(normalizeTaobaoTrade(trade({ status: 'TRADE_FINISHED' })).paidAmount).toBe(180);
  });

  it("keeps TOP's 19-digit tids exactly (a double would round them)", () => {
    const text = '{"trade":{"tid":1347456243421196949,"num":2,"price":"4.90","note":"id 1347456243421196949 in text","x":[12345678901234567,1.5]}}';
    const t = (parseTopJson(text) as { trade: Record<string, unknown> }).trade;
    expect(t).toEqual({ tid: '1347456243421196949', num: 2, price: '4.90', note: 'id 1347456243421196949 in text', x: ['12345678901234567', 1.5] });
    expect(String((JSON.parse(text) as { trade: { tid: number } }).trade.tid)).not.toBe('1347456243421196949');
  });

  it('keeps the masked receiver as Taobao gives it and says it is masked', () => {
    const n = normalizeTaobaoTrade(trade());
    expect(n.receiver).toEqual({ name: '软*', phone: '151********', province: '辽宁省', city: '沈阳市', district: '苏家屯区', address: '民*街道**街**号菜鸟驿**城国**园三期店' });
    expect(n.receiverProtection).toBe('masked');
    expect(n.buyer).toEqual({ id: 'AAHk5d-EAAeGwJedwSFu0XXX', name: '糖**' });
    // A province-administered county comes in receiver_district only: it is the city.
    expect(normalizeTaobaoTrade(trade({ receiver_city: '', receiver_district: '济源市' })).receiver.city).toBe('济源市');
  });

  it('refuses amounts that are not decimals, times that are not TOP times and lines without a quantity', () => {
    expect(() => normalizeTaobaoTrade(trade({ payment: '1.801' }))).toThrow(/payment/);
    expect(() => normalizeTaobaoTrade(trade({ modified: '2020-11-04T15:00:10Z' }))).toThrow(/modified/);
    expect(() => normalizeTaobaoTrade(trade({ orders: { order: [{ num: 0, price: '1.00' }] } }))).toThrow(/num/);
    expect(() => normalizeTaobaoTrade(trade({ orders: { order: [] } }))).toThrow(/no orders/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The simulator's gateway, called with the tests' own signer
// ---------------------------------------------------------------------------------------------------------------

describe('the simulated TOP gateway', () => {
  let sim: PlatformSimulator;
  let creds: TaobaoCredentials;
  const call = async (params: Record<string, string>) => {
    const r = await fetch(`${sims.url}/tb-gateway/router/rest`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(params).toString() });
    return (await r.json()) as Record<string, Record<string, unknown>>;
  };
  const signed = (m: TaobaoSignMethod, extra: Record<string, string> = {}, secret = creds.appSecret): Record<string, string> & { sign: string } => {
    const now = Date.now();
    const p: Record<string, string> = {
      method: 'taobao.trades.sold.increment.get',
      app_key: creds.appKey,
      session: creds.session,
      timestamp: beijingTime(now),
      format: 'json',
      v: '2.0',
      sign_method: m,
      fields: 'tid,status,payment,modified',
      start_modified: beijingTime(now - 3_600_000),
      end_modified: beijingTime(now),
      page_no: '1',
      page_size: '40',
      ...extra,
    };
    return { ...p, sign: ourSign(p, secret, m) };
  };

  beforeAll(() => {
    sim = sims.mount('tb-gateway', taobaoSimulator, 'gateway');
    creds = sim.credentials as unknown as TaobaoCredentials;
    sim.record(simOrder('3805000000000000001', { updatedAt: second(Date.now()) - 60_000 }), '');
  });

  it.each(['md5', 'hmac', 'hmac-sha256'] as const)('answers a call signed with %s in TOP shape, with only the fields asked for', async (m) => {
    const r = await call(signed(m));
    const body = r.trades_sold_increment_get_response as { total_results: number; trades: { trade: Record<string, unknown>[] } };
    expect(body.total_results).toBe(1);
    expect(Object.keys(body.trades.trade[0] ?? {}).sort()).toEqual(['modified', 'payment', 'status', 'tid']);
  });

  it('writes tid as TOP does: a bare 19-digit number, too long for a double', async () => {
    const r = await fetch(`${sims.url}/tb-gateway/router/rest`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(signed('md5')).toString() });
    expect(await r.text()).toContain('"tid":3805000000000000001');
  });

  it('refuses a tampered sign, parameter, secret, timestamp or session with the TOP error', async () => {
    const good = signed('md5');
    const refused = sim.stats.refusedSignature;
    const cases: [string, Record<string, string>, number][] = [
      ['sign changed by one byte', { ...good, sign: flip(good.sign, 3) }, 25],
      ['parameter changed after signing', { ...good, end_modified: flip(good.end_modified ?? '', 18) }, 25],
      ['signed with another secret', signed('md5', {}, `${creds.appSecret}x`), 25],
      ['sign method swapped after signing', { ...good, sign_method: 'hmac' }, 25],
      ['timestamp 11 minutes old', signed('md5', { timestamp: beijingTime(Date.now() - 11 * 60_000) }), 31],
      ['another session', signed('md5', { session: '6100not-the-session' }), 27],
      ['another app key', signed('md5', { app_key: '99999999' }), 29],
    ];
    for (const [name, params, code] of cases) {
      const r = await call(params);
      expect(r.error_response?.code, name).toBe(code);
      expect(r.error_response?.request_id, name).toBeTruthy();
    }
    expect(sim.stats.refusedSignature - refused).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The adapter's pull against the simulator
// ---------------------------------------------------------------------------------------------------------------

describe('the Taobao pull', () => {
  let sim: PlatformSimulator;
  let creds: TaobaoCredentials;
  const from = second(Date.now()) - 5 * 3_600_000 + 500; // not on a whole second: the window starts after it
  const to = from + 4 * 3_600_000;
  const inWindow: SimOrder[] = [];

  beforeAll(() => {
    sim = sims.mount('tb-pull', taobaoSimulator, 'pull');
    creds = sim.credentials as unknown as TaobaoCredentials;
    for (let i = 0; i < 230; i++) {
      const o = simOrder(`38060000000000${String(i).padStart(5, '0')}`, {
        updatedAt: second(from) + 1000 + i * 60_000,
        phase: i % 11 === 0 ? 'shipped' : i % 13 === 0 ? 'completed' : i % 17 === 0 ? 'created' : 'paid',
        discountPlatform: (i % 5) * 100,
        discountSeller: (i % 3) * 333,
        shippingFee: i % 3 === 0 ? 0 : 800,
        lines:
          i % 2 === 0
            ? [{ sku: `TB-${i % 4}`, title: `商品 ${i % 4}`, quantity: 1 + (i % 3), unitPrice: 3990 + i, discount: i % 4 === 0 ? 250 : 0 }]
            : simOrder('x').lines,
      });
      sim.record(o, '');
      inWindow.push(o);
    }
    sim.record(simOrder('3806100000000000001', { updatedAt: second(from) }), ''); // before `from` (which is .500): out
    sim.record(simOrder('3806100000000000002', { updatedAt: second(to) }), ''); // at `to`'s second, still before `to`: in
    inWindow.push(simOrder('3806100000000000002', { updatedAt: second(to) }));
    sim.record(simOrder('3806100000000000003', { updatedAt: second(to) + 1000 }), ''); // after: out
  });

  it('gets every order modified in the window across pages, read from the last page back, with amounts equal to the order', async () => {
    const calls = sim.stats.calls;
    const pages = await pullAll(creds, from, to);
    // 231 trades, 100 a page: page 1 (with the total), then 3, 2, and 1 again.
    expect(sim.stats.calls - calls).toBe(4);
    expect(pages.map((p) => p.length)).toEqual([100, 31, 100, 100]);
    const byId = new Map<string, PulledOrder>();
    for (const p of pages.flat()) byId.set(p.order.platformOrderId, p);
    expect([...byId.keys()].sort()).toEqual(inWindow.map((o) => o.id).sort());
    for (const o of inWindow) {
      const p = byId.get(o.id);
      if (!p) throw new Error(`missing ${o.id}`);
      const n = p.order;
      expect(p.eventId).toBe(`${o.id}@${second(o.updatedAt)}`);
      expect(n.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.discount])).toEqual(o.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.discount]));
      expect([n.shippingFee, n.discountPlatform, n.discountSeller, n.tax]).toEqual([o.shippingFee, o.discountPlatform, o.discountSeller, 0]);
      expect(computeAmounts(n).totalAmount).toBe(simTotal(o));
      expect(n.platformTotal).toBe(simTotal(o));
      expect(n.paidAmount).toBe(o.phase === 'created' ? 0 : simTotal(o));
      expect(n.status).toBe({ created: 'pending_payment', paid: 'paid', shipped: 'shipped', completed: 'completed' }[o.phase as 'paid']);
      expect(n.receiverProtection).toBe('masked');
      expect([n.receiver.name, n.receiver.phone]).toEqual(['韩**', '138****5678']);
      const raw = JSON.parse(p.rawBody.toString('utf8')) as { tid: string; oaid: string };
      expect(raw.tid).toBe(o.id); // 19 digits, exact
      expect(raw.oaid).toMatch(/^1[\w-]{20,}$/); // the handle to decrypt the receiver later, kept with the raw event
    }
  });

  it.each(['hmac', 'hmac-sha256'] as const)('pulls the same way when the account signs with %s', async (m) => {
    const pages = await pullAll({ ...creds, signMethod: m }, from, from + 3_600_000);
    expect(pages.flat().length).toBe(60);
  });

  it('reads in full a trade the list gave only in part (taobao.trade.fullinfo.get)', async () => {
    const partial = sims.mount('tb-partial', (o) => createTaobaoSimulator({ ...o, listOmits: ['orders', 'payment'] }), 'pull');
    const o = simOrder('3806200000000000001', { updatedAt: second(from) + 5000 });
    partial.record(o, '');
    const pages = await pullAll(partial.credentials as unknown as TaobaoCredentials, from, to);
    expect(partial.stats.calls).toBe(2);
    const got = pages.flat();
    expect(got.length).toBe(1);
    expect(got[0]?.order.platformTotal).toBe(simTotal(o));
    expect(got[0]?.order.lines.length).toBe(2);
  });

  it('says authFailed for a wrong secret or session, rateLimited with the ban time when TOP limits calls, and passes a skewed clock on', async () => {
    const badSecret = await pullError(pullAll({ ...creds, appSecret: `${creds.appSecret}x` }, from, to));
    expect([badSecret.code, badSecret.opts.authFailed]).toEqual(['25', true]);
    const badSession = await pullError(pullAll({ ...creds, session: '6100not-the-session' }, from, to));
    expect([badSession.code, badSession.opts.authFailed]).toEqual(['27', true]);
    sim.throttleNext(1);
    const limited = await pullError(pullAll(creds, from, to));
    expect([limited.code, limited.opts.rateLimited, limited.opts.retryAfterMs, limited.opts.authFailed]).toEqual(['7', true, 1000, undefined]);
    const skewed = await pullError(pullAll(creds, from, to, () => Date.now() - 11 * 60_000));
    expect([skewed.code, skewed.opts.authFailed]).toEqual(['31', undefined]);
  });

  it('stays within one day, and asks nothing for a window shorter than a second', async () => {
    expect(taobao.maxPullWindowMs).toBe(86_400_000);
    expect((await pullError(pullAll(creds, to - 86_400_001, to))).code).toBe('WINDOW_TOO_WIDE');
    const calls = sim.stats.calls;
    expect(await pullAll(creds, from, from + 400)).toEqual([]);
    expect(sim.stats.calls).toBe(calls);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Into a real hub
// ---------------------------------------------------------------------------------------------------------------

describe.each(httpBackends)('Taobao orders into the hub on $name', (backend) => {
  let s: TestServer;
  let sim: PlatformSimulator;
  let accountId = '';
  const prefix = `tb-hub-${backend.name.replace(/\W+/g, '-')}`;

  /** What the poller does: pull the window with the account's stored credentials and ingest each order as a raw event. */
  const pullIntoHub = (from: number, to: number) => pullHub(s, taobao as ChannelAdapter<never>, accountId, from, to);
  const count = async (table: string) => Number((await s.hub.db.read.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n);
  const detail = (platformOrderId: string) => orderView(s, platformOrderId);

  beforeAll(async () => {
    sim = sims.mount(prefix, taobaoSimulator, prefix);
    s = await startServer(backend);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: '天猫旗舰店', credentials: { ...sim.credentials, signMethod: 'hmac-sha256' } });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    accountId = a.body.id;
    for (const sku of ['TB-TEA-250', 'TB-CUP']) await setStock(s, sku, 100);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses incomplete credentials for a new account', async () => {
    const r = await s.api<{ error: { message: string } }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'x', credentials: { appKey: 'k', signMethod: 'sha1', apiBase: 'ftp://x' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/appKey.*appSecret.*session.*signMethod.*apiBase/);
  });

  it('stores pulled trades with their status, amounts to the fen and the masked receiver as given; a second pull adds nothing', async () => {
    const now = second(Date.now());
    sim.record(simOrder('3807000000000000001', { updatedAt: now - 600_000 }), '');
    sim.record(simOrder('3807000000000000002', { phase: 'shipped', updatedAt: now - 590_000 }), '');
    const results = await pullIntoHub(now - 3_600_000, now);
    expect(results.map((r) => r.orders[0]?.outcome).sort()).toEqual(['created', 'created']);
    const d = await detail('3807000000000000001');
    expect(d).toMatchObject({ status: 'paid', platformStatus: 'WAIT_SELLER_SEND_GOODS', hold: null });
    // 2 × 128.00 + 39.90 = 295.90 goods, 10.00 off the tea, 10.00 post, 5.00 subsidy, 20.00 shop promotion.
    expect(d.amounts).toEqual({ goods: 29590, lineDiscounts: 1000, shippingFee: 1000, discountPlatform: 500, discountSeller: 2000, tax: 0, total: 27090, paid: 27090 });
    expect((await detail('3807000000000000002')).status).toBe('shipped');
    const row = await s.hub.db.read.get<{ receiver_name: string; receiver_protection: string; receiver_province: string }>(
      'SELECT receiver_name, receiver_protection, receiver_province FROM orders WHERE platform_order_id = ?',
      ['3807000000000000001'],
    );
    expect(row).toEqual({ receiver_name: '韩**', receiver_protection: 'masked', receiver_province: '浙江省' });

    const raw = await count('raw_events');
    const again = await pullIntoHub(now - 3_600_000, now);
    expect(again.every((r) => r.duplicateDelivery)).toBe(true);
    expect(await count('raw_events')).toBe(raw);
  });

  it('holds a paid trade Taobao forbids to ship (PAID_FORBID_CONSIGN) and releases it when shipping is allowed', async () => {
    const now = second(Date.now());
    const id = '3807000000000000010';
    sim.record(simOrder(id, { rawStatus: 'PAID_FORBID_CONSIGN', updatedAt: now - 300_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    expect(await detail(id)).toMatchObject({ status: 'paid', platformStatus: 'PAID_FORBID_CONSIGN', hold: { code: 'PLATFORM_HOLD' } });
    sim.record(simOrder(id, { updatedAt: now - 200_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    expect(await detail(id)).toMatchObject({ status: 'paid', platformStatus: 'WAIT_SELLER_SEND_GOODS', hold: null });
  });

  it('cancels a trade closed after payment, and keeps one in an undocumented status held as STATUS_UNKNOWN', async () => {
    const now = second(Date.now());
    sim.record(simOrder('3807000000000000020', { updatedAt: now - 300_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    sim.record(simOrder('3807000000000000020', { phase: 'cancelled', updatedAt: now - 200_000 }), '');
    sim.record(simOrder('3807000000000000021', { rawStatus: 'WAIT_SOMETHING_NEW', updatedAt: now - 200_000 }), '');
    await pullIntoHub(now - 3_600_000, now);
    expect(await detail('3807000000000000020')).toMatchObject({ status: 'cancelled', platformStatus: 'TRADE_CLOSED' });
    expect(await detail('3807000000000000021')).toMatchObject({ platformStatus: 'WAIT_SOMETHING_NEW', hold: { code: 'STATUS_UNKNOWN' } });
  });
});

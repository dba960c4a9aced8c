// Pinduoduo: pull only. Calls signed by PDD's rule (checked against the tests' own signer, written from PDD's formula
// apart from the adapter and the simulator), orders normalised to the fen against PDD's `pay_amount`, every
// order_status × refund_status combination and the group/deal/deposit states mapped, the encrypted receiver kept as
// given, and pulled orders stored by a real hub.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import { orderView, pullIntoHub as pullHub } from '../support/channels.ts';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { normalizePinduoduoOrder, pinduoduo, pinduoduoSign, type PddOrder, type PinduoduoCredentials } from '../../src/modules/channels/connectors/pinduoduo/index.ts';
import { pinduoduoRawStatus, pinduoduoStatusDictionary } from '../../src/modules/channels/connectors/pinduoduo/status.ts';
import { meaningOf, PullError, type PullContext, type PulledOrder } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';

// ---- the tests' own PDD signer and helpers ------------------------------------------------------------------------

function ourSign(params: Record<string, string>, secret: string): string {
  const body = Object.entries(params)
    .filter(([k]) => k !== 'sign')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => k + v)
    .join('');
  return createHash('md5').update(secret + body + secret).digest('hex').toUpperCase();
}

const second = (ms: number) => Math.floor(ms / 1000) * 1000;
const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

function simOrder(id: string, o: Partial<SimOrder> = {}): SimOrder {
  return {
    id,
    phase: 'paid',
    createdAt: Date.parse('2026-11-11T00:00:05+08:00'),
    updatedAt: Date.parse('2026-11-11T00:10:00+08:00'),
    currency: 'CNY',
    // PDD orders hold one goods line.
    lines: [{ sku: 'PDD-NUT-500', title: '坚果礼盒 500g', quantity: 3, unitPrice: 3990, discount: 300 }],
    shippingFee: 600,
    discountPlatform: 500,
    discountSeller: 1000,
    buyer: { id: 'buyer-9', name: '王小二', phone: '13700002222' },
    receiver: { name: '张三', phone: '13812345678', province: '上海', city: '上海市', district: '浦东新区', address: '张江路 100 弄 5 号 601' },
    ...o,
  };
}

const simTotal = (o: SimOrder) => o.lines.reduce((a, l) => a + l.unitPrice * l.quantity - l.discount, 0) + o.shippingFee - o.discountPlatform - o.discountSeller;

function ctx(credentials: PinduoduoCredentials, from: number, to: number, now: () => number = () => Date.now()): PullContext<PinduoduoCredentials> {
  return { credentials, from, to, fetch, now };
}

async function pullAll(credentials: PinduoduoCredentials, from: number, to: number, now?: () => number): Promise<PulledOrder[][]> {
  const pull = pinduoduo.pull;
  if (!pull) throw new Error('pinduoduo has no pull');
  const pages: PulledOrder[][] = [];
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

/** An order as PDD's JSON gives it (money as yuan numbers), for the normalisation tests. */
function pddOrder(o: Partial<PddOrder> & Record<string, unknown> = {}): PddOrder {
  return {
    order_sn: '231111-518746592038461',
    order_status: 1,
    refund_status: 1,
    confirm_status: 1,
    group_status: 1,
    created_time: '2023-11-11 00:00:05',
    updated_at: '2023-11-11 00:01:00',
    goods_amount: 119.7,
    order_change_amount: 0,
    discount_amount: 15,
    platform_discount: 5,
    seller_discount: 10,
    capital_free_discount: 0,
    postage: 0,
    pay_amount: 104.7,
    item_list: [{ goods_id: 462738461, sku_id: 1182736451, outer_id: 'NUT-500', outer_goods_id: 'NUT', goods_name: '坚果礼盒', goods_spec: '500g', goods_count: 3, goods_price: 39.9 }],
    receiver_name: '~AgAAAAFaUm4EG6E1AQC6nDnGrN0ybB4Nhs/4CEsd2Ks=~P0dJsnXV~1~~',
    receiver_phone: '~AgAAAAFaUm4ECSMIAwC/6sKhZ0NzLBymTgG9J1M3cXs=~mB4J7v1Q~1~~',
    receiver_address: '~AgAAAAFaUm4EFNEbAQDOEdQtIYjyzu8FqzuJ4z2ZuEU=~4Ujl5Pjq~1~~',
    address: '~AgAAAAFaUm4EFNEbAQDOEdQtIYjyzu8FqzuJ4z2ZuEV=~kJ5b8n1Q~1~~',
    receiver_name_mask: '张*',
    receiver_phone_mask: '138****5678',
    receiver_address_mask: '张江路****',
    province: '上海',
    city: '上海市',
    town: '浦东新区',
    ...o,
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

describe('PDD request signing', () => {
  it("matches the tests' own signer: MD5(secret + sorted k1v1… + secret), upper-case hex, sign left out", () => {
    const p = {
      type: 'pdd.order.number.list.increment.get',
      client_id: '4b6f2a7d8e',
      access_token: 'at-0123456789',
      timestamp: '1700000000',
      data_type: 'JSON',
      start_updated_at: '1699999000',
      end_updated_at: '1699999999',
      page: '1',
      sign: 'IGNORED',
    };
    expect(pinduoduoSign(p, 'secret-0123456789')).toBe(ourSign(p, 'secret-0123456789'));
    expect(pinduoduoSign({ b: '2', a: '1' }, 's')).toBe(createHash('md5').update('sa1b2s').digest('hex').toUpperCase());
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The status dictionary
// ---------------------------------------------------------------------------------------------------------------

describe('the Pinduoduo status dictionary', () => {
  // Written out from PDD's documentation: order_status 1 待发货 / 2 已发货待签收 / 3 已签收 × refund_status 1 无售后或售后关闭 /
  // 2 售后处理中 / 3 退款中 / 4 退款成功; group_status 0 拼团中 / 2 团失败; confirm_status 0 未成交 / 2 已取消;
  // step_trade_status 0 定金未付尾款未付 / 1 定金已付尾款未付.
  const expected: Record<string, { anchor: string | null; hold?: string }> = {
    '1/1': { anchor: 'paid' },
    '1/2': { anchor: null, hold: 'PLATFORM_HOLD' },
    '1/3': { anchor: null, hold: 'PLATFORM_HOLD' },
    '1/4': { anchor: 'cancelled' }, // refunded before shipping
    '2/1': { anchor: 'shipped' },
    '2/2': { anchor: null, hold: 'PLATFORM_HOLD' },
    '2/3': { anchor: null, hold: 'PLATFORM_HOLD' },
    '2/4': { anchor: null, hold: 'PLATFORM_HOLD' }, // refunded in transit: refused, intercepted or partial — a person looks
    '3/1': { anchor: 'delivered' },
    '3/2': { anchor: null, hold: 'PLATFORM_HOLD' },
    '3/3': { anchor: null, hold: 'PLATFORM_HOLD' },
    '3/4': { anchor: 'completed' }, // delivered, after-sales closed with a refund
    'group_status:0': { anchor: 'paid', hold: 'PLATFORM_HOLD' },
    'group_status:2': { anchor: 'cancelled' },
    'confirm_status:0': { anchor: 'paid', hold: 'PLATFORM_HOLD' },
    'confirm_status:2': { anchor: 'cancelled' },
    'step_trade_status:0': { anchor: 'pending_payment' },
    'step_trade_status:1': { anchor: 'pending_payment' },
  };

  /** The fields that make each raw status, written out apart from the adapter's reading of them. */
  const fieldsFor = (raw: string): Record<string, unknown> => {
    const [os, rs] = raw.split('/');
    if (rs !== undefined) return { order_status: Number(os), refund_status: Number(rs) };
    const [field, value] = raw.split(':') as [string, string];
    return field === 'step_trade_status' ? { step_order_info: { step_trade_status: Number(value), step_paid_fee: 10 } } : { [field]: Number(value) };
  };

  it('covers every combination and state with the documented meaning', () => {
    expect(Object.keys(pinduoduoStatusDictionary).sort()).toEqual(Object.keys(expected).sort());
    for (const [raw, want] of Object.entries(expected)) {
      const m = pinduoduoStatusDictionary[raw as keyof typeof pinduoduoStatusDictionary];
      expect({ anchor: m.anchor, hold: 'hold' in m ? m.hold : undefined }, raw).toEqual({ anchor: want.anchor, hold: want.hold });
      expect(m.doc.length, raw).toBeGreaterThan(4);
      const n = normalizePinduoduoOrder(pddOrder(fieldsFor(raw)));
      expect([n.platformStatus, n.status, n.hold?.code], raw).toEqual([raw, want.anchor, want.hold]);
    }
  });

  it('reads a failed or unformed deal before the shipping state, and a deposit order before either', () => {
    expect(pinduoduoRawStatus({ order_status: 1, refund_status: 4, group_status: 2, confirm_status: 2 })).toBe('group_status:2');
    expect(pinduoduoRawStatus({ order_status: 1, refund_status: 1, group_status: 0, confirm_status: 0 })).toBe('group_status:0');
    expect(pinduoduoRawStatus({ order_status: 1, refund_status: 1, group_status: 1, confirm_status: 0 })).toBe('confirm_status:0');
    expect(pinduoduoRawStatus({ order_status: 1, refund_status: 1, step_order_info: { step_trade_status: 2 } })).toBe('1/1');
    expect(pinduoduoRawStatus({ order_status: 2, refund_status: 1, step_order_info: null })).toBe('2/1');
  });

  it('holds an unknown combination as STATUS_UNKNOWN instead of guessing', () => {
    for (const [os, rs] of [[4, 1], [1, 5], [2, 0]]) {
      const raw = `${os}/${rs}`;
      expect(meaningOf(pinduoduoStatusDictionary, raw, 'Pinduoduo')).toMatchObject({ status: null, hold: { code: 'STATUS_UNKNOWN' } });
      expect(normalizePinduoduoOrder(pddOrder({ order_status: os, refund_status: rs }))).toMatchObject({ status: null, platformStatus: raw, hold: { code: 'STATUS_UNKNOWN' } });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------------------------

describe('Pinduoduo orders to the fen', () => {
  it('splits platform and seller discounts and postage so the parts add up to pay_amount', () => {
    const n = normalizePinduoduoOrder(pddOrder({ postage: 6, pay_amount: 110.7 }));
    expect(n.lines).toEqual([{ sku: 'NUT-500', title: '坚果礼盒 500g', quantity: 3, unitPrice: 3990, discount: 0 }]);
    expect([n.shippingFee, n.discountPlatform, n.discountSeller, n.tax, n.platformTotal, n.paidAmount]).toEqual([600, 500, 1000, 0, 11070, 11070]);
    expect(computeAmounts(n).totalAmount).toBe(11070);
    expect(n.platformCreatedAt).toBe(Date.parse('2023-11-11T00:00:05+08:00'));
    expect(n.sourceUpdatedAt).toBe(Date.parse('2023-11-11T00:01:00+08:00'));
  });

  it("puts the seller's price change on the line, 团长免单 with the seller, and paid services with shipping", () => {
    // 3 × 39.90 = 119.70, changed by 3.33 → goods_amount 116.37; discounts 5 + 10 + 2.50; postage 6 + 顺丰加价 3.
    const n = normalizePinduoduoOrder(
      pddOrder({
        goods_amount: 116.37,
        order_change_amount: 3.33,
        capital_free_discount: 2.5,
        discount_amount: 17.5,
        postage: 6,
        service_fee_detail: [{ service_fee: 3, service_name: 'sf_express_fee' }],
        pay_amount: 107.87,
      }),
    );
    expect(n.lines[0]?.discount).toBe(333);
    expect([n.shippingFee, n.discountPlatform, n.discountSeller]).toEqual([900, 500, 1250]);
    expect(computeAmounts(n).totalAmount).toBe(10787);
    expect(n.platformTotal).toBe(10787);
  });

  it('keeps a price change over several lines at order level, still to the fen', () => {
    const n = normalizePinduoduoOrder(
      pddOrder({
        item_list: [
          { outer_id: 'A', goods_count: 1, goods_price: 10.01, goods_name: 'a' },
          { outer_id: 'B', goods_count: 2, goods_price: 0.1, goods_name: 'b' },
        ],
        goods_amount: 10.11,
        order_change_amount: 0.1,
        discount_amount: 0,
        platform_discount: 0,
        seller_discount: 0,
        pay_amount: 10.11,
      }),
    );
    expect(n.lines.map((l) => [l.unitPrice, l.quantity, l.discount])).toEqual([[1001, 1, 0], [10, 2, 0]]);
    expect(n.discountSeller).toBe(10);
    expect(computeAmounts(n).totalAmount).toBe(1011);
  });

  it("lets the hub see parts that do not add up to PDD's pay_amount", () => {
    const n = normalizePinduoduoOrder(pddOrder({ pay_amount: 104.71 }));
    expect(n.platformTotal).toBe(10471);
    expect(computeAmounts(n).totalAmount).toBe(10470);
  });

  it('counts what is paid: all of it, the deposit of an unpaid balance, nothing for a cancelled deal', () => {
    expect(normalizePinduoduoOrder(pddOrder()).paidAmount).toBe(10470);
    expect(normalizePinduoduoOrder(pddOrder({ step_order_info: { step_trade_status: 1, step_paid_fee: 20, advanced_paid_fee: 20 } })).paidAmount).toBe(2000);
    expect(normalizePinduoduoOrder(pddOrder({ step_order_info: { step_trade_status: 0, step_paid_fee: 0 } })).paidAmount).toBe(0);
    expect(normalizePinduoduoOrder(pddOrder({ refund_status: 4 })).paidAmount).toBe(0);
    expect(normalizePinduoduoOrder(pddOrder({ group_status: 2 })).paidAmount).toBe(0);
  });

  it('keeps the encrypted receiver as PDD gives it, and the masks once PDD stops sending ciphertext', () => {
    const n = normalizePinduoduoOrder(pddOrder());
    expect(n.receiver).toEqual({
      name: '~AgAAAAFaUm4EG6E1AQC6nDnGrN0ybB4Nhs/4CEsd2Ks=~P0dJsnXV~1~~',
      phone: '~AgAAAAFaUm4ECSMIAwC/6sKhZ0NzLBymTgG9J1M3cXs=~mB4J7v1Q~1~~',
      province: '上海',
      city: '上海市',
      district: '浦东新区',
      address: '~AgAAAAFaUm4EFNEbAQDOEdQtIYjyzu8FqzuJ4z2ZuEU=~4Ujl5Pjq~1~~',
    });
    expect(n.receiverProtection).toBe('encrypted');
    // PDD: ciphertext only while the order awaits shipment; empty strings afterwards.
    const shipped = normalizePinduoduoOrder(pddOrder({ order_status: 2, receiver_name: '', receiver_phone: '', receiver_address: '', address: '' }));
    expect([shipped.receiver.name, shipped.receiver.phone, shipped.receiver.address, shipped.receiverProtection]).toEqual(['张*', '138****5678', '张江路****', 'masked']);
  });

  it('refuses amounts that are not decimals, times that are not PDD times and items without a count', () => {
    expect(() => normalizePinduoduoOrder(pddOrder({ pay_amount: 104.705 }))).toThrow(/pay_amount/);
    expect(() => normalizePinduoduoOrder(pddOrder({ updated_at: '1699632060' }))).toThrow(/updated_at/);
    expect(() => normalizePinduoduoOrder(pddOrder({ item_list: [{ outer_id: 'A', goods_count: 0, goods_price: 1 }] }))).toThrow(/goods_count/);
    expect(() => normalizePinduoduoOrder(pddOrder({ order_sn: '' }))).toThrow(/order_sn/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The simulator's gateway, called with the tests' own signer
// ---------------------------------------------------------------------------------------------------------------

describe('the simulated PDD gateway', () => {
  let sim: PlatformSimulator;
  let creds: PinduoduoCredentials;
  const post = async (body: string, contentType = 'application/json') => {
    const r = await fetch(`${sims.url}/pdd-gateway/api/router`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return (await r.json()) as Record<string, Record<string, unknown>>;
  };
  const signed = (extra: Record<string, string> = {}, secret = creds.clientSecret): Record<string, string> & { sign: string } => {
    const now = Math.floor(Date.now() / 1000);
    const p: Record<string, string> = {
      type: 'pdd.order.number.list.increment.get',
      client_id: creds.clientId,
      access_token: creds.accessToken,
      timestamp: String(now),
      data_type: 'JSON',
      order_status: '5',
      refund_status: '5',
      is_lucky_flag: '0',
      start_updated_at: String(now - 1700),
      end_updated_at: String(now),
      page: '1',
      page_size: '100',
      ...extra,
    };
    return { ...p, sign: ourSign(p, secret) };
  };

  beforeAll(() => {
    sim = sims.mount('pdd-gateway', pinduoduoSimulator, 'gateway');
    creds = sim.credentials as unknown as PinduoduoCredentials;
    sim.record(simOrder('231111-000000000000001', { updatedAt: second(Date.now()) - 60_000 }), '');
    // A buyer's unpaid order never reaches the seller on PDD.
    sim.record(simOrder('231111-000000000000002', { phase: 'created', updatedAt: second(Date.now()) - 60_000 }), '');
  });

  it('answers a signed call, JSON or form, in PDD shape (money as yuan numbers, paid orders only)', async () => {
    for (const [body, ct] of [
      [JSON.stringify(signed()), 'application/json'],
      [new URLSearchParams(signed()).toString(), 'application/x-www-form-urlencoded'],
    ] as const) {
      const r = await post(body, ct);
      const res = r.order_sn_increment_get_response as { total_count: number; order_sn_list: Record<string, unknown>[] };
      expect(res.total_count).toBe(1);
      expect(res.order_sn_list[0]).toMatchObject({ order_sn: '231111-000000000000001', order_status: 1, refund_status: 1, pay_amount: 107.7, goods_amount: 116.7, postage: 6 });
      expect(res.order_sn_list[0]?.receiver_name).toMatch(/^~AgAAAA.+~.+~1~~$/);
    }
  });

  it('refuses a tampered sign, parameter, secret, timestamp or token with the PDD error', async () => {
    const good = signed();
    const refused = sim.stats.refusedSignature;
    const cases: [string, Record<string, string>, number][] = [
      ['sign changed by one byte', { ...good, sign: flip(good.sign, 3) }, 20004],
      ['parameter changed after signing', { ...good, end_updated_at: flip(good.end_updated_at ?? '', 9) }, 20004],
      ['signed with another secret', signed({}, `${creds.clientSecret}x`), 20004],
      ['timestamp 11 minutes old', signed({ timestamp: String(Math.floor(Date.now() / 1000) - 660) }), 10001],
      ['another access token', signed({ access_token: 'not-the-token-000' }), 10019],
      ['another client', signed({ client_id: 'ffffffffffffffffffffffffffffffff' }), 10016],
    ];
    for (const [name, params, code] of cases) {
      const r = await post(JSON.stringify(params));
      expect(r.error_response?.error_code, name).toBe(code);
    }
    expect(sim.stats.refusedSignature - refused).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The adapter's pull against the simulator
// ---------------------------------------------------------------------------------------------------------------

describe('the Pinduoduo pull', () => {
  let sim: PlatformSimulator;
  let creds: PinduoduoCredentials;
  const from = second(Date.now()) - 40 * 60_000 + 500; // not on a whole second: the window starts after it
  const to = from + 30 * 60_000;
  const inWindow: SimOrder[] = [];

  beforeAll(() => {
    sim = sims.mount('pdd-pull', pinduoduoSimulator, 'pull');
    creds = sim.credentials as unknown as PinduoduoCredentials;
    for (let i = 0; i < 230; i++) {
      const o = simOrder(`231111-1${String(i).padStart(14, '0')}`, {
        updatedAt: second(from) + 1000 + i * 7000,
        phase: i % 11 === 0 ? 'shipped' : i % 13 === 0 ? 'delivered' : 'paid',
        discountPlatform: (i % 5) * 100,
        discountSeller: (i % 3) * 333,
        shippingFee: i % 3 === 0 ? 0 : 600,
        lines: [{ sku: `PDD-${i % 4}`, title: `商品 ${i % 4}`, quantity: 1 + (i % 3), unitPrice: 1990 + i, discount: i % 4 === 0 ? 250 : 0 }],
      });
      sim.record(o, '');
      inWindow.push(o);
    }
    sim.record(simOrder('231111-200000000000001', { updatedAt: second(from) }), ''); // before `from` (which is .500): out
    sim.record(simOrder('231111-200000000000002', { updatedAt: second(to) }), ''); // at `to`'s second, before `to`: in
    inWindow.push(simOrder('231111-200000000000002', { updatedAt: second(to) }));
    sim.record(simOrder('231111-200000000000003', { updatedAt: second(to) + 1000 }), ''); // after: out
    sim.record(simOrder('231111-200000000000004', { phase: 'created', updatedAt: second(from) + 5000 }), ''); // unpaid: PDD never lists it
  });

  it('gets every order updated in the window across pages, read from the last page back, with amounts equal to the order', async () => {
    const calls = sim.stats.calls;
    const pages = await pullAll(creds, from, to);
    expect(sim.stats.calls - calls).toBe(4); // 231 orders: page 1 (with the total), 3, 2, then 1 again
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
      expect(n.paidAmount).toBe(simTotal(o));
      expect(n.status).toBe({ paid: 'paid', shipped: 'shipped', delivered: 'delivered' }[o.phase as 'paid']);
      // Ciphertext while awaiting shipment, masks afterwards.
      expect(n.receiverProtection).toBe(o.phase === 'paid' ? 'encrypted' : 'masked');
      expect(n.receiver.name).not.toContain('张三');
      expect((JSON.parse(p.rawBody.toString('utf8')) as { order_sn: string }).order_sn).toBe(o.id);
    }
  });

  it('says authFailed for a wrong secret or token, rateLimited when PDD limits calls, and passes a skewed clock on', async () => {
    const badSecret = await pullError(pullAll({ ...creds, clientSecret: `${creds.clientSecret}x` }, from, to));
    expect([badSecret.code, badSecret.opts.authFailed]).toEqual(['20004', true]);
    const badToken = await pullError(pullAll({ ...creds, accessToken: 'not-the-token-000' }, from, to));
    expect([badToken.code, badToken.opts.authFailed]).toEqual(['10019', true]);
    sim.throttleNext(1);
    const limited = await pullError(pullAll(creds, from, to));
    expect([limited.code, limited.opts.rateLimited, limited.opts.authFailed]).toEqual(['70031', true, undefined]);
    expect(limited.opts.retryAfterMs).toBeGreaterThan(0);
    const skewed = await pullError(pullAll(creds, from, to, () => Date.now() - 11 * 60_000));
    expect([skewed.code, skewed.opts.authFailed]).toEqual(['10001', undefined]);
  });

  it('stays within 30 minutes, and asks nothing for a window shorter than a second', async () => {
    expect(pinduoduo.maxPullWindowMs).toBe(30 * 60_000);
    expect((await pullError(pullAll(creds, to - 30 * 60_000 - 1, to))).code).toBe('WINDOW_TOO_WIDE');
    const calls = sim.stats.calls;
    expect(await pullAll(creds, from, from + 400)).toEqual([]);
    expect(sim.stats.calls).toBe(calls);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Into a real hub
// ---------------------------------------------------------------------------------------------------------------

describe.each(httpBackends)('Pinduoduo orders into the hub on $name', (backend) => {
  let s: TestServer;
  let sim: PlatformSimulator;
  let accountId = '';
  const prefix = `pdd-hub-${backend.name.replace(/\W+/g, '-')}`;

  /** What the poller does: pull the window with the account's stored credentials and ingest each order as a raw event. */
  const pullIntoHub = (from: number, to: number) => pullHub(s, pinduoduo as ChannelAdapter<never>, accountId, from, to);
  const count = async (table: string) => Number((await s.hub.db.read.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n);
  const detail = (platformOrderId: string) => orderView(s, platformOrderId);

  beforeAll(async () => {
    sim = sims.mount(prefix, pinduoduoSimulator, prefix);
    s = await startServer(backend);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'pinduoduo', name: '拼多多店', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    accountId = a.body.id;
    await setStock(s, 'PDD-NUT-500', 100);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses incomplete credentials for a new account', async () => {
    const r = await s.api<{ error: { message: string } }>('POST', '/api/channel-accounts', { platform: 'pinduoduo', name: 'x', credentials: { clientId: 'c', apiBase: 'ftp://x' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/clientId.*clientSecret.*accessToken.*apiBase/);
  });

  it('stores pulled orders with their status, amounts to the fen and the encrypted receiver as given; a second pull adds nothing', async () => {
    const now = second(Date.now());
    sim.record(simOrder('231111-300000000000001', { updatedAt: now - 600_000 }), '');
    sim.record(simOrder('231111-300000000000002', { phase: 'shipped', updatedAt: now - 590_000 }), '');
    const results = await pullIntoHub(now - 1_200_000, now);
    expect(results.map((r) => r.orders[0]?.outcome).sort()).toEqual(['created', 'created']);
    const d = await detail('231111-300000000000001');
    expect(d).toMatchObject({ status: 'paid', platformStatus: '1/1', hold: null });
    // 3 × 39.90 = 119.70, 3.00 price change on the line, 6.00 postage, 5.00 platform, 10.00 shop discount.
    expect(d.amounts).toEqual({ goods: 11970, lineDiscounts: 300, shippingFee: 600, discountPlatform: 500, discountSeller: 1000, tax: 0, total: 10770, paid: 10770 });
    expect((await detail('231111-300000000000002')).status).toBe('shipped');
    const row = await s.hub.db.read.get<{ receiver_name: string; receiver_protection: string; receiver_city: string }>(
      'SELECT receiver_name, receiver_protection, receiver_city FROM orders WHERE platform_order_id = ?',
      ['231111-300000000000001'],
    );
    expect(row?.receiver_protection).toBe('encrypted');
    expect(row?.receiver_name).toMatch(/^~AgAAAA.+~1~~$/);
    expect(row?.receiver_city).toBe('上海市');

    const raw = await count('raw_events');
    const again = await pullIntoHub(now - 1_200_000, now);
    expect(again.every((r) => r.duplicateDelivery)).toBe(true);
    expect(await count('raw_events')).toBe(raw);
  });

  it('holds a paid group buy until it forms, and an order with a refund asked before shipping (never cancelled)', async () => {
    const now = second(Date.now());
    const id = '231111-300000000000010';
    sim.record(simOrder(id, { rawStatus: 'group_status:0', updatedAt: now - 300_000 }), '');
    await pullIntoHub(now - 1_200_000, now);
    expect(await detail(id)).toMatchObject({ status: 'paid', platformStatus: 'group_status:0', hold: { code: 'PLATFORM_HOLD' } });
    sim.record(simOrder(id, { updatedAt: now - 200_000 }), '');
    await pullIntoHub(now - 1_200_000, now);
    expect(await detail(id)).toMatchObject({ status: 'paid', platformStatus: '1/1', hold: null });
    sim.record(simOrder(id, { rawStatus: '1/3', updatedAt: now - 100_000 }), '');
    await pullIntoHub(now - 1_200_000, now);
    expect(await detail(id)).toMatchObject({ status: 'paid', platformStatus: '1/3', hold: { code: 'PLATFORM_HOLD' } });
  });

  it('cancels an order refunded before shipping, and keeps one in an undocumented state held as STATUS_UNKNOWN', async () => {
    const now = second(Date.now());
    sim.record(simOrder('231111-300000000000020', { phase: 'cancelled', updatedAt: now - 300_000 }), '');
    sim.record(simOrder('231111-300000000000021', { rawStatus: '4/1', updatedAt: now - 300_000 }), '');
    await pullIntoHub(now - 1_200_000, now);
    expect(await detail('231111-300000000000020')).toMatchObject({ status: 'cancelled', platformStatus: '1/4' });
    expect(await detail('231111-300000000000021')).toMatchObject({ platformStatus: '4/1', hold: { code: 'STATUS_UNKNOWN' } });
  });
});

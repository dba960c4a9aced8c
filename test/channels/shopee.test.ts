// Shopee in: pushes signed for the registered callback URL (checked here by a third signer, apart from the adapter and
// the simulator), refused when anything is changed; statuses as the dictionary says; orders pulled from the
// simulator's API over loopback, page by page, to the cent.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { shopeeSimulator } from '../../src/sandbox/simulators/shopee.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import {
  fetchShopeeOrders,
  normalizeShopeeOrder,
  shopee,
  shopeeOrderChange,
  type ShopeeCredentials,
  type ShopeeEscrowDetail,
  type ShopeeOrderDetail,
} from '../../src/modules/channels/connectors/shopee/index.ts';
import { shopeeStatusDictionary } from '../../src/modules/channels/connectors/shopee/status.ts';
import { meaningOf, PullError, type PulledOrder, type PushRequest } from '../../src/modules/channels/connectors/types.ts';
import { computeAmounts } from '../../src/modules/orders/domain/order.ts';
import { HubError } from '../../src/kernel/errors.ts';

/** Shopee's push signature as its documentation writes it: hex HMAC-SHA256(partner key, url + "|" + body). */
const signPush = (key: string, url: string, body: string) => createHmac('sha256', key).update(`${url}|${body}`).digest('hex');
/** Shopee's shop-level API sign: hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id). */
const signApi = (key: string, parts: string[]) => createHmac('sha256', key).update(parts.join('')).digest('hex');
const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

const base = Date.UTC(2026, 5, 1, 2, 0, 0);
const sn = (i: number) => `260601${i.toString(36).toUpperCase().padStart(8, '0')}`;

/** 3 × 29.90 − 3.01 + 15.50 + 6.90 shipping − 5.00 Shopee − 3.00 seller = 101.09 MYR. */
function simOrder(id: string, o: Partial<SimOrder> = {}): SimOrder {
  return {
    id,
    phase: 'paid',
    createdAt: base,
    updatedAt: base + 60_000,
    currency: 'MYR',
    lines: [
      { sku: 'SHP-TEE-RED', title: 'Cotton tee', quantity: 3, unitPrice: 2990, discount: 301 },
      { sku: 'SHP-MUG', title: 'Mug', quantity: 1, unitPrice: 1550, discount: 0 },
    ],
    shippingFee: 690,
    discountPlatform: 500,
    discountSeller: 300,
    buyer: { id: 'b-1', name: 'amira_88', phone: '60123456789' },
    receiver: { name: 'Amira', phone: '60123456789', province: 'Selangor', city: 'Petaling Jaya', district: 'SS2', address: '12 Jalan SS2/24' },
    ...o,
  };
}
const totalOf = (o: SimOrder) => o.lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0) + o.shippingFee - o.discountPlatform - o.discountSeller;

function creds(sim: PlatformSimulator): ShopeeCredentials {
  return sim.credentials as unknown as ShopeeCredentials;
}
async function pullAll(c: ShopeeCredentials, from: number, to: number): Promise<PulledOrder[][]> {
  const pages: PulledOrder[][] = [];
  for await (const page of shopee.pull!({ credentials: c, from, to, fetch, now: Date.now })) pages.push(page);
  return pages;
}
async function pullError(c: ShopeeCredentials, from: number, to: number): Promise<PullError> {
  try {
    await pullAll(c, from, to);
  } catch (e) {
    if (e instanceof PullError) return e;
    throw e;
  }
  throw new Error('the pull did not fail');
}

describe('the Shopee status dictionary', () => {
  it('maps every documented order_status as written out here, and refuses to guess an unknown one', () => {
    const expected: Record<string, [string | null, string?]> = {
      UNPAID: ['pending_payment'],
      PENDING: [null, 'PLATFORM_HOLD'],
      INVOICE_PENDING: ['paid'],
      READY_TO_SHIP: ['paid'],
      PROCESSED: ['paid'],
      RETRY_SHIP: ['paid'],
      SHIPPED: ['shipped'],
      TO_CONFIRM_RECEIVE: ['delivered'],
      IN_CANCEL: [null, 'PLATFORM_HOLD'],
      CANCELLED: ['cancelled'],
      TO_RETURN: [null, 'PLATFORM_HOLD'],
      COMPLETED: ['completed'],
    };
    expect(Object.keys(shopeeStatusDictionary).sort()).toEqual(Object.keys(expected).sort());
    for (const [raw, [anchor, hold]] of Object.entries(expected)) {
      const m = shopeeStatusDictionary[raw as keyof typeof shopeeStatusDictionary];
      expect([m.anchor, 'hold' in m ? m.hold : undefined], raw).toEqual([anchor, hold]);
      expect(m.doc.length, raw).toBeGreaterThan(10);
      const seen = meaningOf(shopeeStatusDictionary, raw, 'Shopee');
      expect(seen.status, raw).toBe(anchor);
      expect(seen.hold?.code, raw).toBe(hold);
    }
    expect(meaningOf(shopeeStatusDictionary, 'AWAITING_SOMETHING', 'Shopee')).toMatchObject({ status: null, hold: { code: 'STATUS_UNKNOWN' } });
    expect(meaningOf(shopeeStatusDictionary, 'toString', 'Shopee').hold?.code).toBe('STATUS_UNKNOWN');
  });
});

describe('Shopee orders normalised', () => {
  const detail = (o: Partial<ShopeeOrderDetail> = {}): ShopeeOrderDetail => ({
    order_sn: '260602MYR00001',
    currency: 'MYR',
    order_status: 'READY_TO_SHIP',
    create_time: 1_780_000_000,
    update_time: 1_780_000_300,
    cod: false,
    pay_time: 1_780_000_060,
    total_amount: 116.9,
    buyer_user_id: 55_123,
    buyer_username: 'kl_buyer',
    recipient_address: { name: 'Tan Mei Ling', phone: '60129876543', town: '', district: 'Cheras', city: 'Kuala Lumpur', state: 'Wilayah Persekutuan', region: 'MY', zipcode: '56000', full_address: '8 Jalan Cheras, 56000 Kuala Lumpur' },
    item_list: [
      { item_id: 1, item_name: 'Tee', item_sku: 'TEE', model_id: 11, model_name: 'Red, M', model_sku: 'TEE-R-M', model_quantity_purchased: 3, model_original_price: 33.34, model_discounted_price: 31.67 },
      { item_id: 2, item_name: 'Cap', item_sku: 'CAP', model_id: 0, model_name: '', model_sku: '', model_quantity_purchased: 1, model_original_price: 25.9, model_discounted_price: 25.9 },
    ],
    ...o,
  });
  // 100.00 (3 pcs) − 5.00 seller − 2.50 Shopee + 25.90 + 6.90 shipping + 0.30 transaction fee
  // − 3.00 Shopee voucher − 1.20 coins − 0.50 payment promotion − 4.00 seller voucher = 116.90
  const escrow = (income: Record<string, unknown> = {}): ShopeeEscrowDetail => ({
    order_sn: '260602MYR00001',
    order_income: {
      items: [
        { item_id: 1, item_name: 'Tee', item_sku: 'TEE', model_id: 11, model_name: 'Red, M', model_sku: 'TEE-R-M', quantity_purchased: 3, original_price: 100, seller_discount: 5, shopee_discount: 2.5 },
        { item_id: 2, item_name: 'Cap', item_sku: 'CAP ', model_id: 0, model_name: '', model_sku: '', quantity_purchased: 1, original_price: 25.9, seller_discount: 0, shopee_discount: 0 },
      ],
      voucher_from_shopee: 3,
      coins: 1.2,
      payment_promotion: 0.5,
      voucher_from_seller: 4,
      buyer_paid_shipping_fee: 6.9,
      buyer_transaction_fee: 0.3,
      cross_border_tax: 0,
      buyer_total_amount: 116.9,
      ...income,
    },
  });

  it('splits platform-borne and seller-borne discounts, shipping and fees, adding up to buyer_total_amount to the cent', () => {
    const n = normalizeShopeeOrder(detail(), escrow());
    expect(n.lines).toEqual([
      // 100.00 for 3 does not split: 33.34 each, the 0.02 over goes into the line discount with the seller's 5.00.
      { sku: 'TEE-R-M', title: 'Tee · Red, M', quantity: 3, unitPrice: 3334, discount: 502 },
      { sku: 'CAP', title: 'Cap', quantity: 1, unitPrice: 2590, discount: 0 },
    ]);
    expect(n).toMatchObject({ shippingFee: 690, discountPlatform: 250 + 300 + 120 + 50, discountSeller: 400, tax: 30, platformTotal: 11_690, paidAmount: 11_690 });
    expect(computeAmounts(n).totalAmount).toBe(11_690);
    expect(n).toMatchObject({
      platformOrderId: '260602MYR00001',
      status: 'paid',
      platformStatus: 'READY_TO_SHIP',
      currency: 'MYR',
      platformCreatedAt: 1_780_000_000_000,
      sourceUpdatedAt: 1_780_000_300_000,
      buyer: { id: '55123', name: 'kl_buyer' },
      receiver: { name: 'Tan Mei Ling', phone: '60129876543', province: 'Wilayah Persekutuan', city: 'Kuala Lumpur', district: 'Cheras', address: '8 Jalan Cheras, 56000 Kuala Lumpur' },
    });
    expect(n.hold).toBeUndefined();
    expect(n.receiverProtection).toBeUndefined();
  });

  it('takes currencies without minor units as whole numbers (VND), and a wrong total stays visible to the hub', () => {
    const d = detail({ order_sn: '260602VND00001', currency: 'VND', total_amount: 154_500, item_list: [] });
    const e = {
      order_sn: '260602VND00001',
      order_income: {
        items: [{ item_id: 9, item_name: 'Ao thun', model_id: 0, item_sku: 'AO-1', quantity_purchased: 2, original_price: 150_000, seller_discount: 0, shopee_discount: 0 }],
        buyer_paid_shipping_fee: 15_000,
        voucher_from_shopee: 10_000,
        coins: 500,
        voucher_from_seller: 0,
        buyer_total_amount: 154_500,
      },
    };
    const n = normalizeShopeeOrder(d, e);
    expect(n.lines).toEqual([{ sku: 'AO-1', title: 'Ao thun', quantity: 2, unitPrice: 75_000, discount: 0 }]);
    expect(n).toMatchObject({ shippingFee: 15_000, discountPlatform: 10_500, discountSeller: 0, tax: 0, platformTotal: 154_500, paidAmount: 154_500 });
    expect(computeAmounts(n).totalAmount).toBe(154_500);
    const off = normalizeShopeeOrder(d, { ...e, order_income: { ...e.order_income, buyer_total_amount: 154_501 } });
    expect(computeAmounts(off).totalAmount).not.toBe(off.platformTotal);
  });

  it('knows only the lines of an unpaid order (no escrow yet): list price and item promotion, nothing to check a total against', () => {
    const n = normalizeShopeeOrder(
      detail({
        order_status: 'UNPAID',
        pay_time: null,
        total_amount: undefined,
        item_list: [
          { item_id: 1, item_name: 'Tee', model_id: 11, model_sku: 'TEE-R-M', model_quantity_purchased: 2, model_original_price: 29.9, model_discounted_price: 25.9 },
          { item_id: 3, item_name: 'Bundle sock', model_id: 0, item_sku: 'SOCK', model_quantity_purchased: 1, model_original_price: 9.9, model_discounted_price: 0 },
        ],
      }),
      null,
    );
    expect(n.lines).toEqual([
      { sku: 'TEE-R-M', title: 'Tee', quantity: 2, unitPrice: 2990, discount: 800 },
      { sku: 'SOCK', title: 'Bundle sock', quantity: 1, unitPrice: 990, discount: 0 },
    ]);
    expect(n).toMatchObject({ status: 'pending_payment', shippingFee: 0, discountPlatform: 0, discountSeller: 0, paidAmount: 0 });
    expect(n.platformTotal).toBeUndefined();
  });

  it('marks receiver data Shopee masked, keeps it as given, and never guesses an unknown status', () => {
    const tw = normalizeShopeeOrder(
      detail({ currency: 'TWD', order_status: 'SHIPPING_SOMETHING_NEW', recipient_address: { name: '****', phone: '****', city: '****', state: '****', full_address: '****' } }),
      escrow(),
    );
    expect(tw.receiverProtection).toBe('masked');
    expect(tw.receiver).toMatchObject({ name: '****', phone: '****', address: '****' });
    expect(tw).toMatchObject({ status: null, hold: { code: 'STATUS_UNKNOWN' } });
    const partly = normalizeShopeeOrder(detail({ recipient_address: { name: 'T*** M*** L***', phone: '******43', full_address: 'Jalan ****' } }), escrow());
    expect(partly.receiverProtection).toBe('masked');
    const held = normalizeShopeeOrder(detail({ order_status: 'IN_CANCEL' }), escrow());
    expect(held).toMatchObject({ status: null, hold: { code: 'PLATFORM_HOLD' } });
    expect(held.paidAmount).toBe(11_690);
  });

  it('refuses fractions of a cent and a missing total instead of rounding', () => {
    const frac = () => normalizeShopeeOrder(detail(), escrow({ buyer_paid_shipping_fee: 6.905 }));
    expect(frac).toThrow(HubError);
    expect(frac).toThrow(/more decimals than MYR/);
    expect(() => normalizeShopeeOrder(detail(), escrow({ buyer_total_amount: undefined }))).toThrow(/buyer_total_amount is missing/);
  });
});

describe('Shopee push verification', () => {
  const c: ShopeeCredentials = { partnerId: '2001887', partnerKey: 'shpk5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d', shopId: '727720655', accessToken: 'token-0123456789' };
  const url = 'https://hub.example.com/hooks/shopee/acc-1';
  const req = (body: string, headers: Record<string, string> = {}, now = 1_660_123_127_000): PushRequest => ({
    headers: { authorization: signPush(c.partnerKey, url, body), ...headers },
    rawBody: Buffer.from(body),
    now,
    url,
  });

  it("takes Shopee's own example, and gives each kind of push an id that a redelivery repeats", () => {
    const official = '{"data":{"items":[],"ordersn":"220810QSK8S7BX","status":"PROCESSED","completed_scenario":"","update_time":1660123127},"shop_id":727720655,"code":3,"timestamp":1660123127}';
    expect(shopee.verifyPush!(req(official), c, 300).eventId).toBe('727720655:3:220810QSK8S7BX:PROCESSED:1660123127');
    expect(shopee.parsePush!(Buffer.from(official), { eventId: 'x', keptHeaders: {} })).toEqual([]);
    expect(shopeeOrderChange(Buffer.from(official))).toEqual({ code: 3, shopId: '727720655', platformOrderId: '220810QSK8S7BX', platformStatus: 'PROCESSED', sourceUpdatedAt: 1_660_123_127_000 });
    const tracking = '{"data":{"ordersn":"220810QSK8S7BX","forder_id":"123","package_number":"OFG1","tracking_no":"MY2281234"},"shop_id":727720655,"code":4,"timestamp":1660123127}';
    expect(shopee.verifyPush!(req(tracking), c, 300).eventId).toBe('727720655:4:220810QSK8S7BX:OFG1:MY2281234');
    expect(shopeeOrderChange(Buffer.from(tracking))).toMatchObject({ code: 4, platformOrderId: '220810QSK8S7BX' });
    const promo = '{"data":{"promotion_id":1},"shop_id":727720655,"code":9,"timestamp":1660123127}';
    const id = shopee.verifyPush!(req(promo), c, 300).eventId;
    expect(id).toMatch(/^727720655:9:1660123127:[0-9a-f]{32}$/);
    expect(shopee.verifyPush!(req(promo), c, 300).eventId).toBe(id);
    expect(shopeeOrderChange(Buffer.from(promo))).toBeNull();
    // With the console's separate push key, it alone signs: the API key no longer does.
    const withPushKey = { ...c, pushPartnerKey: 'push-key-0123456789abcdef' };
    expect(shopee.verifyPush!({ ...req(official), headers: { authorization: signPush(withPushKey.pushPartnerKey, url, official) } }, withPushKey, 300).eventId).toMatch(/^727720655:3:/);
    expect(() => shopee.verifyPush!(req(official), withPushKey, 300)).toThrow(/does not match/);
    // The console's check of a new callback URL: an empty POST, answered and not stored.
    expect(shopee.verifyPush!({ headers: {}, rawBody: Buffer.alloc(0), now: 0, url }, c, 300)).toMatchObject({ ping: true });
    expect(() => shopee.verifyPush!(req('{"shop_id":727720655,"code":3,"timestamp":1660123127,"data":{}}'), c, 300)).toThrow(/needs data.ordersn/);
  });
});

describe('the Shopee simulator', () => {
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('shopee', shopeeSimulator, 'oracle');
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('signs pushes for the URL it is given, as Shopee documents', () => {
    const c = creds(sim);
    const [push] = sim.record(simOrder(sn(1)), 'https://hub.example.com/hooks/shopee/a1');
    expect(c.pushPartnerKey).not.toBe(c.partnerKey);
    expect(push!.headers.authorization).toBe(signPush(c.pushPartnerKey!, 'https://hub.example.com/hooks/shopee/a1', push!.body));
    expect(JSON.parse(push!.body)).toMatchObject({ code: 3, shop_id: Number(c.shopId), data: { ordersn: sn(1), status: 'READY_TO_SHIP', update_time: (base + 60_000) / 1000 } });
  });

  it('answers a request signed by hand, and refuses a tampered sign, an old timestamp, a wrong token with Shopee errors', async () => {
    const c = creds(sim);
    const path = '/api/v2/order/get_order_detail';
    const get = async (ts: number, mutate: (q: URLSearchParams) => void = () => {}) => {
      const q = new URLSearchParams({ partner_id: c.partnerId, timestamp: String(ts), access_token: c.accessToken, shop_id: c.shopId, order_sn_list: sn(1) });
      q.set('sign', signApi(c.partnerKey, [c.partnerId, path, String(ts), c.accessToken, c.shopId]));
      mutate(q);
      const r = await fetch(`${c.apiBase}${path}?${q.toString()}`);
      return { status: r.status, body: (await r.json()) as { error: string; message: string; response?: { order_list: { order_sn: string }[] } } };
    };
    const now = Math.floor(Date.now() / 1000);
    const ok = await get(now);
    expect(ok.status).toBe(200);
    expect(ok.body.error).toBe('');
    expect(ok.body.response?.order_list.map((o) => o.order_sn)).toEqual([sn(1)]);
    const refusedBefore = sim.stats.refusedSignature;
    const tampered = await get(now, (q) => q.set('sign', flip(q.get('sign')!, 10)));
    expect([tampered.status, tampered.body.error, tampered.body.message]).toEqual([403, 'error_sign', 'Wrong sign.']);
    expect(sim.stats.refusedSignature).toBe(refusedBefore + 1);
    expect((await get(now, (q) => q.set('shop_id', '1'))).body.error).toBe('error_sign');
    expect((await get(now - 600)).body).toMatchObject({ error: 'error_param', message: 'Timestamp is expired.' });
    const wrongToken = await get(now, (q) => {
      q.set('access_token', 'not-the-token');
      q.set('sign', signApi(c.partnerKey, [c.partnerId, path, String(now), 'not-the-token', c.shopId]));
    });
    expect(wrongToken.body).toMatchObject({ error: 'error_auth', message: 'Invalid access_token.' });
  });
});

describe('pulling Shopee orders from the simulator', () => {
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  const from = base + 500; // not on a whole second: Shopee's seconds must be cut to the window
  const to = base + 3 * 3_600_000 + 500;
  const inside: SimOrder[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('shopee', shopeeSimulator, 'pull');
    const hook = 'https://hub.example.com/hooks/shopee/x';
    for (let i = 0; i < 230; i++) {
      const phase = (['paid', 'shipped', 'delivered', 'completed', 'created', 'cancelled'] as const)[i % 6]!;
      const unpaid = phase === 'created' || phase === 'cancelled';
      const o = simOrder(sn(1000 + i), {
        phase,
        updatedAt: base + 1_000 + i * 40_000,
        currency: i % 5 === 0 ? 'IDR' : 'MYR',
        lines: [
          // Unpaid orders show item promotions per unit only: keep theirs divisible by the quantity.
          { sku: `SHP-${i % 7}`, title: `Item ${i % 7}`, quantity: 1 + (i % 3), unitPrice: 1000 + i * 13, discount: unpaid ? (1 + (i % 3)) * (i % 4) : i % 11 },
          ...(i % 2 ? [{ sku: 'SHP-MUG', title: 'Mug', quantity: 2, unitPrice: 1550, discount: 0 }] : []),
        ],
        shippingFee: i % 4 ? 690 : 0,
        discountPlatform: i % 3 ? 250 + i : 0,
        discountSeller: i % 4 === 1 ? 300 : 0,
      });
      sim.record(o, hook);
      inside.push(o);
    }
    // Shopee's seconds around the window's ends (from and to are not whole seconds), and far outside.
    const edge = simOrder(sn(9002), { updatedAt: to - 500 });
    sim.record(edge, hook);
    inside.push(edge);
    for (const [k, at] of [[1, from - 500], [3, to + 500], [4, base - 86_400_000]] as const) sim.record(simOrder(sn(9000 + k), { updatedAt: at }), hook);
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('gets every order modified in [from, to), page by page, each one to the cent', async () => {
    const calls = sim.stats.calls;
    const pages = await pullAll(creds(sim), from, to);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const got = pages.flat();
    expect(new Set(got.map((p) => p.eventId)).size).toBe(got.length);
    expect(got.map((p) => p.order.platformOrderId).sort()).toEqual(inside.map((o) => o.id).sort());
    // list pages + detail calls (50 a time) + escrow batches (20 a time): no call per order.
    expect(sim.stats.calls - calls).toBeLessThan(40);
    const byId = new Map(got.map((p) => [p.order.platformOrderId, p]));
    for (const o of inside) {
      const p = byId.get(o.id)!;
      const n = p.order;
      expect(p.eventId).toBe(`${o.id}@${o.updatedAt - (o.updatedAt % 1000)}`);
      expect(JSON.parse(p.rawBody.toString('utf8'))).toMatchObject({ order_detail: { order_sn: o.id } });
      expect(n.currency, o.id).toBe(o.currency);
      expect(n.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.discount]), o.id).toEqual(o.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.discount]));
      if (o.phase === 'created' || o.phase === 'cancelled') {
        expect(n.platformTotal, o.id).toBeUndefined();
        expect(n.paidAmount, o.id).toBe(0);
        continue;
      }
      expect([n.shippingFee, n.discountPlatform, n.discountSeller, n.tax, n.platformTotal, n.paidAmount], o.id).toEqual([
        o.shippingFee,
        o.discountPlatform,
        o.discountSeller,
        0,
        totalOf(o),
        totalOf(o),
      ]);
      expect(computeAmounts(n).totalAmount, o.id).toBe(n.platformTotal);
    }
  });

  it('fetches the orders a push names, at once', async () => {
    const got = await fetchShopeeOrders({ credentials: creds(sim), fetch, now: Date.now }, [sn(1001), sn(1002), sn(1001)]);
    expect(got.map((p) => p.order.platformOrderId)).toEqual([sn(1001), sn(1002)]);
  });

  it('reports a wrong key or token as an auth failure, and throttling as rate limiting', async () => {
    const c = creds(sim);
    const badKey = await pullError({ ...c, partnerKey: `${c.partnerKey.slice(0, -1)}0` === c.partnerKey ? `${c.partnerKey}1` : `${c.partnerKey.slice(0, -1)}0` }, from, to);
    expect([badKey.code, badKey.opts.authFailed]).toEqual(['error_sign', true]);
    const badToken = await pullError({ ...c, accessToken: 'expired-token-0000' }, from, to);
    expect([badToken.code, badToken.opts.authFailed]).toEqual(['error_auth', true]);
    sim.throttleNext(1);
    const throttled = await pullError(c, from, to);
    expect(throttled.code).toBe('error_rate_limit');
    expect(throttled.opts.rateLimited).toBe(true);
    expect(throttled.opts.retryAfterMs).toBeGreaterThan(0);
    // A window Shopee refuses (over 15 days) is its error, not a crash.
    const wide = await pullError(c, base, base + 16 * 86_400_000);
    expect(wide.code).toBe('order.order_list_invalid_time');
    expect(shopee.maxPullWindowMs).toBeLessThanOrEqual(15 * 86_400_000);
  });
});

describe.each(httpBackends)('Shopee on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let accountId = '';
  let webhookUrl = '';
  const push = (body: string, headers: Record<string, string>) =>
    fetch(`${s.url}/hooks/shopee/${accountId}`, { method: 'POST', headers, body }).then(async (r) => {
      const answer = { status: r.status, text: await r.text() };
      // The orders a push names are fetched after the answer: let that finish before looking.
      await s.hub.poller.idle();
      return answer;
    });
  const count = async (table: string) => Number((await s.hub.db.read.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n);
  // Refusals raise a channel alert on purpose (a burst may mean the platform changed how it signs): not an order's trace.
  const traces = async () => [await count('raw_events'), await count('orders'), await count("outbox WHERE type <> 'channel.alert'")];
  /** What the poller does with a pulled page: each order is a raw event of its own. */
  const ingest = async (pulled: PulledOrder[]) => {
    const account = (await s.hub.accounts.forIngest(accountId))!;
    for (const p of pulled) {
      await s.hub.writes.ingest({ tenantId: account.tenantId, accountId, channel: 'shopee', eventId: p.eventId, receivedAt: Date.now(), headers: {}, rawBody: p.rawBody, orders: [p.order] });
    }
  };
  const fetchNow = (id: string) => fetchShopeeOrders({ credentials: creds(sim), fetch, now: Date.now }, [id]);
  const orderOf = async (id: string) => {
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    const no = found.body.items[0]?.orderNo;
    if (!no) return null;
    return (await s.api<{ status: string; platformStatus: string; hold: { code: string } | null; amounts: Record<string, number> }>('GET', `/api/orders/${no}`)).body;
  };

  beforeAll(async () => {
    // The hub's public URL is what Shopee calls and signs, not the loopback address the test posts to.
    s = await startServer(backend, { publicUrl: 'https://hub.example.com' });
    sims = await startSimulatorServer();
    sim = sims.mount('shopee', shopeeSimulator, `hub-${backend.name}`);
    const a = await s.api<{ id: string; webhookUrl: string }>('POST', '/api/channel-accounts', { platform: 'shopee', name: 'Shopee MY', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    accountId = a.body.id;
    webhookUrl = a.body.webhookUrl;
    expect(webhookUrl).toBe(`https://hub.example.com/hooks/shopee/${accountId}`);
    for (const sku of ['SHP-TEE-RED', 'SHP-MUG']) await setStock(s, sku, 100);
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('answers a signed status push 200 with an empty body, keeps it once, and the order it names arrives to the cent', async () => {
    const order = simOrder(sn(1));
    const [p] = sim.record(order, webhookUrl);
    const before = await traces();
    expect(await push(p!.body, p!.headers)).toEqual({ status: 200, text: '' });
    expect(await push(p!.body, p!.headers)).toEqual({ status: 200, text: '' }); // Shopee's retry of the same push
    // Kept once as a raw event; the push names the order and the hub fetches it right after answering (one more raw
    // event, via fetch), so the order is there without waiting for the next poll.
    expect(await traces()).toEqual([before[0]! + 2, before[1]! + 1, expect.any(Number)]);
    const change = shopeeOrderChange(Buffer.from(p!.body))!;
    expect(change).toMatchObject({ platformOrderId: order.id, platformStatus: 'READY_TO_SHIP' });
    const via = await s.hub.db.read.all<{ via: string }>("SELECT via FROM raw_events WHERE account_id = ? AND event_id LIKE ? ORDER BY id", [accountId, `%${order.id}%`]);
    expect(via.map((v) => v.via)).toEqual(['push', 'fetch']);
    const o = await orderOf(order.id);
    expect(o).toMatchObject({ status: 'paid', platformStatus: 'READY_TO_SHIP', hold: null });
    expect(o!.amounts).toMatchObject({ goods: 3 * 2990 + 1550, lineDiscounts: 301, shippingFee: 690, discountPlatform: 500, discountSeller: 300, tax: 0, total: 10_109, paid: 10_109 });
  });

  it('refuses a push whose URL, body, signature, secret or timestamp was changed, leaving no trace', async () => {
    const order = simOrder(sn(2));
    const [p] = sim.record(order, webhookUrl);
    const key = creds(sim).pushPartnerKey!;
    const before = await traces();
    const now = Math.floor(Date.now() / 1000);
    const body = p!.body;
    const withTimestamp = (ts: number) => body.replace(/"timestamp":\d+/, `"timestamp":${ts}`);
    const signedAt = Number(/"timestamp":(\d+)/.exec(body)?.[1]);
    expect(Number.isInteger(signedAt)).toBe(true);
    const oldBody = withTimestamp(now - 3600);
    const auth = (v: string) => ({ 'content-type': 'application/json', authorization: v });
    const otherShop = body.replace(/"shop_id":\d+/, '"shop_id":1234567');
    const cases: [string, string, Record<string, string>, string][] = [
      ['signed for another callback URL', body, auth(signPush(key, `https://hub.example.com/hooks/shopee/${accountId}x`, body)), 'SIGNATURE_INVALID'],
      ['signed for the loopback address instead of the registered URL', body, auth(signPush(key, `${s.url}/hooks/shopee/${accountId}`, body)), 'SIGNATURE_INVALID'],
      ['body changed by one byte', flip(body, 30), p!.headers, 'SIGNATURE_INVALID'],
      ['signature changed by one byte', body, auth(flip(p!.headers.authorization!, 7)), 'SIGNATURE_INVALID'],
      ['signed with another secret', body, auth(signPush(`${key}x`, webhookUrl, body)), 'SIGNATURE_INVALID'],
      ['signed with the API partner key instead of the push key', body, auth(signPush(creds(sim).partnerKey, webhookUrl, body)), 'SIGNATURE_INVALID'],
      // One second off the signed one (not off the clock: the push may have been signed a second ago, at now − 1).
      ['timestamp changed after signing', withTimestamp(signedAt - 1), p!.headers, 'SIGNATURE_INVALID'],
      ['an old push, correctly signed', oldBody, auth(signPush(key, webhookUrl, oldBody)), 'TIMESTAMP_OUT_OF_WINDOW'],
      ['another shop of the same app', otherShop, auth(signPush(key, webhookUrl, otherShop)), 'SIGNATURE_INVALID'],
      ['no signature', body, { 'content-type': 'application/json' }, 'SIGNATURE_MISSING'],
    ];
    for (const [name, b, headers, code] of cases) {
      const r = await push(b, headers);
      expect([r.status, (JSON.parse(r.text) as { error: { code: string } }).error.code], name).toEqual([401, code]);
    }
    expect(await traces()).toEqual(before);
    // The untouched push still goes through.
    expect((await push(body, p!.headers)).status).toBe(200);
  });

  it('moves the order as Shopee reports it: a cancellation request holds it and is never read as cancelled', async () => {
    const id = sn(3);
    const step = async (phase: SimOrder['phase'], rawStatus: string | undefined, minute: number) => {
      const o = simOrder(id, { phase, updatedAt: base + minute * 60_000, ...(rawStatus ? { rawStatus } : {}) });
      const [p] = sim.record(o, webhookUrl);
      expect((await push(p!.body, p!.headers)).status).toBe(200);
      await ingest(await fetchNow(id));
      return orderOf(id);
    };
    expect(await step('paid', undefined, 1)).toMatchObject({ status: 'paid', hold: null });
    expect(await step('paid', 'IN_CANCEL', 2)).toMatchObject({ status: 'paid', platformStatus: 'IN_CANCEL', hold: { code: 'PLATFORM_HOLD' } });
    // The seller refused the cancellation: back to shipping.
    expect(await step('paid', undefined, 3)).toMatchObject({ status: 'paid', platformStatus: 'READY_TO_SHIP', hold: null });
    expect(await step('shipped', undefined, 4)).toMatchObject({ status: 'shipped', hold: null });
    expect(await step('delivered', 'TO_RETURN', 5)).toMatchObject({ status: 'shipped', platformStatus: 'TO_RETURN', hold: { code: 'PLATFORM_HOLD' } });
  });

  it('keeps an order with an unknown status on hold STATUS_UNKNOWN, and marks masked receiver data', async () => {
    const unknown = simOrder(sn(4), { rawStatus: 'AWAITING_SOMETHING_NEW' });
    sim.record(unknown, webhookUrl);
    await ingest(await fetchNow(unknown.id));
    expect(await orderOf(unknown.id)).toMatchObject({ platformStatus: 'AWAITING_SOMETHING_NEW', hold: { code: 'STATUS_UNKNOWN' } });
    const tw = simOrder(sn(5), { currency: 'TWD' });
    sim.record(tw, webhookUrl);
    await ingest(await fetchNow(tw.id));
    const row = await s.hub.db.read.get<{ receiver_protection: string | null; receiver_name: string }>('SELECT receiver_protection, receiver_name FROM orders WHERE platform_order_id = ?', [tw.id]);
    expect(row).toEqual({ receiver_protection: 'masked', receiver_name: '****' });
  });

  it('refuses unusable credentials for a new account with a clear error', async () => {
    const r = await s.api<{ error: { message: string } }>('POST', '/api/channel-accounts', { platform: 'shopee', name: 'x', credentials: { partnerId: 'abc', partnerKey: 'short', shopId: '1', accessToken: 'tok' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/partnerId must be the partner_id.*partnerKey.*accessToken/);
  });
});

// The production mode of `serve` (SQLite with its writer thread), where the timers and the refund worker run in the
// writer thread on their own clock: with a payment timeout of 0 minutes every unpaid order is due at once, so the
// query before auto-close and the late-payment race happen for real, not driven by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { httpBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { deliver, transaction, wechatCredentials, wechatFake, wechatNotice, type WechatSetup } from './support/hub.ts';

const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

interface View {
  status: string;
  reservationState: string;
  hold: { code: string } | null;
  payments: { notices: { via: string; effect: string }[]; refunds: { state: string }[] };
}

describe('payments in the writer thread, with the payment timeout at once', () => {
  let s: TestServer;
  let wx: WechatSetup;
  let shop: { id: string; secret: string };
  let path = '';

  beforeAll(async () => {
    s = await startServer(backend, { paymentTimeoutMinutes: 0 }, { timerPollMs: 20 });
    wx = await wechatFake();
    shop = await createShop(s);
    // The shop gives WeChat its own order id, so the test knows each out_trade_no before the hub has the order.
    const r = await s.api<{ id: string }>('POST', '/api/payment-accounts', {
      provider: 'wechatpay',
      name: 'wx',
      credentials: wechatCredentials(wx.apiBase),
      channelAccounts: [shop.id],
      orderRef: 'platform_order_id',
    });
    expect(r.status).toBe(201);
    path = `/hooks/pay/wechatpay/${r.body.id}`;
  });
  afterAll(async () => {
    await s?.close();
    await wx?.close();
  });

  const view = async (platformOrderId: string) => {
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${platformOrderId}`);
    return (await s.api<View>('GET', `/api/orders/${found.body.items[0]?.orderNo}`)).body;
  };

  it('pays, not closes, an order whose notice was lost: the timer asks WeChat first', async () => {
    const sku = `WT-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 3);
    const platformId = `WTLOST${Date.now()}`;
    wx.fake.addPayment({ outTradeNo: platformId, total: 1999 });
    await s.push(shop.id, shop.secret, orderBody({ orderId: platformId, lines: [{ sku, quantity: 1, unitPrice: 1999 }] }));
    await expect.poll(async () => (await view(platformId)).status, { timeout: 10_000 }).toBe('paid');
    const v = await view(platformId);
    expect(v).toMatchObject({ reservationState: 'deducted' });
    expect(v.payments.notices).toMatchObject([{ via: 'query', effect: 'paid' }]);
  });

  it('never oversells nor leaves a paid order without stock or a refund proposal when the timeout and notices race', async () => {
    for (let round = 0; round < 5; round++) {
      const sku = `WTR-${randomUUID().slice(0, 6)}`;
      await setStock(s, sku, 4);
      const ids = Array.from({ length: 4 }, (_, i) => `WTR${Date.now()}${round}${i}`);
      await Promise.all([
        ...ids.map(async (id) => {
          await s.push(shop.id, shop.secret, orderBody({ orderId: id, lines: [{ sku, quantity: 1, unitPrice: 100 }] }));
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
          expect((await deliver(s, path, wechatNotice('TRANSACTION.SUCCESS', transaction(id, 100)))).status).toBe(200);
        }),
        s.push(shop.id, shop.secret, orderBody({ status: 'paid', paidAmount: 100, lines: [{ sku, quantity: 1, unitPrice: 100 }] })),
      ]);
      expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
      for (const id of ids) {
        const v = await view(id);
        expect(v.status, id).toBe('paid');
        const covered = v.reservationState === 'deducted' || (v.hold?.code === 'PAID_NO_STOCK' && v.payments.refunds.some((r) => r.state === 'proposed'));
        expect(covered, `${id}: ${v.reservationState} ${v.hold?.code}`).toBe(true);
      }
    }
  });
});

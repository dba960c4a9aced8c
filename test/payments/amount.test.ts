// "Paid" means the exact total: a verified notice paying one minor unit more or less, from any provider, is an
// AMOUNT_MISMATCH exception naming what was paid, and the order stays unpaid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { httpBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import {
  alipayCredentials,
  alipayPaid,
  createPaymentAccount,
  deliver,
  stripeEvent,
  stripeIntent,
  stripeWebhookSecret,
  transaction,
  wechatCredentials,
  wechatFake,
  wechatNotice,
  type SignedNotice,
  type WechatSetup,
} from './support/hub.ts';

interface OrderView {
  status: string;
  paymentStatus: string;
  reservationState: string;
  amounts: { paid: number };
  history: { to: string | null }[];
  payments: {
    notices: { effect: string; amount: number | null; reason: string | null }[];
    exceptions: { code: string; state: string; reason: string }[];
  };
}

const UNIT_PRICE = 1999;
const yuan = (minor: number) => (minor / 100).toFixed(2);

describe.each(httpBackends)('a payment of the wrong amount on $name', (backend) => {
  let s: TestServer;
  let wx: WechatSetup;
  let shop: { id: string; secret: string };
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    s = await startServer(backend);
    wx = await wechatFake();
    shop = await createShop(s);
    paths.wechatpay = `/hooks/pay/wechatpay/${await createPaymentAccount(s, 'wechatpay', wechatCredentials(wx.apiBase), [shop.id])}`;
    paths.alipay = `/hooks/pay/alipay/${await createPaymentAccount(s, 'alipay', alipayCredentials(), [shop.id])}`;
    paths.stripe = `/hooks/pay/stripe/${await createPaymentAccount(s, 'stripe', { webhookSecret: stripeWebhookSecret }, [shop.id])}`;
  });
  afterAll(async () => {
    await s?.close();
    await wx?.close();
  });

  /** Each provider's notice of a successful payment of `paid` minor units, signed by independent code, and its "taken" answer. */
  const providers: { name: string; notice: (orderNo: string, paid: number) => SignedNotice; taken: { status: number; text?: string } }[] = [
    { name: 'wechatpay', notice: (no, paid) => wechatNotice('TRANSACTION.SUCCESS', transaction(no, paid)), taken: { status: 200 } },
    { name: 'alipay', notice: (no, paid) => alipayPaid(no, yuan(paid)), taken: { status: 200, text: 'success' } },
    { name: 'stripe', notice: (no, paid) => stripeEvent('payment_intent.succeeded', stripeIntent(no, paid)), taken: { status: 200 } },
  ];

  const cases = providers.flatMap((p) => [
    { ...p, over: 1, what: 'one fen more than the total' },
    { ...p, over: -1, what: 'one fen less than the total' },
  ]);

  it.each(cases)('$name: refuses as paid a notice paying $what, and records the exact amount paid', async ({ name, notice, taken, over }) => {
    const sku = `AMT-${randomUUID().slice(0, 8)}`;
    await setStock(s, sku, 5);
    const pushed = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku, quantity: 1, unitPrice: UNIT_PRICE }] }));
    const orderNo = pushed.body.orders?.[0]?.orderNo as string;
    expect(orderNo, JSON.stringify(pushed.body)).toBeDefined();
    const total = UNIT_PRICE;
    const paid = total + over;

    // The provider is told the notice was taken (it was verified and recorded), so it stops retrying.
    const answer = await deliver(s, paths[name] as string, notice(orderNo, paid));
    expect(answer.status).toBe(taken.status);
    if (taken.text) expect(answer.text).toBe(taken.text);

    const v = (await s.api<OrderView>('GET', `/api/orders/${orderNo}`)).body;
    expect(v).toMatchObject({ status: 'pending_payment', paymentStatus: 'unpaid', reservationState: 'held', amounts: { paid: 0 } });
    expect(v.history.some((h) => h.to === 'paid')).toBe(false);
    expect(v.payments.notices).toMatchObject([{ effect: 'exception', amount: paid }]);
    expect(v.payments.exceptions).toMatchObject([
      { code: 'AMOUNT_MISMATCH', state: 'open', reason: `paid ${paid} but the order expects ${total} (CNY minor units)` },
    ]);
    expect((await s.api<{ onHand: number; reserved: number }>('GET', `/api/stock/${sku}`)).body).toMatchObject({ onHand: 5, reserved: 1 });
  });
});

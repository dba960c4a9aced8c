// The payment service over real HTTP: notices signed by independent code (wechatpay-axios-plugin, node:crypto for
// Alipay, stripe's test header) reach a hub on loopback; "paid" is a conjunction, duplicates have one effect, refused
// notices leave nothing, exceptions are queued, and a late payment never oversells nor goes unseen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { httpBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { FakeAlipay } from '../../src/sandbox/fakes/alipay.ts';
import { FakeStripe } from '../../src/sandbox/fakes/stripe.ts';
import {
  alipayAppId,
  alipayAppKeys,
  alipayKeys,
  alipaySellerId,
  alipayCredentials,
  alipayPaid,
  createPaymentAccount,
  deliver,
  mchid,
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
  id: string;
  orderNo: string;
  status: string;
  paymentStatus: string;
  reservationState: string;
  hold: { code: string } | null;
  amounts: { paid: number };
  history: { kind: string; to: string | null; cause: string }[];
  payments: {
    notices: { noticeId: string; effect: string; deliveries: number; via: string; amount: number | null; reason: string | null }[];
    refunds: { outRefundNo: string; state: string; source: string; amount: number }[];
    exceptions: { id: number; code: string; state: string; actions: string[] }[];
  };
}

interface ExceptionItem {
  id: number;
  code: string;
  state: string;
  orderId: string | null;
  refund: { state: string | null; outRefundNo: string | null } | null;
}

describe.each(httpBackends)('payment notices on $name', (backend) => {
  let s: TestServer;
  let wx: WechatSetup;
  let shop: { id: string; secret: string };
  let wxAccount: string;
  let aliAccount: string;
  let stripeAccount: string;
  const minutes = (n: number) => n * 60_000;

  beforeAll(async () => {
    s = await startServer(backend, {}, { refundPollMs: 50, refundQueryAfterMs: 60_000 });
    wx = await wechatFake();
    shop = await createShop(s);
    wxAccount = await createPaymentAccount(s, 'wechatpay', wechatCredentials(wx.apiBase), [shop.id]);
    aliAccount = await createPaymentAccount(s, 'alipay', alipayCredentials(), [shop.id]);
    stripeAccount = await createPaymentAccount(s, 'stripe', { webhookSecret: stripeWebhookSecret }, [shop.id]);
  });
  afterAll(async () => {
    await s?.close();
    await wx?.close();
  });

  /** An unpaid order of `qty` units of a fresh SKU with `stock` on hand; returns its number and SKU. */
  async function unpaidOrder(stock = 5, qty = 1, unitPrice = 1999) {
    const sku = `PAY-${randomUUID().slice(0, 8)}`;
    await setStock(s, sku, stock);
    const r = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku, quantity: qty, unitPrice }] }));
    const o = r.body.orders?.[0];
    if (!o) throw new Error(`push failed: ${JSON.stringify(r.body)}`);
    return { orderNo: o.orderNo, orderId: o.orderId, sku, total: qty * unitPrice };
  }
  const view = async (orderNo: string) => (await s.api<OrderView>('GET', `/api/orders/${orderNo}`)).body;
  const stockOf = async (sku: string) => (await s.api<{ onHand: number; reserved: number }>('GET', `/api/stock/${sku}`)).body;
  const wxPath = () => `/hooks/pay/wechatpay/${wxAccount}`;
  const noticeRows = async () => Number((await s.hub.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM payment_notices'))?.n ?? 0);

  it('makes an order paid on a WeChat Pay TRANSACTION.SUCCESS: reservation firm, timer cancelled, history names the notice', async () => {
    const o = await unpaidOrder(5, 2);
    const n = wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total), { id: `EV-${randomUUID()}` });
    const r = await deliver(s, wxPath(), n);
    expect(r.status).toBe(200);
    const v = await view(o.orderNo);
    expect(v).toMatchObject({ status: 'paid', paymentStatus: 'paid', reservationState: 'deducted', hold: null, amounts: { paid: o.total } });
    expect(await stockOf(o.sku)).toMatchObject({ onHand: 5, reserved: 2 });
    const noticeId = JSON.parse(n.body).id as string;
    expect(v.history.find((h) => h.to === 'paid')?.cause).toBe(`wechatpay notice ${noticeId}`);
    expect(v.payments.notices).toMatchObject([{ noticeId, effect: 'paid', deliveries: 1, via: 'notice', amount: o.total }]);
    const timer = await s.hub.db.read.get<{ state: string }>("SELECT state FROM timers WHERE kind = 'payment_timeout' AND ref = ?", [o.orderId]);
    expect(timer?.state).toBe('cancelled');
    const events = await s.hub.db.read.all<{ type: string }>("SELECT type FROM outbox WHERE aggregate_id = ? AND type IN ('payment.received', 'order.status_changed')", [o.orderId]);
    expect(events.map((e) => e.type).sort()).toEqual(['order.status_changed', 'payment.received']);
  });

  it('has the effect of one when WeChat delivers the same notice 16 times', async () => {
    const o = await unpaidOrder(5, 1);
    const res = transaction(o.orderNo, o.total);
    const id = `EV-${randomUUID()}`;
    // Each retry is signed anew (new timestamp and nonce); the notice id and content stay.
    const answers = await Promise.all(Array.from({ length: 16 }, () => deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', res, { id }))));
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    const v = await view(o.orderNo);
    expect(v.status).toBe('paid');
    expect(v.history.filter((h) => h.to === 'paid')).toHaveLength(1);
    expect(v.payments.notices).toHaveLength(1);
    expect(v.payments.notices[0]).toMatchObject({ deliveries: 16, effect: 'paid' });
    expect(await stockOf(o.sku)).toMatchObject({ onHand: 5, reserved: 1 });
    const received = await s.hub.db.read.all("SELECT id FROM outbox WHERE aggregate_id = ? AND type = 'payment.received'", [o.orderId]);
    expect(received).toHaveLength(1);
  });

  it('refuses a WeChat notice with one byte tampered in body, signature, timestamp, nonce, serial or associated data; nothing stored', async () => {
    const o = await unpaidOrder(5, 1);
    const before = await noticeRows();
    const good = () => wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total));
    const flip = (t: string, i = Math.floor(t.length / 2)) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    const cases: [string, (n: SignedNotice) => SignedNotice][] = [
      ['body', (n) => ({ ...n, body: n.body.replace('"encrypt-resource"', '"encrypt-resourcf"') })],
      ['signature', (n) => ({ ...n, headers: { ...n.headers, 'wechatpay-signature': flip(n.headers['wechatpay-signature'] as string, 10) } })],
      ['timestamp', (n) => ({ ...n, headers: { ...n.headers, 'wechatpay-timestamp': String(Number(n.headers['wechatpay-timestamp']) + 1) } })],
      ['nonce', (n) => ({ ...n, headers: { ...n.headers, 'wechatpay-nonce': flip(n.headers['wechatpay-nonce'] as string) } })],
      ['serial', (n) => ({ ...n, headers: { ...n.headers, 'wechatpay-serial': (n.headers['wechatpay-serial'] as string).replace(/0$/, '1') } })],
      // Associated data one byte off what was encrypted with, the envelope signed as it is: the AES-GCM tag refuses it.
      ['associated data', () => wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total), { aad: 'transaction', aadInBody: 'transactiom' })],
    ];
    for (const [what, tamper] of cases) {
      const n = tamper(good());
      const r = await deliver(s, wxPath(), n);
      expect(r.status, what).toBe(401);
      expect(JSON.parse(r.text), what).toMatchObject({ code: 'FAIL' });
    }
    // A notice WeChat really signed, replayed six minutes later: outside the window, refused like a forgery.
    const old = wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total), { now: Date.now() - 6 * 60_000 });
    expect((await deliver(s, wxPath(), old)).status).toBe(401);
    expect(await noticeRows()).toBe(before);
    expect((await view(o.orderNo)).status).toBe('pending_payment');
  });

  it('records an amount mismatch, a wrong merchant, an unknown order and a replayed notice as exceptions; the order is untouched', async () => {
    const o = await unpaidOrder(5, 1);
    const codes: string[] = [];
    const send = async (n: SignedNotice) => expect((await deliver(s, wxPath(), n)).status).toBe(200);
    await send(wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total - 1)));
    codes.push('AMOUNT_MISMATCH');
    await send(wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total, { mchid: '1900000110' })));
    codes.push('MERCHANT_MISMATCH');
    await send(wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total, { appid: 'wx0000000000000000' })));
    codes.push('MERCHANT_MISMATCH');
    await send(wechatNotice('TRANSACTION.SUCCESS', transaction('ORD-NO-SUCH-ORDER', o.total)));
    // A replay: a notice id seen before, now carrying another payment (signed, so only the id is reused).
    const id = `EV-${randomUUID()}`;
    await send(wechatNotice('TRANSACTION.NOTPAY', transaction(o.orderNo, o.total, { trade_state: 'NOTPAY' }), { id }));
    await send(wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total), { id }));
    codes.push('NOTICE_REPLAYED');
    const v = await view(o.orderNo);
    expect(v).toMatchObject({ status: 'pending_payment', paymentStatus: 'unpaid', reservationState: 'held', amounts: { paid: 0 } });
    expect(v.payments.exceptions.map((e) => e.code).sort()).toEqual(codes.sort());
    expect(await stockOf(o.sku)).toMatchObject({ onHand: 5, reserved: 1 });
    const queue = await s.api<{ items: ExceptionItem[] }>('GET', '/api/payment-exceptions?state=open');
    expect(queue.body.items.some((e) => e.code === 'UNKNOWN_ORDER' && e.orderId === null)).toBe(true);
    const alerts = await s.hub.db.read.all<{ alert_key: string }>("SELECT alert_key FROM channel_alerts WHERE account_id = ? AND kind = 'payment_exception'", [wxAccount]);
    expect(alerts.map((a) => a.alert_key)).toEqual(expect.arrayContaining(['AMOUNT_MISMATCH', 'MERCHANT_MISMATCH', 'UNKNOWN_ORDER', 'NOTICE_REPLAYED']));
  });

  it('takes an Alipay notice 8 times with one effect, answers the literal success, and refuses a tampered one', async () => {
    const o = await unpaidOrder(5, 1, 1999);
    const path = `/hooks/pay/alipay/${aliAccount}`;
    const tampered = alipayPaid(o.orderNo, '19.99');
    const bad = await deliver(s, path, { ...tampered, body: tampered.body.replace('total_amount=19.99', 'total_amount=19.98') });
    expect(bad).toEqual({ status: 401, text: 'fail' });
    expect((await view(o.orderNo)).payments.notices).toHaveLength(0);
    const notifyId = `2027${randomUUID().replace(/-/g, '')}`;
    const answers: { status: number; text: string }[] = [];
    // Alipay's retries keep notify_id and change notify_time (signed each time).
    for (let i = 0; i < 8; i++) answers.push(await deliver(s, path, alipayPaid(o.orderNo, '19.99', { notify_id: notifyId, trade_no: '2027000001' })));
    expect(answers).toEqual(Array(8).fill({ status: 200, text: 'success' }));
    const v = await view(o.orderNo);
    expect(v).toMatchObject({ status: 'paid', reservationState: 'deducted' });
    expect(v.payments.notices).toMatchObject([{ effect: 'paid', deliveries: 8 }]);
    expect(v.history.filter((h) => h.to === 'paid')).toHaveLength(1);
  });

  it('takes a Stripe payment_intent.succeeded and refuses a tampered signature', async () => {
    const o = await unpaidOrder(5, 1, 1999);
    const path = `/hooks/pay/stripe/${stripeAccount}`;
    const n = stripeEvent('payment_intent.succeeded', stripeIntent(o.orderNo, 1999));
    const forged = { ...n, headers: { ...n.headers, 'stripe-signature': n.headers['stripe-signature']!.replace(/v1=(.)/, (_m, c: string) => `v1=${c === 'a' ? 'b' : 'a'}`) } };
    expect((await deliver(s, path, forged)).status).toBe(401);
    expect((await view(o.orderNo)).status).toBe('pending_payment');
    const ok = await deliver(s, path, n);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({ received: true });
    expect(await view(o.orderNo)).toMatchObject({ status: 'paid', reservationState: 'deducted' });
  });

  it('proposes a refund when a buyer pays one order twice', async () => {
    const o = await unpaidOrder(5, 1);
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    const v = await view(o.orderNo);
    expect(v.payments.notices.map((n) => n.effect)).toEqual(['paid', 'duplicate_payment']);
    expect(v.payments.refunds).toMatchObject([{ state: 'proposed', source: 'proposal', amount: o.total }]);
    expect(v.payments.exceptions).toMatchObject([{ code: 'DUPLICATE_PAYMENT', state: 'open', actions: ['approve_refund', 'decline_refund', 'recheck'] }]);
  });

  it.skipIf(backend.writerThread)('asks WeChat before the payment timeout closes an order: a lost notice does not close a paid order', async () => {
    const o = await unpaidOrder(5, 1);
    wx.fake.addPayment({ outTradeNo: o.orderNo, total: o.total });
    const hub = s.hub.local!;
    await hub.timers.runDue(Date.now() + minutes(16));
    const v = await view(o.orderNo);
    expect(v).toMatchObject({ status: 'paid', reservationState: 'deducted' });
    expect(v.payments.notices).toMatchObject([{ via: 'query', effect: 'paid' }]);
    expect(wx.fake.requests.some((r) => r.url.startsWith(`/v3/pay/transactions/out-trade-no/${o.orderNo}`) && !r.refused)).toBe(true);
    // The lost notice turns up after all (its own notice id, the same transaction): counted once, no refund proposed.
    const late = wx.fake.paymentNotice(o.orderNo);
    expect((await fetch(`${s.url}${wxPath()}`, { method: 'POST', headers: late.headers, body: late.rawBody })).status).toBe(200);
    const after = await view(o.orderNo);
    expect(after.payments.notices.map((n) => n.effect)).toEqual(['paid', 'already_paid']);
    expect(after.payments.refunds).toEqual([]);
    expect(after.history.filter((h) => h.to === 'paid')).toHaveLength(1);
  });

  it.skipIf(backend.writerThread)('leaves the order open when the query fails, and closes it (recorded) once the attempts are spent', async () => {
    const o = await unpaidOrder(5, 1);
    const hub = s.hub.local!;
    let now = Date.now() + minutes(16);
    for (let i = 0; i < 4; i++) {
      wx.fake.failures.push({ status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
      await hub.timers.runDue(now);
      expect((await view(o.orderNo)).status).toBe('pending_payment');
      now += minutes(60);
    }
    wx.fake.failures.push({ status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
    await hub.timers.runDue(now);
    const v = await view(o.orderNo);
    expect(v.status).toBe('cancelled');
    expect(v.payments.exceptions.map((e) => e.code)).toEqual(['QUERY_FAILED']);
  });

  it.skipIf(backend.writerThread)('re-reserves for a late payment, and holds PAID_NO_STOCK with a refund proposal when the stock is gone', async () => {
    const hub = s.hub.local!;
    const a = await unpaidOrder(1, 1);
    await hub.timers.runDue(Date.now() + minutes(16));
    expect((await view(a.orderNo)).status).toBe('cancelled');
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(a.orderNo, a.total)));
    expect(await view(a.orderNo)).toMatchObject({ status: 'paid', reservationState: 'deducted', hold: null });

    const b = await unpaidOrder(1, 1);
    await hub.timers.runDue(Date.now() + minutes(16));
    // The last unit goes to somebody else meanwhile.
    await s.push(shop.id, shop.secret, orderBody({ status: 'paid', paidAmount: 1999, lines: [{ sku: b.sku, quantity: 1, unitPrice: 1999 }] }));
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(b.orderNo, b.total)));
    const v = await view(b.orderNo);
    expect(v).toMatchObject({ status: 'paid', reservationState: 'short', hold: { code: 'PAID_NO_STOCK' } });
    expect(v.payments.refunds).toMatchObject([{ state: 'proposed', amount: b.total }]);
    expect(v.payments.exceptions).toMatchObject([{ code: 'PAID_NO_STOCK', state: 'open' }]);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it.skipIf(backend.writerThread)('never oversells and never leaves a paid order without stock or a refund proposal when timeout and notices race', async () => {
    const hub = s.hub.local!;
    const effects = new Map<string, number>();
    for (let round = 0; round < 10; round++) {
      // A fresh SKU with exactly the units the round's orders hold: every order starts with its reservation.
      const sku = `RACE-${randomUUID().slice(0, 8)}`;
      await setStock(s, sku, 6);
      const orders: { orderNo: string }[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku, quantity: 1, unitPrice: 100 }] }));
        expect(r.body.orders?.[0]?.reservation).toBe('held');
        if (r.body.orders?.[0]) orders.push(r.body.orders[0]);
      }
      // The timeout fires (asking WeChat first, which knows no payment) while each payment notice arrives after a
      // random few milliseconds, and a buyer on another channel takes any unit the timeout frees.
      const rivals = Array.from({ length: 3 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 7)).then(() =>
          s.push(shop.id, shop.secret, orderBody({ status: 'paid', paidAmount: 100, lines: [{ sku, quantity: 1, unitPrice: 100 }] })),
        ),
      );
      await Promise.all([
        hub.timers.runDue(Date.now() + minutes(16)),
        ...rivals,
        ...orders.map((o) =>
          new Promise((r) => setTimeout(r, Math.floor(Math.random() * 25))).then(() => deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, 100)))),
        ),
      ]);
      expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
      let deducted = 0;
      for (const o of orders) {
        const v = await view(o.orderNo);
        expect(v.status, o.orderNo).toBe('paid');
        const covered = v.reservationState === 'deducted' || (v.hold?.code === 'PAID_NO_STOCK' && v.payments.refunds.some((r) => r.state === 'proposed'));
        expect(covered, `${o.orderNo}: ${v.reservationState} ${v.hold?.code}`).toBe(true);
        if (v.reservationState === 'deducted') deducted++;
        for (const n of v.payments.notices) effects.set(n.effect, (effects.get(n.effect) ?? 0) + 1);
      }
      // Six units, none shipped: all still on hand, and what the paid orders and the rivals hold together never exceeds them.
      const stock = await stockOf(sku);
      expect(stock.onHand).toBe(6);
      expect(stock.reserved).toBeLessThanOrEqual(6);
      expect(stock.reserved).toBeGreaterThanOrEqual(deducted);
    }
    console.log(`[payments race] effects over 60 notices: ${JSON.stringify(Object.fromEntries(effects))}`);
  });

  it('sends an approved refund with its out_refund_no, retries a failure with the same number, and confirms it only by the notice', async () => {
    const o = await unpaidOrder(5, 1);
    const t = transaction(o.orderNo, o.total);
    wx.fake.addPayment({ outTradeNo: o.orderNo, total: o.total });
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', t));
    // The first attempt fails at WeChat; the worker tries again with the same out_refund_no.
    wx.fake.failures.push({ status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
    const asked = await s.api<{ outRefundNo: string; state: string }>('POST', `/api/orders/${o.orderNo}/refunds`, { reason: 'buyer changed mind' });
    expect(asked.status).toBe(201);
    expect(asked.body.state).toBe('requested');
    const outRefundNo = asked.body.outRefundNo;
    const deadline = Date.now() + 20_000;
    while (!wx.fake.refunds.has(outRefundNo) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(wx.fake.refunds.has(outRefundNo)).toBe(true);
    const calls = wx.fake.requests.filter((r) => r.method === 'POST' && r.url === '/v3/refund/domestic/refunds');
    const mine = calls.filter((r) => (JSON.parse(r.body) as { out_refund_no: string }).out_refund_no === outRefundNo);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.every((r) => r.refused === undefined && r.authorization?.startsWith('WECHATPAY2-SHA256-RSA2048 '))).toBe(true);
    let v = await view(o.orderNo);
    expect(v.payments.refunds).toMatchObject([{ outRefundNo, state: expect.stringMatching(/requested|submitted/) }]);
    // WeChat finishes it and says so: only now is it confirmed.
    const done = wx.fake.settleRefund(outRefundNo, 'SUCCESS');
    const r = await fetch(`${s.url}${wxPath()}`, { method: 'POST', headers: done.headers, body: done.rawBody });
    expect(r.status).toBe(200);
    v = await view(o.orderNo);
    expect(v.payments.refunds).toMatchObject([{ outRefundNo, state: 'succeeded' }]);
    expect(v.payments.notices.map((n) => n.effect)).toEqual(['paid', 'refund_succeeded']);
    expect(wx.fake.refunds.size).toBeGreaterThanOrEqual(1);
    expect([...wx.fake.refunds.values()].filter((x) => x.outTradeNo === o.orderNo)).toHaveLength(1);
  });

  it('approves a refund proposal from the exceptions queue, and resolves the exception once the refund is confirmed', async () => {
    const o = await unpaidOrder(5, 1);
    wx.fake.addPayment({ outTradeNo: o.orderNo, total: o.total });
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    const ex = (await view(o.orderNo)).payments.exceptions[0]!;
    const approved = await s.api<ExceptionItem>('POST', `/api/payment-exceptions/${ex.id}/approve-refund`, { note: 'paid twice' });
    expect(approved.status).toBe(200);
    expect(approved.body.refund?.state).toMatch(/requested|submitted/);
    const outRefundNo = approved.body.refund?.outRefundNo as string;
    const deadline = Date.now() + 20_000;
    while (!wx.fake.refunds.has(outRefundNo) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const done = wx.fake.settleRefund(outRefundNo, 'SUCCESS');
    expect((await fetch(`${s.url}${wxPath()}`, { method: 'POST', headers: done.headers, body: done.rawBody })).status).toBe(200);
    const after = await s.api<ExceptionItem>('GET', `/api/payment-exceptions/${ex.id}`);
    expect(after.body).toMatchObject({ state: 'resolved', refund: { state: 'succeeded' } });
    const again = await s.api('POST', `/api/payment-exceptions/${ex.id}/approve-refund`, { note: 'again' });
    expect(again.status).toBe(409);
  });

  it.skipIf(backend.writerThread)('calls a refund unconfirmed for a day REFUND_STUCK, and confirms it by a refund query later', async () => {
    const o = await unpaidOrder(5, 1);
    wx.fake.addPayment({ outTradeNo: o.orderNo, total: o.total });
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    const asked = await s.api<{ outRefundNo: string }>('POST', `/api/orders/${o.orderNo}/refunds`, { amount: o.total - 1, reason: 'partial' });
    expect(asked.status).toBe(201);
    const outRefundNo = asked.body.outRefundNo;
    const worker = s.hub.local!.refunds;
    await worker.runDue(Date.now());
    expect(wx.fake.refunds.get(outRefundNo)?.status).toBe('PROCESSING');
    // A day later WeChat still says PROCESSING: the refund is an exception in the queue, still asked after.
    await worker.runDue(Date.now() + minutes(25 * 60));
    let v = await view(o.orderNo);
    expect(v.payments.refunds).toMatchObject([{ outRefundNo, state: 'submitted' }]);
    expect(v.payments.exceptions).toMatchObject([{ code: 'REFUND_STUCK', state: 'open' }]);
    // WeChat finishes it; the notice is lost, the next query confirms it and settles the exception.
    wx.fake.settleRefund(outRefundNo, 'SUCCESS');
    await worker.runDue(Date.now() + minutes(27 * 60));
    v = await view(o.orderNo);
    expect(v.payments.refunds).toMatchObject([{ outRefundNo, state: 'succeeded', amount: o.total - 1 }]);
    expect(v.payments.exceptions).toMatchObject([{ code: 'REFUND_STUCK', state: 'resolved' }]);
    // Nothing more is refundable than what was paid.
    const more = await s.api('POST', `/api/orders/${o.orderNo}/refunds`, { amount: 2, reason: 'too much' });
    expect(more.status).toBe(400);
  });

  it('declines a refund proposal with a note, which resolves the exception', async () => {
    const o = await unpaidOrder(5, 1);
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    const ex = (await view(o.orderNo)).payments.exceptions[0]!;
    expect((await s.api('POST', `/api/payment-exceptions/${ex.id}/resolve`, { note: 'no' })).status).toBe(409);
    const declined = await s.api<ExceptionItem>('POST', `/api/payment-exceptions/${ex.id}/decline-refund`, { note: 'refunded by hand at the counter' });
    expect(declined.body).toMatchObject({ state: 'resolved', refund: { state: 'declined' } });
    // An exception that does not exist is named as such, not as a missing order.
    for (const [method, path] of [['GET', '/api/payment-exceptions/999999999'], ['POST', '/api/payment-exceptions/999999999/resolve']] as const) {
      const missing = await s.api<{ error: { code: string } }>(method, path, method === 'POST' ? { note: 'x' } : undefined);
      expect([missing.status, missing.body.error.code], path).toEqual([404, 'PAYMENT_EXCEPTION_NOT_FOUND']);
    }
  });

  it('refuses a refund notice for a refund a person declined (the hub never sent it): it stays declined, the notice is not recorded', async () => {
    const o = await unpaidOrder(5, 1);
    const paid = transaction(o.orderNo, o.total);
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', paid));
    await deliver(s, wxPath(), wechatNotice('TRANSACTION.SUCCESS', transaction(o.orderNo, o.total)));
    const ex = (await view(o.orderNo)).payments.exceptions[0]!;
    const declined = await s.api<ExceptionItem>('POST', `/api/payment-exceptions/${ex.id}/decline-refund`, { note: 'refunded by hand' });
    const outRefundNo = declined.body.refund?.outRefundNo as string;
    const resource = {
      mchid,
      out_trade_no: o.orderNo,
      transaction_id: paid.transaction_id,
      out_refund_no: outRefundNo,
      refund_id: `5030${Date.now()}`,
      refund_status: 'SUCCESS',
      success_time: paid.success_time,
      user_received_account: '支付用户零钱',
      amount: { total: o.total, refund: o.total, payer_total: o.total, payer_refund: o.total },
    };
    const r = await deliver(s, wxPath(), wechatNotice('REFUND.SUCCESS', resource));
    expect(r.status).toBe(409);
    const v = await view(o.orderNo);
    expect(v.payments.refunds).toMatchObject([{ outRefundNo, state: 'declined' }]);
    expect(v.payments.notices.map((n) => n.effect)).toEqual(['paid', 'duplicate_payment']);
  });

  it.skipIf(backend.writerThread)('asks Alipay (alipay.trade.query) before closing, and refunds through alipay.trade.refund confirmed by the refund query', async () => {
    const ali = new FakeAlipay({ appId: alipayAppId, sellerId: alipaySellerId, appPublicKey: alipayAppKeys.publicPem, alipayPrivateKey: alipayKeys.privatePem });
    const l = await ali.listen();
    try {
      const shop2 = await createShop(s, 'shop2-secret-0123456789');
      await createPaymentAccount(s, 'alipay', alipayCredentials(l.url), [shop2.id]);
      const sku = `ALI-${randomUUID().slice(0, 6)}`;
      await setStock(s, sku, 3);
      const pushed = await s.push(shop2.id, shop2.secret, orderBody({ lines: [{ sku, quantity: 1, unitPrice: 1999 }] }));
      const orderNo = pushed.body.orders?.[0]?.orderNo as string;
      // The buyer paid; Alipay's notice never arrived.
      ali.createTrade({ outTradeNo: orderNo, total: 1999, paid: true });
      await s.hub.local!.timers.runDue(Date.now() + minutes(16));
      let v = await view(orderNo);
      expect(v).toMatchObject({ status: 'paid', reservationState: 'deducted' });
      expect(v.payments.notices).toMatchObject([{ via: 'query', effect: 'paid', amount: 1999 }]);
      expect(ali.received.some((r) => r.method === 'alipay.trade.query' && r.signatureOk)).toBe(true);

      const asked = await s.api<{ outRefundNo: string }>('POST', `/api/orders/${orderNo}/refunds`, { reason: 'out of stock' });
      expect(asked.status).toBe(201);
      await s.hub.local!.refunds.runDue(Date.now());
      expect(ali.received.some((r) => r.method === 'alipay.trade.refund' && r.signatureOk && r.params.biz_content?.includes(asked.body.outRefundNo))).toBe(true);
      await s.hub.local!.refunds.runDue(Date.now() + minutes(2));
      v = await view(orderNo);
      expect(v.payments.refunds).toMatchObject([{ outRefundNo: asked.body.outRefundNo, state: 'succeeded', amount: 1999 }]);
    } finally {
      await l.close();
    }
  });

  it.skipIf(backend.writerThread)('asks Stripe (PaymentIntent search) before closing, and refunds with the out_refund_no as Idempotency-Key, confirmed by the refund query', async () => {
    const key = 'sk_test_0123456789abcdefghijklmn';
    const stripeFake = new FakeStripe({ apiKeys: [key], webhookSecrets: [stripeWebhookSecret] });
    const apiBase = await stripeFake.start();
    try {
      const shop3 = await createShop(s, 'shop3-secret-0123456789');
      await createPaymentAccount(s, 'stripe', { webhookSecret: stripeWebhookSecret, secretKey: key, apiBase }, [shop3.id]);
      const sku = `STR-${randomUUID().slice(0, 6)}`;
      await setStock(s, sku, 3);
      const pushed = await s.push(shop3.id, shop3.secret, orderBody({ lines: [{ sku, quantity: 1, unitPrice: 1999 }] }));
      const orderNo = pushed.body.orders?.[0]?.orderNo as string;
      stripeFake.addPaymentIntent({ amount: 1999, currency: 'cny', orderNo });
      await s.hub.local!.timers.runDue(Date.now() + minutes(16));
      let v = await view(orderNo);
      expect(v).toMatchObject({ status: 'paid', reservationState: 'deducted' });
      expect(v.payments.notices).toMatchObject([{ via: 'query', effect: 'paid', amount: 1999 }]);

      const asked = await s.api<{ outRefundNo: string }>('POST', `/api/orders/${orderNo}/refunds`, { amount: 500, reason: 'partial' });
      expect(asked.status).toBe(201);
      await s.hub.local!.refunds.runDue(Date.now());
      const posted = stripeFake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');
      // The background worker may have sent it too: every request carries the same key, and Stripe made one refund.
      expect(posted.length).toBeGreaterThanOrEqual(1);
      expect(new Set(posted.map((r) => r.headers['idempotency-key']))).toEqual(new Set([asked.body.outRefundNo]));
      expect(stripeFake.refundCount()).toBe(1);
      await s.hub.local!.refunds.runDue(Date.now() + minutes(2));
      v = await view(orderNo);
      expect(v.payments.refunds).toMatchObject([{ outRefundNo: asked.body.outRefundNo, state: 'succeeded', amount: 500 }]);
    } finally {
      await stripeFake.close();
    }
  });

  it("applies a payment that came before its order once WeChat's retry finds the order, and settles the UNKNOWN_ORDER exception", async () => {
    // This shop passes its own order id to WeChat as out_trade_no, so a notice can name an order the hub has not seen.
    const shop4 = await createShop(s, 'shop4-secret-0123456789');
    const r = await s.api<{ id: string }>('POST', '/api/payment-accounts', {
      provider: 'wechatpay',
      name: 'wx by shop order id',
      credentials: wechatCredentials(wx.apiBase),
      channelAccounts: [shop4.id],
      orderRef: 'platform_order_id',
    });
    expect(r.status).toBe(201);
    const path = `/hooks/pay/wechatpay/${r.body.id}`;
    const platformId = `EARLY${Date.now()}`;
    const res = transaction(platformId, 1999);
    const id = `EV-${randomUUID()}`;
    expect((await deliver(s, path, wechatNotice('TRANSACTION.SUCCESS', res, { id }))).status).toBe(200);
    const open = await s.api<{ items: (ExceptionItem & { reason: string })[] }>('GET', '/api/payment-exceptions?state=open&code=UNKNOWN_ORDER');
    const early = open.body.items.find((e) => e.reason.includes(platformId));
    expect(early).toBeDefined();
    const sku = `EARLY-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 2);
    const pushed = await s.push(shop4.id, shop4.secret, orderBody({ orderId: platformId, lines: [{ sku, quantity: 1, unitPrice: 1999 }] }));
    const orderNo = pushed.body.orders?.[0]?.orderNo as string;
    expect((await view(orderNo)).status).toBe('pending_payment');
    // WeChat retries (it would anyway if it had missed the answer): the same notice id, the order is there now.
    expect((await deliver(s, path, wechatNotice('TRANSACTION.SUCCESS', res, { id }))).status).toBe(200);
    const v = await view(orderNo);
    expect(v).toMatchObject({ status: 'paid', reservationState: 'deducted' });
    expect(v.payments.notices).toMatchObject([{ effect: 'paid', deliveries: 2 }]);
    const after = await s.api<ExceptionItem>('GET', `/api/payment-exceptions/${early!.id}`);
    expect(after.body).toMatchObject({ state: 'resolved', orderId: v.id });
  });

  it('lists payment accounts without their credentials and shows the notice URL', async () => {
    const r = await s.api<{ items: { id: string; provider: string; credentialKeys: string[]; noticeUrl: string }[] }>('GET', '/api/payment-accounts');
    expect(r.status).toBe(200);
    const wxa = r.body.items.find((a) => a.id === wxAccount);
    expect(wxa?.noticeUrl).toMatch(new RegExp(`/hooks/pay/wechatpay/${wxAccount}$`));
    expect(JSON.stringify(r.body)).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(r.body)).not.toContain('aB3dE5gH');
    const bad = await s.api('POST', '/api/payment-accounts', { provider: 'wechatpay', name: 'x', credentials: { mchid: 'abc' }, channelAccounts: [] });
    expect(bad.status).toBe(400);
  });
});

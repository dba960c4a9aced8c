// JSON nested thousands deep (about 10 KB) is refused at the edge with 400 on every store, the SQLite writer thread
// included: on /api, in a signed platform push (own shop), a signed payment notice (Stripe, WeChat Pay) and a signed
// WMS report. Before the edge refused it, such a body reached Worker.postMessage and took the whole hub down.
import { createHmac, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, ensureWarehouse, setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody, ownshopHeaders } from '../support/sign.ts';
import { createPaymentAccount, deliver, stripeIntent, stripeWebhookSecret, transaction, wechatCredentials, wechatFake, wechatNotice, type WechatSetup } from '../payments/support/hub.ts';
import { dictionary } from '../fulfilment/wms-support.ts';

/** 5,000 arrays inside each other: about 10 KB. */
const deepText = (levels = 5000) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** JSON text of `value` with the deep nesting where DEEP stands (JSON.stringify itself would overflow the stack). */
const DEEP = '\u0001deep';
const withDeep = (value: unknown) => JSON.stringify(value).replace(JSON.stringify(DEEP), deepText());

describe.each(httpBackends)('deeply nested JSON on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  let wechat: WechatSetup;

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
    await ensureWarehouse(s, 'WH1');
    wechat = await wechatFake();
  });
  afterAll(async () => {
    await s?.close();
    await wechat?.close();
  });

  const ready = async () => (await fetch(`${s.url}/ready`)).status;
  const raw = async (method: string, path: string, body: string) => {
    const res = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };

  it('refuses a deep /api body with 400 in the error shape, stores nothing, and keeps answering', async () => {
    const sku = `DEEP-${randomUUID().slice(0, 8)}`;
    const r = await raw('PUT', `/api/stock/${sku}`, `{"warehouse":"WH1","onHand":5,"reason":"t","note":${deepText()}}`);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error?.code).toBe('BODY_TOO_DEEP');
    expect(await ready()).toBe(200);
    expect((await s.api('GET', `/api/stock/${sku}`)).status).toBe(404);
    // A whole body that is only nesting, and the same on other write routes.
    for (const [method, path] of [
      ['POST', '/api/stock/adjustments'],
      ['PUT', '/api/routing/rules'],
      ['POST', '/api/channel-accounts'],
      ['POST', '/api/sku-mappings'],
    ] as const) {
      const d = await raw(method, path, deepText());
      expect(d.status, `${method} ${path}`).toBe(400);
      expect(d.body.error?.code).toBe('BODY_TOO_DEEP');
    }
    expect(await ready()).toBe(200);
  });

  it('accepts nesting up to the documented limit of 64', async () => {
    const at64 = `{"warehouse":"WH1","onHand":3,"reason":"t","note":${deepText(63)}}`;
    const ok = await raw('PUT', `/api/stock/NEST-${randomUUID().slice(0, 8)}`, at64);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const at65 = `{"warehouse":"WH1","onHand":3,"reason":"t","note":${deepText(64)}}`;
    expect((await raw('PUT', `/api/stock/NEST-${randomUUID().slice(0, 8)}`, at65)).status).toBe(400);
    // Brackets inside strings are text, not nesting.
    const inText = await raw('PUT', `/api/stock/NEST-${randomUUID().slice(0, 8)}`, JSON.stringify({ warehouse: 'WH1', onHand: 1, reason: 't', note: '['.repeat(5000) }));
    expect(inText.status, JSON.stringify(inText.body)).toBe(200);
  });

  it('refuses a signed own-shop push nested deep with 400, stores nothing, and an unsigned one with 401 as before', async () => {
    const order = { ...orderBody(), extra: DEEP };
    const body = withDeep(order);
    const signedPush = await fetch(`${s.url}/hooks/ownshop/${shop.id}`, { method: 'POST', headers: ownshopHeaders(shop.secret, body), body });
    expect(signedPush.status).toBe(400);
    expect(((await signedPush.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_DEEP');
    const forged = await fetch(`${s.url}/hooks/ownshop/${shop.id}`, { method: 'POST', headers: ownshopHeaders('not-the-secret-at-all', body), body });
    expect(forged.status).toBe(401);
    expect(await ready()).toBe(200);
    const stored = await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM orders WHERE platform_order_id = ?', [order.orderId]);
    expect(Number(stored?.c)).toBe(0);
    // The hub still takes orders.
    await setStock(s, 'A1', 50);
    expect((await s.push(shop.id, shop.secret, orderBody())).status).toBe(200);
  });

  it('refuses signed Stripe and WeChat Pay notices nested deep with 4xx, stores nothing, and keeps answering', async () => {
    const stripeAccount = await createPaymentAccount(s, 'stripe', { webhookSecret: stripeWebhookSecret }, [shop.id]);
    const intent = { ...stripeIntent('ORD-NONE', 100), metadata: { order_no: 'ORD-NONE', deep: DEEP } };
    const event = withDeep({ id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), livemode: false, data: { object: intent } });
    const stripeSigned = { headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: event, secret: stripeWebhookSecret }) }, body: event };
    const st = await deliver(s, `/hooks/pay/stripe/${stripeAccount}`, stripeSigned);
    expect(st.status, st.text).toBe(400);
    const forged = await deliver(s, `/hooks/pay/stripe/${stripeAccount}`, { ...stripeSigned, headers: { ...stripeSigned.headers, 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: event, secret: 'whsec_not_the_secret_0123456789' }) } });
    expect(forged.status, forged.text).toBe(401);
    const wechatAccount = await createPaymentAccount(s, 'wechatpay', wechatCredentials(wechat.apiBase), [shop.id]);
    const resource = { ...transaction('ORD-NONE', 100), attach: DEEP };
    const wx = await deliver(s, `/hooks/pay/wechatpay/${wechatAccount}`, wechatNotice('TRANSACTION.SUCCESS', resource, { resourceText: withDeep(resource) }));
    expect(wx.status, wx.text).toBe(400);
    expect(await ready()).toBe(200);
    const notices = await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM payment_notices');
    expect(Number(notices?.c)).toBe(0);
  });

  it('refuses a signed WMS report nested deep with 400 and keeps answering', async () => {
    const w = `WMSD${randomUUID().slice(0, 6)}`;
    expect((await s.api('PUT', `/api/warehouses/${w}`, { name: w, regions: ['*'] })).status).toBe(200);
    const secret = `wms-secret-${randomUUID()}`;
    const acc = await s.api<{ id: string }>('POST', '/api/wms-accounts', { name: 'flux', warehouse: w, secret, dictionary });
    expect(acc.status, JSON.stringify(acc.body)).toBe(201);
    const body = withDeep({ shipmentId: 'SH-NONE', status: '1200', at: new Date().toISOString(), extra: DEEP });
    const ts = Math.floor(Date.now() / 1000);
    const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    const headers = { 'content-type': 'application/json', 'x-orderhub-event-id': randomUUID(), 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': `v1=${mac}` };
    const res = await fetch(`${s.url}/hooks/wms/${acc.body.id}`, { method: 'POST', headers, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_DEEP');
    expect(await ready()).toBe(200);
  });
});

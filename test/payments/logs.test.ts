// Payment paths log no secret and nothing of the payer: a hub logging at trace into a captured stream takes valid,
// refused and unbelievable notices, a query before close and a refund, and every line is searched for the keys used.
import { afterAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/platform/log.ts';
import { allBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { apiV3Key, createPaymentAccount, deliver, merchantKeys, transaction, wechatCredentials, wechatFake, wechatNotice, type WechatSetup } from './support/hub.ts';

const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

describe.each(allBackends)('payment logs on $name', (backend) => {
  const lines: string[] = [];
  let s: TestServer | undefined;
  let wx: WechatSetup | undefined;
  afterAll(async () => {
    await s?.close();
    await wx?.close();
  });

  it('carry no APIv3 key, no private key, no payer id, whatever the notice', async () => {
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    s = await startServer(backend, {}, { log: createLogger('trace', stream), refundPollMs: 50 });
    wx = await wechatFake();
    const shop = await createShop(s);
    const account = await createPaymentAccount(s, 'wechatpay', wechatCredentials(wx.apiBase), [shop.id]);
    const path = `/hooks/pay/wechatpay/${account}`;
    const sku = `LOG-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 10);
    const orderNo = async () => (await s!.push(shop.id, shop.secret, orderBody({ lines: [{ sku, quantity: 1, unitPrice: 1999 }] }))).body.orders?.[0]?.orderNo as string;
    const a = await orderNo();
    const good = wechatNotice('TRANSACTION.SUCCESS', transaction(a, 1999));
    expect((await deliver(s, path, { ...good, headers: { ...good.headers, 'wechatpay-nonce': 'x' } })).status).toBe(401);
    expect((await deliver(s, path, good)).status).toBe(200);
    expect((await deliver(s, path, wechatNotice('TRANSACTION.SUCCESS', transaction(await orderNo(), 1)))).status).toBe(200);
    wx.fake.addPayment({ outTradeNo: a, total: 1999 });
    wx.fake.failures.push({ status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
    const r = await s.api<{ outRefundNo: string }>('POST', `/api/orders/${a}/refunds`, { reason: 'test' });
    expect(r.status).toBe(201);
    const deadline = Date.now() + 15_000;
    while (!wx.fake.refunds.has(r.body.outRefundNo) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    if (s.hub.local) await s.hub.local.timers.runDue(Date.now() + 16 * 60_000);
    const all = lines.join('');
    expect(all).toContain('payment notice refused');
    expect(all).toContain('refund call failed');
    const keyBody = merchantKeys.privatePem.split('\n')[5] as string;
    for (const [label, needle] of [
      ['APIv3 key', apiV3Key],
      ['merchant private key', keyBody],
      ['payer openid', OPENID],
    ] as const) {
      expect(all.includes(needle), label).toBe(false);
    }
  }, 60_000);
});

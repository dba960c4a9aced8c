// The demo's payments: a local WeChat Pay (the fake in src/modules/payments/providers/wechatpay) pays the own shops' orders and calls
// the hub's notice URL as WeChat does — with retries, a lost notice now and then (the query before the payment timeout
// finds it) and, rarely, an amount that does not match (a payment exception in the queue). Fresh keys every start:
// a resumed demo points its payment account at them. What is paid then travels: the demo's parcels (./tracking.ts)
// start and stop with the payments, since `serve` knows the demo's services by this one handle.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Logger } from '../../platform/log.ts';
import { systemPrincipal } from '../../kernel/principal.ts';
import type { Hub } from '../../app/hub.ts';
import { WechatPayFake } from '../fakes/wechatpay.ts';
import type { DemoSetup } from './seed.ts';
import { startDemoTracking } from './tracking.ts';

const mchid = '1900000109';
const appid = 'wxd678efh567hg6787';
const serial = '3775B6A45ACD588826D15E583A95F5DD0D0F8D21';
const publicKeyId = 'PUB_KEY_ID_0114232134912410000000000000';
const accountName = '微信支付（演示）';

export interface DemoPayments {
  /** WeChat Pay tells the hub an own-shop order was paid (out_trade_no: the shop's own order id). */
  pay(orderId: string, total: number): Promise<void>;
  close(): Promise<void>;
}

const pem = (k: { export(o: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();

export async function startDemoPayments(hub: Hub, setup: DemoSetup, baseUrl: string, log: Logger, random: () => number = Math.random): Promise<DemoPayments> {
  const wechat = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = randomBytes(16).toString('hex');
  const fake = new WechatPayFake({ mchid, appid, apiV3Key, platform: { serial: publicKeyId, privateKey: wechat.privateKey }, merchantKeys: { [serial]: merchant.publicKey } });
  const server = await fake.listen();
  const credentials = {
    mchid,
    appids: [appid],
    apiV3Key,
    merchantSerialNo: serial,
    merchantPrivateKey: pem(merchant.privateKey, 'pkcs8'),
    publicKeys: { [publicKeyId]: pem(wechat.publicKey, 'spki') },
    apiBase: server.url,
  };
  const who = systemPrincipal(setup.tenant, 'demo-setup');
  const ownShops = setup.shops.filter((s) => s.platform === 'ownshop').map((s) => s.id);
  const existing = (await hub.paymentAccounts.list(who)).find((a) => a.name === accountName);
  const account = existing
    ? await hub.writes.updatePaymentAccount(who, existing.id, { credentials })
    : await hub.writes.createPaymentAccount(who, { provider: 'wechatpay', name: accountName, credentials, channelAccounts: ownShops, orderRef: 'platform_order_id' });
  const url = `${baseUrl}/hooks/pay/wechatpay/${account.id}`;
  const parcels = await startDemoTracking(hub, setup, baseUrl, log, random);

  const deliver = async (n: { headers: Record<string, string>; rawBody: Buffer }) => {
    const r = await fetch(url, { method: 'POST', headers: n.headers, body: n.rawBody });
    await r.arrayBuffer();
    return r.status;
  };
  return {
    async pay(orderId, total) {
      const r = random();
      // 3 %: the buyer paid a different amount (a mismatch the queue shows); 10 %: the notice is lost.
      fake.addPayment({ outTradeNo: orderId, total: r < 0.03 ? Math.max(1, total - 100) : total });
      if (r >= 0.03 && r < 0.13) return;
      const n = fake.paymentNotice(orderId);
      try {
        // WeChat retries what it got no answer for; 1 in 5 is delivered twice anyway, as WeChat does.
        if ((await deliver(n)) !== 200 || random() < 0.2) await deliver(fake.paymentNotice(orderId, { id: JSON.parse(n.rawBody.toString()).id as string }));
      } catch (e) {
        log.warn({ err: e }, 'demo: a WeChat Pay notice failed');
      }
    },
    async close() {
      await parcels.close();
      await server.close();
    },
  };
}

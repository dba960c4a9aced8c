// The demo: a seller organisation of its own (tenant `demo`), clearly marked, so that a first `npm start` shows a
// living shop on every channel. Created only on a fresh database; an existing demo is picked up again;
// ORDERHUB_DEMO=0 skips it. The platform shops are the hub's own platform simulators (src/sandbox/simulators), running in
// this process on loopback: they push signed as each platform signs, and answer the hub's pulls as each API does.
import { randomBytes } from 'node:crypto';
import { systemPrincipal } from '../../kernel/principal.ts';
import type { Hub } from '../../app/hub.ts';
import { hashPassword } from '../../platform/security/secrets.ts';
import { simulators } from '../simulators/index.ts';
import { cainiaoWaybillSimulator, pddWaybillSimulator } from '../simulators/waybills.ts';
import { douyinWaybillSimulator } from '../simulators/douyin-waybills.ts';
import { jdWaybillSimulator } from '../simulators/jd-waybills.ts';
import type { ShopeeSimulatorHooks } from '../simulators/shopee.ts';
import type { SimulatorServer } from '../simulators/server.ts';
import type { PlatformSimulator } from '../simulators/types.ts';

export const DEMO_TENANT = 'demo';
export const DEMO_PASSWORD = 'orderhub-demo';

export interface DemoShop {
  id: string;
  name: string;
  platform: string;
  /** The own shop's signing secret (empty for platform shops, whose simulator signs). */
  secret: string;
  /** A platform shop's simulator. */
  sim?: PlatformSimulator;
}

export interface DemoSetup {
  tenant: string;
  shops: DemoShop[];
  skus: { sku: string; title: string; price: number }[];
  users: { username: string; role: string }[];
  created: boolean;
}

export const demoSkus = [
  { sku: 'CUP-350', title: '保温杯 350ml', price: 8900 },
  { sku: 'CUP-500', title: '保温杯 500ml', price: 10900 },
  { sku: 'LID-01', title: '替换杯盖', price: 1500 },
  { sku: 'TEA-LJ', title: '龙井茶 250g', price: 16800 },
  { sku: 'TEA-PE', title: '普洱茶饼 357g', price: 22800 },
  { sku: 'BAG-TOTE', title: '帆布袋', price: 3900 },
  { sku: 'PEN-GEL', title: '中性笔 10 支', price: 1990 },
  { sku: 'NOTE-A5', title: 'A5 笔记本', price: 2500 },
  { sku: 'MUG-CER', title: '陶瓷马克杯', price: 4500 },
  { sku: 'HOT-1111', title: '双十一限量礼盒', price: 29900 },
];

const ownShops = ['官网商城（演示）', '微信小程序（演示）'];
/** One shop per platform, each a simulator with fixed secrets (so a restarted demo still matches its accounts). */
const platformShops: [string, string][] = [
  ['taobao', '天猫旗舰店（演示）'],
  ['jd', '京东 POP 店（演示）'],
  ['pinduoduo', '拼多多店（演示）'],
  ['douyin', '抖店直播间（演示）'],
  ['shopee', 'Shopee 马来西亚（演示）'],
  ['shopify', 'Shopify 海外站（演示）'],
  ['woocommerce', 'WooCommerce 独立站（演示）'],
];
/** The demo's people, one per built-in role: the sign-in page and the start-up message name them from here. */
export const demoUsers: readonly { username: string; role: string }[] = [
  { username: 'demo-admin', role: 'admin' },
  { username: 'demo-ops', role: 'operations' },
  { username: 'demo-cs', role: 'customer_service' },
  { username: 'demo-wh', role: 'warehouse' },
  { username: 'demo-fin', role: 'finance' },
  { username: 'demo-readonly', role: 'read_only' },
];

/**
 * Sets up (or finds) the demo; null when the database holds other data and the demo must not mix into it. Platform
 * shops are mounted on `sims`; a resumed demo points its accounts at where the simulators answer now.
 */
export async function prepareDemo(hub: Hub, sims: SimulatorServer): Promise<DemoSetup | null> {
  const who = systemPrincipal(DEMO_TENANT, 'demo-setup');
  const mount = (platform: string) => {
    const factory = simulators[platform];
    if (!factory) throw new Error(`no simulator for ${platform}`);
    const sim = sims.mount(`demo-${platform}`, factory, `demo-${platform}`);
    // Shopee's 3PL picks up an arranged parcel a little later, so the demo's Shopee orders move on to SHIPPED.
    if (platform === 'shopee') (sim as ShopeeSimulatorHooks).collectParcelsAfter(20_000);
    return sim;
  };
  const existing = await hub.accounts.list(who);
  if (existing.length) {
    const shops: DemoShop[] = [];
    for (const a of existing) {
      if (a.platform === 'ownshop') {
        shops.push({ id: a.id, name: a.name, platform: a.platform, secret: String(a.credentials.secret) });
      } else if (simulators[a.platform]) {
        const sim = mount(a.platform);
        await hub.writes.updateAccount(who, a.id, { credentials: { apiBase: sim.credentials.apiBase } });
        shops.push({ id: a.id, name: a.name, platform: a.platform, secret: '', sim });
      }
    }
    return { tenant: DEMO_TENANT, shops, skus: demoSkus, users: demoUsers.map((u) => ({ ...u })), created: false };
  }
  const others = await hub.db.read.get<{ n: number }>('SELECT (SELECT count(*) FROM channel_accounts) + (SELECT count(*) FROM users) AS n');
  if (Number(others?.n ?? 0) > 0) return null;

  const made: DemoShop[] = [];
  for (const name of ownShops) {
    const secret = randomBytes(24).toString('base64url');
    const a = await hub.writes.createAccount(who, { platform: 'ownshop', name, credentials: { secret } });
    made.push({ id: a.id, name, platform: 'ownshop', secret });
  }
  for (const [platform, name] of platformShops) {
    if (!simulators[platform]) continue;
    const sim = mount(platform);
    const a = await hub.writes.createAccount(who, { platform, name, credentials: sim.credentials });
    made.push({ id: a.id, name, platform, secret: '', sim });
  }
  // E-waybill accounts (电子面单) on the networks' simulators: the demo's Taobao, PDD, Douyin and JD parcels get their
  // numbers there.
  const sender = { name: '杭州仓（演示）', phone: '057188886666', province: '浙江省', city: '杭州市', district: '余杭区', address: '仓前街道 8 号' };
  for (const [network, factory, name] of [
    ['cainiao', cainiaoWaybillSimulator, '菜鸟电子面单 韵达（演示）'],
    ['pinduoduo', pddWaybillSimulator, '拼多多电子面单 韵达（演示）'],
    ['douyin', douyinWaybillSimulator, '抖店电子面单 韵达（演示）'],
    ['jd', jdWaybillSimulator, '京东无界电子面单 韵达（演示）'],
  ] as const) {
    const sim = sims.mount(`demo-${network}-waybill`, factory, `demo-${network}-waybill`);
    await hub.writes.createWaybillAccount(who, { network, name, carrier: 'yunda', credentials: sim.credentials, sender });
  }
  // Shopee arranges its own orders' shipments and gives the number: the account holds only the seller's choice.
  await hub.writes.createWaybillAccount(who, { network: 'shopee', name: 'Shopee 物流（演示）', carrier: 'shopee', credentials: { method: 'pickup' }, sender });
  for (const [i, s] of demoSkus.entries()) {
    // The limited gift box is short on purpose: the demo shows 库存不足 holds and the never-oversell guarantee.
    const hot = s.sku === 'HOT-1111';
    await hub.writes.setStock(who, { sku: s.sku, warehouse: 'WH-HZ', onHand: hot ? 20 : 400 + i * 37, safetyStock: hot ? 5 : 30, cause: 'demo', unknownWarehouse: 'create' });
    if (!hot) await hub.writes.setStock(who, { sku: s.sku, warehouse: 'WH-GZ', onHand: 200 + i * 11, safetyStock: 20, cause: 'demo', unknownWarehouse: 'create' });
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD, 'demo');
  for (const { username, role } of demoUsers) {
    await hub.writes.createUser(who, { username, displayName: `${username} (demo)`, passwordHash, roles: [role] });
  }
  return { tenant: DEMO_TENANT, shops: made, skus: demoSkus, users: demoUsers.map((u) => ({ ...u })), created: true };
}

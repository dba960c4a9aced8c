// The demo: a seller organisation of its own (tenant `demo`), clearly marked, so that a first `npm start` shows a
// living shop. Created only on a fresh database; an existing demo is picked up again; ORDERHUB_DEMO=0 skips it.
import { randomBytes } from 'node:crypto';
import { systemPrincipal } from '../domain/principal.ts';
import type { Hub } from '../runtime/hub.ts';
import { hashPassword } from '../security/secrets.ts';

export const DEMO_TENANT = 'demo';
export const DEMO_PASSWORD = 'orderhub-demo';

export interface DemoShop {
  id: string;
  name: string;
  secret: string;
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

const shops = ['官网商城（演示）', '微信小程序（演示）', '直播间（演示）'];
const roles: [string, string][] = [
  ['demo-admin', 'admin'],
  ['demo-ops', 'operations'],
  ['demo-cs', 'customer_service'],
  ['demo-wh', 'warehouse'],
  ['demo-fin', 'finance'],
  ['demo-readonly', 'read_only'],
];

/** Sets up (or finds) the demo; null when the database holds other data and the demo must not mix into it. */
export async function prepareDemo(hub: Hub): Promise<DemoSetup | null> {
  const who = systemPrincipal(DEMO_TENANT, 'demo-setup');
  const existing = await hub.accounts.list(who);
  if (existing.length) {
    return {
      tenant: DEMO_TENANT,
      shops: existing.map((a) => ({ id: a.id, name: a.name, secret: String(a.credentials.secret) })),
      skus: demoSkus,
      users: roles.map(([username, role]) => ({ username, role })),
      created: false,
    };
  }
  const others = await hub.db.read.get<{ n: number }>('SELECT (SELECT count(*) FROM channel_accounts) + (SELECT count(*) FROM users) AS n');
  if (Number(others?.n ?? 0) > 0) return null;

  const made: DemoShop[] = [];
  for (const name of shops) {
    const secret = randomBytes(24).toString('base64url');
    const a = await hub.writes.createAccount(who, { platform: 'ownshop', name, credentials: { secret } });
    made.push({ id: a.id, name, secret });
  }
  for (const [i, s] of demoSkus.entries()) {
    // The limited gift box is short on purpose: the demo shows 库存不足 holds and the never-oversell guarantee.
    const hot = s.sku === 'HOT-1111';
    await hub.writes.setStock(who, { sku: s.sku, warehouse: 'WH-HZ', onHand: hot ? 20 : 400 + i * 37, safetyStock: hot ? 5 : 30, cause: 'demo' });
    if (!hot) await hub.writes.setStock(who, { sku: s.sku, warehouse: 'WH-GZ', onHand: 200 + i * 11, safetyStock: 20, cause: 'demo' });
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD, 'demo');
  for (const [username, role] of roles) {
    await hub.writes.createUser(who, { username, displayName: `${username} (demo)`, passwordHash, roles: [role] });
  }
  return { tenant: DEMO_TENANT, shops: made, skus: demoSkus, users: roles.map(([username, role]) => ({ username, role })), created: true };
}

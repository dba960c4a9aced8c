// `npm start` on a fresh database: a demo organisation whose simulated shops push real, signed orders, so the
// console is alive within seconds — and ORDERHUB_DEMO=0, or a database with real data, keeps it out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, exited, spawnHub, type HubProcess } from './support/process.ts';

const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('ORDERHUB_') && k !== 'DATABASE_URL' && k !== 'PORT'),
) as Record<string, string>;
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'orderhub-demo-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function signIn(hub: HubProcess, username: string) {
  const res = await fetch(`${hub.url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'orderhub-demo', tenant: 'demo' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return <T>(path: string, method = 'GET') =>
    fetch(hub.url + path, { method, headers: { cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }) } }).then(async (r) => ({ status: r.status, body: (await r.json()) as T }));
}

async function stop(hub: HubProcess) {
  hub.child.kill('SIGTERM');
  expect(await exited(hub.child)).toBe(0);
}

describe('the demo', () => {
  it('creates a marked demo organisation on a fresh database and fills it with live orders within seconds', async () => {
    const dir = fresh();
    const env = { ...cleanEnv, ORDERHUB_DATA_DIR: dir, ORDERHUB_DEMO_RATE: '120', LOG_LEVEL: 'info' };
    const hub = await spawnHub(env, ['--demo']);
    try {
      await expect.poll(() => hub.output()).toContain('Demo (created)');
      expect(hub.output()).toContain('demo-admin');
      expect(await (await fetch(`${hub.url}/api/auth/options`)).json()).toMatchObject({ defaultTenant: 'demo', demo: { tenant: 'demo', password: 'orderhub-demo' } });
      const get = await signIn(hub, 'demo-admin');
      await expect
        .poll(async () => (await get<{ ordersToday: number }>('/api/dashboard')).body.ordersToday, { timeout: 15_000, interval: 500 })
        .toBeGreaterThanOrEqual(20);
      const accounts = await get<{ items: { name: string; platform: string }[] }>('/api/channel-accounts');
      // A shop on every channel: own shops push, the platform shops are the platform simulators (push and pull).
      expect(new Set(accounts.body.items.map((a) => a.platform))).toEqual(new Set(['ownshop', 'taobao', 'jd', 'pinduoduo', 'douyin', 'shopee', 'shopify', 'woocommerce']));
      for (const a of accounts.body.items) expect(a.name).toMatch(/演示/);
      // Orders arrive from several channels within seconds, pull-only platforms included. Alone this takes under 10 s;
      // the pull-only shops are pulled every 10 s, and under the whole suite's load one round can take much longer.
      await expect
        .poll(async () => (await get<{ byChannel: { channel: string }[] }>('/api/dashboard')).body.byChannel.map((c) => c.channel), { timeout: 45_000, interval: 500 })
        .toEqual(expect.arrayContaining(['ownshop', 'shopify', 'woocommerce', 'taobao', 'jd', 'pinduoduo']));
      // Duplicated deliveries never make a second order; no SKU is ever oversold.
      const orders = await get<{ items: { platformOrderId: string }[]; total: number }>('/api/orders?pageSize=200');
      const ids = orders.body.items.map((o) => o.platformOrderId);
      expect(new Set(ids).size).toBe(ids.length);
      const stock = await get<{ items: { sku: string; byWarehouse: { onHand: number; reserved: number }[] }[] }>('/api/stock?pageSize=100');
      expect(stock.body.items.length).toBeGreaterThanOrEqual(10);
      for (const s of stock.body.items) for (const w of s.byWarehouse) expect(w.reserved, s.sku).toBeLessThanOrEqual(w.onHand);
      // The own shops are paid through the demo's WeChat Pay, whose notices reach the hub signed as WeChat signs them.
      const pay = await get<{ items: { provider: string; channelAccounts: string[] }[] }>('/api/payment-accounts');
      expect(pay.body.items).toMatchObject([{ provider: 'wechatpay' }]);
      // Every demo role can sign in; a read-only one sees but cannot change.
      const readOnly = await signIn(hub, 'demo-readonly');
      expect((await readOnly('/api/orders')).status).toBe(200);
      expect((await readOnly('/api/users')).status).toBe(403);
    } finally {
      await stop(hub);
    }
    // Started again, the demo is resumed, not created twice.
    const again = await spawnHub(env, ['--demo']);
    try {
      // The banner is a write of its own after the line spawnHub waits for: it may arrive a moment later.
      await expect.poll(() => again.output()).toContain('Demo (resumed)');
      const get = await signIn(again, 'demo-ops');
      const accounts = (await get<{ items: { id: string; platform: string }[] }>('/api/channel-accounts')).body.items;
      expect(accounts).toHaveLength(9);
      // The resumed platform shops answer where the simulators run now: a pull of the JD shop works.
      const jd = accounts.find((a) => a.platform === 'jd');
      const asAdmin = await signIn(again, 'demo-admin');
      const run = await asAdmin<{ errorCode: string | null }>(`/api/channel-accounts/${jd?.id}/pull`, 'POST');
      expect(run.body.errorCode).toBeNull();
    } finally {
      await stop(again);
    }
  }, 120_000);

  it('stays out when ORDERHUB_DEMO=0, and when the database already holds other data', async () => {
    const off = await spawnHub({ ...cleanEnv, ORDERHUB_DATA_DIR: fresh(), ORDERHUB_DEMO: '0' }, ['--demo']);
    try {
      expect(off.output()).toContain('Demo switched off (ORDERHUB_DEMO=0)');
      expect(await (await fetch(`${off.url}/api/auth/options`)).json()).toMatchObject({ demo: null });
    } finally {
      await stop(off);
    }
    const dir = fresh();
    const made = spawnSync(process.execPath, [bin, 'account', 'create', '--platform', 'ownshop', '--name', 'Real shop', '--secret', 'a-real-secret-0123456789'], {
      env: { ...cleanEnv, ORDERHUB_DATA_DIR: dir },
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    const real = await spawnHub({ ...cleanEnv, ORDERHUB_DATA_DIR: dir, ORDERHUB_ADMIN_TOKEN: 'real-admin-token-0123456789' }, ['--demo']);
    try {
      expect(real.output()).toContain('Demo skipped: the database already holds other data');
      const accounts = await fetch(`${real.url}/api/channel-accounts`, { headers: { authorization: 'Bearer real-admin-token-0123456789' } });
      expect(((await accounts.json()) as { items: { name: string }[] }).items.map((a) => a.name)).toEqual(['Real shop']);
    } finally {
      await stop(real);
    }
  });
});

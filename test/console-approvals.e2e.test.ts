// The approvals and guard rails in a real browser against a real hub: the approver's bell counts what they may decide,
// the request shows its change (SKU, quantity, old → new price) and links to the order, which says 待审批; 改价 is
// not offered on a Taobao order; switching a shop or a user off asks first and says what will happen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, signIn as signInAs } from './support/browser.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { ownshop } from '../src/modules/channels/connectors/ownshop/index.ts';
import { DEFAULT_TENANT } from '../src/kernel/tenancy.ts';

const missing = browserMissing('the approval browser tests');
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

describe.skipIf(missing !== null)('approvals and guard rails in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let base = '';
  let shop: { id: string; secret: string };
  let orderNo = '';
  let taobaoOrderNo = '';
  let approvalId = '';
  const ids = new Map<string, string>();

  beforeAll(async () => {
    s = await startServer(backend);
    base = s.url.replace('127.0.0.1', 'localhost');
    shop = await createShop(s, 'e2e-approvals-secret-0123');
    await setStock(s, 'A1', 50);
    for (const [username, role] of [
      ['e2e-ops1', 'operations'],
      ['e2e-ops2', 'operations'],
      ['e2e-admin', 'admin'],
      ['e2e-leaver', 'read_only'],
    ] as const) {
      const u = await s.api<{ id: string }>('POST', '/api/users', { username, password: PASSWORD, roles: [role] });
      expect(u.status).toBe(201);
      ids.set(username, u.body.id);
    }
    const pushed = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: 'A1', quantity: 2, unitPrice: 1999 }], shippingFee: 0 }));
    orderNo = pushed.body.orders?.[0]?.orderNo as string;
    // ops1 asks for a price change through its API token; ops2 is the one to decide it.
    const token = (await s.api<{ token: string }>('POST', '/api/tokens', { name: 'ops1', userId: ids.get('e2e-ops1') })).body.token;
    const res = await fetch(`${s.url}/api/orders/${orderNo}/price-change`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: [{ lineNo: 1, unitPrice: 1500 }], reason: '老客户优惠' }),
    });
    expect(res.status).toBe(202);
    approvalId = ((await res.json()) as { pendingApproval: { id: string } }).pendingApproval.id;

    // A Taobao order, stored the way the poller stores a pulled one.
    const tb = await s.api<{ id: string }>('POST', '/api/channel-accounts', {
      platform: 'taobao',
      name: '淘宝旗舰店',
      credentials: { appKey: '12345678', appSecret: 'taobao-app-secret-0123', session: 'seller-session-0123' },
    });
    expect(tb.status).toBe(201);
    const body = orderBody({ lines: [{ sku: 'A1', quantity: 1, unitPrice: 2500 }] });
    const raw = Buffer.from(JSON.stringify(body));
    const [normalized] = ownshop.parsePush?.(raw, { eventId: `tb-${body.orderId}`, keptHeaders: {} }) ?? [];
    const stored = await s.hub.writes.ingest({
      tenantId: DEFAULT_TENANT,
      accountId: tb.body.id,
      channel: 'taobao',
      eventId: `tb-${body.orderId}`,
      receivedAt: Date.now(),
      headers: {},
      rawBody: raw,
      orders: [normalized as NonNullable<typeof normalized>],
      via: 'pull',
    });
    taobaoOrderNo = stored.orders[0]?.orderNo as string;
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const signIn = (username: string): Promise<Page> => signInAs(browser, base, username, { width: 1440, height: 900 });

  it('counts the request in the approver’s bell, shows the change and links to the order, which says 待审批', { timeout: 120_000 }, async () => {
    const page = await signIn('e2e-ops2');
    await expect.poll(async () => (await page.getByTestId('approval-bell-count').textContent())?.trim()).toBe('1');
    await page.getByTestId('approval-bell').click();
    await page.waitForURL(/\/approvals$/);
    const diff = page.getByTestId('approval-diff').first();
    await diff.waitFor();
    const line = (await diff.getByTestId('approval-diff-line').first().textContent()) ?? '';
    expect(line).toContain('A1 × 2');
    expect(line).toContain('19.99');
    expect(line).toContain('15.00');
    expect(await diff.textContent()).toContain('老客户优惠');
    await diff.getByTestId('approval-order-link').click();
    await page.waitForURL(new RegExp(`/orders/${orderNo}$`));
    expect(await page.getByTestId('order-pending-approval').textContent()).toBe('待审批');
    // The orders list carries the marker too.
    await page.goto(`${base}/orders`);
    await page.getByTestId('order-pending-approval').first().waitFor();
    // The requester's own request is not in the requester's bell.
    const ops1 = await signIn('e2e-ops1');
    await ops1.getByTestId('approval-bell').waitFor();
    await expect.poll(async () => (await ops1.getByTestId('approval-bell-count').textContent())?.trim() ?? '').toBe('');
    // Deciding it clears the bell.
    await page.goto(`${base}/approvals`);
    await page.getByRole('button', { name: /驳\s*回/ }).first().click();
    await page.locator('.ant-modal').getByRole('button', { name: /OK|确\s*定/ }).click();
    await expect.poll(async () => (await s.api<{ state: string }>('GET', `/api/approvals/${approvalId}`)).body.state).toBe('rejected');
    await expect.poll(async () => (await page.getByTestId('approval-bell-count').textContent())?.trim() ?? '').toBe('');
    await page.close();
    await ops1.close();
  });

  it('does not offer 改价 on a Taobao order and says why; offers it on the own shop’s unpaid order', { timeout: 60_000 }, async () => {
    const page = await signIn('e2e-ops1');
    await page.goto(`${base}/orders/${taobaoOrderNo}`);
    await page.getByTestId('price-change-blocked').waitFor();
    expect(await page.getByTestId('price-change-button').count()).toBe(0);
    expect(await page.getByTestId('price-change-blocked').textContent()).toContain('平台商家后台改价');
    await page.goto(`${base}/orders/${orderNo}`);
    await page.getByTestId('price-change-button').waitFor();
    await page.close();
  });

  it('asks before switching a shop off and a user off, naming what happens; cancel changes nothing', { timeout: 60_000 }, async () => {
    const page = await signIn('e2e-admin');
    await page.goto(`${base}/accounts`);
    const row = page.locator('tr', { hasText: 'Web shop' });
    await row.getByTestId('active-switch').click();
    const dialog = page.locator('.ant-modal-confirm');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('停用店铺「Web shop」');
    expect(await dialog.textContent()).toContain('推送来的订单会被拒收');
    await dialog.getByRole('button', { name: /取\s*消/ }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await s.api<{ active: boolean }>('GET', `/api/channel-accounts/${shop.id}`)).body.active).toBe(true);
    await row.getByTestId('active-switch').click();
    await page.locator('.ant-modal-confirm').getByRole('button', { name: /停\s*用/ }).click();
    await expect.poll(async () => (await s.api<{ active: boolean }>('GET', `/api/channel-accounts/${shop.id}`)).body.active).toBe(false);

    await page.goto(`${base}/users`);
    const user = page.locator('tr', { hasText: 'e2e-leaver' });
    await user.getByTestId('active-switch').click();
    const confirm = page.locator('.ant-modal-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('停用用户「e2e-leaver」');
    expect(await confirm.textContent()).toContain('无法登录');
    await confirm.getByRole('button', { name: /停\s*用/ }).click();
    await expect.poll(async () => (await s.api<{ active: boolean }>('GET', `/api/users/${ids.get('e2e-leaver')}`)).body.active).toBe(false);
    await page.close();
  });
});

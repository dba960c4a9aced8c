// Bundles (组合装) in the console, in a real browser against a real hub: the stock page marks a bundle and shows its
// components with what each makes, in Chinese and English; the pick list names the bundle beside its components and
// the parcel's lines are the components, each naming its bundle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { httpBackends } from '../support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn } from '../support/browser.ts';
import { createShop, setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';

const missing = browserMissing('the bundle console tests');
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

describe.skipIf(missing !== null)('bundles in the console (Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let base = '';
  let orderId = '';

  beforeAll(async () => {
    s = await startServer(backend);
    base = s.url.replace('127.0.0.1', 'localhost');
    const shop = await createShop(s);
    await setStock(s, 'CUP', 9, 'WH1');
    await setStock(s, 'LID', 100, 'WH1');
    const b = await s.api('PUT', '/api/bundles/GIFTSET', { components: [{ sku: 'CUP', quantity: 2 }, { sku: 'LID', quantity: 1 }] });
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    const r = await s.push(
      shop.id,
      shop.secret,
      orderBody({ status: 'paid', lines: [{ sku: 'GIFTSET', title: '礼盒', quantity: 1, unitPrice: 5000, discount: 0 }], paidAmount: 5000 }),
    );
    expect(r.body.orders?.[0]).toMatchObject({ reservation: 'deducted' });
    orderId = r.body.orders?.[0]?.orderId as string;
    const routed = await s.api<{ committed: boolean }>('POST', '/api/routing/run', { orderIds: [orderId] });
    expect(routed.body.committed).toBe(true);
    for (const [username, role] of [['e2e-bundle-wh', 'warehouse']]) {
      expect((await s.api('POST', '/api/users', { username, password: PASSWORD, roles: [role] })).status).toBe(201);
    }
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('shows a bundle with its components on the stock page, in Chinese and in English', async () => {
    const page = await signIn(browser, base, 'e2e-bundle-wh');
    await page.getByRole('menuitem', { name: /库存$/ }).click();
    const row = page.locator('tr', { has: page.getByRole('cell', { name: /GIFTSET/ }) });
    await row.getByText('组合装', { exact: true }).waitFor();
    // CUP 9 on hand, 2 reserved for the order: 7 ÷ 2 → 3 bundles sellable.
    await row.locator('.ant-table-row-expand-icon').click();
    const detail = page.getByTestId('bundle-GIFTSET');
    await detail.getByRole('columnheader', { name: '子商品' }).waitFor();
    expect(await detail.locator('tbody tr').count()).toBe(2);
    expect(await detail.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['CUP', '2', '9', '7', '7']);
    await page.screenshot({ path: `${shots}bundles-stock-zh.png` });
    await page.getByText('English').click();
    await detail.getByRole('columnheader', { name: 'Component' }).waitFor();
    await detail.getByRole('columnheader', { name: 'Per bundle' }).waitFor();
    expect(await row.getByText('Bundle', { exact: true }).count()).toBe(1);
    await page.close();
  });

  it('names the bundle beside its components on the pick list, and the parcel carries the components', async () => {
    const page = await signIn(browser, base, 'e2e-bundle-wh');
    await page.getByRole('menuitem', { name: '仓库作业' }).click();
    await page.getByTestId('create-wave').click();
    const pick = page.getByTestId('pick-list');
    await pick.getByRole('cell', { name: 'CUP', exact: true }).waitFor();
    expect(await pick.getByTestId('pick-bundle-CUP').textContent()).toBe('组合装 礼盒 × 2');
    expect(await pick.getByTestId('pick-bundle-LID').textContent()).toBe('组合装 礼盒 × 1');
    const lines = (await s.api<{ shipments: { lines: { sku: string; bundleSku?: string }[] }[] }>('GET', `/api/orders/${orderId}`)).body.shipments.flatMap((x) => x.lines);
    expect(lines.map((l) => [l.sku, l.bundleSku]).sort()).toEqual([
      ['CUP', 'GIFTSET'],
      ['LID', 'GIFTSET'],
    ]);
    await page.screenshot({ path: `${shots}bundles-pick-list.png` });
    await page.close();
  });
});

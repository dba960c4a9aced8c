// Stock adjustment and the movement ledger in the console, in a real browser against a real hub, as the operations
// person who counts stock: SKU and warehouse are picked from lists (the SKU found by its product name), a reason is
// required, the change is reviewed as before → after, a success message names it, and the SKU's ledger shows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { httpBackends } from '../support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn } from '../support/browser.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';

const missing = browserMissing('the stock console tests');
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

describe.skipIf(missing !== null)('stock adjustment and ledger in the console (Chromium)', () => {
  let s: TestServer;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    s = await startServer(backend, { approvals: 'none' });
    base = s.url.replace('127.0.0.1', 'localhost');
    expect((await s.api('PUT', '/api/warehouses/WH-HZ', { name: '杭州仓', regions: ['*'] })).status).toBe(200);
    expect((await s.api('POST', '/api/skus', { sku: 'CUP-500', title: '保温杯 500ml' })).status).toBe(201);
    await setStock(s, 'CUP-500', 10, 'WH-HZ');
    expect((await s.api('POST', '/api/users', { username: 'e2e-stock-ops', password: PASSWORD, roles: ['admin'] })).status).toBe(201);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('adjusts from lists with a reason and a before → after review, then shows it in the ledger', async () => {
    const page = await signIn(browser, base, 'e2e-stock-ops');
    await page.getByRole('menuitem', { name: /库存$/ }).click();
    const row = page.locator('tr', { has: page.getByRole('cell', { name: 'CUP-500', exact: true }) });
    await row.getByText('保温杯 500ml').waitFor();

    await page.getByTestId('stock-adjust').click();
    // The SKU is found by its product name, the warehouse picked from the list.
    await page.getByTestId('stock-sku').click();
    await page.keyboard.type('保温杯');
    await page.locator('.ant-select-item-option', { hasText: 'CUP-500 · 保温杯 500ml' }).click();
    await page.getByTestId('stock-warehouse').click();
    await page.locator('.ant-select-item-option', { hasText: 'WH-HZ · 杭州仓' }).click();
    // antd puts the test id on the input itself or on its wrapper, by version.
    await page.locator('input[data-testid="stock-onhand"], [data-testid="stock-onhand"] input').first().fill('7');
    // No reason: nothing is asked of the server yet.
    await page.getByTestId('stock-next').click();
    await page.locator('.ant-form-item-explain-error').first().waitFor();
    expect(await page.getByTestId('stock-review').count()).toBe(0);
    await page.getByTestId('stock-reason').fill('破损 3 件');
    await page.getByTestId('stock-next').click();
    await page.getByTestId('stock-review').waitFor();
    expect(await page.getByTestId('stock-before-after').textContent()).toBe('10 → 7');
    await page.screenshot({ path: `${shots}stock-adjust-review.png` });
    await page.getByTestId('stock-confirm').click();
    await page.locator('.ant-message-success', { hasText: '库存已更新' }).waitFor();
    expect(await page.locator('.ant-message-success').textContent()).toContain('10 → 7');
    expect((await s.api<{ onHand: number }>('GET', '/api/stock/CUP-500')).body.onHand).toBe(7);

    await row.getByTestId('ledger-CUP-500').click();
    const ledger = page.getByTestId('stock-ledger');
    await ledger.getByText('破损 3 件').waitFor();
    const first = await ledger.locator('tbody tr').first().locator('td').allTextContents();
    expect(first.slice(1, 7)).toEqual(['WH-HZ', '库存设置', '10 → 7', '0 → 0', 'e2e-stock-ops', '破损 3 件']);
    expect(await ledger.locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: `${shots}stock-ledger.png` });
    await page.close();
  }, 120_000);
});

// The order export dialog in a real browser (Debian's Chromium through playwright-core) against a real hub: the
// operator picks a row per line and a language, sees the progress against the hub's row count, gets the success
// message and a file named by the shop's date whose headers are in the chosen language and whose amounts are in yuan.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn } from './support/browser.ts';
import { setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';

const missing = browserMissing('the order export browser tests');
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

describe.skipIf(missing !== null)('the order export dialog in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    s = await startServer(backend);
    base = s.url.replace('127.0.0.1', 'localhost');
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: '杭州旗舰店', credentials: { secret: 'export-e2e-0123456789' } });
    expect(a.status).toBe(201);
    await setStock(s, 'CUP', 100);
    for (let i = 0; i < 30; i++) {
      const r = await s.push(a.body.id, 'export-e2e-0123456789', orderBody({ lines: [{ sku: 'CUP', title: '保温杯', quantity: 2, unitPrice: 4990, discount: 0 }] }));
      expect(r.status).toBe(200);
    }
    expect((await s.api('POST', '/api/users', { username: 'e2e-finance', password: PASSWORD, roles: ['finance'] })).status).toBe(201);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('exports a row per line in the chosen language with progress and a success message', { timeout: 120_000 }, async () => {
    const page = await signIn(browser, base, 'e2e-finance');
    await page.getByRole('menuitem', { name: '订单' }).first().click();
    await page.getByTestId('order-export').click();
    await page.getByText('导出订单').waitFor();
    await page.getByTestId('export-layout').getByText('每个商品明细一行', { exact: false }).click();
    await page.getByTestId('export-lang').getByText('English').click();
    await page.screenshot({ path: `${shots}orders-export.png` });
    const download = page.waitForEvent('download');
    await page.getByTestId('export-start').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^order-lines-\d{8}-\d{4}\.csv$/);
    await page.getByText('导出完成，共 30 行').waitFor();
    const text = readFileSync((await file.path()) as string, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const [header, ...rows] = text.slice(1).trim().split(/\r?\n/);
    expect(header?.startsWith('Order no.,Platform order id,Shop,Channel,Order status,Line,SKU')).toBe(true);
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.includes(',杭州旗舰店,Own web shop,') && r.includes(',99.80,'))).toBe(true);
    // The audit log names who exported what.
    const audit = await s.api<{ items: { actor: { name: string }; detail: { layout: string; lang: string; rows: number } }[] }>('GET', '/api/audit?action=orders.export');
    expect(audit.body.items[0]).toMatchObject({ actor: { name: 'e2e-finance' }, detail: { layout: 'lines', lang: 'en', rows: 30 } });
  });
});

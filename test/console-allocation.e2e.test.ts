// The 库存分配 page in a real browser (Debian's Chromium through playwright-core) against a real hub and Taobao,
// Pinduoduo and JD simulators whose listings the hub pulled itself: a person changes a shop's ratio and safety stock in
// its row, sees it saved and the shop's number change on the page, and GET /api/stock/{sku}'s byChannel and the
// platform itself follow; a listing's cap is set from the SKU view; a SKU is given to one shop and taken back; bad
// input (ratio 150, a negative safety stock, a negative fixed quantity) is shown as an error and saves nothing; a person
// without the stock adjustment permission only looks; the stock page shows byChannel for a SKU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn } from './support/browser.ts';
import { setStock, startServer, type TestServer } from './support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../src/sandbox/simulators/taobao.ts';
import { pinduoduoSimulator } from '../src/sandbox/simulators/pinduoduo.ts';
import { jdSimulator } from '../src/sandbox/simulators/jd.ts';
import type { PlatformSimulator, SimulatorFactory } from '../src/sandbox/simulators/types.ts';

const missing = browserMissing('the stock allocation browser tests');

// The production mode of `serve`: SQLite with the writer thread.
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

const SKU = 'TEACUP-01';
const OTHER = 'TEAPOT-01';

interface ShopSpec {
  platform: string;
  factory: SimulatorFactory;
  name: string;
  itemId: string;
  skuId: string;
}

const specs: ShopSpec[] = [
  { platform: 'taobao', factory: taobaoSimulator, name: '青瓷淘宝旗舰店', itemId: '710000000100', skuId: '710000000101' },
  { platform: 'pinduoduo', factory: pinduoduoSimulator, name: '青瓷拼多多专营店', itemId: '710000000200', skuId: '710000000201' },
  { platform: 'jd', factory: jdSimulator, name: '青瓷京东自营店', itemId: '710000000300', skuId: '710000000301' },
];

interface Shop extends ShopSpec {
  sim: PlatformSimulator;
  accountId: string;
}

interface StockDetail {
  byChannel: { accountId: string; sellable: number | null }[];
}
interface SkuListing {
  id: number;
  accountId: string;
  fixedQuantity: number | null;
  capQuantity: number | null;
  offered: number | null;
}
interface Allocation {
  accounts: { accountId: string; accountName: string; ratioPct: number; safetyStock: number; syncEnabled: boolean; updatedAt: string | null }[];
  exclusive: { sku: string; accountId: string }[];
}

/** Waits for a condition of the hub or a platform with a generous deadline (no wall-clock luck). */
async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The <input> of an Ant Design InputNumber, whichever element carries the test id. */
const inputOf = (l: Locator) => l.locator('xpath=self::input | .//input').first();

describe.skipIf(missing !== null)('the 库存分配 page in Chromium', () => {
  let s: TestServer;
  let sims: SimulatorServer;
  let browser: Browser;
  let base = '';
  const shops: Shop[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, { listingPullIntervalHours: 6 }, { listingTickMs: 200, stockSync: { pollMs: 50, gatherMs: 200, retryBaseMs: 100 } });
    base = s.url.replace('127.0.0.1', 'localhost');
    // 100 on hand, 10 safety stock: 90 free.
    await setStock(s, SKU, 100, 'WH1', 10);
    await setStock(s, OTHER, 30, 'WH1');
    for (const [i, spec] of specs.entries()) {
      const sim = sims.mount(`${spec.platform}-alloc-${i}`, spec.factory, `alloc-e2e-${i}`);
      // The platform lists the SKU (its merchant code is the hub's SKU) before the shop is added: the hub's first
      // listing pull finds and matches it.
      sim.catalogue?.add({ itemId: spec.itemId, title: '青花瓷茶杯 礼盒装', skus: [{ skuId: spec.skuId, outerId: SKU, quantity: 0 }] });
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: spec.platform, name: spec.name, credentials: sim.credentials });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      shops.push({ ...spec, sim, accountId: a.body.id });
    }
    await until('every shop’s listing pulled and matched', async () => (await s.api<{ items: unknown[] }>('GET', `/api/listings?sku=${SKU}`)).body.items.length === 3);
    // Nothing moved the stock since the listings were matched: a count makes every listing due.
    await setStock(s, SKU, 100, 'WH1', 10);
    await until('every platform offering 90', () => shops.every((x) => x.sim.catalogue?.quantityOf(x.itemId, x.skuId) === 90));
    expect((await s.api('POST', '/api/users', { username: 'e2e-allocator', password: PASSWORD, roles: ['operations'] })).status).toBe(201);
    expect((await s.api('POST', '/api/users', { username: 'e2e-alloc-viewer', password: PASSWORD, roles: ['customer_service'] })).status).toBe(201);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await sims?.close();
  });

  const shop = (platform: string) => shops.find((x) => x.platform === platform) as Shop;
  const byChannel = async (sku: string) => (await s.api<StockDetail>('GET', `/api/stock/${sku}`)).body.byChannel;
  const offeredTo = async (sku: string, accountId: string) => (await byChannel(sku)).find((c) => c.accountId === accountId)?.sellable;
  const allocation = async () => (await s.api<Allocation>('GET', '/api/stock-allocation')).body;

  async function open(username: string): Promise<Page> {
    const page = await signIn(browser, base, username);
    await page.getByRole('menuitem', { name: '库存分配' }).click();
    await page.getByTestId('allocation-shops').getByText(shop('taobao').name).waitFor();
    return page;
  }

  const shopRow = (page: Page, platform: string) => page.getByTestId('allocation-shops').locator('tr', { hasText: shop(platform).name });

  async function lookUp(page: Page, sku: string) {
    const box = page.getByTestId('allocation-sku');
    await inputOf(box.getByTestId('alloc-sku-input')).fill(sku);
    await inputOf(box.getByTestId('alloc-sku-input')).press('Enter');
    await box.getByTestId('sku-by-channel').waitFor();
    return box;
  }

  it('saves a shop’s ratio and safety stock from its row: the page, byChannel and the platform show the new number', async () => {
    const tb = shop('taobao');
    expect(await offeredTo(SKU, tb.accountId)).toBe(90);
    const page = await open('e2e-allocator');
    for (const p of ['淘宝/天猫', '拼多多', '京东']) await page.getByTestId('allocation-shops').getByText(p, { exact: true }).waitFor();
    const box = await lookUp(page, SKU);
    await box.getByTestId(`offered-${tb.accountId}`).getByText('90', { exact: true }).waitFor();

    const row = shopRow(page, 'taobao');
    await inputOf(row.getByTestId('alloc-ratio')).fill('50');
    await inputOf(row.getByTestId('alloc-safety')).fill('10');
    await row.getByTestId('alloc-save').click();
    await page.getByText(`${tb.name}：已保存，各平台库存将按新设置推送`).waitFor();
    // ⌊(90 − 10) × 50 %⌋ = 40, on the page without reloading it, and in the API.
    await box.getByTestId(`offered-${tb.accountId}`).getByText('40', { exact: true }).waitFor();
    expect(await offeredTo(SKU, tb.accountId)).toBe(40);
    expect(await offeredTo(SKU, shop('jd').accountId)).toBe(90);
    expect((await allocation()).accounts.find((a) => a.accountId === tb.accountId)).toMatchObject({ ratioPct: 50, safetyStock: 10, syncEnabled: true });
    await until('Taobao offering 40', () => tb.sim.catalogue?.quantityOf(tb.itemId, tb.skuId) === 40);
    await page.screenshot({ path: `${shots}allocation-zh.png`, fullPage: true });
    await page.close();
  }, 60_000);

  it('sets a listing’s cap from the SKU view and shows what the listing is offered', async () => {
    const pdd = shop('pinduoduo');
    const page = await open('e2e-allocator');
    const box = await lookUp(page, SKU);
    const row = box.getByTestId('sku-listings').locator('tr', { hasText: pdd.name });
    await row.getByTestId('listing-offered').getByText('90', { exact: true }).waitFor();
    await inputOf(row.getByTestId('listing-cap')).fill('7');
    await row.getByTestId('listing-save').click();
    await page.getByText('商品设置已保存').waitFor();
    await row.getByTestId('listing-offered').getByText('7', { exact: true }).waitFor();
    expect(await inputOf(row.getByTestId('listing-cap')).inputValue()).toBe('7');
    const listing = (await s.api<{ items: SkuListing[] }>('GET', `/api/listings?sku=${SKU}`)).body.items.find((l) => l.accountId === pdd.accountId);
    expect(listing).toMatchObject({ capQuantity: 7, fixedQuantity: null, offered: 7 });
    await until('Pinduoduo offering 7', () => pdd.sim.catalogue?.quantityOf(pdd.itemId, pdd.skuId) === 7);
    await page.screenshot({ path: `${shots}allocation-listings-zh.png`, fullPage: true });
    await page.close();
  }, 60_000);

  it('gives a SKU to one shop and takes it back', async () => {
    const jd = shop('jd');
    const page = await open('e2e-allocator');
    const ex = page.getByTestId('allocation-exclusive');
    await ex.getByTestId('exclusive-sku').click();
    await page.keyboard.type(OTHER);
    await page.locator('.ant-select-item-option', { hasText: OTHER }).click();
    await ex.getByTestId('exclusive-shop').click();
    await page.locator('.ant-select-item-option', { hasText: jd.name }).click();
    await ex.getByTestId('exclusive-add').click();
    await page.getByText('已设为独占').waitFor();
    await ex.locator('tr', { hasText: OTHER }).getByText(jd.name).waitFor();
    expect((await allocation()).exclusive).toContainEqual({ sku: OTHER, accountId: jd.accountId });
    const shares = await byChannel(OTHER);
    expect(shops.map((x) => shares.find((c) => c.accountId === x.accountId)?.sellable)).toEqual([0, 0, 30]);
    const box = await lookUp(page, OTHER);
    await box.getByTestId('sku-by-channel').getByText('独占', { exact: true }).waitFor();

    await ex.locator('tr', { hasText: OTHER }).getByTestId('exclusive-remove').click();
    await page.getByRole('button', { name: /确\s*定/ }).click();
    await page.getByText('已取消独占').waitFor();
    await ex.locator('tr', { hasText: OTHER }).waitFor({ state: 'detached' });
    expect((await allocation()).exclusive.find((e) => e.sku === OTHER)).toBeUndefined();
    expect(await offeredTo(OTHER, shop('taobao').accountId)).toBeGreaterThan(0);
    await page.close();
  }, 60_000);

  it('shows bad input (ratio 150, a negative safety stock or fixed quantity) as an error and saves nothing', async () => {
    const jd = shop('jd');
    const before = await allocation();
    const settingsAudit = async () =>
      (await s.api<{ items: { action: string }[] }>('GET', '/api/audit?limit=500')).body.items.filter((e) => ['stock.allocation', 'listing.overrides', 'stock.exclusive'].includes(e.action)).length;
    const auditBefore = await settingsAudit();
    const page = await open('e2e-allocator');
    const row = shopRow(page, 'jd');
    await inputOf(row.getByTestId('alloc-ratio')).fill('150');
    await row.getByTestId('alloc-ratio-error').getByText('分配比例须为 0 到 100 的整数').waitFor();
    await row.getByTestId('alloc-save').click();
    await page.getByText('输入有误，未保存').waitFor();
    await inputOf(row.getByTestId('alloc-ratio')).fill('60');
    await inputOf(row.getByTestId('alloc-safety')).fill('-5');
    await row.getByTestId('alloc-safety-error').getByText('店铺安全库存须为 0 或更大的整数').waitFor();
    expect(await row.getByTestId('alloc-ratio-error').count()).toBe(0);
    await row.getByTestId('alloc-save').click();
    await page.getByText('输入有误，未保存').first().waitFor();
    await page.screenshot({ path: `${shots}allocation-error-zh.png` });

    const box = await lookUp(page, SKU);
    const listingRow = box.getByTestId('sku-listings').locator('tr', { hasText: jd.name });
    await inputOf(listingRow.getByTestId('listing-fixed')).fill('-1');
    await listingRow.getByText('须为 0 或更大的整数；留空表示不设置').waitFor();
    await listingRow.getByTestId('listing-save').click();
    await page.getByText('输入有误，未保存').first().waitFor();

    expect(await allocation()).toEqual(before);
    expect(before.accounts.find((a) => a.accountId === jd.accountId)).toMatchObject({ ratioPct: 100, safetyStock: 0, updatedAt: null });
    expect(await offeredTo(SKU, jd.accountId)).toBe(90);
    const listing = (await s.api<{ items: SkuListing[] }>('GET', `/api/listings?sku=${SKU}`)).body.items.find((l) => l.accountId === jd.accountId);
    expect(listing).toMatchObject({ fixedQuantity: null, capQuantity: null, offered: 90 });
    expect(await settingsAudit()).toBe(auditBefore);
    await page.close();
  }, 60_000);

  it('lets a person without the stock adjustment permission look but not change, in Chinese and English', async () => {
    const page = await open('e2e-alloc-viewer');
    await page.getByTestId('alloc-read-only').getByText('你只能查看；修改需要“调整库存”权限').waitFor();
    expect(await page.getByTestId('alloc-save').count()).toBe(0);
    expect(await inputOf(shopRow(page, 'taobao').getByTestId('alloc-ratio')).isDisabled()).toBe(true);
    expect(await page.getByTestId('exclusive-add').count()).toBe(0);
    const box = await lookUp(page, SKU);
    await box.getByTestId(`offered-${shop('taobao').accountId}`).getByText('40', { exact: true }).waitFor();
    expect(await box.getByTestId('listing-save').count()).toBe(0);
    await page.getByTestId('lang-switch').click();
    await page.getByTestId('allocation-shops').getByRole('columnheader', { name: 'Ratio' }).waitFor();
    await page.getByTestId('allocation-shops').getByText('Taobao/Tmall', { exact: true }).waitFor();
    await page.getByTestId('allocation-sku').getByRole('columnheader', { name: 'Offered' }).first().waitFor();
    await page.getByTestId('lang-switch').click();
    await page.close();
  }, 60_000);

  it('shows on the stock page what each shop is offered of a SKU', async () => {
    const page = await signIn(browser, base, 'e2e-allocator');
    await page.getByRole('menuitem', { name: /库存$/ }).click();
    const row = page.locator('tr', { has: page.getByRole('cell', { name: SKU }) });
    await row.locator('.ant-table-row-expand-icon').click();
    const channels = page.getByTestId(`channels-${SKU}`);
    await channels.getByText('各店铺可售（推送到平台的数量）').waitFor();
    for (const x of shops) await channels.getByText(x.name).waitFor();
    await channels.getByTestId(`offered-${shop('taobao').accountId}`).getByText('40', { exact: true }).waitFor();
    await channels.getByTestId(`offered-${shop('jd').accountId}`).getByText('90', { exact: true }).waitFor();
    await page.screenshot({ path: `${shots}stock-by-channel-zh.png`, fullPage: true });
    await page.close();
  }, 60_000);
});

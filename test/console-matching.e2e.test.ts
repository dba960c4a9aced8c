// The 商品对应 page in a real browser (Debian's Chromium through playwright-core) against a real hub and a WooCommerce
// simulator: orders held for an unknown platform code are listed with the number waiting; mapping the code to a SKU
// picked from the catalogue releases them (the hub serves them) and matches the shop's listing of it; a listing is
// ignored from the page; a new SKU is created from a listing's title and mapped; the own web shop's lack of a listing
// API is said in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn as signInAs } from './support/browser.ts';
import { setStock, startServer, type TestServer } from './support/server.ts';
import { pullIntoHub } from './support/channels.ts';
import { startSimulatorServer, type SimulatorServer } from '../src/sandbox/simulators/server.ts';
import { woocommerceSimulator } from '../src/sandbox/simulators/woocommerce.ts';
import type { PlatformSimulator, SimOrder } from '../src/sandbox/simulators/types.ts';
import { woocommerce } from '../src/modules/channels/connectors/woocommerce/index.ts';
import type { ChannelAdapter } from '../src/modules/channels/connectors/types.ts';

const missing = browserMissing('the SKU matching browser tests');

// The production mode of `serve`: SQLite with the writer thread.
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

function simOrder(id: string, sku: string): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency: 'CNY',
    lines: [{ sku, title: '落地灯', quantity: 1, unitPrice: 19900, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver: { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' },
  };
}

/** Waits for a condition of the hub with a generous deadline. */
async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(missing !== null)('the 商品对应 page in Chromium', () => {
  let s: TestServer;
  let sims: SimulatorServer;
  let woo: PlatformSimulator;
  let browser: Browser;
  let base = '';
  let account = '';
  const code = 'LAMP-EXT-1';
  const target = 'LAMP-01';

  beforeAll(async () => {
    sims = await startSimulatorServer();
    woo = sims.mount('woo', woocommerceSimulator, 'matching-e2e');
    s = await startServer(backend, { listingPullIntervalHours: 6 }, { listingTickMs: 200 });
    base = s.url.replace('127.0.0.1', 'localhost');
    await setStock(s, target, 10);
    woo.putListing!('GIFT-WRAP', { code: null, title: '礼品包装' });
    woo.putListing!('VASE-EXT', { title: '青瓷花瓶' });
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'woocommerce', name: 'Woo 旗舰店', credentials: woo.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    for (const id of ['7101', '7102']) woo.record(simOrder(id, code), 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, woocommerce as ChannelAdapter<never>, account, Date.now() - 3_600_000, Date.now() + 60_000);
    // The new account's listings are pulled by the hub itself.
    await until('the first listing pull', async () => Boolean((await s.api<{ lastPull: { finishedAt: string | null } | null }>('GET', `/api/channel-accounts/${account}/listings/pull`)).body.lastPull?.finishedAt));
    expect((await s.api('POST', '/api/channel-accounts', { platform: 'ownshop', name: '官网', credentials: { secret: 'shop-secret-0123456789' } })).status).toBe(201);
    expect((await s.api('POST', '/api/users', { username: 'e2e-matcher', password: PASSWORD, roles: ['operations'] })).status).toBe(201);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await sims?.close();
  });

  async function open(): Promise<Page> {
    const page = await signInAs(browser, base, 'e2e-matcher');
    await page.getByRole('menuitem', { name: '商品对应' }).click();
    await page.getByText('未匹配的订单商品').waitFor();
    return page;
  }

  const held = async () => (await s.api<{ items: { externalSku: string; heldOrders: number }[] }>('GET', '/api/unmatched-codes')).body.items.find((c) => c.externalSku === code)?.heldOrders ?? 0;

  it('maps an unmatched code to a SKU picked from the catalogue: the held orders are served and its listing matched', async () => {
    expect(await held()).toBe(2);
    const page = await open();
    const row = page.locator('tr', { hasText: code }).first();
    await row.getByTestId('held-orders').getByText('2').waitFor();
    await page.getByTestId('no-listing-api').getByText('自有商城没有商品下载接口').waitFor();
    await page.screenshot({ path: `${shots}matching.png`, fullPage: true });
    await row.getByTestId('map-sku').click();
    await page.getByTestId('sku-picker').click();
    await page.keyboard.type(target);
    await page.locator('.ant-select-item-option', { hasText: target }).click();
    await page.getByRole('button', { name: /OK|确\s*定/ }).click();
    await page.getByText('已对应').first().waitFor();
    await until('the held orders to be served', async () => (await held()) === 0);
    const orders = (await s.api<{ items: { orderNo: string; platformOrderId: string }[] }>('GET', '/api/orders?pageSize=50')).body.items.filter((o) => ['7101', '7102'].includes(o.platformOrderId));
    expect(orders).toHaveLength(2);
    for (const o of orders) expect((await s.api<{ hold: unknown; reservation: string }>('GET', `/api/orders/${o.orderNo}`)).body.hold).toBeNull();
    const listing = (await s.api<{ items: { merchantCode: string | null; sku: string | null; matchSource: string | null }[] }>('GET', `/api/channel-accounts/${account}/listings`)).body.items.find((l) => l.merchantCode === code);
    expect(listing).toMatchObject({ sku: target, matchSource: 'alias' });
    await page.locator('tr', { hasText: code }).first().waitFor({ state: 'detached' });
    await page.close();
  });

  it('ignores a listing, and creates a SKU from a listing’s title and maps it', async () => {
    const page = await open();
    const wrap = page.locator('tr', { hasText: '礼品包装' });
    await wrap.getByTestId('ignore-listing').click();
    await wrap.waitFor({ state: 'detached' });
    const vase = page.locator('tr', { hasText: '青瓷花瓶' });
    await vase.getByTestId('create-sku').click();
    await page.getByTestId('new-sku').fill('VASE-01');
    await page.getByRole('button', { name: /OK|确\s*定/ }).click();
    await vase.waitFor({ state: 'detached' });
    const items = (await s.api<{ items: { title: string; merchantCode: string | null; sku: string | null; ignored: boolean }[] }>('GET', `/api/channel-accounts/${account}/listings?limit=500`)).body.items;
    expect(items.find((l) => l.title === '礼品包装')).toMatchObject({ ignored: true, sku: null });
    expect(items.find((l) => l.merchantCode === 'VASE-EXT')).toMatchObject({ sku: 'VASE-01' });
    const audit = (await s.api<{ items: { action: string }[] }>('GET', '/api/audit?limit=50')).body.items.map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['sku.create', 'sku.map', 'listing.ignore']));
    await page.close();
  });
});

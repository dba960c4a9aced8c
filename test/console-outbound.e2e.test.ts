// The platform write-backs in a real browser (Debian's Chromium through playwright-core) against a real hub and the
// Taobao simulator: a ship-back the platform refused shows in the exception queue with its reason in words (not a
// code), is marked handled from there with a note; the account's integration page shows the outbound log and its
// counts; the order's 360° view shows its calls and writes a seller remark that reaches the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { allBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn } from './support/browser.ts';
import { setStock, startServer, type TestServer } from './support/server.ts';
import { pullIntoHub } from './support/channels.ts';
import { order, route, uniq, warehouse, type ShipmentBody } from './fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../src/sandbox/simulators/taobao.ts';
import type { PlatformSimulator } from '../src/sandbox/simulators/types.ts';
import { taobao } from '../src/modules/channels/connectors/taobao/index.ts';
import type { ChannelAdapter } from '../src/modules/channels/connectors/types.ts';

const missing = browserMissing('the outbound console tests');
const backend = allBackends.find((b) => b.name === 'sqlite') as (typeof allBackends)[number];

describe.skipIf(missing !== null)('platform write-backs in the console, in Chromium', () => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let browser: Browser;
  let base = '';
  let account = '';
  let orderId = '';
  let tid = '';
  const memos: Record<string, string>[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    base = s.url.replace('127.0.0.1', 'localhost');
    sim = sims.mount('taobao', taobaoSimulator, 'e2e-outbound');
    const handle = sim.handle.bind(sim);
    sim.handle = (req) => {
      const p = Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
      if (p.method === 'taobao.trade.memo.update') memos.push(p);
      return handle(req);
    };
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: '淘宝旗舰店', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    const wh = uniq('E2EO');
    await warehouse(s, wh, { priority: 1 });
    const sku = uniq('E2EOS');
    await setStock(s, sku, 10, wh);
    tid = `${Date.now()}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    const now = Date.now();
    sim.record(
      {
        id: tid,
        phase: 'paid',
        createdAt: now - 120_000,
        updatedAt: now - 60_000,
        currency: 'CNY',
        lines: [{ sku, title: '保温杯', quantity: 1, unitPrice: 1999, discount: 0 }],
        shippingFee: 0,
        discountPlatform: 0,
        discountSeller: 0,
        buyer: { id: '777', name: '韩梅梅', phone: '13900000001' },
        receiver: { name: '韩梅梅', phone: '13900000001', province: '浙江省', city: '杭州市', district: '西湖区', address: '文一路 8 号' },
      },
      'http://127.0.0.1:9/unused',
    );
    await pullIntoHub(s, taobao as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
    orderId = (await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${tid}`)).body.items[0]?.id as string;
    await route(s, [orderId]);
    const sh = (await order(s, orderId)).shipments[0] as ShipmentBody;
    await s.api('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.map((l) => l.sku) });
    // The buyer asked for a refund meanwhile: Taobao refuses the ship-back.
    sim.failNextWrite!({ status: 400, code: 'isv.logistics-offline-service-error-B150', message: '买家已申请退款，不能发货' });
    expect((await s.api('POST', `/api/shipments/${sh.id}/ship`, { carrier: 'sf', trackingNo: `SF${tid.slice(-10)}` })).status).toBe(200);
    for (let i = 0; i < 400; i++) {
      const items = (await s.api<{ items: { state: string }[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items;
      if (items.some((x) => x.state === 'refused')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await s.api('POST', '/api/users', { username: 'e2e-outbound', password: PASSWORD, roles: ['admin'] })).status).toBe(201);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await sims?.close();
  });

  it('shows the refused ship-back in the queue with its reason in words, and marks it handled with a note', async () => {
    const page = await signIn(browser, base, 'e2e-outbound');
    await page.goto(`${base}/outbound`);
    const queue = page.getByTestId('outbound-exceptions');
    await queue.getByTestId('exception-reason').first().waitFor();
    const text = await queue.innerText();
    expect(text).toContain('买家已申请退款，平台不允许发货');
    expect(text).toContain('发货回传');
    // The platform's own words are shown as such; no code of ours is.
    expect(text).not.toContain('refund_requested');
    expect(text).not.toContain('ship_back');
    await page.screenshot({ path: `${shots}outbound-exceptions.png`, fullPage: true });
    const id = (await s.api<{ items: { id: number }[] }>('GET', '/api/outbound-exceptions')).body.items[0]?.id as number;
    await page.getByTestId(`handle-${id}`).click();
    await page.getByTestId('handle-note').fill('已在千牛后台处理退款');
    await page.getByTestId('handle-ok').click();
    await queue.getByText('没有待处理的回传异常').waitFor();
    const [call] = (await s.api<{ items: { id: number; handledNote: string | null }[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items;
    expect(call).toMatchObject({ id, handledNote: '已在千牛后台处理退款' });
  });

  it('shows the outbound log with its counts on the integration page, in English too', async () => {
    const page = await signIn(browser, base, 'e2e-outbound');
    await page.goto(`${base}/accounts/${account}`);
    const log = page.getByTestId('outbound-log');
    await log.getByText('发货回传').first().waitFor();
    const text = await log.innerText();
    for (const words of ['待发送', '平台拒绝', '待拉取确认', '超时未确认', '平台回传记录', 'HTTP 200']) expect(text).toContain(words);
    expect(text).not.toContain('refused');
    expect(await page.getByTestId('stock-counts').innerText()).toContain('库存同步被拒');
    // The call log: Taobao's own method names, the refusal with the platform's code, filtered by result.
    const calls = page.getByTestId('call-log');
    await calls.getByText('taobao.logistics.offline.send').first().waitFor();
    const callText = await calls.innerText();
    for (const words of ['平台调用记录', '发货回传', '平台拒绝', 'isv.logistics-offline-service-error-B150', '近24小时调用']) expect(callText).toContain(words);
    await calls.getByTestId('call-result').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '成功' }).click();
    await calls.locator('tbody tr').first().waitFor();
    expect(await calls.locator('tbody').innerText()).not.toContain('isv.logistics-offline-service-error-B150');
    await page.screenshot({ path: `${shots}outbound-log.png`, fullPage: true });
    await page.evaluate(() => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('orderhub.lang', 'en'));
    await page.reload();
    await page.getByTestId('outbound-log').getByText('Ship-back').first().waitFor();
    expect(await page.getByTestId('outbound-log').innerText()).toContain('Refused by the platform');
  });

  it('shows the order’s platform calls in its 360° view and writes a seller remark and flag that reach Taobao', async () => {
    const page = await signIn(browser, base, 'e2e-outbound');
    await page.goto(`${base}/orders/${orderId}`);
    await page.getByTestId('platform-calls').getByRole('cell', { name: '发货回传' }).waitFor();
    // Each write opens onto the requests it made.
    await page.getByTestId('platform-calls').locator('.ant-table-row-expand-icon').first().click();
    await page.getByTestId('call-requests').getByText('taobao.logistics.offline.send').first().waitFor();
    await page.getByTestId('remark-text').fill('周末送达，别打电话');
    await page.getByTestId('remark-flag-3').click();
    await page.getByTestId('remark-save').click();
    await page.getByTestId('platform-calls').getByRole('cell', { name: '卖家备注' }).waitFor();
    for (let i = 0; i < 400 && !memos.some((m) => m.tid === tid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(memos.filter((m) => m.tid === tid).map((m) => [m.memo, m.flag])).toEqual([['周末送达，别打电话', '3']]);
    await page.screenshot({ path: `${shots}order-remark.png`, fullPage: true });
  });
});

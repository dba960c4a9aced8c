// The pack station's e-waybill (电子面单) in a real browser (Debian's Chromium through playwright-core) against a real
// hub and the Taobao and Cainiao simulators: a pulled Taobao order's parcel gets its number with one click, its label
// opens to print (and prints again), the number fills the tracking field so nobody types it, and the parcel ships
// with it. A parcel whose orders no waybill account serves shows the reason in the console's language.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, signIn } from './support/browser.ts';
import { pullIntoHub } from './support/channels.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { startSimulatorServer, type SimulatorServer } from '../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../src/sandbox/simulators/taobao.ts';
import { cainiaoWaybillSimulator, type WaybillSimulator } from '../src/sandbox/simulators/waybills.ts';
import { taobao } from '../src/modules/channels/connectors/taobao/index.ts';
import type { ChannelAdapter } from '../src/modules/channels/connectors/types.ts';

const missing = browserMissing('the waybill browser tests');
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

interface ShipmentBody {
  id: string;
  state: string;
  carrier: string | null;
  trackingNo: string | null;
  lines: { sku: string; quantity: number }[];
}

describe.skipIf(missing !== null)('the pack station’s e-waybill in Chromium', () => {
  let s: TestServer;
  let sims: SimulatorServer;
  let cainiao: WaybillSimulator;
  let browser: Browser;
  let base = '';
  let shipmentId = '';
  let ownShipmentId = '';

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend);
    base = s.url.replace('127.0.0.1', 'localhost');
    const shop = sims.mount('taobao', taobaoSimulator, 'e2e');
    cainiao = sims.mount('cainiao', cainiaoWaybillSimulator, 'e2e') as WaybillSimulator;
    const account = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: '淘宝店', credentials: shop.credentials });
    expect(account.status, JSON.stringify(account.body)).toBe(201);
    const wb = await s.api('POST', '/api/waybill-accounts', {
      network: 'cainiao',
      name: '菜鸟 中通',
      carrier: 'zto',
      credentials: cainiao.credentials,
      sender: { name: '杭州仓', phone: '057188886666', province: '浙江省', city: '杭州市', district: '余杭区', address: '仓前街道 8 号' },
    });
    expect(wb.status, JSON.stringify(wb.body)).toBe(201);
    await setStock(s, 'WB-E2E', 20, 'WH1');
    const tid = `${Date.now()}001`;
    const now = Date.now();
    shop.record(
      {
        id: tid,
        phase: 'paid',
        createdAt: now - 120_000,
        updatedAt: now - 60_000,
        currency: 'CNY',
        lines: [{ sku: 'WB-E2E', title: '保温杯', quantity: 2, unitPrice: 1999, discount: 0 }],
        shippingFee: 0,
        discountPlatform: 0,
        discountSeller: 0,
        buyer: { id: '1', name: '韩梅梅', phone: '13900000001' },
        receiver: { name: '韩梅梅', phone: '13900000001', province: '浙江省', city: '杭州市', district: '西湖区', address: '文一路 8 号' },
      },
      'http://127.0.0.1:9/unused',
    );
    await pullIntoHub(s, taobao as ChannelAdapter<never>, account.body.id, now - 600_000, now + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${tid}`);
    const orderId = found.body.items[0]?.id as string;
    const routed = await s.api<{ plans: { shipments: { shipmentNo: string }[] }[] }>('POST', '/api/routing/run', { orderIds: [orderId] });
    shipmentId = routed.body.plans[0]?.shipments[0]?.shipmentNo as string;
    expect(shipmentId).toBeTruthy();
    const wave = await s.api('POST', '/api/waves', { warehouse: 'WH1', shipmentIds: [shipmentId] });
    expect(wave.status, JSON.stringify(wave.body)).toBe(201);

    // An own-shop order: no carrier network serves it.
    const own = await createShop(s);
    await setStock(s, 'WB-OWN', 5, 'WH1');
    const pushed = await s.push(own.id, own.secret, orderBody({ status: 'paid', lines: [{ sku: 'WB-OWN', title: '帆布袋', quantity: 1, unitPrice: 999, discount: 0 }], paidAmount: 999 }));
    const ownOrder = pushed.body.orders?.[0]?.orderId as string;
    const ownRouted = await s.api<{ plans: { shipments: { shipmentNo: string }[] }[] }>('POST', '/api/routing/run', { orderIds: [ownOrder] });
    ownShipmentId = ownRouted.body.plans[0]?.shipments[0]?.shipmentNo as string;
    await s.api('POST', '/api/waves', { warehouse: 'WH1', shipmentIds: [ownShipmentId] });

    const u = await s.api('POST', '/api/users', { username: 'e2e-packer', password: PASSWORD, roles: ['warehouse'] });
    expect(u.status).toBe(201);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await sims?.close();
  });

  it('gets the waybill with one click, opens the label, fills the tracking number and ships with it', async () => {
    const page = await signIn(browser, base, 'e2e-packer');
    await page.goto(`${base}/warehouse?tab=pack&shipment=${shipmentId}`);
    await expect.poll(() => page.getByTestId('pack-shipment-id').textContent()).toBe(shipmentId);
    const popup = page.context().waitForEvent('page');
    await page.getByTestId('get-waybill').click();
    await expect.poll(() => page.getByTestId('waybill-no').textContent()).toMatch(/^7\d{12}$/);
    const number = (await page.getByTestId('waybill-no').textContent()) as string;
    expect(cainiao.issued().map((w) => w.waybillNo)).toEqual([number]);
    // The label opened to print; the print buttons fetch it again (reprint) as a PDF.
    expect((await popup).url()).toContain(`/api/shipments/${shipmentId}/label.pdf`);
    for (const id of ['print-label', 'print-label-large']) {
      const href = (await page.getByTestId(id).getAttribute('href')) as string;
      const res = await page.request.get(`${base}${href}`);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toContain('application/pdf');
      expect((await res.body()).subarray(0, 5).toString()).toBe('%PDF-');
    }
    // The number is the tracking number: filled and locked.
    const tracking = page.getByTestId('tracking-input');
    expect(await tracking.inputValue()).toBe(number);

    // Packed by scanning, shipped without typing a number.
    const scan = page.getByTestId('scan-input');
    for (let i = 0; i < 2; i++) {
      await expect.poll(() => scan.isEnabled()).toBe(true);
      await scan.pressSequentially('WB-E2E', { delay: 5 });
      await scan.press('Enter');
      await expect.poll(() => page.getByTestId('scanned-WB-E2E').textContent()).toBe(String(i + 1));
    }
    await expect.poll(() => page.getByTestId('pack-state').textContent()).toBe('已打包');
    expect(await tracking.isDisabled()).toBe(true);
    await page.getByTestId('ship-button').click();
    await expect.poll(() => page.getByTestId('shipped-summary').textContent()).toContain(number);
    const shipped = (await s.api<ShipmentBody>('GET', `/api/shipments/${shipmentId}`)).body;
    expect(shipped).toMatchObject({ state: 'shipped', carrier: 'zto', trackingNo: number });
    await page.close();
  });

  it('says in Chinese why a parcel gets no waybill, and writes nothing', async () => {
    const page = await signIn(browser, base, 'e2e-packer');
    await page.goto(`${base}/warehouse?tab=pack&shipment=${ownShipmentId}`);
    await expect.poll(() => page.getByTestId('pack-shipment-id').textContent()).toBe(ownShipmentId);
    await page.getByTestId('get-waybill').click();
    await page.getByText('没有可用的电子面单账号').waitFor();
    const rows = await s.hub.db.read.all('SELECT id FROM waybills WHERE shipment_id = ?', [ownShipmentId]);
    expect(rows).toEqual([]);
    await page.close();
  });
});

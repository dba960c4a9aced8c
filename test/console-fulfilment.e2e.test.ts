// The warehouse side of the console in a real browser (Debian's Chromium through playwright-core) against a real hub:
// a paid, routed order is waved, its pick list opened, its units packed by "scanning" (typing a code and Enter, as a
// barcode scanner does) with a wrong and an extra scan refused and nothing recorded, shipped with carrier and tracking
// number; the order's 360° view and the shipments list then show the parcel, and the trust board renders. Carrier
// tracking may not be wired yet: the test accepts "tracking not connected" then, and exercises tracking when it is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn as signInAs } from './support/browser.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { kuaidi100Push, sendPush, shippedShipment } from './fulfilment/tracking-support.ts';
import { startTrackingFake, type TrackingFake } from '../src/sandbox/fakes/tracking.ts';

const missing = browserMissing('the fulfilment browser tests');

// The production mode of `serve`: SQLite with the writer thread.
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];
const kd100 = { key: 'e2e-kd100-key', salt: 'e2e-kd100-salt', customer: 'E2ECUST' };

interface ShipmentBody {
  id: string;
  state: string;
  carrier: string | null;
  trackingNo: string | null;
  lines: { sku: string; quantity: number; scanned: number }[];
}

describe.skipIf(missing !== null)('the warehouse pages in Chromium', () => {
  let s: TestServer;
  let fake: TrackingFake;
  let shop: { id: string; secret: string };
  /** The Kuaidi100 account pushes arrive for; null while the hub has no tracking (the console says so). */
  let trackingAccount: string | null = null;
  let browser: Browser;
  let base = '';
  let orderId = '';
  let orderNo = '';
  let shipmentId = '';
  const carrier = 'ZTO';
  const trackingNo = 'ZT7700112233';

  beforeAll(async () => {
    s = await startServer(backend);
    base = s.url.replace('127.0.0.1', 'localhost');
    shop = await createShop(s);
    await setStock(s, 'A1', 20, 'WH1');
    await setStock(s, 'B2', 20, 'WH1');
    const r = await s.push(
      shop.id,
      shop.secret,
      orderBody({
        status: 'paid',
        lines: [
          { sku: 'A1', title: '保温杯', quantity: 2, unitPrice: 1999, discount: 0 },
          { sku: 'B2', title: '帆布袋', quantity: 1, unitPrice: 999, discount: 0 },
        ],
        paidAmount: 2 * 1999 + 999,
        receiver: { name: '韩梅梅', phone: '13900000001', province: '浙江省', city: '杭州市', district: '西湖区', address: '文一路 8 号' },
      }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.orders?.[0]).toMatchObject({ status: 'paid', reservation: 'deducted' });
    orderId = r.body.orders?.[0]?.orderId as string;
    orderNo = r.body.orders?.[0]?.orderNo as string;
    const routed = await s.api<{ committed: boolean; unplanned: unknown[]; plans: { shipments: { shipmentNo: string; warehouse: string }[] }[] }>('POST', '/api/routing/run', { orderIds: [orderId] });
    expect(routed.status, JSON.stringify(routed.body)).toBe(200);
    expect(routed.body.committed).toBe(true);
    expect(routed.body.unplanned).toEqual([]);
    const planned = routed.body.plans.flatMap((p) => p.shipments);
    expect(planned).toHaveLength(1);
    expect(planned[0]?.warehouse).toBe('WH1');
    shipmentId = planned[0]?.shipmentNo as string;

    // Tracking through Kuaidi100 (a local fake answers the hub's subscriptions), when the hub has tracking.
    fake = await startTrackingFake({ kuaidi100: { key: kd100.key, customer: kd100.customer } });
    const account = await s.api<{ id: string }>('POST', '/api/tracking-accounts', { source: 'kuaidi100', name: '快递100', credentials: kd100, apiBase: fake.apiBase('kuaidi100') });
    if (account.status !== 404) {
      expect(account.status, JSON.stringify(account.body)).toBe(201);
      trackingAccount = account.body.id;
    }

    for (const [username, role] of [
      ['e2e-warehouse', 'warehouse'],
      ['e2e-admin', 'admin'],
    ]) {
      const u = await s.api('POST', '/api/users', { username, password: PASSWORD, roles: [role] });
      expect(u.status).toBe(201);
    }
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await fake?.close();
  });

  /** A signed Kuaidi100 push: picked up, out for delivery, then delivered as `context` says (graded by the hub). */
  async function delivered(number: string, statusCode: string, context: string, hoursAgo = 2): Promise<void> {
    const at = Date.now() - hoursAgo * 3_600_000;
    const push = kuaidi100Push(kd100.salt, number, '3', [
      { at: at - 20 * 3_600_000, context: '快件已揽收', statusCode: '1', area: '浙江,杭州市' },
      { at: at - 3_600_000, context: '派件中，快递员正在为您派件', statusCode: '5', area: '浙江,杭州市西湖区' },
      { at, context, statusCode, area: '浙江,杭州市西湖区' },
    ]);
    const r = await sendPush(s, `/hooks/tracking/kuaidi100/${trackingAccount}`, push);
    expect(r.status, r.text).toBe(200);
  }

  const signIn = (username: string): Promise<Page> => signInAs(browser, base, username);

  const shipment = async () => (await s.api<ShipmentBody>('GET', `/api/shipments/${shipmentId}`)).body;
  const scanned = async () => Object.fromEntries((await shipment()).lines.map((l) => [l.sku, l.scanned]));

  /** Types a code into the focused scan input and presses Enter, as a barcode scanner does. */
  async function scan(page: Page, code: string): Promise<void> {
    const input = page.getByTestId('scan-input');
    await expect.poll(() => input.isEnabled()).toBe(true);
    await input.pressSequentially(code, { delay: 5 });
    await input.press('Enter');
  }

  it('waves the planned shipment, shows and prints its pick list, packs it by scanning (a wrong or extra scan refused) and ships it', async () => {
    const page = await signIn('e2e-warehouse');
    await page.getByRole('menuitem', { name: '仓库作业' }).click();
    await expect.poll(() => page.getByTestId('planned-count').textContent()).toBe('1');
    await page.getByTestId('create-wave').click();
    const waveId = (await page.getByTestId('wave-id').textContent()) as string;
    expect(waveId).toMatch(/^WV-/);
    expect((await shipment()).state).toBe('waved');

    // The pick list, summed per SKU, and its printable page (fetched with the browser's own session).
    const pick = page.getByTestId('pick-list');
    await pick.getByRole('cell', { name: 'A1', exact: true }).waitFor();
    // One row per SKU: A1 × 2 and B2 × 1, each split over the one parcel (titles come from the SKU master: none here).
    const row = (sku: string) => pick.locator('tr', { has: page.getByRole('cell', { name: sku, exact: true }) });
    // The SKUs exist only from a stock count: the pick list shows the titles the order sold them under.
    expect(await row('A1').locator('td').allTextContents()).toEqual(['A1', '保温杯', '2', `${shipmentId} × 2`]);
    expect(await row('B2').locator('td').allTextContents()).toEqual(['B2', '帆布袋', '1', `${shipmentId} × 1`]);
    const href = await page.getByTestId('print-pick-list').getAttribute('href');
    expect(href).toBe(`/api/waves/${waveId}/pick-list.html`);
    const printable = await page.request.get(base + href);
    expect(printable.status()).toBe(200);
    expect(printable.headers()['content-type']).toContain('text/html');
    expect(await printable.text()).toContain(waveId);
    await page.screenshot({ path: `${shots}warehouse-waves.png` });

    await page.getByTestId('mark-picked').click();
    await expect.poll(async () => (await shipment()).state).toBe('picked');

    // Pack by scanning: the scan input has the focus when the shipment opens.
    await page.getByTestId(`pack-${shipmentId}`).click();
    await expect.poll(() => page.getByTestId('pack-shipment-id').textContent()).toBe(shipmentId);
    await expect.poll(() => page.getByTestId('scan-input').evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
    await scan(page, 'A1');
    await expect.poll(() => page.getByTestId('scanned-A1').textContent()).toBe('1');

    // A code the parcel does not carry: the hub's error is shown, nothing is recorded.
    await scan(page, 'ZZ-404');
    // In the console's words (no raw code), naming the code that is not in the parcel.
    await expect.poll(() => page.getByTestId('scan-error').getAttribute('data-code')).toBe('PACK_SCAN_MISMATCH');
    expect(await page.getByTestId('scan-error').textContent()).toBe('扫描错误，本次未记录（不属于此包裹：ZZ-404）');
    expect(await scanned()).toEqual({ A1: 1, B2: 0 });
    expect(await page.getByTestId('scanned-A1').textContent()).toBe('1');
    expect(await page.getByTestId('scanned-B2').textContent()).toBe('0');
    await page.screenshot({ path: `${shots}warehouse.png` });

    await scan(page, 'B2');
    await expect.poll(() => page.getByTestId('scanned-B2').textContent()).toBe('1');
    // One unit more than the parcel still needs: refused whole, the error says how many are still needed.
    await scan(page, 'B2');
    await expect.poll(() => page.getByTestId('scan-error').textContent()).toBe('扫描错误，本次未记录（B2 扫了 1 件，还需 0 件）');
    expect(await scanned()).toEqual({ A1: 1, B2: 1 });

    await scan(page, 'A1');
    await expect.poll(async () => (await shipment()).state).toBe('packed');
    await expect.poll(() => page.getByTestId('pack-state').textContent()).toBe('已打包');
    expect(await page.getByTestId('scan-input').isDisabled()).toBe(true);

    // Ship: the carrier typed, the tracking number scanned (typed + Enter) into the input that now has the focus.
    await page.getByTestId('carrier-input').fill(carrier);
    const tracking = page.getByTestId('tracking-input');
    await tracking.pressSequentially(trackingNo, { delay: 5 });
    await tracking.press('Enter');
    await expect.poll(() => page.getByTestId('shipped-summary').textContent()).toContain(trackingNo);
    const shipped = await shipment();
    expect(shipped).toMatchObject({ state: 'shipped', carrier, trackingNo });
    const order = await s.api<{ status: string }>('GET', `/api/orders/${orderId}`);
    expect(order.body.status).toBe('shipped');
    await page.close();
  });

  it('lists the shipment with carrier and tracking number, and the order view shows it with its tracking', async () => {
    const wired = trackingAccount !== null;
    console.log(`[console] carrier tracking ${wired ? 'is wired' : 'is not wired yet'}`);
    // The parcel lands in a locker (Kuaidi100 304): delivered, but not a delivery the customer is told about.
    if (wired) await delivered(trackingNo, '304', '快件已被丰巢智能柜代收，请凭取件通知及时领取');

    const page = await signIn('e2e-admin');
    await page.getByRole('menuitem', { name: '发货单' }).click();
    const row = page.locator('tr', { hasText: shipmentId });
    await row.waitFor();
    const text = (await row.textContent()) as string;
    // The order by its number, as the warehouse reads it off the parcel, not by the hub's id.
    for (const want of [carrier, trackingNo, '已发货', 'WH1', orderNo]) expect(text).toContain(want);
    expect(text).not.toContain(orderId);
    const gradeOnList = (await s.api<{ trustGrade?: string | null }>('GET', `/api/shipments/${shipmentId}`)).body.trustGrade;
    if (gradeOnList) expect(text).toContain('快递柜/驿站');

    // From the list to the order's 360° view.
    await row.getByRole('link', { name: orderNo }).click();
    await expect.poll(() => page.getByTestId('order-no').textContent()).toBe(orderNo);
    const card = page.getByTestId(`shipment-${shipmentId}`);
    await card.waitFor();
    expect(await card.getByTestId('shipment-tracking-no').textContent()).toBe(trackingNo);
    expect(await card.textContent()).toContain(carrier);
    if (!wired) {
      await card.getByTestId('tracking-not-connected').waitFor();
      await page.screenshot({ path: `${shots}order-shipments.png`, fullPage: true });
    } else {
      // The carrier's timeline, newest first, and the delivery's trust grade.
      const timeline = card.getByTestId('tracking');
      await timeline.getByText('快件已被丰巢智能柜代收', { exact: false }).waitFor();
      expect(await timeline.textContent()).toContain('快递柜/驿站');
      expect(await timeline.textContent()).toContain('快件已揽收');
      await page.screenshot({ path: `${shots}order-shipments.png`, fullPage: true });
      // "Not received" within 24 h of an untrusted delivery: the hub opens an urgent after-sales case.
      await card.getByTestId('not-received').click();
      const answer = page.waitForResponse((r) => r.url().endsWith(`/api/shipments/${shipmentId}/not-received`) && r.request().method() === 'POST');
      await page.locator('.ant-modal textarea').fill('买家说快递柜里没有');
      await page.locator('.ant-modal').getByRole('button', { name: /OK|确\s*定/ }).click();
      const r = await answer;
      const body = (await r.json()) as { items?: { id: string; priority: string }[] };
      expect(r.status(), JSON.stringify(body)).toBe(201);
      expect(body.items).toEqual([expect.objectContaining({ priority: 'urgent' })]);
      await page.locator('.ant-message').getByText(body.items?.[0]?.id as string, { exact: false }).waitFor();
      expect(await page.locator('.ant-message').textContent()).toContain('紧急');
    }
    await page.close();
  });

  it('draws the delivery trust board per carrier, or says tracking is not connected', async () => {
    const wired = trackingAccount !== null;
    if (wired) {
      // More deliveries for the board: signed for in person, a photo, a station, over two carriers.
      for (const [c, no, code, words] of [
        ['YTO', 'YT5500000001', '301', '已签收，本人签收'],
        ['YTO', 'YT5500000002', '3', '已签收，派件员已拍照留证'],
        ['YTO', 'YT5500000003', '304', '已放入菜鸟驿站，请及时取件'],
        ['ZTO', 'ZT7700112299', '301', '已签收，本人签收'],
      ] as const) {
        await shippedShipment(s, shop, c, no);
        await delivered(no, code, words);
      }
    }
    const board = await s.api<{ carriers?: { carrier: string; delivered: number; trusted: number }[]; error?: { code: string } }>('GET', '/api/tracking/trust-board?days=30');
    if (wired) {
      expect(board.status).toBe(200);
      expect(board.body.carriers).toEqual([expect.objectContaining({ carrier: 'YTO', delivered: 3, trusted: 2 }), expect.objectContaining({ carrier: 'ZTO', delivered: 2, trusted: 1 })]);
    }
    const page = await signIn('e2e-admin');
    await page.getByRole('menuitem', { name: '签收可信度' }).click();
    if (wired) {
      await page.getByTestId('trust-board').waitFor();
      await page.getByTestId('trust-chart').locator('canvas').waitFor();
      const yto = page.getByTestId('trust-board').locator('tr', { has: page.getByRole('cell', { name: 'YTO', exact: true }) });
      expect(await yto.first().textContent()).toContain('66.7%');
      await page.waitForTimeout(1200); // let the chart finish drawing for the screenshot
    } else {
      await page.getByTestId('tracking-not-connected').waitFor();
    }
    // Chinese by default, English on the switch: the page's title follows.
    await page.getByText('签收可信度（按承运商）').waitFor();
    await page.screenshot({ path: `${shots}trust-board.png` });
    await page.getByTestId('lang-switch').click();
    await page.getByText('Delivery trust per carrier').waitFor();
    await page.getByTestId('lang-switch').click();

    // The shipments list with every parcel so far, for the README.
    await page.getByRole('menuitem', { name: '发货单' }).click();
    await page.locator('tr', { hasText: shipmentId }).waitFor();
    await page.screenshot({ path: `${shots}shipments.png` });
    await page.close();
  });
  it('shows a parcel stopped because its order was cancelled: tagged in the list, and the pack station says its units go back', async () => {
    const body = orderBody({
      status: 'paid',
      lines: [{ sku: 'A1', title: '保温杯', quantity: 1, unitPrice: 1999, discount: 0 }],
      paidAmount: 1999,
      receiver: { name: '李雷', phone: '13900000002', province: '浙江省', city: '杭州市', district: '西湖区', address: '文二路 9 号' },
    });
    const r = await s.push(shop.id, shop.secret, body);
    const id = r.body.orders?.[0]?.orderId as string;
    const no = r.body.orders?.[0]?.orderNo as string;
    const routed = await s.api<{ plans: { shipments: { shipmentNo: string }[] }[] }>('POST', '/api/routing/run', { orderIds: [id] });
    const stopped = routed.body.plans[0]?.shipments[0]?.shipmentNo as string;
    expect(stopped).toBeTruthy();
    const cancelled = await s.push(shop.id, shop.secret, { ...body, status: 'cancelled', updatedAt: '2026-11-22T12:00:00+08:00' });
    expect(cancelled.body.orders?.[0]?.status).toBe('cancelled');

    const page = await signIn('e2e-warehouse');
    await page.goto(`${base}/shipments?state=cancelled`);
    const row = page.locator('tr', { hasText: stopped });
    await row.waitFor();
    const text = (await row.textContent()) as string;
    for (const want of ['已拦截', no]) expect(text).toContain(want);
    // Nothing more is done to it at the pack station: it says why, and neither scanning nor shipping is offered.
    await page.goto(`${base}/warehouse?tab=pack&shipment=${encodeURIComponent(stopped)}`);
    await expect.poll(() => page.getByTestId('cancelled-alert').textContent()).toContain('不能发货');
    expect(await page.getByTestId('scan-input').isDisabled()).toBe(true);
    expect(await page.getByTestId('ship-button').isDisabled()).toBe(true);
    await page.close();
  });

  it('corrects a mistyped tracking number from the order’s 360° view (更正运单号): a bad number stays in the form, a good one shows on the parcel, the same again is refused in words', async () => {
    const { orderId: id, shipment: parcel } = await shippedShipment(s, shop, 'zto', 'ZT7700119900');
    const page = await signIn('e2e-admin');
    await page.goto(`${base}/orders/${encodeURIComponent(id)}`);
    const card = page.getByTestId(`shipment-${parcel.id}`);
    await card.waitFor();
    await card.getByTestId('correct-tracking').click();
    const modal = page.locator('.ant-modal');
    await modal.getByText('更正运单号').first().waitFor();
    // A number with a space: the form says so and nothing is sent.
    await page.getByTestId('correct-tracking-no').fill('ZT 77');
    await page.getByTestId('correct-tracking-ok').click();
    await modal.getByText('运单号只能是字母、数字和 -', { exact: false }).waitFor();
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${parcel.id}`)).body.trackingNo).toBe('ZT7700119900');

    await page.getByTestId('correct-tracking-no').fill('ZT7700119901');
    const answer = page.waitForResponse((r) => r.url().endsWith(`/api/shipments/${parcel.id}/tracking`) && r.request().method() === 'POST');
    await page.getByTestId('correct-tracking-ok').click();
    expect((await answer).status()).toBe(200);
    await expect.poll(() => card.getByTestId('shipment-tracking-no').textContent()).toBe('ZT7700119901');
    // The own shop is told through its webhooks, not a platform write: said so.
    await page.locator('.ant-message').getByText('已更正', { exact: false }).first().waitFor();
    await page.screenshot({ path: `${shots}correct-tracking.png`, fullPage: true });

    // The same number again: refused, in Chinese.
    await card.getByTestId('correct-tracking').click();
    await page.getByTestId('correct-tracking-no').fill('ZT7700119901');
    await page.getByTestId('correct-tracking-ok').click();
    await page.locator('.ant-message').getByText('无需更正', { exact: false }).waitFor();
    await page.close();
  });
});

// The external-WMS page of the console in a real browser (Debian's Chromium through playwright-core) against a real
// hub: an account is added through the page and listed with its push URL and dictionary; a bad input shows the hub's
// error and adds nothing; an edited dictionary is what the next signed push (signed here, apart from the hub's code)
// is mapped through, and the shipment it moves shows on the shipments page; a new secret is shown once and signs at
// once, the old one still signing; deleting an account that reported is refused with the hub's reason and the page
// offers to switch it off; a read-only user sees the accounts with every write button disabled.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, PASSWORD, shots, signIn as signInAs } from './support/browser.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';

const missing = browserMissing('the WMS browser tests');

// The production mode of `serve`: SQLite with the writer thread.
const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];

interface AccountBody {
  id: string;
  name: string;
  warehouse: string;
  active: boolean;
  dictionary: Record<string, string>;
  pushUrl: string;
}

interface PushAnswer {
  status: number;
  body: { step?: string; outcome?: string; state?: string; duplicate?: boolean; error?: { code: string; message: string } };
}

/** Signed as a WMS signs: v1=hex HMAC-SHA256(secret, timestamp + "." + raw body), written here apart from the hub's verifier. */
function signedPush(secret: string, body: unknown): { headers: Record<string, string>; raw: string } {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = createHmac('sha256', secret).update(`${ts}.${raw}`, 'utf8').digest('hex');
  return { headers: { 'content-type': 'application/json', 'x-orderhub-event-id': randomUUID(), 'x-orderhub-timestamp': ts, 'x-orderhub-signature': `v1=${mac}` }, raw };
}

describe.skipIf(missing !== null)('the external WMS page in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let base = '';
  const warehouse = 'WMS-FL';
  const name = '富勒 WMS';
  const secret = `wms-e2e-secret-${randomUUID()}`;
  let accountId = '';
  let shipmentId = '';
  /** The secret made by "new secret" in the page: shown once there. */
  let rotated = '';

  beforeAll(async () => {
    s = await startServer(backend);
    base = s.url.replace('127.0.0.1', 'localhost');
    const shop = await createShop(s);
    // A warehouse run by the external WMS, the only one with stock of the SKU: the order is routed there.
    const wh = await s.api('PUT', `/api/warehouses/${warehouse}`, { name: '富勒仓', priority: 1 });
    expect(wh.status, JSON.stringify(wh.body)).toBe(200);
    await setStock(s, 'WMS-A1', 10, warehouse);
    const r = await s.push(
      shop.id,
      shop.secret,
      orderBody({
        status: 'paid',
        lines: [{ sku: 'WMS-A1', title: '保温杯', quantity: 1, unitPrice: 1999, discount: 0 }],
        paidAmount: 1999,
        receiver: { name: '韩梅梅', phone: '13900000001', province: '浙江省', city: '杭州市', district: '西湖区', address: '文一路 8 号' },
      }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const orderId = r.body.orders?.[0]?.orderId as string;
    const routed = await s.api<{ committed: boolean; plans: { shipments: { shipmentNo: string; warehouse: string }[] }[] }>('POST', '/api/routing/run', { orderIds: [orderId] });
    expect(routed.status, JSON.stringify(routed.body)).toBe(200);
    const planned = routed.body.plans.flatMap((p) => p.shipments);
    expect(planned).toEqual([expect.objectContaining({ warehouse })]);
    shipmentId = planned[0]?.shipmentNo as string;

    for (const [username, role] of [
      ['e2e-ops', 'operations'],
      ['e2e-readonly', 'read_only'],
    ]) {
      const u = await s.api('POST', '/api/users', { username, password: PASSWORD, roles: [role] });
      expect(u.status).toBe(201);
    }
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  async function signIn(username: string): Promise<Page> {
    const page = await signInAs(browser, base, username);
    await page.getByRole('menuitem', { name: '外部 WMS' }).click();
    await page.getByTestId('wms-add').waitFor();
    return page;
  }

  const accounts = async () => (await s.api<{ items: AccountBody[] }>('GET', '/api/wms-accounts')).body.items;
  const shipmentState = async () => (await s.api<{ state: string }>('GET', `/api/shipments/${shipmentId}`)).body.state;
  const push = async (key: string, status: string, extra: Record<string, unknown> = {}): Promise<PushAnswer> => {
    const p = signedPush(key, { shipmentId, status, at: new Date().toISOString(), ...extra });
    const res = await fetch(`${s.url}/hooks/wms/${accountId}`, { method: 'POST', headers: p.headers, body: p.raw });
    return { status: res.status, body: (await res.json()) as PushAnswer['body'] };
  };
  const row = (page: Page, text: string): Locator => page.locator('tr', { has: page.getByTestId('wms-name-cell').getByText(text, { exact: true }) });
  const ok = /OK|确\s*定/;

  /**
   * Picks an option of an antd Select by the text it shows, in this select's own dropdown: the dropdown of the row
   * before may still be fading out with the same options (seen with Chromium 156), and a click there goes nowhere.
   */
  async function choose(page: Page, select: Locator, option: string): Promise<void> {
    await select.click();
    const list = await select.locator('[aria-controls]').first().getAttribute('aria-controls');
    const dropdown = page.locator('.ant-select-dropdown', { has: page.locator(`[id="${list}"]`) });
    await dropdown.locator('.ant-select-item-option', { hasText: option }).first().click();
  }

  /** Fills dictionary row i of the open form (adding the row when it is not there yet). */
  async function code(page: Page, i: number, value: string, step: string): Promise<void> {
    const input = page.getByTestId(`wms-code-${i}`);
    if ((await input.count()) === 0) await page.getByTestId('wms-add-code').click();
    await input.fill(value);
    await choose(page, page.getByTestId(`wms-step-${i}`), step);
  }

  it('adds an account through the page and lists it with its push URL and dictionary', async () => {
    const page = await signIn('e2e-ops');
    await page.getByTestId('wms-add').click();
    await page.getByTestId('wms-name').fill(name);
    await choose(page, page.getByTestId('wms-warehouse'), warehouse);
    await page.getByTestId('wms-secret').fill(secret);
    await code(page, 0, '1100', '忽略');
    await code(page, 1, '1300', '已打包');
    await code(page, 2, '1400', '已发货');
    await page.getByTestId('wms-save').click();
    await page.getByTestId('wms-form').waitFor({ state: 'detached' });

    const listed = await accounts();
    expect(listed).toEqual([expect.objectContaining({ name, warehouse, active: true, dictionary: { '1100': 'ignored', '1300': 'packed', '1400': 'shipped' } })]);
    accountId = listed[0]?.id as string;
    expect(JSON.stringify(listed)).not.toContain(secret);

    const r = row(page, name);
    await r.waitFor();
    const url = (await r.getByTestId('wms-push-url').textContent()) as string;
    expect(url).toBe(listed[0]?.pushUrl);
    expect(url).toMatch(new RegExp(`^https?://[^/]+/hooks/wms/${accountId}$`));
    // Copy button next to the URL.
    expect(await r.getByTestId('wms-push-url').locator('.ant-typography-copy').count()).toBe(1);
    expect(await r.locator('td').nth(1).textContent()).toBe(warehouse);
    const dictionary = r.getByTestId('wms-dictionary');
    const entry = async (c: string) => (await dictionary.locator('tr', { has: page.getByRole('cell', { name: c, exact: true }) }).locator('td').allTextContents()).join(' → ');
    expect(await entry('1100')).toBe('1100 → 忽略');
    expect(await entry('1300')).toBe('1300 → 已打包');
    expect(await entry('1400')).toBe('1400 → 已发货');
    expect(await page.textContent('body')).not.toContain(secret);
    await page.screenshot({ path: `${shots}wms.png` });
    await page.close();
  });

  it('shows the hub’s error for a secret too short or an empty dictionary, and adds nothing', async () => {
    const page = await signIn('e2e-ops');
    await page.getByTestId('wms-add').click();
    await page.getByTestId('wms-name').fill('坏的 WMS');
    await choose(page, page.getByTestId('wms-warehouse'), warehouse);
    await page.getByTestId('wms-secret').fill('short');
    await code(page, 0, 'P1', '已拣货');
    await page.getByTestId('wms-save').click();
    await expect.poll(() => page.getByTestId('wms-form-error').textContent()).toContain('secret must be at least 16 characters');

    // A long enough secret, but no status code at all.
    await page.getByTestId('wms-secret').fill(`wms-e2e-other-${randomUUID()}`);
    await page.getByTestId('wms-remove-code-0').click();
    await page.getByTestId('wms-save').click();
    await expect.poll(() => page.getByTestId('wms-form-error').textContent()).toContain('dictionary must map at least one WMS status code');
    expect(await page.getByTestId('wms-form-error').textContent()).not.toContain('secret');

    // A code given twice is caught before it is sent (the dictionary would keep only one of them).
    await code(page, 0, 'P1', '已拣货');
    await code(page, 1, 'P1', '已发货');
    await page.getByTestId('wms-save').click();
    await expect.poll(() => page.getByTestId('wms-form-error').textContent()).toContain('P1');
    await page.screenshot({ path: `${shots}wms-error.png` });

    await page.getByTestId('wms-cancel').click();
    expect((await accounts()).map((a) => a.name)).toEqual([name]);
    const audit = await s.api<{ items: { action: string }[] }>('GET', '/api/audit?action=wms_account.create');
    expect(audit.body.items).toHaveLength(1);
    await page.close();
  });

  it('edits the dictionary; the next signed push maps through it and the shipments page shows its effect', async () => {
    // Not in the dictionary yet: refused, nothing moves.
    const before = await push(secret, 'PICK');
    expect(before.status, JSON.stringify(before.body)).toBe(422);
    expect(before.body.error?.code).toBe('WMS_STATUS_UNKNOWN');
    expect(await shipmentState()).toBe('planned');

    const page = await signIn('e2e-ops');
    await row(page, name).getByTestId('wms-edit').click();
    expect(await page.getByTestId('wms-name').inputValue()).toBe(name);
    expect(await page.getByTestId('wms-warehouse').isDisabled()).toBe(true);
    await code(page, 3, 'PICK', '已拣货');
    // 1100 now means nothing to us either way; it stays ignored. 1300 is renamed to the vendor's new code.
    await page.getByTestId('wms-code-1').fill('PACK');
    await page.getByTestId('wms-save').click();
    await page.getByTestId('wms-form').waitFor({ state: 'detached' });
    await row(page, name).getByTestId('wms-dictionary').getByRole('cell', { name: 'PICK', exact: true }).waitFor();
    expect((await accounts())[0]?.dictionary).toEqual({ '1100': 'ignored', PACK: 'packed', '1400': 'shipped', PICK: 'picked' });

    const picked = await push(secret, 'PICK');
    expect(picked.status, JSON.stringify(picked.body)).toBe(200);
    expect(picked.body).toMatchObject({ step: 'picked', outcome: 'applied', state: 'picked', duplicate: false });
    expect(await shipmentState()).toBe('picked');
    // The old code left the dictionary with the edit.
    expect((await push(secret, '1300')).status).toBe(422);

    await page.getByRole('menuitem', { name: '发货单' }).click();
    const shipment = page.locator('tr', { hasText: shipmentId });
    await shipment.waitFor();
    await expect.poll(() => shipment.textContent()).toContain('已拣货');
    expect(await shipment.textContent()).toContain(warehouse);
    await page.close();
  });

  it('makes a new secret shown once with its warning; it signs at once and the old one still signs', async () => {
    const page = await signIn('e2e-ops');
    await row(page, name).getByTestId('wms-rotate').click();
    const confirm = page.locator('.ant-popover:visible');
    expect(await confirm.textContent()).toContain('24 小时');
    const answer = page.waitForResponse((r) => r.url().endsWith(`/api/wms-accounts/${accountId}/rotate-secret`));
    await confirm.getByRole('button', { name: ok }).click();
    expect((await answer).status()).toBe(200);
    await page.getByTestId('wms-new-secret').waitFor();
    rotated = (await page.getByTestId('wms-new-secret').textContent()) as string;
    expect(rotated).toMatch(/^wmssec_[A-Za-z0-9_-]{32}$/);
    const warning = (await page.getByTestId('wms-secret-warning').textContent()) as string;
    expect(warning).toContain('只显示这一次');
    expect(warning).toContain('24 小时');
    await page.waitForTimeout(600); // the dialog's opening animation, for the screenshot
    await page.screenshot({ path: `${shots}wms-secret.png` });

    // The new secret signs at once; the old one keeps signing for the day the WMS needs to switch.
    const packed = await push(rotated, 'PACK');
    expect(packed.status, JSON.stringify(packed.body)).toBe(200);
    expect(packed.body).toMatchObject({ step: 'packed', outcome: 'applied', state: 'packed' });
    expect((await push(secret, '1100')).body).toMatchObject({ outcome: 'ignored', state: 'packed' });
    expect((await push('wms-e2e-never-given-out-000', '1100')).status).toBe(401);

    // Closed, it is gone from the page and the hub never answers it again.
    await page.getByTestId('wms-secret-done').click();
    await page.getByTestId('wms-new-secret').waitFor({ state: 'detached' });
    expect(await page.textContent('body')).not.toContain(rotated);
    await page.reload();
    await row(page, name).waitFor();
    expect(await page.textContent('body')).not.toContain(rotated);
    expect(JSON.stringify(await accounts())).not.toContain(rotated);
    await page.close();
  });

  it('refuses to delete an account that reported, shows why and switches it off instead; deletes one that never did', async () => {
    const unused = await s.api<AccountBody>('POST', '/api/wms-accounts', { name: '未用的 WMS', warehouse, secret: `wms-e2e-unused-${randomUUID()}`, dictionary: { X1: 'picked' } });
    expect(unused.status, JSON.stringify(unused.body)).toBe(201);

    const page = await signIn('e2e-ops');
    await row(page, name).getByTestId('wms-delete').click();
    const refusedAnswer = page.waitForResponse((r) => r.url().endsWith(`/api/wms-accounts/${accountId}`) && r.request().method() === 'DELETE');
    await page.locator('.ant-popover:visible').getByRole('button', { name: ok }).click();
    expect((await refusedAnswer).status()).toBe(409);
    const refused = page.getByTestId('wms-delete-refused');
    await refused.waitFor();
    const text = (await refused.textContent()) as string;
    // Why, in the console's words (no English sentence from the hub): its pushes are on record, switch it off.
    expect(text).toContain('不能删除此账号');
    expect(text).toContain('停用');
    expect(text).not.toMatch(/[A-Za-z]{4,}/);
    expect((await accounts()).map((a) => a.id)).toContain(accountId);
    await page.locator('.ant-popover:visible').waitFor({ state: 'hidden' });
    await page.screenshot({ path: `${shots}wms-delete-refused.png` });

    await page.getByTestId('wms-switch-off').click();
    await expect.poll(async () => (await accounts()).find((a) => a.id === accountId)?.active).toBe(false);
    await expect.poll(() => row(page, name).getByTestId('wms-active').getAttribute('aria-checked')).toBe('false');
    const off = await push(rotated, 'PACK');
    expect(off.status).toBe(403);
    expect(off.body.error?.code).toBe('ACCOUNT_INACTIVE');

    // One that never reported goes.
    await row(page, '未用的 WMS').getByTestId('wms-delete').click();
    await page.locator('.ant-popover:visible').getByRole('button', { name: ok }).click();
    await row(page, '未用的 WMS').waitFor({ state: 'detached' });
    expect((await accounts()).map((a) => a.id)).toEqual([accountId]);

    // Switched on again from the list.
    await row(page, name).getByTestId('wms-active').click();
    await expect.poll(async () => (await accounts())[0]?.active).toBe(true);
    await page.close();
  });

  it('shows a read-only user the accounts with every write button disabled', async () => {
    const page = await signIn('e2e-readonly');
    const r = row(page, name);
    await r.waitFor();
    expect(await r.getByTestId('wms-push-url').textContent()).toContain(`/hooks/wms/${accountId}`);
    for (const id of ['wms-edit', 'wms-rotate', 'wms-delete', 'wms-active']) expect(await r.getByTestId(id).isDisabled(), id).toBe(true);
    expect(await page.getByTestId('wms-add').isDisabled()).toBe(true);
    // Chinese by default, English on the switch.
    await page.getByTestId('lang-switch').click();
    await page.getByRole('menuitem', { name: 'External WMS' }).waitFor();
    await page.getByText('Push URL (give it to the WMS)').waitFor();
    await page.close();
  });
});

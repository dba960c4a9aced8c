// Signing in to the console in a real browser while the demo runs: the organisation field already says the demo's,
// the hint names every demo user with its role, a refusal reads in the console's language (zh and en), and every
// role lands where its day starts — after signing in and on "/".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { httpBackends } from './support/backends.ts';
import { browserMissing, launchBrowser, shots } from './support/browser.ts';
import { startServer, type TestServer } from './support/server.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';
import { hashPassword } from '../src/platform/security/secrets.ts';
import { DEMO_PASSWORD, demoUsers } from '../src/sandbox/demo/seed.ts';

const missing = browserMissing('the sign-in browser tests');
const backend = httpBackends[0] as (typeof httpBackends)[number];

/** Where each demo role's day starts. */
const landing: Record<string, { path: string; menu: string }> = {
  admin: { path: '/dashboard', menu: '概览' },
  operations: { path: '/dashboard', menu: '概览' },
  customer_service: { path: '/orders', menu: '订单' },
  warehouse: { path: '/warehouse', menu: '仓库作业' },
  finance: { path: '/payments', menu: '支付异常' },
  read_only: { path: '/dashboard', menu: '概览' },
};
const roleNames: Record<string, string> = { admin: '管理员', operations: '运营', customer_service: '客服', warehouse: '仓库', finance: '财务', read_only: '只读' };

describe.skipIf(missing !== null)('signing in to the console while the demo runs', () => {
  let s: TestServer;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    s = await startServer(backend, {}, { app: { demo: { tenant: 'demo', password: DEMO_PASSWORD, users: demoUsers.map((u) => ({ ...u })) } } });
    base = s.url.replace('127.0.0.1', 'localhost');
    const passwordHash = await hashPassword(DEMO_PASSWORD, 'demo');
    for (const u of demoUsers) await s.hub.writes.createUser(systemPrincipal('demo', 'demo-setup'), { username: u.username, passwordHash, roles: [u.role] });
    // Another organisation exists too: the page still offers the demo's, and never lists the others.
    await s.hub.writes.createUser(systemPrincipal('acme', 'setup'), { username: 'boss', passwordHash, roles: ['admin'] });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const open = async (lang: 'zh' | 'en' = 'zh'): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, locale: lang === 'zh' ? 'zh-CN' : 'en-GB' });
    page.on('pageerror', (e) => {
      throw e;
    });
    // The console keeps the language choice in the browser; a string script runs in the page, not under Node's types.
    if (lang === 'en') await page.addInitScript("localStorage.setItem('orderhub.lang', 'en')");
    await page.goto(base + '/');
    return page;
  };
  const path = (page: Page) => new URL(page.url()).pathname;

  it('fills in the demo organisation and names every demo user with its role; a click on one fills the form', async () => {
    const page = await open();
    await expect.poll(() => page.getByTestId('tenant').inputValue()).toBe('demo');
    const hint = page.getByTestId('demo-hint');
    await hint.waitFor();
    const text = (await hint.textContent()) ?? '';
    expect(text).toContain(DEMO_PASSWORD);
    for (const u of demoUsers) expect(await page.getByTestId(`demo-user-${u.username}`).textContent()).toBe(`${u.username} · ${roleNames[u.role]}`);
    expect(text).not.toContain('acme');
    await page.screenshot({ path: `${shots}sign-in.png` });

    // The first sign-in works as it comes: the demo's organisation, a demo user picked from the hint.
    await page.getByTestId('demo-user-demo-wh').click();
    expect(await page.getByTestId('username').inputValue()).toBe('demo-wh');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('whoami').waitFor();
    expect(await page.getByTestId('whoami').textContent()).toContain('demo');
    await expect.poll(() => path(page)).toBe('/warehouse');
    await page.close();
  }, 60_000);

  it('lands every demo role where its day starts, after signing in and on "/"', async () => {
    for (const u of demoUsers) {
      const page = await open();
      await expect.poll(() => page.getByTestId('tenant').inputValue()).toBe('demo');
      await page.getByTestId('username').fill(u.username);
      await page.getByTestId('password').fill(DEMO_PASSWORD);
      await page.getByTestId('sign-in').click();
      await page.getByTestId('whoami').waitFor();
      const want = landing[u.role] as { path: string; menu: string };
      await expect.poll(() => path(page), { message: u.username }).toBe(want.path);
      expect(await page.locator('.ant-menu-item-selected').textContent(), u.username).toBe(want.menu);
      // "/" again (a bookmark, the logo): the same page.
      await page.goto(base + '/');
      await page.getByTestId('whoami').waitFor();
      await expect.poll(() => path(page), { message: u.username }).toBe(want.path);
      // Signing out and in as someone else starts that person's day, not the page left behind.
      await page.getByRole('button', { name: /^退\s*出$/ }).click();
      await page.getByTestId('sign-in').waitFor();
      expect(path(page)).toBe('/');
      await page.close();
    }
  }, 120_000);

  it('says a failed sign-in in the console’s language, in Chinese and in English', async () => {
    const zh = await open('zh');
    await zh.getByTestId('username').fill('demo-admin');
    await zh.getByTestId('password').fill('not the password');
    await zh.getByTestId('sign-in').click();
    await expect.poll(() => zh.getByTestId('sign-in-error').textContent()).toBe('用户名或密码错误，或该用户不属于这个组织');
    // The same refusal after switching language is worded in English.
    await zh.getByRole('button', { name: 'English' }).click();
    await zh.getByTestId('sign-in').click();
    await expect.poll(() => zh.getByTestId('sign-in-error').textContent()).toBe('Wrong username or password, or the user is not in this organisation');
    await zh.close();

    const en = await open('en');
    await en.getByTestId('username').fill('demo-admin');
    await en.getByTestId('password').fill('not the password');
    await en.getByTestId('tenant').fill('acme');
    await en.getByTestId('sign-in').click();
    await expect.poll(() => en.getByTestId('sign-in-error').textContent()).toBe('Wrong username or password, or the user is not in this organisation');
    await en.close();
  }, 60_000);
});

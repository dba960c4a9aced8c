// What the console's browser tests share: Debian's Chromium through playwright-core, where screenshots go, whether
// the tests can run here (on CI they must: a missing browser or console build is an error there, not a skip), and
// signing in through the page as a user would.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { consoleDir } from '../../src/app/http/console.ts';

export const CHROMIUM = process.env.ORDERHUB_CHROMIUM ?? '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery';

/** ORDERHUB_SCREENSHOTS=docs writes the screenshots into docs/screenshots/ for the README; otherwise a temp dir. */
export const shots =
  process.env.ORDERHUB_SCREENSHOTS === 'docs' ? new URL('../../docs/screenshots/', import.meta.url).pathname : `${mkdtempSync(join(tmpdir(), 'orderhub-shots-'))}/`;

/** Why the browser tests named `what` cannot run here, or null. Throws on CI, where they must run. */
export function browserMissing(what: string): string | null {
  const onCi = process.env.CI === 'true' || process.env.CI === '1';
  const missing = !existsSync(CHROMIUM)
    ? `no browser at ${CHROMIUM} (apt-get install -y chromium)`
    : !existsSync(`${consoleDir}/index.html`)
      ? 'the console is not built (npm run build:console)'
      : null;
  if (missing && onCi) throw new Error(`the browser tests must run on CI: ${missing}`);
  if (missing) console.warn(`[orderhub tests] skipping ${what}: ${missing}`);
  return missing;
}

/** Headless Chromium, and the screenshot directory made. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A new page signed in through the sign-in form (Chinese locale); an error thrown in the page fails the test. */
export async function signIn(browser: Browser, base: string, username: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport, locale: 'zh-CN' });
  page.on('pageerror', (e) => {
    throw e;
  });
  await page.goto(base + '/');
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(PASSWORD);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('whoami').waitFor();
  return page;
}

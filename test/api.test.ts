// The API's surface: authentication, error shape, health, the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestVersion } from '../src/platform/db/migrate.ts';
import { httpBackends } from './support/backends.ts';
import { startServer, type TestServer } from './support/server.ts';

describe.each(httpBackends)('API surface on $name', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(backend);
  });
  afterAll(async () => s?.close());

  it('answers liveness and readiness', async () => {
    expect(await (await fetch(`${s.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${s.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: true, migrations: { applied: latestVersion(), expected: latestVersion() } });
  });

  it.each([
    ['no token', () => undefined],
    ['a wrong token', () => 'Bearer wrong'],
    ['the right token under another scheme', () => `Basic ${s.token}`],
    ['the right token with one character changed', () => `Bearer ${s.token.slice(0, -1)}#`],
  ])('refuses /api with %s', async (_name, header: () => string | undefined) => {
    const auth = header();
    const r = await fetch(`${s.url}/api/orders`, { headers: auth ? { authorization: auth } : {} });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('answers unknown routes and bad bodies in the one error shape', async () => {
    const nf = await fetch(`${s.url}/nowhere`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    // A browser navigating to a console path gets the console (it routes itself); /api never does.
    const page = await fetch(`${s.url}/orders/ORD-1`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<div id="root">');
    const api = await fetch(`${s.url}/api/nowhere`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    const bad = await s.api<{ error: { code: string; message: string } }>('POST', '/api/channel-accounts', { platform: 'ownshop' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.message).toContain('name');
    const broken = await fetch(`${s.url}/api/channel-accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: '{"platform":',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 'BODY_INVALID_JSON' } });
    const weak = await s.api<{ error: { code: string } }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: 'x', credentials: {} });
    expect(weak.status).toBe(400);
    const unsupported = await s.api<{ error: { code: string } }>('POST', '/api/channel-accounts', { platform: 'myspace', name: 'x', credentials: {} });
    expect(unsupported.body.error.code).toBe('PLATFORM_NOT_SUPPORTED');
  });

  it('never returns credentials', async () => {
    const c = await s.api<{ id: string; credentialKeys: string[] }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: 'Shop', credentials: { secret: 'never-shown-secret' } });
    expect(c.status).toBe(201);
    expect(c.body.credentialKeys).toEqual(['secret']);
    const list = await fetch(`${s.url}/api/channel-accounts`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(await list.text()).not.toContain('never-shown-secret');
  });

  it('publishes an OpenAPI document with the push format and the API', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/hooks/ownshop/{accountId}', '/api/orders', '/api/orders/{idOrOrderNo}', '/api/stock/{sku}', '/api/channel-accounts', '/health', '/ready']),
    );
    expect(JSON.stringify(doc.paths['/hooks/ownshop/{accountId}'])).toContain('paidAmount');
    expect((await fetch(`${s.url}/docs`)).status).toBeLessThan(400);
  });

  it('gives every OpenAPI operation a summary and a description', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { summary?: string; description?: string }>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })));
    expect(operations.length).toBeGreaterThan(100);
    const lacking = operations.filter(({ op }) => !op.summary?.trim() || !op.description?.trim()).map(({ name, op }) => `${name}${op.summary?.trim() ? '' : ' (no summary)'}${op.description?.trim() ? '' : ' (no description)'}`);
    expect(lacking).toEqual([]);
    // A description says more than its summary does.
    expect(operations.filter(({ op }) => op.description?.trim() === op.summary?.trim()).map(({ name }) => name)).toEqual([]);
  });
});

// Every id a request names is resolved inside the caller's organisation: another seller's channel account in a SKU
// mapping or a user's scope, or a warehouse that does not exist there in a SKU's allowed warehouses, is not found —
// and nothing is written. Before, another tenant's account id was taken in a mapping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { systemPrincipal } from '../../src/kernel/principal.ts';
import { hashPassword } from '../../src/platform/security/secrets.ts';

const PASSWORD = 'correct horse battery';

describe.each(allBackends)("another tenant's references on $name", (backend) => {
  let s: TestServer;
  let acme: { cookie: string; csrf: string };
  let defaultShop = '';
  let acmeShop = '';

  /** As acme's admin, with the session cookie and its CSRF token. */
  const asAcme = async <T = { error?: { code: string } }>(method: string, path: string, body?: unknown) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { cookie: acme.cookie, 'x-csrf-token': acme.csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const count = async (sql: string, args: string[] = []) => Number((await s.hub.db.read.get<{ c: number }>(sql, args))?.c ?? 0);

  beforeAll(async () => {
    s = await startServer(backend);
    await s.hub.writes.createUser(systemPrincipal('acme', 'setup'), { username: 'boss', passwordHash: await hashPassword(PASSWORD, 'boss'), roles: ['admin'] });
    const res = await fetch(`${s.url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'boss', password: PASSWORD, tenant: 'acme' }) });
    expect(res.status).toBe(200);
    acme = { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
    // The admin token acts for the default organisation.
    defaultShop = (await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: 'default shop', credentials: { secret: 'default-secret-0123456789' } })).body.id;
    acmeShop = (await asAcme<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: 'acme shop', credentials: { secret: 'acme-secret-0123456789' } })).body.id;
    // A stock count names an existing warehouse: each organisation creates its own.
    expect(await asAcme('PUT', '/api/warehouses/WH1', { name: 'WH1' })).toMatchObject({ status: 200 });
    expect(await s.api('PUT', '/api/warehouses/WH-DEFAULT', { name: 'WH-DEFAULT' })).toMatchObject({ status: 200 });
    expect(await asAcme('PUT', '/api/stock/A1', { warehouse: 'WH1', onHand: 5, reason: 'test count' })).toMatchObject({ status: 200 });
    expect(await s.api('PUT', '/api/stock/A1', { warehouse: 'WH-DEFAULT', onHand: 5, reason: 'test count' })).toMatchObject({ status: 200 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("refuses a SKU mapping for another tenant's channel account with 404 and maps nothing", async () => {
    const before = await count('SELECT COUNT(*) AS c FROM sku_aliases');
    const r = await asAcme('POST', '/api/sku-mappings', { externalSku: 'P-RED', sku: 'A1', accountId: defaultShop });
    expect(r.status).toBe(404);
    expect(r.body.error?.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await asAcme('POST', '/api/sku-mappings', { externalSku: 'P-RED', sku: 'A1', accountId: 'no-such-account' })).status).toBe(404);
    expect(await count('SELECT COUNT(*) AS c FROM sku_aliases')).toBe(before);
    expect((await asAcme('POST', '/api/sku-mappings', { externalSku: 'P-RED', sku: 'A1', accountId: acmeShop })).status).toBe(200);
  });

  it("refuses a user whose scope names another tenant's channel account, on create and on change", async () => {
    const users = () => count("SELECT COUNT(*) AS c FROM users WHERE tenant_id = 'acme'");
    const before = await users();
    const r = await asAcme('POST', '/api/users', { username: 'shop_only', password: PASSWORD, roles: ['read_only'], scope: { accounts: [defaultShop] } });
    // Named in a body, an unknown account is a field that does not check out (400, naming the field), as the scope policy answers.
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    expect(await users()).toBe(before);
    const ok = await asAcme<{ id: string; scope: { accounts: string[] } }>('POST', '/api/users', { username: 'shop_only', password: PASSWORD, roles: ['read_only'], scope: { accounts: [acmeShop] } });
    expect(ok.status).toBe(201);
    const change = await asAcme('PATCH', `/api/users/${ok.body.id}`, { scope: { accounts: [acmeShop, defaultShop] } });
    expect(change.status).toBe(400);
    const after = await asAcme<{ scope: { accounts: string[] } }>('GET', `/api/users/${ok.body.id}`);
    expect(after.body.scope.accounts).toEqual([acmeShop]);
  });

  it("refuses a SKU's allowed warehouses that do not exist in the tenant (another tenant's included)", async () => {
    const r = await asAcme<{ error: { code: string; message: string } }>('PUT', '/api/sku-traits/A1', { allowedWarehouses: ['WH1', 'WH-DEFAULT'], promisedShipHours: 24, weightGrams: 100 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('WH-DEFAULT');
    expect(await count("SELECT COUNT(*) AS c FROM sku_traits WHERE tenant_id = 'acme'")).toBe(0);
    expect((await asAcme('PUT', '/api/sku-traits/A1', { allowedWarehouses: ['WH1'], promisedShipHours: 24, weightGrams: 100 })).status).toBe(200);
  });
});

// Two sellers in one hub (代运营): nothing of one is visible to, countable by, or changeable from the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from './support/backends.ts';
import { startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';
import { hashPassword } from '../src/platform/security/secrets.ts';
import { verifyAudit } from '../src/modules/access/audit.ts';

const PASSWORD = 'correct horse battery';

describe.each(httpBackends)('tenants on $name', (backend) => {
  let s: TestServer;
  const session = new Map<string, { cookie: string; csrf: string }>();
  let acmeShop: { id: string; secret: string };
  let acmeOrder = '';
  let defaultOrder = '';

  const as = async <T = Record<string, unknown>>(tenant: string, method: string, path: string, body?: unknown) => {
    const sess = session.get(tenant) as { cookie: string; csrf: string };
    const res = await fetch(s.url + path, {
      method,
      headers: {
        cookie: sess.cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': sess.csrf }),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T };
  };

  const signIn = async (tenant: string | undefined, username: string) => {
    const res = await fetch(`${s.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD, ...(tenant ? { tenant } : {}) }),
    });
    return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string, body: (await res.json()) as { csrfToken: string } };
  };

  const tenantOf = (orderNo: string) => (orderNo === acmeOrder ? 'acme' : 'default');

  beforeAll(async () => {
    s = await startServer(backend);
    const passwordHash = await hashPassword(PASSWORD, 'boss');
    // The same username in two tenants: two different people.
    for (const tenant of ['default', 'acme']) {
      await s.hub.writes.createUser(systemPrincipal(tenant, 'setup'), { username: 'boss', passwordHash, roles: ['admin'] });
      const r = await signIn(tenant === 'default' ? undefined : tenant, 'boss');
      expect(r.status).toBe(200);
      session.set(tenant, { cookie: r.cookie, csrf: r.body.csrfToken });
    }
    for (const tenant of ['default', 'acme']) {
      const shop = await as<{ id: string }>(tenant, 'POST', '/api/channel-accounts', { platform: 'ownshop', name: `${tenant} shop`, credentials: { secret: `${tenant}-secret-0123456789` } });
      expect(shop.status).toBe(201);
      expect((await as(tenant, 'PUT', '/api/warehouses/WH1', { name: 'WH1' })).status).toBe(200);
      expect((await as(tenant, 'PUT', '/api/stock/A1', { warehouse: 'WH1', onHand: tenant === 'acme' ? 7 : 3, reason: 'test count' })).status).toBe(200);
      const pushed = await s.push(shop.body.id, `${tenant}-secret-0123456789`, orderBody());
      expect(pushed.status).toBe(200);
      if (tenant === 'acme') {
        acmeShop = { id: shop.body.id, secret: `${tenant}-secret-0123456789` };
        acmeOrder = pushed.body.orders?.[0]?.orderNo as string;
      } else defaultOrder = pushed.body.orders?.[0]?.orderNo as string;
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  it('numbers orders per tenant, and shows each tenant only its own orders, stock, accounts and users', async () => {
    // Order numbers are unique across the hub (a service provider can name any order unambiguously).
    expect(acmeOrder).not.toBe(defaultOrder);
    expect((await as(tenantOf(defaultOrder), 'GET', `/api/orders/${acmeOrder}`)).status).toBe(404);
    expect((await as('acme', 'GET', `/api/orders/${acmeOrder}`)).status).toBe(200);
    for (const [tenant, other] of [
      ['acme', 'default'],
      ['default', 'acme'],
    ] as const) {
      const list = await as<{ items: { accountId: string }[]; total: number }>(tenant, 'GET', '/api/orders');
      expect(list.body.total).toBe(1);
      const accounts = await as<{ items: { name: string; id: string }[] }>(tenant, 'GET', '/api/channel-accounts');
      expect(accounts.body.items.map((a) => a.name)).toEqual([`${tenant} shop`]);
      expect(list.body.items[0]?.accountId).toBe(accounts.body.items[0]?.id);
      const otherAccounts = await as<{ items: { id: string }[] }>(other, 'GET', '/api/channel-accounts');
      const foreign = otherAccounts.body.items[0]?.id as string;
      expect((await as(tenant, 'GET', `/api/channel-accounts/${foreign}`)).status).toBe(404);
      expect((await as(tenant, 'PATCH', `/api/channel-accounts/${foreign}`, { name: 'mine now' })).status).toBe(404);
      const stock = await as<{ onHand: number; reserved: number }>(tenant, 'GET', '/api/stock/A1');
      expect([stock.body.onHand, stock.body.reserved]).toEqual([tenant === 'acme' ? 7 : 3, 1]);
      const users = await as<{ items: { id: string }[] }>(tenant, 'GET', '/api/users');
      expect(users.body.items).toHaveLength(1);
      const otherUsers = await as<{ items: { id: string }[] }>(other, 'GET', '/api/users');
      expect((await as(tenant, 'GET', `/api/users/${otherUsers.body.items[0]?.id}`)).status).toBe(404);
      const events = await as<{ items: { data: { accountId?: string } }[] }>(tenant, 'GET', '/api/events?limit=1000');
      expect(events.body.items.length).toBeGreaterThan(0);
      expect(events.body.items.some((e) => e.data.accountId === foreign)).toBe(false);
      const exported = await as<string>(tenant, 'GET', '/api/orders/export');
      expect(exported.body.trim().split(/\r?\n/)).toHaveLength(2);
    }
  });

  it('keeps one audit chain per tenant, each readable only by its own tenant', async () => {
    const acme = await as<{ items: { action: string; actor: { name: string } }[] }>('acme', 'GET', '/api/audit?limit=500');
    const def = await as<{ items: { action: string; detail: unknown }[] }>('default', 'GET', '/api/audit?limit=500');
    expect(acme.body.items.some((e) => e.action === 'channel_account.create')).toBe(true);
    expect(JSON.stringify(acme.body)).not.toContain('default shop');
    expect(JSON.stringify(def.body)).not.toContain('acme shop');
    const chains = await verifyAudit(s.hub.db, s.hub.keyring);
    expect(chains.map((c) => [c.tenantId, c.ok]).sort()).toEqual([
      ['acme', true],
      ['default', true],
    ]);
  });

  it('signs a user into their own tenant only', async () => {
    expect((await signIn('nobody-tenant', 'boss')).status).toBe(401);
    const wrongTenant = await signIn('acme', 'no-such-user');
    expect(wrongTenant.status).toBe(401);
    expect((await signIn('bad tenant!', 'boss')).status).toBe(400);
    // A push to acme's shop lands in acme, whatever the order says.
    const r = await s.push(acmeShop.id, acmeShop.secret, orderBody());
    expect(r.status).toBe(200);
    expect((await as<{ total: number }>('acme', 'GET', '/api/orders')).body.total).toBe(2);
    expect((await as<{ total: number }>('default', 'GET', '/api/orders')).body.total).toBe(1);
  });
});

// A user's data scope is checked when it is saved, over real HTTP: unknown keys, wrong types and names the tenant does
// not have are refused with 400 and nothing is written; a scoped manager cannot give more than it has; a stored scope
// that does not read as one closes everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from './support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';

const PASSWORD = 'correct horse battery';

interface ErrorReply {
  error: { code: string; message: string; details?: unknown };
}

interface UserBody {
  id: string;
  username: string;
  scope: { accounts: string[] | null; warehouses: string[] | null; provinces: string[] | null };
}

describe.each(httpBackends)('saving a data scope on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  let n = 0;
  const name = () => `scoped-${++n}`;

  const as = async <T>(token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T & ErrorReply };
  };
  const tokenFor = async (userId: string) => (await s.api<{ token: string }>('POST', '/api/tokens', { name: 'probe', userId })).body.token;
  const usernames = async () => (await s.api<{ items: UserBody[] }>('GET', '/api/users')).body.items.map((u) => u.username);

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
    await setStock(s, 'A1', 10, 'WH1');
    const r = await s.push(shop.id, shop.secret, orderBody({ receiver: { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' } }));
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a misspelt key, "", 0, false and wrong types with 400, and creates no user', async () => {
    const bad: unknown[] = [
      { province: ['浙江省'] },
      { provinces: ['浙江省'], region: 'x' },
      '',
      0,
      false,
      [],
      { accounts: '' },
      { accounts: 0 },
      { accounts: false },
      { accounts: shop.id },
      { accounts: [''] },
      { accounts: ['  '] },
      { provinces: ['浙江省', '浙江省'] },
      { warehouses: [1] },
    ];
    for (const scope of bad) {
      const username = name();
      const r = await s.api<ErrorReply>('POST', '/api/users', { username, password: PASSWORD, roles: ['read_only'], scope });
      expect(r.status, `${JSON.stringify(scope)} → ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(await usernames()).not.toContain(username);
    }
  });

  it('refuses shops and warehouses the tenant does not have, naming the entry', async () => {
    const username = name();
    const noShop = await s.api<ErrorReply>('POST', '/api/users', { username, password: PASSWORD, roles: ['read_only'], scope: { accounts: [shop.id, 'no-such-shop'] } });
    expect(noShop.status).toBe(400);
    expect(noShop.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'scope.accounts[1]' } });
    const noWarehouse = await s.api<ErrorReply>('POST', '/api/users', { username, password: PASSWORD, roles: ['read_only'], scope: { warehouses: ['WH-NOPE'] } });
    expect(noWarehouse.status).toBe(400);
    expect(noWarehouse.body.error.message).toContain('WH-NOPE');
    expect(await usernames()).not.toContain(username);
  });

  it('saves a valid scope trimmed; an empty list means nothing, not everything', async () => {
    const u = await s.api<UserBody>('POST', '/api/users', { username: name(), password: PASSWORD, roles: ['read_only'], scope: { provinces: [' 浙江省 '], warehouses: ['WH1'] } });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    expect(u.body.scope).toEqual({ accounts: null, warehouses: ['WH1'], provinces: ['浙江省'] });
    const none = await s.api<UserBody>('POST', '/api/users', { username: name(), password: PASSWORD, roles: ['read_only'], scope: { accounts: [] } });
    expect(none.status).toBe(201);
    const token = await tokenFor(none.body.id);
    expect((await as<{ total: number }>(token, 'GET', '/api/orders')).body.total).toBe(0);
    expect((await as<{ items: unknown[] }>(token, 'GET', '/api/channel-accounts')).body.items).toEqual([]);
    expect((await s.api<{ total: number }>('GET', '/api/orders')).body.total).toBe(1);
  });

  it('refuses a bad scope on change and keeps the one saved', async () => {
    const u = await s.api<UserBody>('POST', '/api/users', { username: name(), password: PASSWORD, roles: ['read_only'], scope: { provinces: ['浙江省'] } });
    for (const scope of [{ province: null }, '', 0, false, { provinces: '' }]) {
      const r = await s.api<ErrorReply>('PATCH', `/api/users/${u.body.id}`, { scope });
      expect(r.status, JSON.stringify(scope)).toBe(400);
    }
    expect((await s.api<UserBody>('GET', `/api/users/${u.body.id}`)).body.scope).toEqual({ accounts: null, warehouses: null, provinces: ['浙江省'] });
  });

  it('lets a scoped manager give only a scope inside its own', async () => {
    expect((await s.api('PUT', '/api/roles/people_lead', { description: 'manages people', permissions: ['users.manage', 'orders.read'] })).status).toBe(200);
    const lead = await s.api<UserBody>('POST', '/api/users', { username: name(), password: PASSWORD, roles: ['people_lead'], scope: { provinces: ['浙江省'] } });
    const token = await tokenFor(lead.body.id);
    for (const scope of [undefined, null, { provinces: ['广东省'] }, { provinces: ['浙江省', '广东省'] }, { accounts: [shop.id] }]) {
      const username = name();
      const r = await as<UserBody>(token, 'POST', '/api/users', { username, password: PASSWORD, roles: ['read_only'], ...(scope !== undefined ? { scope } : {}) });
      expect(r.status, JSON.stringify(scope)).toBe(403);
      expect(await usernames()).not.toContain(username);
    }
    const narrower = await as<UserBody>(token, 'POST', '/api/users', { username: name(), password: PASSWORD, roles: ['read_only'], scope: { provinces: ['浙江省'], accounts: [shop.id] } });
    expect(narrower.status, JSON.stringify(narrower.body)).toBe(201);
    expect((await as(token, 'PATCH', `/api/users/${lead.body.id}`, { scope: null })).status).toBe(403);
    expect((await s.api<UserBody>('GET', `/api/users/${lead.body.id}`)).body.scope.provinces).toEqual(['浙江省']);
  });

  it('closes everything for a user whose stored scope does not read as one (a row written by an older release)', async () => {
    const u = await s.api<UserBody>('POST', '/api/users', { username: name(), password: PASSWORD, roles: ['read_only'], scope: { provinces: ['浙江省'] } });
    const token = await tokenFor(u.body.id);
    expect((await as<{ total: number }>(token, 'GET', '/api/orders')).body.total).toBe(1);
    if (!s.hub.local) return; // the writer thread holds the SQLite file's writes; the row is the same there
    await s.hub.db.transaction((tx) => tx.run('UPDATE users SET scope = ? WHERE id = ?', ['{"province":["浙江省"]}', u.body.id]));
    expect((await as<{ total: number }>(token, 'GET', '/api/orders')).body.total).toBe(0);
    expect((await s.api<UserBody>('GET', `/api/users/${u.body.id}`)).body.scope).toEqual({ accounts: [], warehouses: [], provinces: [] });
  });
});

// People, permissions, personal data and the audit log, over real HTTP on every store.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from './support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { builtinRoles, isPermission } from '../src/kernel/permissions.ts';
import { verifyAudit } from '../src/modules/access/audit.ts';

const PASSWORD = 'correct horse battery';
const FULL_PHONE = '13912345678';
const FULL_ADDRESS = '文三路 478 号华星科技大厦';

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T = Record<string, unknown>>(
  s: TestServer,
  method: string,
  path: string,
  opts: { token?: string; cookie?: string; csrf?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(s.url + path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    // A live stream never ends: its status is the answer.
    await res.body?.cancel();
    return { status: res.status, body: null as T, headers: res.headers };
  }
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: (text && json ? JSON.parse(text) : text || null) as T, headers: res.headers };
}

describe.each(httpBackends)('people and permissions on $name', (backend) => {
  let s: TestServer;
  const tokens = new Map<string, string>();
  const userIds = new Map<string, string>();
  let shopA: { id: string; secret: string };
  let shopB: { id: string; secret: string };
  const orders: Record<string, { orderNo: string; id: string }> = {};

  const createUser = async (username: string, roles: string[], scope?: unknown) => {
    const r = await s.api<{ id: string }>('POST', '/api/users', { username, password: PASSWORD, roles, ...(scope ? { scope } : {}) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    userIds.set(username, r.body.id);
    const t = await s.api<{ token: string }>('POST', '/api/tokens', { name: `${username} integration`, userId: r.body.id });
    expect(t.status).toBe(201);
    tokens.set(username, t.body.token);
    return r.body.id;
  };

  beforeAll(async () => {
    s = await startServer(backend);
    shopA = await createShop(s, 'shop-a-secret-0123456789');
    shopB = await createShop(s, 'shop-b-secret-0123456789');
    await setStock(s, 'A1', 100);
    const place = async (key: string, shop: { id: string; secret: string }, province: string, phone: string) => {
      const body = orderBody({
        receiver: { name: '王小明', phone, province, city: '某市', district: '某区', address: FULL_ADDRESS },
        buyer: { id: 'b', name: '王小明', phone },
      });
      const r = await s.push(shop.id, shop.secret, body);
      expect(r.status).toBe(200);
      const o = r.body.orders?.[0];
      orders[key] = { orderNo: o?.orderNo as string, id: o?.orderId as string };
    };
    await place('aZhejiang', shopA, '浙江省', FULL_PHONE);
    await place('aGuangdong', shopA, '广东省', '13700001111');
    await place('bZhejiang', shopB, '浙江省', '13600002222');
    for (const role of builtinRoles) await createUser(`u_${role.name}`, [role.name]);
    await createUser('region_zj', ['customer_service'], { provinces: ['浙江省'] });
    await createUser('shop_a', ['operations'], { accounts: [shopA.id] });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('has an access rule on every /api route, naming known permissions only', () => {
    const api = routeTable();
    expect(api.length).toBeGreaterThan(20);
    const missing = api.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    const unknown = api.filter((r) => r.access && r.access !== 'public' && r.access !== 'authenticated' && !isPermission(r.access));
    expect(unknown).toEqual([]);
    expect(api.filter((r) => r.access === 'public').map((r) => r.url).sort()).toEqual(['/api/auth/options', '/api/auth/sign-in']);
  });

  // The route table of a real app instance (the server's own app is not exposed; an identical one is built).
  let table: { method: string; url: string; access: string | undefined }[] = [];
  function routeTable() {
    return table;
  }
  beforeAll(async () => {
    const { buildApp } = await import('../src/app/http/app.ts');
    const app = await buildApp(s.hub);
    await app.ready();
    table = app.routeTable.filter((r) => r.url.startsWith('/api/'));
    await app.close();
  });

  it('answers each built-in role 403 exactly on the routes whose permission it lacks (generated from the route table)', async () => {
    const mismatches: string[] = [];
    for (const role of builtinRoles) {
      const token = tokens.get(`u_${role.name}`) as string;
      for (const r of routeTable()) {
        if (!r.access || r.access === 'public' || r.access === 'authenticated') continue;
        const path = r.url.replace(/:(\w+)/g, 'no-such-$1');
        const res = await call(s, r.method, path, { token, ...(['POST', 'PUT', 'PATCH'].includes(r.method) ? { body: {} } : {}) });
        const allowed = (role.permissions as readonly string[]).includes(r.access);
        const forbidden = res.status === 403 && (res.body as { error?: { code?: string } }).error?.code === 'FORBIDDEN';
        if (allowed === forbidden) mismatches.push(`${role.name} ${r.method} ${r.url} (${r.access}) → ${res.status}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('signs in with a session cookie, wants the CSRF token on writes, and signs out', async () => {
    const signIn = await call<{ csrfToken: string; permissions: string[] }>(s, 'POST', '/api/auth/sign-in', {
      body: { username: 'u_operations', password: PASSWORD },
    });
    expect(signIn.status).toBe(200);
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/orderhub_session=ohs_/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Secure/i);
    const cookie = setCookie.split(';')[0] as string;
    const csrf = signIn.body.csrfToken;
    expect(signIn.body.permissions).toContain('stock.adjust');

    expect((await call(s, 'GET', '/api/orders', { cookie })).status).toBe(200);
    const me = await call<{ csrfToken: string }>(s, 'GET', '/api/auth/me', { cookie });
    expect(me.body.csrfToken).toBe(csrf);

    // A write riding on the cookie alone (what a forged cross-site form would send) is refused and audited.
    const forged = await call(s, 'PUT', '/api/stock/A1', { cookie, body: { warehouse: 'WH1', onHand: 1, reason: 'test count' } });
    expect(forged.status).toBe(403);
    expect((forged.body as { error: { code: string } }).error.code).toBe('CSRF_TOKEN_INVALID');
    expect((await call(s, 'PUT', '/api/stock/A1', { cookie, csrf: 'ohc_wrong', body: { warehouse: 'WH1', onHand: 1, reason: 'test count' } })).status).toBe(403);
    const stock = await s.api<{ onHand: number }>('GET', '/api/stock/A1');
    expect(stock.body.onHand).toBe(100);
    const refused = await s.api<{ items: { action: string; actor: { name: string } }[] }>('GET', '/api/audit?action=auth.csrf_refused');
    // Both refusals within a minute from one session: one audit row, not one per request (a flood stays one row).
    expect(refused.body.items).toHaveLength(1);
    expect(refused.body.items[0]?.actor.name).toBe('u_operations');

    const ok = await call(s, 'PUT', '/api/stock/A1', { cookie, csrf, body: { warehouse: 'WH1', onHand: 100, reason: 'test count' } });
    expect(ok.status).toBe(200);

    expect((await call(s, 'POST', '/api/auth/sign-out', { cookie, csrf })).status).toBe(204);
    const after = await call(s, 'GET', '/api/orders', { cookie });
    expect(after.status).toBe(401);
  });

  it('refuses wrong passwords alike for known and unknown users, audits them, and locks after five in a row', async () => {
    await createUser('victim', ['read_only']);
    const unknown = await call(s, 'POST', '/api/auth/sign-in', { body: { username: 'nobody-here', password: 'whatever1234' } });
    const wrong = await call(s, 'POST', '/api/auth/sign-in', { body: { username: 'victim', password: 'not the password' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    for (let i = 0; i < 4; i++) await call(s, 'POST', '/api/auth/sign-in', { body: { username: 'victim', password: `wrong ${i}` } });
    const locked = await call(s, 'POST', '/api/auth/sign-in', { body: { username: 'victim', password: PASSWORD } });
    expect(locked.status).toBe(423);
    expect((locked.body as { error: { code: string } }).error.code).toBe('SIGN_IN_LOCKED');
    const failures = await s.api<{ items: { detail: { username: string; reason: string } }[] }>('GET', '/api/audit?action=auth.sign_in_failed&limit=100');
    const reasons = failures.body.items.filter((e) => e.detail.username === 'victim').map((e) => e.detail.reason);
    expect(reasons.filter((r) => r === 'wrong password')).toHaveLength(5);
    expect(reasons).toContain('locked');
    expect(failures.body.items.some((e) => e.detail.username === 'nobody-here' && e.detail.reason === 'unknown user')).toBe(true);
    // An admin resetting the password lifts the lock.
    const reset = await s.api('PATCH', `/api/users/${userIds.get('victim')}`, { password: 'a brand new passphrase' });
    expect(reset.status).toBe(200);
    expect((await call(s, 'POST', '/api/auth/sign-in', { body: { username: 'victim', password: 'a brand new passphrase' } })).status).toBe(200);
  });

  it('shows an API token once, stores only its hash, records its use, and stops it when revoked or expired', async () => {
    const uid = userIds.get('u_read_only') as string;
    const t = await s.api<{ id: string; token: string }>('POST', '/api/tokens', { name: 'ERP', userId: uid });
    expect(t.body.token).toMatch(/^oht_/);
    const listed = await s.api<{ items: Record<string, unknown>[] }>('GET', `/api/tokens?userId=${uid}`);
    expect(JSON.stringify(listed.body)).not.toContain(t.body.token);
    const stored = await s.hub.db.read.all<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
    expect(stored.some((r) => r.token_hash.includes(t.body.token))).toBe(false);
    expect((await call(s, 'GET', '/api/orders', { token: t.body.token })).status).toBe(200);
    await expect.poll(async () => (await s.api<{ items: { id: string; lastUsedAt: string | null }[] }>('GET', '/api/tokens')).body.items.find((x) => x.id === t.body.id)?.lastUsedAt).not.toBeNull();
    expect((await s.api('DELETE', `/api/tokens/${t.body.id}`)).status).toBe(204);
    const revoked = await call(s, 'GET', '/api/orders', { token: t.body.token });
    expect(revoked.status).toBe(401);
    expect((revoked.body as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    // An expiry in the past is refused; one that passes ends the token, at the instant it passes (the hub's clock, given).
    expect((await s.api('POST', '/api/tokens', { name: 'old', userId: uid, expiresAt: '2020-01-01T00:00:00+08:00' })).status).toBe(400);
    const expiresAt = Date.now() + 3_600_000;
    const timed = await s.api<{ token: string }>('POST', '/api/tokens', { name: 'timed', userId: uid, expiresAt: new Date(expiresAt).toISOString() });
    expect((await call(s, 'GET', '/api/orders', { token: timed.body.token })).status).toBe(200);
    const from = { ip: null, userAgent: null };
    expect(await s.hub.people.tokenPrincipal(timed.body.token, from, expiresAt - 1)).toHaveProperty('principal');
    expect(await s.hub.people.tokenPrincipal(timed.body.token, from, expiresAt)).toMatchObject({ refused: 'expired' });
    // Over HTTP on the real clock: a token that expires in a second is refused once it has (waited for, not slept on).
    const soon = await s.api<{ token: string }>('POST', '/api/tokens', { name: 'short', userId: uid, expiresAt: new Date(Date.now() + 1000).toISOString() });
    await expect.poll(async () => (await call(s, 'GET', '/api/orders', { token: soon.body.token })).status, { timeout: 30_000, interval: 200 }).toBe(401);
    expect((await call(s, 'GET', '/api/orders', { token: 'oht_made_up' })).status).toBe(401);
    // Each refusal is audited with its reason (once a minute per token, or per address for unknown ones).
    const refusals = await s.api<{ items: { targetId: string | null; detail: { reason: string } }[] }>('GET', '/api/audit?action=auth.token_refused&limit=100');
    const reasons = refusals.body.items.map((e) => [e.targetId, e.detail.reason]);
    expect(reasons).toContainEqual([t.body.id, 'revoked']);
    expect(reasons).toContainEqual([null, 'unknown']);
    expect(reasons.filter(([, r]) => r === 'expired')).toHaveLength(1);
  });

  it('keeps a region-scoped and a shop-scoped user inside their scope: list, count, detail, search', async () => {
    const list = async (user: string, q = '') =>
      (await call<{ items: { orderNo: string }[]; total: number }>(s, 'GET', `/api/orders?pageSize=200${q}`, { token: tokens.get(user) as string })).body;
    const region = await list('region_zj');
    expect(region.items.map((o) => o.orderNo).sort()).toEqual([orders.aZhejiang?.orderNo, orders.bZhejiang?.orderNo].sort());
    expect(region.total).toBe(2);
    const shop = await list('shop_a');
    expect(shop.items.map((o) => o.orderNo).sort()).toEqual([orders.aZhejiang?.orderNo, orders.aGuangdong?.orderNo].sort());
    expect(shop.total).toBe(2);

    const other = orders.aGuangdong as { orderNo: string; id: string };
    for (const ref of [other.orderNo, other.id]) {
      const d = await call(s, 'GET', `/api/orders/${ref}`, { token: tokens.get('region_zj') as string });
      // Outside the scope looks exactly like not there: no way to guess that the number exists.
      expect(d.status).toBe(404);
      expect(d.body).toEqual({ error: { code: 'ORDER_NOT_FOUND', message: `order ${ref} does not exist` } });
    }
    expect((await list('region_zj', `&q=${other.orderNo}`)).total).toBe(0);
    expect((await list('region_zj', `&q=13700001111`)).total).toBe(0);
    expect((await list('region_zj', `&status=pending_payment`)).total).toBe(2);
    expect((await call(s, 'POST', `/api/orders/${other.orderNo}/retry-reservation`, { token: tokens.get('region_zj') as string })).status).toBe(404);
    expect((await list('shop_a', `&q=${orders.bZhejiang?.orderNo}`)).total).toBe(0);
    // The unscoped admin finds it, also by full phone number through the keyed hash.
    const all = await s.api<{ total: number; items: { orderNo: string }[] }>('GET', `/api/orders?q=13700001111`);
    expect(all.body.items.map((o) => o.orderNo)).toEqual([other.orderNo]);
  });

  it('exports only what the scope allows, masked, as CSV; a revealed export needs pii.view; every export is audited', async () => {
    await createUser('fin_zj', ['finance'], { provinces: ['浙江省'] });
    const injected = await s.push(
      shopB.id,
      shopB.secret,
      orderBody({ receiver: { name: '=HYPERLINK("http://evil")', phone: '13500003333', province: '上海市', city: '上海市', district: '徐汇区', address: '+1 漕溪北路' } }),
    );
    expect(injected.status).toBe(200);
    const csv = async (user: string | null, query = '') => {
      const res = await fetch(`${s.url}/api/orders/export${query}`, { headers: { authorization: `Bearer ${user ? tokens.get(user) : s.token}` } });
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString('utf8');
      const lines = text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
      return { status: res.status, bytes, text, lines, rows: lines.slice(1).map((l) => l.split(',')[0]), headers: res.headers };
    };
    const zj = await csv('fin_zj');
    expect(zj.status).toBe(200);
    expect(zj.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(zj.headers.get('content-disposition')).toMatch(/attachment; filename="orders-\d{8}-\d{4}\.csv"/);
    // A byte-order mark first, so that Excel reads the Chinese as UTF-8.
    expect([...zj.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    // Chinese headers unless English is asked for (the console sends its language).
    expect(zj.lines[0]).toMatch(/^订单号,平台订单号,店铺,渠道,订单状态,/);
    expect(zj.rows.sort()).toEqual([orders.aZhejiang?.orderNo, orders.bZhejiang?.orderNo].sort());
    expect(zj.headers.get('x-orderhub-rows')).toBe('2');
    expect(zj.text).toContain('139****5678');
    for (const secret of [FULL_PHONE, '13600002222', FULL_ADDRESS, '王小明']) expect(zj.text).not.toContain(secret);
    // Guessing another region's order by number or phone yields an empty export.
    expect((await csv('fin_zj', `?q=${orders.aGuangdong?.orderNo}`)).rows).toEqual([]);
    expect((await csv('fin_zj', '?q=13700001111')).rows).toEqual([]);
    const shop = await csv('shop_a');
    expect(shop.rows.sort()).toEqual([orders.aZhejiang?.orderNo, orders.aGuangdong?.orderNo].sort());

    // Without orders.export, or asking to reveal without pii.view: refused.
    expect((await csv('u_read_only')).status).toBe(403);
    const reveal = await csv('fin_zj', '?reveal=true');
    expect(reveal.status).toBe(403);
    expect(reveal.text).not.toContain(FULL_PHONE);
    // The admin may reveal; a cell a spreadsheet would run as a formula is defused.
    const full = await csv(null, '?reveal=true');
    expect(full.status).toBe(200);
    expect(full.text).toContain(FULL_PHONE);
    expect(full.text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(full.text).toContain("'+1 漕溪北路");
    expect(full.text).not.toMatch(/,=HYPERLINK|,"=HYPERLINK/);

    const logged = await s.api<{ items: { action: string; actor: { name: string }; detail: { rows: number; reveal: boolean; filter: { q?: string } } }[] }>(
      'GET',
      '/api/audit?limit=500',
    );
    const exports = logged.body.items.filter((e) => e.action === 'orders.export' || e.action === 'pii.export');
    expect(exports.find((e) => e.actor.name === 'fin_zj' && e.detail.filter.q === '137****1111')).toMatchObject({ action: 'orders.export', detail: { rows: 0 } });
    expect(exports.find((e) => e.action === 'pii.export')).toMatchObject({ actor: { name: 'admin-token' }, detail: { reveal: true, rows: 4 } });
    expect(JSON.stringify(logged.body)).not.toContain('13700001111');
  });

  it('masks phone, address and names unless pii.view is held and asked for, and audits every full view', async () => {
    const ref = orders.aZhejiang?.orderNo as string;
    const ro = tokens.get('u_read_only') as string;
    const listed = await call(s, 'GET', '/api/orders?pageSize=200', { token: ro });
    const detail = await call(s, 'GET', `/api/orders/${ref}`, { token: ro });
    for (const text of [JSON.stringify(listed.body), JSON.stringify(detail.body)]) {
      expect(text).not.toContain(FULL_PHONE);
      expect(text).not.toContain(FULL_ADDRESS);
      expect(text).not.toContain('王小明');
    }
    expect((detail.body as { receiver: { phone: string } }).receiver.phone).toBe('139****5678');
    const refused = await call(s, 'GET', `/api/orders/${ref}?reveal=true`, { token: ro });
    expect(refused.status).toBe(403);

    const cs = tokens.get('u_customer_service') as string;
    expect(JSON.stringify((await call(s, 'GET', `/api/orders/${ref}`, { token: cs })).body)).not.toContain(FULL_PHONE);
    const full = await call<{ receiver: { phone: string; address: string }; piiRevealed: boolean; id: string }>(s, 'GET', `/api/orders/${ref}?reveal=true`, {
      token: cs,
    });
    expect(full.status).toBe(200);
    expect(full.body.receiver).toMatchObject({ phone: FULL_PHONE, address: FULL_ADDRESS });
    const views = await s.api<{ items: { actor: { name: string; tokenId: string | null }; targetId: string }[] }>('GET', '/api/audit?action=pii.view');
    expect(views.body.items[0]).toMatchObject({ actor: { name: 'u_customer_service' }, targetId: full.body.id });
    expect(views.body.items[0]?.actor.tokenId).not.toBeNull();
  });

  it('withholds a received payload unless pii.view is held and asked for; a full view is audited', async () => {
    expect((await s.api('PUT', '/api/roles/integrator', { permissions: ['webhooks.manage', 'orders.read'] })).status).toBe(200);
    await createUser('u_integrator', ['integrator']);
    const token = tokens.get('u_integrator') as string;
    const detail = await s.api<{ rawEvents: { id: number }[] }>('GET', `/api/orders/${orders.aZhejiang?.orderNo}`);
    const rawId = detail.body.rawEvents[0]?.id as number;
    const plain = await call<{ body: string | null; bodySha256: string }>(s, 'GET', `/api/raw-events/${rawId}`, { token });
    expect(plain.status).toBe(200);
    expect(plain.body.body).toBeNull();
    expect(JSON.stringify(plain.body)).not.toContain(FULL_PHONE);
    const refused = await call(s, 'GET', `/api/raw-events/${rawId}?reveal=true`, { token });
    expect(refused.status).toBe(403);
    const full = await s.api<{ body: string; bodySha256: string }>('GET', `/api/raw-events/${rawId}?reveal=true`);
    expect(full.body.body).toContain(FULL_PHONE);
    expect(createHash('sha256').update(full.body.body).digest('hex')).toBe(full.body.bodySha256);
    const views = await s.api<{ items: { targetType: string; targetId: string }[] }>('GET', '/api/audit?action=pii.view');
    expect(views.body.items[0]).toMatchObject({ targetType: 'raw_event', targetId: String(rawId) });
  });

  it('stores phones, addresses, raw payloads and shop credentials encrypted', async () => {
    const rows = await s.hub.db.read.all<{ receiver_phone: string; receiver_address: string; buyer_phone: string }>(
      'SELECT receiver_phone, receiver_address, buyer_phone FROM orders',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      for (const v of [r.receiver_phone, r.receiver_address, r.buyer_phone]) expect(v).toMatch(/^enc:v1:test:/);
    }
    const dump = JSON.stringify([
      rows,
      await s.hub.db.read.all('SELECT body FROM raw_events'),
      await s.hub.db.read.all('SELECT credentials FROM channel_accounts'),
      await s.hub.db.read.all('SELECT * FROM audit_log'),
    ]);
    for (const secret of [FULL_PHONE, FULL_ADDRESS, 'shop-a-secret-0123456789', PASSWORD]) expect(dump).not.toContain(secret);
  });

  it('chains the audit log so that editing or deleting one row is named by verify', async () => {
    const intact = await s.api<{ ok: boolean; checked: number }>('GET', '/api/audit/verify');
    expect(intact.body.ok).toBe(true);
    expect(intact.body.checked).toBeGreaterThan(10);
    expect((await call(s, 'GET', '/api/audit/verify', { token: tokens.get('u_operations') as string })).status).toBe(403);

    // Someone with database access lowers a stock count in the log after the fact.
    const victim = await s.hub.db.read.get<{ seq: number; id: number }>(`SELECT seq, id FROM audit_log WHERE action = 'stock.set' ORDER BY seq LIMIT 1`);
    expect(victim).toBeDefined();
    const tamper = async (sql: string, params: (string | number)[]) => {
      if (s.hub.local) await s.hub.db.transaction((tx) => tx.run(sql, params));
      else {
        // The writer thread owns the SQLite writer: edit the file from a separate connection, as an intruder would.
        const { default: Sqlite } = await import('better-sqlite3');
        const conn = new Sqlite(`${s.config.dataDir}/orderhub.db`);
        conn.prepare(sql).run(...params);
        conn.close();
      }
    };
    await tamper(`UPDATE audit_log SET after = ? WHERE id = ?`, ['{"onHand":1}', (victim as { id: number }).id]);
    const edited = (await verifyAudit(s.hub.db, s.hub.keyring))[0];
    expect(edited?.ok).toBe(false);
    expect(edited?.firstBroken).toMatchObject({ seq: Number(victim?.seq), id: victim?.id, reason: expect.stringMatching(/edited/) });
    const viaApi = await s.api<{ ok: boolean; firstBroken: { seq: number } }>('GET', '/api/audit/verify');
    expect(viaApi.body).toMatchObject({
      ok: false,
      brokenCount: 1,
      broken: [{ seq: Number(victim?.seq), id: victim?.id, reason: expect.stringMatching(/edited/) }],
      firstBroken: { seq: Number(victim?.seq) },
    });
  });
});

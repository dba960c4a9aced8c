// WMS accounts changed over real HTTP on loopback (SQLite, PostgreSQL, the writer thread): name, dictionary and
// on/off edited, the secret rotated with the old one still signing for a day, delete refused once the account has
// reported; each change reaches the push path at once (its account cache is dropped), each one audited, only for
// those allowed; bad input is a 400 that changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, type TestServer } from '../support/server.ts';
import { paidOrder, order, route, setStock, uniq, warehouse, type ErrorReply, type ShipmentBody } from './hub-support.ts';
import { dictionary, signed, wmsPush } from './wms-support.ts';

interface AccountBody {
  id: string;
  name: string;
  warehouse: string;
  active: boolean;
  dictionary: Record<string, string>;
  pushUrl: string;
}

describe.each(httpBackends)('WMS accounts edited over HTTP on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  let readOnlyToken = '';

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
    const u = await s.api<{ id: string }>('POST', '/api/users', { username: 'wms-viewer', password: 'correct horse battery', roles: ['read_only'] });
    expect(u.status).toBe(201);
    readOnlyToken = (await s.api<{ token: string }>('POST', '/api/tokens', { name: 'viewer', userId: u.body.id })).body.token;
  });
  afterAll(async () => {
    await s?.close();
  });

  const at = () => new Date().toISOString();
  const get = async (id: string) => (await s.api<AccountBody>('GET', `/api/wms-accounts/${id}`)).body;
  const stored = async (id: string) => s.hub.db.read.get<Record<string, unknown>>('SELECT name, dictionary, active, secret, updated_at FROM wms_accounts WHERE id = ?', [id]);

  /** A WMS-run warehouse, its account, and a paid order routed there (one planned shipment). */
  async function setup() {
    const w = uniq('WMS');
    await warehouse(s, w, { priority: 1 });
    const sku = uniq('A');
    await setStock(s, sku, 10, w);
    const secret = `wms-secret-${randomUUID()}`;
    const acc = await s.api<AccountBody>('POST', '/api/wms-accounts', { name: uniq('flux'), warehouse: w, secret, dictionary });
    expect(acc.status, JSON.stringify(acc.body)).toBe(201);
    const o = await paidOrder(s, shop, [[sku, 1]], { buyer: { id: uniq('buyer') } });
    await route(s, [o.id]);
    const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;
    return { w, secret, id: acc.body.id, sh };
  }

  it('edits name and dictionary; the next push maps through the new dictionary at once, and the change is audited', async () => {
    const { secret, id, sh } = await setup();
    // Warm the push path's cache with the old dictionary: 1200 means picked.
    const first = await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1100', at: at() }));
    expect(first.body).toMatchObject({ outcome: 'ignored' });

    const next = { ...dictionary, '1200': 'ignored', P10: 'picked' };
    const r = await s.api<AccountBody>('PATCH', `/api/wms-accounts/${id}`, { name: '  富勒 WMS  ', dictionary: next });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id, name: '富勒 WMS', dictionary: next, active: true });
    expect(await get(id)).toMatchObject({ name: '富勒 WMS', dictionary: next });

    const old = await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }));
    expect(old.body).toMatchObject({ step: 'ignored', outcome: 'ignored', state: 'planned' });
    const picked = await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: 'P10', at: at() }));
    expect(picked.status, JSON.stringify(picked.body)).toBe(200);
    expect(picked.body).toMatchObject({ step: 'picked', outcome: 'applied', state: 'picked' });

    const audit = await s.api<{ items: { action: string; actor: string; before: unknown; after: unknown }[] }>('GET', `/api/audit?targetId=${id}&action=wms_account.update`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ before: { dictionary }, after: { name: '富勒 WMS', dictionary: next } });
    expect(JSON.stringify(audit.body)).not.toContain(secret);
  });

  it('refuses a bad edit with a 400 that names it and changes nothing', async () => {
    const { secret, id, w } = await setup();
    const before = await stored(id);
    const bad: [unknown, string][] = [
      [{ dictionary: { ...dictionary, '1500': 'delivered' } }, 'dictionary["1500"]'],
      [{ dictionary: {} }, 'at least one WMS status code'],
      [{ dictionary: { 'two\nlines': 'picked' } }, 'one line'],
      [{ name: '   ', dictionary: { P1: 'picked' } }, 'name must not be empty'],
      [{ credentials: { secret: 'short' } }, 'secret must be at least 16 characters'],
      [{ credentials: { secret: null } }, 'secret must be at least 16 characters'],
      [{ credentials: { apiKey: 'x'.repeat(20) } }, 'credentials take only secret'],
      [{ warehouse: `${w}-2` }, 'warehouse'],
      [{ active: 'no' }, 'active'],
    ];
    for (const [body, says] of bad) {
      const r = await s.api<ErrorReply>('PATCH', `/api/wms-accounts/${id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(r.body.error.message, JSON.stringify(body)).toContain(says);
    }
    expect(await stored(id)).toEqual(before);
    expect((await s.api<{ items: unknown[] }>('GET', `/api/audit?targetId=${id}&action=wms_account.update`)).body.items).toEqual([]);
    // The secret is still the one it was.
    const sh = (await setup()).sh;
    const p = await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1100', at: at() }));
    expect(p.status).not.toBe(401);
    expect((await s.api<ErrorReply>('PATCH', `/api/wms-accounts/nope-${randomUUID()}`, { name: 'x' })).status).toBe(404);
  });

  it('rotates the secret (shown once): the new one signs at once, the old one for a day, then no more', async () => {
    const { secret: old, id, sh } = await setup();
    expect((await wmsPush(s, id, signed(old, { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(200);
    const r = await s.api<{ account: AccountBody; secret: string }>('POST', `/api/wms-accounts/${id}/rotate-secret`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const fresh = r.body.secret;
    expect(fresh).toMatch(/^wmssec_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(await get(id))).not.toContain(fresh);
    expect(JSON.stringify(await s.api('GET', '/api/wms-accounts'))).not.toContain(fresh);
    expect(String((await stored(id))?.secret)).not.toContain(fresh);

    expect((await wmsPush(s, id, signed(fresh, { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(200);
    expect((await wmsPush(s, id, signed(old, { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(200);
    expect((await wmsPush(s, id, signed('wms-secret-never-given-out', { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(401);

    // A day and a minute later (the hub's clock given to the verifier; the push signed for that moment).
    const later = Date.now() + 24 * 3_600_000 + 60_000;
    const check = (secret: string) => {
      const p = signed(secret, { shipmentId: sh.id, status: '1100', at: at() }, randomUUID(), Math.floor(later / 1000));
      return s.hub.wms.verify(id, { signature: p.headers['x-orderhub-signature'], timestamp: p.headers['x-orderhub-timestamp'], eventId: p.headers['x-orderhub-event-id'] }, p.body, later, 300);
    };
    await expect(check(fresh)).resolves.toMatchObject({ id });
    await expect(check(old)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });

    // Set by hand (a vendor-chosen secret): field by field, as the other account kinds; the replaced one still signs.
    const chosen = `vendor-chosen-${randomUUID()}`;
    expect((await s.api('PATCH', `/api/wms-accounts/${id}`, { credentials: { secret: chosen } })).status).toBe(200);
    expect((await wmsPush(s, id, signed(chosen, { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(200);
    expect((await wmsPush(s, id, signed(fresh, { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(200);
    const audit = await s.api<{ items: { detail: unknown }[] }>('GET', `/api/audit?targetId=${id}&action=wms_account.update`);
    expect(audit.body.items.map((e) => e.detail)).toEqual([
      { credentialsReplaced: ['secret'], secretRotated: true },
      { credentialsReplaced: ['secret'], secretRotated: true },
    ]);
    const text = JSON.stringify(audit.body);
    for (const x of [old, fresh, chosen]) expect(text).not.toContain(x);
  });

  it('switched off, its pushes are refused at once (403) and nothing is recorded; switched on, they pass again', async () => {
    const { secret, id, sh } = await setup();
    expect((await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1100', at: at() }))).status).toBe(200);
    expect((await s.api<AccountBody>('PATCH', `/api/wms-accounts/${id}`, { active: false })).body.active).toBe(false);
    const off = await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }));
    expect(off.status).toBe(403);
    expect(off.body.error.code).toBe('ACCOUNT_INACTIVE');
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.state).toBe('planned');
    expect((await s.api<AccountBody>('PATCH', `/api/wms-accounts/${id}`, { active: true })).body.active).toBe(true);
    expect((await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }))).body).toMatchObject({ state: 'picked' });
  });

  it('answers a retried push as a duplicate even after its code left the dictionary', async () => {
    const { secret, id, sh } = await setup();
    const p = signed(secret, { shipmentId: sh.id, status: '1200', at: at() });
    expect((await wmsPush(s, id, p)).body).toMatchObject({ duplicate: false, outcome: 'applied' });
    const { '1200': _gone, ...rest } = dictionary;
    expect((await s.api('PATCH', `/api/wms-accounts/${id}`, { dictionary: rest })).status).toBe(200);
    const again = await wmsPush(s, id, p);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, outcome: 'applied', state: 'picked' });
    // A new report with that code is unknown now.
    expect((await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }))).status).toBe(422);
  });

  it('deletes an account that never reported; refuses (409) one whose pushes are on record', async () => {
    const spare = uniq('SPARE');
    await warehouse(s, spare, { priority: 9 });
    const unused = await s.api<AccountBody>('POST', '/api/wms-accounts', { name: 'unused', warehouse: spare, secret: 'wms-secret-0123456789', dictionary });
    expect(unused.status, JSON.stringify(unused.body)).toBe(201);
    const gone = await s.api<{ id: string; deleted: boolean }>('DELETE', `/api/wms-accounts/${unused.body.id}`);
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({ id: unused.body.id, deleted: true });
    expect((await s.api<{ items: AccountBody[] }>('GET', '/api/wms-accounts')).body.items.map((a) => a.id)).not.toContain(unused.body.id);
    expect((await s.api('GET', `/api/wms-accounts/${unused.body.id}`)).status).toBe(404);
    const late = await wmsPush(s, unused.body.id, signed('wms-secret-0123456789', { shipmentId: 'x', status: '1100', at: at() }));
    expect(late.status).toBe(404);
    expect((await s.api('DELETE', `/api/wms-accounts/${unused.body.id}`)).status).toBe(404);
    const audit = await s.api<{ items: { action: string }[] }>('GET', `/api/audit?targetId=${unused.body.id}`);
    expect(audit.body.items.map((e) => e.action)).toEqual(['wms_account.delete', 'wms_account.create']);

    const { secret, id, sh } = await setup();
    expect((await wmsPush(s, id, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }))).status).toBe(200);
    const refused = await s.api<ErrorReply>('DELETE', `/api/wms-accounts/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.error.message).toContain('switch it off');
    expect(await get(id)).toMatchObject({ id, active: true });
  });

  it('lets only those who configure fulfilment change an account', async () => {
    const { id } = await setup();
    const before = await stored(id);
    const as = async (method: string, path: string, body?: unknown) =>
      (await fetch(s.url + path, { method, headers: { authorization: `Bearer ${readOnlyToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })).status;
    expect(await as('GET', `/api/wms-accounts/${id}`)).toBe(200);
    expect(await as('PATCH', `/api/wms-accounts/${id}`, { name: 'mine now' })).toBe(403);
    expect(await as('POST', `/api/wms-accounts/${id}/rotate-secret`)).toBe(403);
    expect(await as('DELETE', `/api/wms-accounts/${id}`)).toBe(403);
    expect(await stored(id)).toEqual(before);
  });
});

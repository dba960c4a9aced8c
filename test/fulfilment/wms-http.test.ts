// An external WMS reporting the warehouse steps over real HTTP on loopback (SQLite, PostgreSQL, the writer thread):
// its codes mapped through its dictionary and applied as the console applies them; a bad signature, an unknown code,
// a repeated delivery and a step already passed change nothing; a bad dictionary is refused on save.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/kernel/principal.ts';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { order, paidOrder, route, setStock, stockRows, uniq, warehouse, type ErrorReply, type ShipmentBody } from './hub-support.ts';
import { dictionary, signed, wmsPush } from './wms-support.ts';

describe.each(httpBackends)('external WMS pushes over HTTP on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  const push = (accountId: string, p: { headers: Record<string, string>; body: Buffer }) => wmsPush(s, accountId, p);
  const outbox = async (id: string) => (await s.hub.db.read.all<{ type: string }>('SELECT type FROM outbox WHERE aggregate_id = ? ORDER BY id', [id])).map((e) => e.type);
  const pushes = async () => Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM wms_pushes'))?.c ?? 0);

  /** A warehouse run by a WMS, its account, and a paid order of two SKUs routed there (one shipment). */
  async function setup() {
    const w = uniq('WMS');
    await warehouse(s, w, { priority: 1 });
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 10, w);
    await setStock(s, b, 10, w);
    const secret = `wms-secret-${randomUUID()}`;
    const acc = await s.api<{ id: string; warehouse: string; pushUrl: string; dictionary: Record<string, string> }>('POST', '/api/wms-accounts', { name: uniq('flux'), warehouse: w, secret, dictionary });
    expect(acc.status, JSON.stringify(acc.body)).toBe(201);
    expect(JSON.stringify(acc.body)).not.toContain(secret);
    expect(acc.body.pushUrl).toContain(`/hooks/wms/${acc.body.id}`);
    expect(acc.body.dictionary).toEqual(dictionary);
    const o = await paidOrder(s, shop, [[a, 2], [b, 1]], { buyer: { id: uniq('buyer') } });
    await route(s, [o.id]);
    const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;
    expect(sh.warehouse).toBe(w);
    return { w, a, b, secret, accountId: acc.body.id, orderId: o.id, sh };
  }
  const at = () => new Date().toISOString();

  it('moves a shipment picked → packed → shipped from signed pushes, as the console does', async () => {
    const { w, a, b, secret, accountId, orderId, sh } = await setup();
    const noise = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1100', at: at() }));
    expect(noise.status, JSON.stringify(noise.body)).toBe(200);
    expect(noise.body).toMatchObject({ outcome: 'ignored', step: 'ignored', state: 'planned' });

    const picked = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }));
    expect(picked.status, JSON.stringify(picked.body)).toBe(200);
    expect(picked.body).toMatchObject({ ok: true, duplicate: false, step: 'picked', outcome: 'applied', state: 'picked' });
    const packed = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1300', at: at() }));
    expect(packed.status, JSON.stringify(packed.body)).toBe(200);
    expect(packed.body).toMatchObject({ step: 'packed', outcome: 'applied', state: 'packed' });

    const noTracking = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1400', at: at(), carrier: 'sf' }));
    expect(noTracking.status).toBe(400);
    expect(noTracking.body.error.code).toBe('VALIDATION_FAILED');
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.state).toBe('packed');

    const trackingNo = `SF${Date.now()}`;
    const shipped = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1400', at: at(), carrier: 'sf', trackingNo }));
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    expect(shipped.body).toMatchObject({ step: 'shipped', outcome: 'applied', state: 'shipped' });

    const view = (await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body;
    expect(view).toMatchObject({ state: 'shipped', carrier: 'sf', trackingNo });
    expect(view.lines.every((l) => l.scanned === l.quantity)).toBe(true);
    expect(await outbox(sh.id)).toEqual(['shipment.planned', 'shipment.picked', 'shipment.packed', 'shipment.shipped']);
    const o = await order(s, orderId);
    expect(o).toMatchObject({ status: 'shipped', fulfilmentStatus: 'shipped' });
    expect(o.history.filter((h) => h.kind === 'status' && h.to === 'shipped')).toHaveLength(1);
    expect(o.reservation.items.filter((i) => i.state === 'deducted')).toEqual([]);
    expect(o.reservation.items.filter((i) => i.state === 'shipped').reduce((n, i) => n + i.quantity, 0)).toBe(3);
    expect(await stockRows(s, a, [w])).toEqual({ [w]: { onHand: 8, reserved: 0 } });
    expect(await stockRows(s, b, [w])).toEqual({ [w]: { onHand: 9, reserved: 0 } });
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });

    // A WMS retrying an older step under a new event id: recorded as already past, nothing moves.
    const late = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1300', at: at() }));
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ duplicate: false, outcome: 'already_past', state: 'shipped' });
    expect(await outbox(sh.id)).toEqual(['shipment.planned', 'shipment.picked', 'shipment.packed', 'shipment.shipped']);
  });

  it('refuses a tampered signature (401) and an unknown code (422, named), and changes nothing', async () => {
    const { secret, accountId, sh } = await setup();
    const before = { pushes: await pushes(), events: await outbox(sh.id) };
    const good = signed(secret, { shipmentId: sh.id, status: '1200', at: at() });
    const tampered = { headers: good.headers, body: Buffer.from(good.body.toString('utf8').replace('"1200"', '"1300"')) };
    const bad = await push(accountId, tampered);
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('SIGNATURE_INVALID');
    const wrongKey = await push(accountId, signed('not-the-secret-at-all', { shipmentId: sh.id, status: '1200', at: at() }));
    expect(wrongKey.status).toBe(401);

    const unknown = await push(accountId, signed(secret, { shipmentId: sh.id, status: 'X-LOST-9', at: at() }));
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('WMS_STATUS_UNKNOWN');
    expect(unknown.body.error.message).toContain('X-LOST-9');
    expect(unknown.body.error.details).toMatchObject({ status: 'X-LOST-9' });

    expect({ pushes: await pushes(), events: await outbox(sh.id) }).toEqual(before);
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${sh.id}`)).body.state).toBe('planned');
  });

  it('applies a delivery sent twice (or at once) under one event id once', async () => {
    const { secret, accountId, sh, orderId } = await setup();
    const eventId = randomUUID();
    const p = signed(secret, { shipmentId: sh.id, status: '1300', at: at() }, eventId);
    const [one, two] = await Promise.all([push(accountId, p), push(accountId, p)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect([one.body.duplicate, two.body.duplicate].sort()).toEqual([false, true]);
    const history = (await order(s, orderId)).history.length;
    const again = await push(accountId, p);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, outcome: 'applied', state: 'packed' });
    expect(await outbox(sh.id)).toEqual(['shipment.planned', 'shipment.packed']);
    expect((await order(s, orderId)).history).toHaveLength(history);
    expect(Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM wms_pushes WHERE event_id = ?', [eventId]))?.c)).toBe(1);
  });

  it('refuses a push for an unknown shipment, another warehouse\'s or another tenant\'s, and records nothing', async () => {
    const { secret, accountId, sh } = await setup();
    const other = await setup();
    const before = { pushes: await pushes(), events: await outbox(sh.id), otherEvents: await outbox(other.sh.id) };
    const unknown = await push(accountId, signed(secret, { shipmentId: 'SH-NOPE-1', status: '1200', at: at() }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'SHIPMENT_NOT_FOUND', message: 'shipment SH-NOPE-1 does not exist' });
    // A shipment of the same tenant in a warehouse this WMS does not run: as if it did not exist.
    const elsewhere = await push(accountId, signed(secret, { shipmentId: other.sh.id, status: '1200', at: at() }));
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('SHIPMENT_NOT_FOUND');
    // Another tenant's WMS account for a warehouse of the same code: it reaches nothing of this tenant.
    const foreignSecret = `acme-wms-${randomUUID()}`;
    await s.hub.writes.saveWarehouse(systemPrincipal('acme', 'setup'), other.w, { priority: 1 });
    const foreign = await s.hub.writes.createWmsAccount(systemPrincipal('acme', 'setup'), { name: 'acme wms', warehouse: other.w, secret: foreignSecret, dictionary });
    const cross = await push(foreign.id, signed(foreignSecret, { shipmentId: other.sh.id, status: '1200', at: at() }));
    expect(cross.status).toBe(404);
    expect(cross.body.error.code).toBe('SHIPMENT_NOT_FOUND');
    expect({ pushes: await pushes(), events: await outbox(sh.id), otherEvents: await outbox(other.sh.id) }).toEqual(before);
    expect((await s.api<ShipmentBody>('GET', `/api/shipments/${other.sh.id}`)).body.state).toBe('planned');
  });

  it('refuses (409) any step for a shipment stopped because its order was cancelled, and records nothing', async () => {
    const { w, secret, accountId } = await setup();
    const c = uniq('C');
    await setStock(s, c, 5, w);
    const body = orderBody({ status: 'paid', buyer: { id: uniq('buyer') }, lines: [{ sku: c, title: c, quantity: 1, unitPrice: 1000 }], paidAmount: 1000 });
    const id = (await s.push(shop.id, shop.secret, body)).body.orders?.[0]?.orderId as string;
    await route(s, [id]);
    const sh = (await order(s, id)).shipments[0] as ShipmentBody;
    expect(sh.warehouse).toBe(w);
    await s.push(shop.id, shop.secret, { ...body, status: 'cancelled', updatedAt: '2026-11-22T11:00:00+08:00' });
    expect((await order(s, id)).shipments[0]?.state).toBe('cancelled');
    const before = { pushes: await pushes(), events: await outbox(sh.id) };
    for (const report of [
      { shipmentId: sh.id, status: '1200', at: at() },
      { shipmentId: sh.id, status: '1300', at: at() },
      { shipmentId: sh.id, status: '1400', at: at(), carrier: 'sf', trackingNo: `SFW${Date.now()}` },
    ]) {
      const r = await push(accountId, signed(secret, report));
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error.code).toBe('SHIPMENT_CANCELLED');
      expect(r.body.error.message).toContain('put its units back');
    }
    expect({ pushes: await pushes(), events: await outbox(sh.id) }).toEqual(before);
    expect(await stockRows(s, c, [w])).toEqual({ [w]: { onHand: 5, reserved: 0 } });
  });

  it('refuses an event id used again for a different report (409), keeping the first', async () => {
    const { secret, accountId, sh } = await setup();
    const eventId = randomUUID();
    const first = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1200', at: at() }, eventId));
    expect(first.body).toMatchObject({ duplicate: false, outcome: 'applied', state: 'picked' });
    const reused = await push(accountId, signed(secret, { shipmentId: sh.id, status: '1300', at: at() }, eventId));
    expect(reused.status, JSON.stringify(reused.body)).toBe(409);
    expect(reused.body.error.code).toBe('CONFLICT');
    expect(reused.body.error.message).toContain(eventId);
    expect(await outbox(sh.id)).toEqual(['shipment.planned', 'shipment.picked']);
    const row = await s.hub.db.read.get<{ status: string }>('SELECT status FROM wms_pushes WHERE event_id = ?', [eventId]);
    expect(row?.status).toBe('1200');
  });

  it('lets a user scoped to one warehouse add and see WMS accounts of that warehouse only', async () => {
    const { w, accountId } = await setup();
    const mine = uniq('MINE');
    await warehouse(s, mine, { priority: 5 });
    const username = uniq('wh-lead');
    const u = await s.api<{ id: string }>('POST', '/api/users', { username, password: 'correct horse battery', roles: ['operations'], scope: { warehouses: [mine] } });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const t = await s.api<{ token: string }>('POST', '/api/tokens', { name: username, userId: u.body.id });
    const as = async <T>(method: string, path: string, body?: unknown) => {
      const res = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${t.body.token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json()) as T & ErrorReply };
    };
    const before = (await s.api<{ items: unknown[] }>('GET', '/api/wms-accounts')).body.items.length;
    const foreign = await as('POST', '/api/wms-accounts', { name: 'not mine', warehouse: w, secret: 'wms-secret-0123456789', dictionary });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('FORBIDDEN');
    expect(foreign.body.error.message).toContain(w);
    expect((await s.api<{ items: unknown[] }>('GET', '/api/wms-accounts')).body.items).toHaveLength(before);
    const own = await as<{ id: string }>('POST', '/api/wms-accounts', { name: 'mine', warehouse: mine, secret: 'wms-secret-0123456789', dictionary });
    expect(own.status).toBe(201);
    const seen = await as<{ items: { id: string }[] }>('GET', '/api/wms-accounts');
    expect(seen.body.items.map((a) => a.id)).toEqual([own.body.id]);
    expect(seen.body.items.map((a) => a.id)).not.toContain(accountId);
  });

  it('refuses a dictionary with a step we do not have, naming it', async () => {
    const r = await s.api<ErrorReply>('POST', '/api/wms-accounts', { name: 'bad', warehouse: 'WH1', secret: 'wms-secret-0123456789', dictionary: { '1200': 'picked', '1500': 'delivered' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.body.error.message).toContain('dictionary["1500"]');
    expect(r.body.error.message).toContain('picked, packed, shipped, ignored');
    const empty = await s.api<ErrorReply>('POST', '/api/wms-accounts', { name: 'bad', warehouse: 'WH1', secret: 'wms-secret-0123456789', dictionary: {} });
    expect(empty.status).toBe(400);
    // A warehouse the hub does not know: every push would find no shipment.
    const typo = await s.api<ErrorReply>('POST', '/api/wms-accounts', { name: 'bad', warehouse: uniq('NOWH'), secret: 'wms-secret-0123456789', dictionary });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toContain('does not exist');
    expect((await s.api<{ items: { name: string }[] }>('GET', '/api/wms-accounts')).body.items.map((i) => i.name)).not.toContain('bad');
  });
});

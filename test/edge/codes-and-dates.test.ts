// Codes people type that become keys are taken only in their documented pattern, and times only when they are real
// calendar times in the documented years: before, warehouses " " and "../../etc/passwd" were created, a SKU "a/b",
// and 2026-02-30 was stored as 2 March.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { ensureWarehouse, startServer, type TestServer } from '../support/server.ts';
import { dictionary } from '../fulfilment/wms-support.ts';

interface ErrorAnswer {
  error?: { code: string; message: string };
}

describe.each(allBackends)('codes and dates at the edge on $name', (backend) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startServer(backend);
    for (const code of ['WH1', 'HZ-01', 'NB.BONDED', 'wh_2']) await ensureWarehouse(s, code);
  });
  afterAll(async () => {
    await s?.close();
  });

  const refused = (r: { status: number; body: unknown }, what: string) => {
    expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
    expect((r.body as ErrorAnswer).error?.code, what).toBe('VALIDATION_FAILED');
  };
  const warehouses = async () => (await s.hub.db.read.all<{ code: string }>('SELECT code FROM warehouses ORDER BY code')).map((w) => w.code);
  const skus = async () => (await s.hub.db.read.all<{ sku: string }>('SELECT sku FROM skus ORDER BY sku')).map((w) => w.sku);

  it('refuses warehouse codes outside ^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$ wherever one is created, and creates nothing', async () => {
    const before = await warehouses();
    for (const code of [' ', '../../etc/passwd', '-WH', 'WH 1', '仓库一', 'a'.repeat(33), '']) {
      refused(await s.api('PUT', '/api/stock/CODE-A', { warehouse: code, onHand: 1, reason: 'test count' }), `stock in ${JSON.stringify(code)}`);
      refused(await s.api('POST', '/api/stock/adjustments', { items: [{ sku: 'CODE-A', warehouse: code, onHand: 1 }], reason: 'count' }), `adjust in ${JSON.stringify(code)}`);
      if (code.trim() && !code.includes('/')) refused(await s.api('PUT', `/api/warehouses/${encodeURIComponent(code)}`, { name: 'x' }), `warehouse ${JSON.stringify(code)}`);
    }
    // A NUL is refused as text before the pattern; an encoded slash never reaches a route as a warehouse.
    expect((await s.api('PUT', '/api/warehouses/WH%00', { name: 'x' })).status).toBe(400);
    expect((await s.api('PUT', '/api/warehouses/..%2F..%2Fetc%2Fpasswd', { name: 'x' })).status).toBe(400);
    expect(await warehouses()).toEqual(before);
    for (const code of ['WH1', 'HZ-01', 'NB.BONDED', 'wh_2']) expect((await s.api('PUT', '/api/stock/CODE-A', { warehouse: code, onHand: 1, reason: 'test count' })).status, code).toBe(200);
  });

  it('takes hub SKU codes with Chinese, dashes and inner spaces, and refuses control characters, slashes and outer spaces', async () => {
    const before = await skus();
    for (const sku of [' A1', 'A1 ', 'a/b', 'a\\b', 'a\tb', '\u3000杯', 'x'.repeat(65)]) {
      refused(await s.api('PUT', `/api/stock/${encodeURIComponent(sku)}`, { warehouse: 'WH1', onHand: 1, reason: 'test count' }), `sku ${JSON.stringify(sku)}`);
      refused(await s.api('POST', '/api/sku-mappings', { externalSku: 'P-1', sku }), `mapping to ${JSON.stringify(sku)}`);
    }
    expect(await skus()).toEqual(before);
    for (const sku of ['保温杯-500ml 红', 'TEE-R-M', 'A1']) expect((await s.api('PUT', `/api/stock/${encodeURIComponent(sku)}`, { warehouse: 'WH1', onHand: 1, reason: 'test count' })).status, sku).toBe(200);
    // The platform's own code is whatever the platform sends (a slash included): it must match its orders.
    expect((await s.api('POST', '/api/sku-mappings', { externalSku: 'TB/RED L', sku: 'A1' })).status).toBe(200);
  });

  it('refuses role names, usernames, carrier codes and event types outside their patterns', async () => {
    refused(await s.api('PUT', '/api/roles/Ops', { permissions: ['orders.read'] }), 'role Ops');
    refused(await s.api('PUT', '/api/roles/x', { permissions: ['orders.read'] }), 'role x');
    refused(await s.api('POST', '/api/users', { username: 'li lei', password: 'correct horse battery', roles: ['read_only'] }), 'username with a space');
    refused(await s.api('POST', '/api/users', { username: 'li.lei', password: 'correct horse battery', roles: ['Ops'] }), 'role Ops in a user');
    refused(await s.api('PUT', '/api/warehouses/WH1', { carriers: [{ code: 'S F' }] }), 'carrier S F');
    refused(await s.api('POST', '/api/webhooks', { url: 'https://example.com/hook', events: ['order.*'] }), 'event order.*');
    expect((await s.api('POST', '/api/webhooks', { url: 'https://example.com/hook', events: ['order.created', 'stock.set'] })).status).toBe(201);
    expect((await s.api('PUT', '/api/roles/cs_lead', { permissions: ['orders.read'] })).status).toBe(200);
  });

  it('refuses impossible dates and years outside 1970–9999 in filters, token expiry, ship-by and WMS reports', async () => {
    for (const t of ['2026-02-30T00:00:00+08:00', '0000-01-01T00:00:00Z', '2026-11-22T24:00:00Z']) {
      refused(await s.api('GET', `/api/orders?createdFrom=${encodeURIComponent(t)}`), `createdFrom ${t}`);
      refused(await s.api('GET', `/api/orders/export?createdTo=${encodeURIComponent(t)}`), `export createdTo ${t}`);
    }
    expect((await s.api('GET', `/api/orders?createdFrom=${encodeURIComponent('2028-02-29T00:00:00+08:00')}`)).status).toBe(200);

    const user = await s.api<{ id: string }>('POST', '/api/users', { username: `exp${randomUUID().slice(0, 6)}`, password: 'correct horse battery', roles: ['read_only'] });
    expect(user.status).toBe(201);
    const tokens = async () => Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM api_tokens WHERE user_id = ?', [user.body.id]))?.c);
    for (const expiresAt of ['2027-02-30T00:00:00+08:00', '0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z']) {
      refused(await s.api('POST', '/api/tokens', { name: 'integration', userId: user.body.id, expiresAt }), `expiresAt ${expiresAt}`);
    }
    expect(await tokens()).toBe(0);

    const plan = {
      planId: 'P1',
      orderIds: ['O1'],
      shipments: [{ shipmentNo: 'S1', warehouse: 'WH1', carrier: null, lines: [{ orderId: 'O1', lineId: 'L1', sku: 'A1', quantity: 1 }], weightGrams: 0, shipBy: '2026-02-30T10:00:00+08:00', orderIds: ['O1'] }],
    };
    const dry = await s.api<ErrorAnswer & { error: { details: { errors: { path: string }[] } } }>('POST', '/api/routing/dry-run', { plans: [plan] });
    refused(dry, 'shipBy 2026-02-30');
    expect(dry.body.error.details.errors[0]?.path).toBe('body/plans/0/shipments/0/shipBy');
  });

  it('refuses a WMS report dated on an impossible day', async () => {
    const w = `WD${randomUUID().slice(0, 6)}`;
    expect((await s.api('PUT', `/api/warehouses/${w}`, { name: w, regions: ['*'] })).status).toBe(200);
    const secret = `wms-secret-${randomUUID()}`;
    const acc = await s.api<{ id: string }>('POST', '/api/wms-accounts', { name: 'flux', warehouse: w, secret, dictionary });
    expect(acc.status).toBe(201);
    const body = JSON.stringify({ shipmentId: 'SH-NONE', status: '1200', at: '2026-02-30T10:00:00+08:00' });
    const ts = Math.floor(Date.now() / 1000);
    const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    const res = await fetch(`${s.url}/hooks/wms/${acc.body.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-orderhub-event-id': randomUUID(), 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': `v1=${mac}` },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorAnswer).error?.code).toBe('VALIDATION_FAILED');
  });
});

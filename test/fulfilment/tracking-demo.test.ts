// The demo's parcels, driven round by round against a real hub (SQLite and PostgreSQL): paid orders are routed to the
// demo's warehouses, shipped with a tracking number, followed by the local Kuaidi100 with signed pushes until they are
// delivered with a mix of proofs — so the shipments list and the trust board of a fresh demo are not empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from '../support/server.ts';
import { createLogger } from '../../src/platform/log.ts';
import { startDemoTracking, type DemoTracking } from '../../src/sandbox/demo/tracking.ts';
import { demoSkus } from '../../src/sandbox/demo/seed.ts';
import { paidOrder } from './hub-support.ts';

/** A small deterministic generator, so a run is the same every time. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe.each(allBackends)('the demo’s parcels on $name', (backend) => {
  let s: TestServer;
  let parcels: DemoTracking;

  beforeAll(async () => {
    s = await startServer(backend);
    const shop = await createShop(s);
    for (const sku of demoSkus.slice(0, 3)) {
      await setStock(s, sku.sku, 200, 'WH-HZ');
      await setStock(s, sku.sku, 200, 'WH-GZ');
    }
    for (let i = 0; i < 12; i++) await paidOrder(s, shop, [[demoSkus[i % 3]?.sku as string, 1]]);
    parcels = await startDemoTracking(
      s.hub,
      { tenant: 'default', shops: [], skus: demoSkus, users: [], created: true },
      s.url,
      createLogger('silent'),
      lcg(7),
      { start: false },
    );
  });
  afterAll(async () => {
    await parcels?.close();
    await s?.close();
  });

  it('routes, ships and tracks paid orders until they are delivered, with pushes the hub accepts', async () => {
    let t = Date.now();
    for (let round = 0; round < 40; round++) await parcels.tick((t += 2_000));
    const states = await s.hub.db.read.all<{ state: string; tracking_status: string | null; c: number }>(
      `SELECT state, tracking_status, COUNT(*) AS c FROM shipments WHERE tenant_id = 'default' GROUP BY state, tracking_status`,
    );
    const count = (f: (r: (typeof states)[number]) => boolean) => states.filter(f).reduce((a, r) => a + Number(r.c), 0);
    expect(count(() => true)).toBe(12);
    expect(count((r) => r.state === 'shipped' || r.state === 'delivered')).toBeGreaterThanOrEqual(8);
    expect(count((r) => r.tracking_status === 'delivered' || r.tracking_status === 'delivered_unconfirmed')).toBeGreaterThanOrEqual(4);
    // Every push was signed right and landed on its shipment.
    const outcomes = await s.hub.db.read.all<{ outcome: string; c: number }>('SELECT outcome, COUNT(*) AS c FROM tracking_pushes GROUP BY outcome');
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['applied']);
    expect(Number(outcomes[0]?.c)).toBeGreaterThanOrEqual(16);

    const shipments = await s.api<{ items: { id: string; carrier: string | null; trackingNo: string | null }[] }>('GET', '/api/shipments?state=shipped');
    expect(shipments.status).toBe(200);
    const board = await s.api<{ carriers: { carrier: string; delivered: number }[] }>('GET', '/api/tracking/trust-board?days=7');
    expect(board.body.carriers.reduce((a, c) => a + c.delivered, 0)).toBeGreaterThanOrEqual(4);
    // The account the demo made points at its own Kuaidi100, not the real one.
    const accounts = await s.api<{ items: { source: string; apiBase: string | null }[] }>('GET', '/api/tracking-accounts');
    expect(accounts.body.items).toEqual([expect.objectContaining({ source: 'kuaidi100', apiBase: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/) })]);
  });
});

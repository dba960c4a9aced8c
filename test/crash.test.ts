// Crash safety: SIGKILL the hub in the middle of a load of signed orders; after a restart every acknowledged
// order is there, none twice, and reserved stock equals the open reservations.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { allBackends, pgUrl } from './support/backends.ts';
import { adminApi, dropSchema, exited, openStore, spawnHub } from './support/process.ts';
import { orderBody, ownshopHeaders } from './support/sign.ts';

const token = 'crash-test-token-0123456789';


const api = adminApi(token);

describe.each(allBackends)('crash during load on $name', (backend) => {
  it('loses no acknowledged order and duplicates none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderhub-crash-'));
    const schema = `crash_${randomBytes(5).toString('hex')}`;
    const env: Record<string, string> = { ORDERHUB_ADMIN_TOKEN: token, ORDERHUB_DATA_DIR: dir };
    if (backend.name === 'postgres') Object.assign(env, { DATABASE_URL: pgUrl, ORDERHUB_PG_SCHEMA: schema });
    try {
      const first = await spawnHub(env);
      const acct = await api(first.url, 'POST', '/api/channel-accounts', { platform: 'ownshop', name: 'crash', credentials: { secret: 'crash-secret' } });
      const accountId = acct.body.id as string;
      const skus = ['CR-A', 'CR-B', 'CR-C'];
      await api(first.url, 'PUT', '/api/warehouses/WH1', { name: 'WH1' });
      for (const sku of skus) await api(first.url, 'PUT', `/api/stock/${sku}`, { warehouse: 'WH1', onHand: 150, reason: 'test count' });

      const acked = new Set<string>();
      let sent = 0;
      let died = 0;
      // Each worker sends until its own connection dies with the process: so the load never pauses before the kill,
      // and what a worker sees last is the death, not a flag set by the test.
      const worker = async () => {
        for (;;) {
          const n = sent++;
          const b = orderBody({
            orderId: `CRASH-${n}`,
            status: n % 3 === 0 ? 'paid' : 'pending_payment',
            paidAmount: n % 3 === 0 ? 200 : 0,
            lines: [{ sku: skus[n % 3] as string, quantity: 1 + (n % 2), unitPrice: 100 }],
          });
          if (n % 3 === 0) (b.lines[0] as { quantity: number }).quantity = 2;
          const raw = JSON.stringify(b);
          try {
            const r = await fetch(`${first.url}/hooks/ownshop/${accountId}`, { method: 'POST', headers: ownshopHeaders('crash-secret', raw), body: raw });
            if (r.status === 200) acked.add(b.orderId);
            else await r.text();
          } catch {
            // the connection died with the process: not acknowledged, may or may not be stored
            died++;
            return;
          }
        }
      };
      const workers = Array.from({ length: 24 }, worker);
      // Kill once a good number of orders is through, while requests are in flight.
      const start = Date.now();
      while (acked.size < 400 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 5));
      first.child.kill('SIGKILL');
      await exited(first.child);
      await Promise.all(workers);
      expect(acked.size).toBeGreaterThanOrEqual(400);
      // Every worker was still sending when the hub died. (Whether a request was mid-way at that instant is the
      // scheduler's luck: the hub may have just answered a whole batch. It was asserted once and failed on CI.)
      expect(died).toBe(24);
      expect(sent).toBeGreaterThan(acked.size);

      // Restart on the same data and let it recover, then look at the data directly.
      const second = await spawnHub(env);
      expect((await fetch(`${second.url}/ready`)).status).toBe(200);
      const list = await api(second.url, 'GET', '/api/orders?pageSize=1');
      expect(list.status).toBe(200);
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);

      const { query, close } = await openStore(backend.name === 'postgres' ? 'postgres' : 'sqlite', dir, schema);
      try {
        const stored = new Set((await query('SELECT platform_order_id FROM orders')).map((r) => String(r.platform_order_id)));
        const lost = [...acked].filter((id) => !stored.has(id));
        expect(lost).toEqual([]);
        expect(await query('SELECT platform_order_id, COUNT(*) FROM orders GROUP BY platform_order_id HAVING COUNT(*) > 1')).toEqual([]);
        expect(await query('SELECT order_id FROM order_lines GROUP BY order_id, line_no HAVING COUNT(*) > 1')).toEqual([]);
        expect(await query('SELECT sku FROM stock WHERE reserved > on_hand OR reserved < 0')).toEqual([]);
        const mismatch = await query(
          `SELECT s.sku, s.reserved, COALESCE(SUM(r.quantity), 0) AS held FROM stock s
           LEFT JOIN reservations r ON r.sku = s.sku AND r.warehouse = s.warehouse AND r.state IN ('held', 'deducted')
           GROUP BY s.sku, s.warehouse, s.reserved HAVING s.reserved <> COALESCE(SUM(r.quantity), 0)`,
        );
        expect(mismatch).toEqual([]);
        // Nothing shipped: every unit is still on the shelf, paid or not.
        expect(await query('SELECT sku, on_hand FROM stock WHERE on_hand <> 150')).toEqual([]);
        // Every stored order has the history row of its creation: nothing was half-written.
        expect(await query(`SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_history h WHERE h.order_id = o.id AND h.kind = 'created')`)).toEqual([]);
      } finally {
        await close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (backend.name === 'postgres') await dropSchema(schema);
    }
  });
});

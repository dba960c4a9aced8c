// A reviewed plan whose stock is taken at the very moment it commits (PostgreSQL, a row lock held by another client):
// the conditional take fails inside the transaction and everything written before it — dispatch plan, shipments,
// history, the units given back to the old warehouse — is rolled back with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { allBackends, pgUrl } from '../support/backends.ts';
import { createShop, startServer, stockInvariants } from '../support/server.ts';
import { gd, order, paidOrder, rules, setStock, stockRows, uniq, warehouse, type ErrorReply, type Outcome } from './hub-support.ts';

const postgres = allBackends.filter((b) => b.name === 'postgres');

describe.each(postgres)('a plan losing its stock mid-commit on $name', (backend) => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let shop: { id: string; secret: string };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('rolls back the whole plan when the take fails under a concurrent commit', async () => {
    const [p, q] = [`P-${uniq('w')}`, `Q-${uniq('w')}`];
    await warehouse(s, p, { priority: 1, regions: ['浙江'] });
    await warehouse(s, q, { priority: 2, regions: ['广东'] });
    const a = uniq('A');
    await setStock(s, a, 5, p);
    await setStock(s, a, 5, q);
    await rules(s, [{ kind: 'require_region' }]);
    const o = await paidOrder(s, shop, [[a, 2]], { receiver: gd, buyer: { id: uniq('buyer') } });
    const dry = await s.api<Outcome>('POST', '/api/routing/dry-run', { orderIds: [o.id] });
    expect(dry.body.problems).toEqual([]);
    const before = await order(s, o.id);

    const rival = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${s.place.pgSchema}` });
    await rival.connect();
    try {
      await rival.query('BEGIN');
      await rival.query('SELECT on_hand FROM stock WHERE sku = $1 AND warehouse = $2 FOR UPDATE', [a, q]);
      const run = s.api<ErrorReply>('POST', '/api/routing/run', { plans: dry.body.plans });
      // Wait until the run blocks on Q's row: by then it has written the plan, shipments, history and released P's reservation.
      // Waited for, with a generous bound that fails loudly: going on before it blocks would test another interleaving.
      const blocked = async () => {
        const w = await rival.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.query ILIKE 'UPDATE stock%'`);
        return Number(w.rows[0]?.n) > 0;
      };
      await expect.poll(blocked, { timeout: 30_000, interval: 25 }).toBe(true);
      await rival.query('UPDATE stock SET on_hand = 1 WHERE sku = $1 AND warehouse = $2', [a, q]);
      await rival.query('COMMIT');
      const r = await run;
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('ROUTING_PLAN_STALE');
    } finally {
      await rival.end();
    }

    const after = await order(s, o.id);
    expect(after.shipments).toEqual([]);
    expect(after.routing.planId).toBeNull();
    expect(after.history).toHaveLength(before.history.length);
    expect(after.reservation).toEqual(before.reservation);
    expect(await stockRows(s, a, [p, q])).toEqual({ [p]: { onHand: 5, reserved: 2 }, [q]: { onHand: 1, reserved: 0 } });
    expect(await s.hub.db.read.all('SELECT id FROM dispatch_plans WHERE id = ?', [dry.body.plans[0]?.planId ?? ''])).toEqual([]);
    expect(await s.hub.db.read.all('SELECT id FROM shipments WHERE plan_id = ?', [dry.body.plans[0]?.planId ?? ''])).toEqual([]);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });
});

// The store contract, the same suite on SQLite and PostgreSQL: migrations, transactions, savepoints, stock SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { allBackends } from './support/backends.ts';
import { openHubDatabase } from '../src/app/hub.ts';
import type { Database, Tx } from '../src/platform/db/database.ts';
import { appliedVersion, latestVersion, migrate, renderDdl } from '../src/platform/db/migrate.ts';
import * as m004 from '../src/platform/db/migrations/004_line_tenant.ts';
import * as m014 from '../src/platform/db/migrations/014_stock_on_shelf.ts';
import * as m015 from '../src/platform/db/migrations/015_shipment_cancelled.ts';
import { reserveLines, releaseReservations, deductReservations, restoreDeducted, StockShort } from '../src/modules/inventory/store/stock.ts';
import { GroupCommitter } from '../src/platform/db/group-commit.ts';
import { createLogger } from '../src/platform/log.ts';

describe.each(allBackends)('store on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  const tenant = 'default';

  beforeAll(async () => {
    const place = await backend.fresh();
    db = await openHubDatabase(place.config, place.pgSchema);
    cleanup = place.cleanup;
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  const putStock = (sku: string, warehouse: string, onHand: number) =>
    db.transaction((tx) =>
      tx.run(
        `INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, ?, 0, 0, 0)`,
        [tenant, sku, warehouse, onHand],
      ),
    );
  const stockRow = (sku: string) => db.read.all<{ warehouse: string; on_hand: number; reserved: number }>(
    'SELECT warehouse, on_hand, reserved FROM stock WHERE sku = ? ORDER BY warehouse',
    [sku],
  );
  const anOrder = async (id: string) =>
    db.transaction((tx) =>
      tx.run(
        `INSERT INTO orders (id, tenant_id, order_no, channel, account_id, platform_order_id, status, platform_status, payment_status,
          fulfilment_status, aftersale_status, reservation_state, currency, goods_amount, line_discount_amount, shipping_fee,
          discount_platform, discount_seller, total_amount, paid_amount, receiver_name, receiver_phone, receiver_province,
          receiver_city, receiver_district, receiver_address, platform_created_at, source_updated_at, created_at, updated_at)
         VALUES (?, ?, ?, 'test', 'acct', ?, 'pending_payment', 'x', 'unpaid', 'unfulfilled', 'none', 'none', 'CNY', 0, 0, 0, 0, 0, 0, 0,
          'n', 'p', '', '', '', 'a', 0, 0, 0, 0)`,
        [id, tenant, `NO-${id}`, id],
      ),
    );

  it('applies migrations once and reports them', async () => {
    expect((await migrate(db)).applied).toEqual([]);
    expect(await appliedVersion(db)).toBe(latestVersion());
  });

  it('gives order lines written before migration 4 the tenant of their order', async () => {
    const id = `O-${randomUUID()}`;
    await anOrder(id);
    await db.transaction(async (tx) => {
      await tx.run(`UPDATE orders SET tenant_id = 'acme' WHERE id = ?`, [id]);
      // As a line looked before the column existed: the column's default, whatever the order's tenant.
      await tx.run(
        `INSERT INTO order_lines (order_id, line_no, sku, external_sku, title, quantity, unit_price, discount) VALUES (?, 1, NULL, 'X', '', 1, 0, 0)`,
        [id],
      );
    });
    expect((await db.read.get<{ tenant_id: string }>('SELECT tenant_id FROM order_lines WHERE order_id = ?', [id]))?.tenant_id).toBe('default');
    const backfill = renderDdl(m004.ddl, db.dialect).filter((stmt) => stmt.startsWith('UPDATE'));
    expect(backfill).toHaveLength(1);
    await db.transaction((tx) => tx.run(backfill[0] as string));
    expect((await db.read.get<{ tenant_id: string }>('SELECT tenant_id FROM order_lines WHERE order_id = ?', [id]))?.tenant_id).toBe('acme');
  });

  it('puts the units of paid, unshipped orders back on hand and into reserved in migration 14, leaving available alone', async () => {
    const a = `A-${randomUUID()}`;
    const [id, gone] = [`O-${randomUUID()}`, `O-${randomUUID()}`];
    await anOrder(id);
    await anOrder(gone);
    const rollback = new Error('rollback');
    await expect(
      db.transaction(async (tx) => {
        await tx.run(`UPDATE orders SET status = 'paid' WHERE id = ?`, [id]);
        await tx.run(`UPDATE orders SET status = 'shipped' WHERE id = ?`, [gone]);
        // As migration 14 found a row: payment had taken 2 paid units off on-hand, 1 more held for an unpaid order,
        // 4 already shipped; 3 on the shelf of which 1 reserved. Another order the platform reported shipped still
        // had its 6 units `deducted`: they left with it.
        await tx.run(`INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, 'WH1', 3, 1, 0, 0)`, [tenant, a]);
        for (const [order, state, q] of [[id, 'deducted', 2], [id, 'held', 1], [id, 'shipped', 4], [id, 'restocked', 5], [gone, 'deducted', 6]] as const) {
          await tx.run(`INSERT INTO reservations (tenant_id, order_id, sku, warehouse, quantity, state, created_at, updated_at) VALUES (?, ?, ?, 'WH1', ?, ?, 0, 0)`, [tenant, order, a, q, state]);
        }
        const stmts = renderDdl(m014.ddl, db.dialect);
        expect(stmts).toHaveLength(2);
        for (const stmt of stmts) await tx.run(stmt);
        expect(await tx.all('SELECT on_hand, reserved FROM stock WHERE sku = ?', [a])).toEqual([{ on_hand: 5, reserved: 3 }]);
        expect(await tx.all('SELECT state, quantity FROM reservations WHERE order_id = ?', [gone])).toEqual([{ state: 'shipped', quantity: 6 }]);
        expect(await tx.all(`SELECT quantity FROM reservations WHERE order_id = ? AND state = 'deducted'`, [id])).toEqual([{ quantity: 2 }]);
        // Rolled back: the statement moves every row, and the other tests' rows in this database stay as they were.
        throw rollback;
      }),
    ).rejects.toBe(rollback);
  });

  it('rebuilds the shipments table on SQLite in migration 15 without losing a row or the references to it', async (ctx) => {
    if (db.dialect !== 'sqlite') return ctx.skip(); // PostgreSQL changes the CHECK in place
    const id = `O-${randomUUID()}`;
    const [plan, ship] = [`DP-${randomUUID()}`, `SH-${randomUUID()}`];
    await anOrder(id);
    await db.transaction(async (tx) => {
      await tx.run(`INSERT INTO dispatch_plans (id, tenant_id, order_ids, state, created_by, created_at, updated_at) VALUES (?, ?, ?, 'committed', 't', 0, 0)`, [plan, tenant, JSON.stringify([id])]);
      await tx.run(
        `INSERT INTO shipments (id, tenant_id, plan_id, warehouse, order_ids, state, ship_by, weight_grams, carrier, tracking_no, created_at, updated_at, trust_grade, recheck_count)
         VALUES (?, ?, ?, 'WH1', ?, 'shipped', 5, 100, 'sf', ?, 1, 2, 'photo', 2)`,
        [ship, tenant, plan, JSON.stringify([id]), `SF-${ship}`],
      );
      await tx.run(`INSERT INTO shipment_lines (shipment_id, tenant_id, order_id, line_no, sku, quantity, scanned) VALUES (?, ?, ?, 1, 'A', 2, 2)`, [ship, tenant, id]);
    });
    const count = async () => Number((await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM shipments'))?.n);
    const before = await count();
    // Run again on a table with rows and children: the commit would fail on any child left without its shipment.
    await db.transaction(async (tx) => {
      for (const stmt of renderDdl(m015.ddl, db.dialect)) await tx.run(stmt);
    });
    expect(await count()).toBe(before);
    expect(await db.read.get('SELECT state, tracking_no, trust_grade, recheck_count, cancelled_at FROM shipments WHERE id = ?', [ship])).toEqual({
      state: 'shipped',
      tracking_no: `SF-${ship}`,
      trust_grade: 'photo',
      recheck_count: 2,
      cancelled_at: null,
    });
    expect(await db.read.all('PRAGMA foreign_key_check')).toEqual([]);
    // The new state is allowed, an unknown one still refused, and the references still hold.
    await db.transaction((tx) => tx.run(`UPDATE shipments SET state = 'cancelled' WHERE id = ?`, [ship]));
    await expect(db.transaction((tx) => tx.run(`UPDATE shipments SET state = 'lost' WHERE id = ?`, [ship]))).rejects.toThrow();
    await expect(
      db.transaction((tx) => tx.run(`INSERT INTO shipment_lines (shipment_id, tenant_id, order_id, line_no, sku, quantity) VALUES ('SH-NONE', ?, ?, 1, 'A', 1)`, [tenant, id])),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  it('undoes a failed transaction completely', async () => {
    const sku = `S-${randomUUID()}`;
    await expect(
      db.transaction(async (tx) => {
        await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', 0)`, [tenant, sku]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.read.get('SELECT sku FROM skus WHERE sku = ?', [sku])).toBeUndefined();
  });

  it('undoes only the savepoint that failed', async () => {
    const a = `S-${randomUUID()}`;
    const b = `S-${randomUUID()}`;
    await db.transaction(async (tx) => {
      await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', 0)`, [tenant, a]);
      await expect(
        tx.savepoint(async () => {
          await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', 0)`, [tenant, b]);
          // A constraint violation inside: the savepoint, not the transaction, is undone.
          await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', 0)`, [tenant, b]);
        }),
      ).rejects.toThrow();
    });
    expect(await db.read.get('SELECT sku FROM skus WHERE sku = ?', [a])).toBeDefined();
    expect(await db.read.get('SELECT sku FROM skus WHERE sku = ?', [b])).toBeUndefined();
  });

  it('does not let a reader see a transaction before it commits', async () => {
    const sku = `S-${randomUUID()}`;
    let seenInside: unknown = 'not checked';
    await db.transaction(async (tx) => {
      await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', 0)`, [tenant, sku]);
      seenInside = await db.read.get('SELECT sku FROM skus WHERE sku = ?', [sku]);
    });
    expect(seenInside).toBeUndefined();
    expect(await db.read.get('SELECT sku FROM skus WHERE sku = ?', [sku])).toBeDefined();
  });

  it.each(['hold', 'deduct'] as const)('takes all lines or none, giving back what it took when one is short (%s)', async (mode) => {
    const a = `A-${randomUUID()}`;
    const b = `B-${randomUUID()}`;
    const orderId = randomUUID();
    await putStock(a, 'WH1', 5);
    await putStock(b, 'WH1', 1);
    await anOrder(orderId);
    // No savepoint and a transaction that commits: reserveLines itself must leave nothing behind.
    await db.transaction(async (tx) => {
      await expect(reserveLines(tx, tenant, orderId, [{ sku: a, quantity: 3 }, { sku: b, quantity: 2 }], 1, mode)).rejects.toBeInstanceOf(
        StockShort,
      );
    });
    expect(await stockRow(a)).toEqual([{ warehouse: 'WH1', on_hand: 5, reserved: 0 }]);
    expect(await stockRow(b)).toEqual([{ warehouse: 'WH1', on_hand: 1, reserved: 0 }]);
    expect(await db.read.all('SELECT id FROM reservations WHERE order_id = ?', [orderId])).toEqual([]);
  });

  it('sums lines of one SKU, makes the reservation firm at payment and releases on cancel', async () => {
    const a = `A-${randomUUID()}`;
    await putStock(a, 'WH1', 5);
    const paid = randomUUID();
    const cancelled = randomUUID();
    await anOrder(paid);
    await anOrder(cancelled);
    await db.transaction(async (tx) => {
      const held = await reserveLines(tx, tenant, paid, [{ sku: a, quantity: 1 }, { sku: a, quantity: 2 }], 1);
      expect(held).toEqual([expect.objectContaining({ sku: a, warehouse: 'WH1', quantity: 3 })]);
      await reserveLines(tx, tenant, cancelled, [{ sku: a, quantity: 2 }], 1);
    });
    expect(await stockRow(a)).toEqual([{ warehouse: 'WH1', on_hand: 5, reserved: 5 }]);
    await db.transaction(async (tx) => {
      await deductReservations(tx, paid, 2);
      await releaseReservations(tx, tenant, cancelled, 2);
      // A second release finds nothing held: it cannot give the units back twice, nor release the paid order's.
      expect(await releaseReservations(tx, tenant, cancelled, 3)).toEqual([]);
      expect(await releaseReservations(tx, tenant, paid, 3)).toEqual([]);
    });
    // The paid units are still on the shelf, reserved for their order until they ship.
    expect(await stockRow(a)).toEqual([{ warehouse: 'WH1', on_hand: 5, reserved: 3 }]);
    expect(await db.read.all('SELECT state, quantity FROM reservations WHERE order_id = ?', [paid])).toEqual([{ state: 'deducted', quantity: 3 }]);
    // Cancelled after payment: the firm reservation is given back whole, once.
    await db.transaction(async (tx) => {
      await restoreDeducted(tx, tenant, paid, 4);
      expect(await restoreDeducted(tx, tenant, paid, 5)).toEqual([]);
    });
    expect(await stockRow(a)).toEqual([{ warehouse: 'WH1', on_hand: 5, reserved: 0 }]);
  });

  it('refuses, in the schema itself, stock reserved beyond what is on hand', async () => {
    const a = `A-${randomUUID()}`;
    await putStock(a, 'WH1', 1);
    await expect(db.transaction((tx) => tx.run('UPDATE stock SET reserved = 2 WHERE sku = ?', [a]))).rejects.toThrow();
    await expect(db.transaction((tx) => tx.run('UPDATE stock SET on_hand = -1 WHERE sku = ?', [a]))).rejects.toThrow();
  });

  it('hands out sequence blocks that never overlap, also concurrently', async () => {
    const key = `seq-${randomUUID()}`;
    const firsts = await Promise.all(Array.from({ length: 20 }, () => db.transaction((tx) => db.nextSequenceBlock(key, 5, tx))));
    const numbers = firsts.flatMap((f) => [0, 1, 2, 3, 4].map((i) => f + i));
    expect(new Set(numbers).size).toBe(100);
    expect(Math.min(...numbers)).toBe(1);
    expect(Math.max(...numbers)).toBe(100);
  });

  it('group commit: one failing item leaves no trace and the rest of its batch commits', async () => {
    const log = createLogger('silent');
    const prefix = `G-${randomUUID()}`;
    // Each item writes, then item 2 throws after writing: the optimistic attempt must roll back and rerun isolated.
    const work = async (tx: Tx, n: number) => {
      await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', 0)`, [tenant, `${prefix}-${n}`]);
      if (n === 2) throw new Error('item 2 is broken');
      return n * 10;
    };
    const gc = new GroupCommitter<number, number>(db, work, { maxBatch: 8, lanes: 1, maxQueue: 100 }, log);
    const answers = await Promise.allSettled([1, 2, 3, 4].map((n) => gc.submit(n)));
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message))).toEqual([10, 'item 2 is broken', 30, 40]);
    expect(gc.stats.isolatedReruns).toBe(1);
    const rows = await db.read.all<{ sku: string }>('SELECT sku FROM skus WHERE sku LIKE ? ORDER BY sku', [`${prefix}-%`]);
    expect(rows.map((r) => r.sku)).toEqual([`${prefix}-1`, `${prefix}-3`, `${prefix}-4`]);
    // A lone failing item is simply rolled back.
    await expect(gc.submit(2)).rejects.toThrow('item 2 is broken');
    expect(await db.read.get('SELECT sku FROM skus WHERE sku = ?', [`${prefix}-2`])).toBeUndefined();
  });
});

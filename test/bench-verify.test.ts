// The benchmark's stock-ledger check speaks today's stock semantics: quiet on a ledger the hub's own stock functions
// wrote (reserve, pay, ship, cancel), loud when units are lost, taken twice, leave the shelf unshipped or are oversold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from './support/backends.ts';
import { openHubDatabase } from '../src/app/hub.ts';
import type { Database } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { deductReservations, releaseReservations, reserveLines, restoreDeducted, shipDeducted } from '../src/modules/inventory/store/stock.ts';
import { dbChecks } from '../bench/lib/verify.ts';
import { stockKey, type Catalogue } from '../bench/lib/orders.ts';

describe.each(allBackends)("the bench's ledger check on $name", (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  const tenant = 'default';
  const cat: Catalogue = { skus: ['B1', 'B2'], hot: [], warehouses: ['WH-A'], initial: new Map([[stockKey('B1', 'WH-A'), 10], [stockKey('B2', 'WH-A'), 5]]), hotLineShare: 0 };
  const reader = { all: <T>(sql: string) => db.read.all<T>(sql), close: async () => undefined };

  beforeAll(async () => {
    const place = await backend.fresh();
    db = await openHubDatabase(place.config, place.pgSchema);
    cleanup = place.cleanup;
    await migrate(db);
    for (const [key, onHand] of cat.initial) {
      const [sku, warehouse] = key.split('|') as [string, string];
      await db.transaction((tx) =>
        tx.run('INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, ?, 0, 0, 0)', [tenant, sku, warehouse, onHand]),
      );
    }
    // One order in each end state the hub reaches: held (unpaid), paid on arrival, paid later, shipped, cancelled unpaid, cancelled paid.
    const order = async (id: string, qty: number, mode: 'hold' | 'deduct' = 'hold') =>
      db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO orders (id, tenant_id, order_no, channel, account_id, platform_order_id, status, platform_status, payment_status,
            fulfilment_status, aftersale_status, reservation_state, currency, goods_amount, line_discount_amount, shipping_fee,
            discount_platform, discount_seller, total_amount, paid_amount, receiver_name, receiver_phone, receiver_province,
            receiver_city, receiver_district, receiver_address, platform_created_at, source_updated_at, created_at, updated_at)
           VALUES (?, ?, ?, 'test', 'acct', ?, 'pending_payment', 'x', 'unpaid', 'unfulfilled', 'none', 'none', 'CNY', 0, 0, 0, 0, 0, 0, 0,
            'n', 'p', '', '', '', 'a', 0, 0, 0, 0)`,
          [id, tenant, `NO-${id}`, id],
        );
        await reserveLines(tx, tenant, id, [{ sku: 'B1', quantity: qty }], 1, mode);
      });
    await order('held', 1);
    await order('paid-on-arrival', 2, 'deduct');
    await order('paid-later', 1);
    await db.transaction((tx) => deductReservations(tx, 'paid-later', 2));
    await order('shipped', 3, 'deduct');
    await db.transaction((tx) => shipDeducted(tx, tenant, 'shipped', 3));
    await order('cancelled-unpaid', 1);
    await db.transaction((tx) => releaseReservations(tx, tenant, 'cancelled-unpaid', 4));
    await order('cancelled-paid', 1, 'deduct');
    await db.transaction((tx) => restoreDeducted(tx, tenant, 'cancelled-paid', 4));
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  const problems = async () => {
    const c = await dbChecks(reader, cat, []);
    return { ledger: c.ledgerProblems, oversold: c.oversoldRows };
  };
  const sql = (text: string, params: (string | number)[] = []) => db.transaction((tx) => tx.run(text, params));

  it("finds nothing wrong with a ledger written by the hub's own stock functions", async () => {
    // Paid units stay on hand until they ship: on-hand fell by the 3 shipped units only, reserved is 1 held + 3 deducted.
    expect(await db.read.get('SELECT on_hand, reserved FROM stock WHERE sku = ?', ['B1'])).toEqual({ on_hand: 7, reserved: 4 });
    expect(await problems()).toEqual({ ledger: [], oversold: [] });
  });

  it('names a reservation lost, one counted twice, and units gone from the shelf without a shipment', async () => {
    await sql(`UPDATE reservations SET state = 'released' WHERE order_id = 'held'`);
    expect((await problems()).ledger).toEqual(['B1@WH-A: reserved counter 4, live reservations 3 (held 0, deducted 3)']);
    await sql(`UPDATE reservations SET state = 'held' WHERE order_id = 'held'`);

    await sql(`UPDATE reservations SET quantity = 4 WHERE order_id = 'paid-on-arrival'`);
    expect((await problems()).ledger).toEqual(['B1@WH-A: reserved counter 4, live reservations 6 (held 1, deducted 5)']);
    await sql(`UPDATE reservations SET quantity = 2 WHERE order_id = 'paid-on-arrival'`);

    await sql(`UPDATE stock SET on_hand = 6 WHERE sku = 'B1'`);
    expect((await problems()).ledger).toEqual(['B1@WH-A: on-hand fell by 4, shipped reservations 3']);
    await sql(`UPDATE stock SET on_hand = 7 WHERE sku = 'B1'`);
    expect(await problems()).toEqual({ ledger: [], oversold: [] });
  });

  it('names a row that promised more units than there ever were', async () => {
    // Stock appeared from nowhere and was sold: the counters agree with each other, not with what was there.
    await sql(`UPDATE stock SET on_hand = 12, reserved = 9 WHERE sku = 'B1'`);
    await sql(`UPDATE reservations SET quantity = 7 WHERE order_id = 'paid-on-arrival'`);
    const found = await problems();
    expect(found.oversold).toEqual(['B1@WH-A: initial 10, held 1, deducted 8, shipped 3, onHand 12, reserved 9']);
    expect(found.ledger).toEqual(['B1@WH-A: on-hand fell by -2, shipped reservations 3']);
  });
});

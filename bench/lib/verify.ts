// After the load: no oversell, no lost order — checked through the API while the hub runs, then in the database itself.
import { stockKey, type Catalogue, type Delivery } from './orders.ts';
import { forEachLimited, type HubClient } from './client.ts';
import type { DirectReader } from './store.ts';

interface StockView {
  sku: string;
  byWarehouse: { warehouse: string; onHand: number; reserved: number }[];
}

interface OrderPage {
  total: number;
}

export interface Acknowledged {
  delivery: Delivery;
  /** Reservation state the hub answered with: held, deducted, short, … */
  reservation: string;
}

export interface ApiChecks {
  /** (sku, warehouse) rows with reserved > onHand or onHand < 0. */
  oversoldRows: string[];
  /** SKUs whose units taken (deducted + reserved) differ from what the acknowledged answers add up to. */
  ledgerMismatches: string[];
  sampled: number;
  sampleMissing: string[];
  apiTotal: number;
  stockShortOrders: number;
}

/**
 * Units promised from a SKU = (initial on-hand − on-hand now) + reserved now, over its warehouses: what left the shelf
 * (shipped) plus what is still reserved on it (held, or `deducted` once paid: a paid order's units stay on hand,
 * reserved, until they ship). It must equal the units of every acknowledged order the hub said it reserved
 * (`held`) or reserved for a paid order (`deducted`), or reservations were lost or taken twice. Summed per SKU, so
 * routing moving a reservation to another warehouse changes nothing. Assumes no order is released during the run
 * (the bench hub's payment timeout is set beyond it) and no stock is counted after the setup.
 */
export async function apiChecks(client: HubClient, cat: Catalogue, acked: readonly Acknowledged[], sampleSize: number, random: () => number): Promise<ApiChecks> {
  const expectedTaken = new Map<string, number>();
  for (const a of acked) {
    if (a.reservation !== 'held' && a.reservation !== 'deducted') continue;
    for (const [sku, units] of a.delivery.units) expectedTaken.set(sku, (expectedTaken.get(sku) ?? 0) + units);
  }
  const oversoldRows: string[] = [];
  const ledgerMismatches: string[] = [];
  await forEachLimited(cat.skus, 16, async (sku) => {
    const v = await client.api<StockView>('GET', `/stock/${encodeURIComponent(sku)}`);
    let taken = 0;
    for (const w of v.byWarehouse) {
      if (w.reserved > w.onHand || w.onHand < 0) oversoldRows.push(`${sku}@${w.warehouse} onHand=${w.onHand} reserved=${w.reserved}`);
      taken += (cat.initial.get(stockKey(sku, w.warehouse)) ?? 0) - w.onHand + w.reserved;
    }
    const want = expectedTaken.get(sku) ?? 0;
    if (taken !== want) ledgerMismatches.push(`${sku}: stock shows ${taken} units taken, acknowledged orders add up to ${want}`);
  });

  // A random sample through the public search, as an operator would look an order up.
  const pool = [...acked];
  const sample: Acknowledged[] = [];
  while (sample.length < sampleSize && pool.length) {
    const i = Math.floor(random() * pool.length);
    sample.push(pool[i] as Acknowledged);
    pool[i] = pool[pool.length - 1] as Acknowledged;
    pool.pop();
  }
  const sampleMissing: string[] = [];
  await forEachLimited(sample, 16, async (a) => {
    const page = await client.api<OrderPage>('GET', `/orders?platformOrderId=${encodeURIComponent(a.delivery.orderId)}&pageSize=1`);
    if (page.total !== 1) sampleMissing.push(`${a.delivery.orderId} (found ${page.total})`);
  });
  const all = await client.api<OrderPage>('GET', '/orders?pageSize=1');
  const short = await client.api<OrderPage>('GET', '/orders?hold=STOCK_SHORT&pageSize=1');
  return { oversoldRows, ledgerMismatches, sampled: sample.length, sampleMissing, apiTotal: all.total, stockShortOrders: short.total };
}

export interface DbChecks {
  dbOrders: number;
  /** Acknowledged orders not in the orders table: the exact lost count. */
  missing: string[];
  /** Rows where the reservation records disagree with the stock counters: units lost or counted twice. */
  ledgerProblems: string[];
  /** Rows reserving more than is on the shelf, or promising more than there ever was. */
  oversoldRows: string[];
}

interface LedgerRow {
  sku: string;
  warehouse: string;
  on_hand: number | string;
  reserved: number | string;
  held: number | string;
  deducted: number | string;
  shipped: number | string;
}

/**
 * The stock ledger as it is today ("on hand is the shelf", migration 014), per SKU and warehouse:
 *   - reserved = units of its live reservations, `held` (unpaid) + `deducted` (paid, not yet shipped);
 *   - initial on-hand − on-hand = units of its `shipped` reservations: units leave the shelf only when they ship;
 *   - 0 ≤ reserved ≤ on-hand, hence held + deducted + shipped ≤ initial: nothing is oversold.
 * Released, restocked and rerouted reservations moved `reserved` back when they ended and count in neither.
 * Holds as long as nobody sets stock after the setup, which the bench does not.
 */
export async function dbChecks(reader: DirectReader, cat: Catalogue, acked: readonly Acknowledged[]): Promise<DbChecks> {
  const ids = new Set((await reader.all<{ platform_order_id: string }>('SELECT platform_order_id FROM orders')).map((r) => r.platform_order_id));
  const missing = acked.filter((a) => !ids.has(a.delivery.orderId)).map((a) => a.delivery.orderId);
  const rows = await reader.all<LedgerRow>(
    `SELECT s.sku, s.warehouse, s.on_hand, s.reserved,
       COALESCE(SUM(CASE WHEN r.state = 'held' THEN r.quantity ELSE 0 END), 0) AS held,
       COALESCE(SUM(CASE WHEN r.state = 'deducted' THEN r.quantity ELSE 0 END), 0) AS deducted,
       COALESCE(SUM(CASE WHEN r.state = 'shipped' THEN r.quantity ELSE 0 END), 0) AS shipped
     FROM stock s LEFT JOIN reservations r ON r.tenant_id = s.tenant_id AND r.sku = s.sku AND r.warehouse = s.warehouse
     GROUP BY s.sku, s.warehouse, s.on_hand, s.reserved`,
  );
  const ledgerProblems: string[] = [];
  const oversoldRows: string[] = [];
  for (const r of rows) {
    const [onHand, reserved, held, deducted, shipped] = [r.on_hand, r.reserved, r.held, r.deducted, r.shipped].map(Number) as [number, number, number, number, number];
    const initial = cat.initial.get(stockKey(r.sku, r.warehouse)) ?? 0;
    const where = `${r.sku}@${r.warehouse}`;
    if (onHand < 0 || reserved < 0 || reserved > onHand || held + deducted + shipped > initial) {
      oversoldRows.push(`${where}: initial ${initial}, held ${held}, deducted ${deducted}, shipped ${shipped}, onHand ${onHand}, reserved ${reserved}`);
    }
    if (reserved !== held + deducted) ledgerProblems.push(`${where}: reserved counter ${reserved}, live reservations ${held + deducted} (held ${held}, deducted ${deducted})`);
    if (initial - onHand !== shipped) ledgerProblems.push(`${where}: on-hand fell by ${initial - onHand}, shipped reservations ${shipped}`);
  }
  return { dbOrders: ids.size, missing, ledgerProblems, oversoldRows };
}

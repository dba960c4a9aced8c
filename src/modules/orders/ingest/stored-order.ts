// An order as ingestion finds it by the platform's id (locked to decide, or read for a redelivery's answer), and the
// answer ingestion gives about it.
import type { Tx } from '../../../platform/db/database.ts';
import { LockOrderRetry } from '../../../platform/db/unit-of-work.ts';
import { orderStateColumns, type OrderState } from '../lifecycle.ts';
import { lockOrders } from '../store/orders.ts';
import type { OrderOutcome, OrderResult } from './delivery.ts';

const storedExtra = 'source_updated_at, goods_amount, line_discount_amount, shipping_fee, discount_platform, discount_seller, tax_amount';
const storedColumns = `${orderStateColumns}, ${storedExtra}`;

/** An order as an update finds it: its state, the platform time it reflects, and its amounts. */
export type StoredOrder = OrderState & {
  source_updated_at: number;
  goods_amount: number;
  line_discount_amount: number;
  shipping_fee: number;
  discount_platform: number;
  discount_seller: number;
  tax_amount: number;
};

/** The order a platform's id names, locked (a batch locked it up front; a replay or a lone delivery locks it here). */
export async function findOrder(tx: Tx, accountId: string, platformOrderId: string): Promise<StoredOrder | undefined> {
  const found = await tx.get<StoredOrder>(`SELECT ${storedColumns} FROM orders WHERE account_id = ? AND platform_order_id = ?`, [accountId, platformOrderId]);
  if (!found || tx.locks.holds('order', found.id)) return found;
  // SQLite's one writer read it current; PostgreSQL reads it again under its lock.
  if (tx.dialect === 'sqlite') {
    tx.locks.take('order', [found.id]);
    return found;
  }
  // Created by another writer after this batch took its locks: locking it now, behind the batch's stock rows, could
  // deadlock. The delivery goes round again in a batch that locks it up front.
  if (!tx.locks.mayTake('order', found.id)) throw new LockOrderRetry(`order ${found.id} appeared after the batch took its locks`);
  return (await lockOrders<StoredOrder>(tx, [found.id], storedExtra)).get(found.id);
}

/** The order a redelivery names, for its answer only: a duplicate decides nothing, so it locks nothing. */
export async function readOrder(tx: Tx, accountId: string, platformOrderId: string): Promise<StoredOrder | undefined> {
  return tx.get<StoredOrder>(`SELECT ${storedColumns} FROM orders WHERE account_id = ? AND platform_order_id = ?`, [accountId, platformOrderId]);
}

export function orderResult(o: OrderState, outcome: OrderOutcome, detail?: string): OrderResult {
  return {
    outcome,
    orderId: o.id,
    orderNo: o.order_no,
    status: o.status,
    reservation: o.reservation_state,
    hold: o.hold_code,
    ...(detail ? { detail } : {}),
  };
}

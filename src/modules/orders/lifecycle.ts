// Moves orders along the status anchor and applies what each step means for stock, timers, history and events.
// One file on purpose: it is the one implementation of the anchor — its steps, the effects the machine names, and the
// reservation and holds those effects set — and its parts call each other (effects reserve and lift holds, lifting a
// platform hold asks for stock again, reserving sets holds); apart, they could only be read together.
import {
  checkTransition,
  orderMachine,
  planTransitions,
  type GuardContext,
  type OrderEffect,
  type OrderStatus,
  type TransitionSource,
} from './domain/machine.ts';
import { orderReservationMachine, type OrderReservationContext, type OrderReservationState } from '../inventory/domain/reservation-machine.ts';
import type { Tx } from '../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import { deductReservations, releaseReservations, reserveLines, restoreDeducted, shipDeducted, StockShort } from '../inventory/store/stock.ts';
import { withdrawFromShipments } from '../fulfilment/store/shipments.ts';
import { cancelTimer, scheduleTimer } from '../../platform/jobs/timer-store.ts';
import { platformHoldCodes } from '../channels/connectors/types.ts';

/** The columns of an order that its lifecycle reads and writes. */
export interface OrderState {
  id: string;
  tenant_id: string;
  order_no: string;
  channel: string;
  account_id: string;
  platform_order_id: string;
  status: OrderStatus;
  payment_status: string;
  fulfilment_status: string;
  reservation_state: string;
  hold_code: string | null;
  hold_reason: string | null;
  cancel_cause: string | null;
  total_amount: number;
  paid_amount: number;
  paid_at: number | null;
  cancelled_at: number | null;
}

export const orderStateColumns =
  'id, tenant_id, order_no, channel, account_id, platform_order_id, status, payment_status, fulfilment_status, ' +
  'reservation_state, hold_code, hold_reason, cancel_cause, total_amount, paid_amount, paid_at, cancelled_at';

export interface Cause {
  source: TransitionSource;
  /** Human-readable origin, e.g. `ownshop push evt-1`. */
  cause: string;
  at: number;
  sourceTime?: number | null;
  rawEventId?: number | null;
  /** Why an order is cancelled: `platform`, `payment_timeout`, `operator`. */
  cancelCause?: string;
}

export interface LifecycleSettings {
  paymentTimeoutMs: number;
}

/** Statuses in which the order's units have left the warehouse. */
const leftWarehouse = new Set<OrderStatus>(['shipped', 'delivered', 'completed']);
/** Exceptions that only exist because the order needs stock; cancelling the order ends them. */
const stockHolds = new Set(['STOCK_SHORT', 'SKU_UNMATCHED', 'PAID_NO_STOCK']);
/** Holds the platform's own state puts on an order (ambiguous or unknown status, amounts that do not add up). */
const platformHolds = new Set<string>(platformHoldCodes);

export function guardContext(o: OrderState, source: TransitionSource): GuardContext {
  return {
    source,
    holdCode: o.hold_code,
    cancelCause: o.cancel_cause,
    totalAmount: o.total_amount,
    paidAmount: o.paid_amount,
  };
}

export async function saveOrder(tx: Tx, o: OrderState, at: number): Promise<void> {
  await tx.run(
    `UPDATE orders SET status = ?, payment_status = ?, fulfilment_status = ?, reservation_state = ?, hold_code = ?, hold_reason = ?,
       cancel_cause = ?, paid_amount = ?, paid_at = ?, cancelled_at = ?, updated_at = ?, version = version + 1
     WHERE id = ?`,
    [
      o.status,
      o.payment_status,
      o.fulfilment_status,
      o.reservation_state,
      o.hold_code,
      o.hold_reason,
      o.cancel_cause,
      o.paid_amount,
      o.paid_at,
      o.cancelled_at,
      at,
      o.id,
    ],
  );
}

function eventBase(o: OrderState) {
  return { orderId: o.id, orderNo: o.order_no, channel: o.channel, accountId: o.account_id, platformOrderId: o.platform_order_id };
}

async function setHold(tx: Tx, o: OrderState, code: string | null, reason: string | null, c: Cause): Promise<void> {
  if (o.hold_code === code && o.hold_reason === reason) return;
  const previous = o.hold_code;
  o.hold_code = code;
  o.hold_reason = reason;
  await appendHistory(tx, {
    tenantId: o.tenant_id,
    orderId: o.id,
    at: c.at,
    kind: code ? 'hold' : 'hold_released',
    cause: c.cause,
    sourceTime: c.sourceTime,
    rawEventId: c.rawEventId,
    detail: code ? { code, reason } : { released: previous },
  });
  await appendEvent(tx, {
    tenantId: o.tenant_id,
    type: code ? 'order.held' : 'order.hold_released',
    aggregateType: 'order',
    aggregateId: o.id,
    at: c.at,
    payload: { ...eventBase(o), code: code ?? previous, reason },
  });
}

function isPlatformHeld(o: OrderState): boolean {
  return o.hold_code !== null && platformHolds.has(o.hold_code);
}

/**
 * Puts the hold a platform's state asks for on the order, or lifts a platform hold when its state is clear again;
 * lifting it asks the stock question the hold had covered once more.
 */
export async function applyPlatformHold(
  tx: Tx,
  o: OrderState,
  hold: { code: string; reason: string } | null,
  c: Cause,
  settings: LifecycleSettings,
): Promise<void> {
  if (hold) {
    if (o.hold_code === hold.code && o.hold_reason === hold.reason) return;
    await setHold(tx, o, hold.code, hold.reason, c);
    await saveOrder(tx, o, c.at);
    return;
  }
  if (!isPlatformHeld(o)) return;
  await setHold(tx, o, null, null, c);
  // While held, the payment timeout let the order be (cancelling would have been a guess): its clock starts again.
  if (o.status === 'pending_payment' && o.reservation_state === 'held') {
    await scheduleTimer(tx, o.tenant_id, 'payment_timeout', o.id, c.at + settings.paymentTimeoutMs, c.at);
  }
  if (o.status !== 'cancelled' && (o.reservation_state === 'short' || o.reservation_state === 'unmatched')) {
    await tryReserve(tx, o, c, settings, o.status === 'pending_payment' ? 'STOCK_SHORT' : 'PAID_NO_STOCK');
    return;
  }
  await saveOrder(tx, o, c.at);
}

/** An order line as reservation needs it: the hub SKU (null while unmatched) and the platform's code. */
export interface ReservableLine {
  sku: string | null;
  external_sku: string;
  quantity: number;
}

/**
 * Takes stock for every line of the order, or none. An unpaid order holds it (until payment or timeout);
 * an order already paid takes it from on-hand at once. Unmapped SKUs and short stock become holds
 * (商品未匹配 / 库存不足): the order is kept, never lost.
 */
export async function tryReserve(
  tx: Tx,
  o: OrderState,
  c: Cause,
  settings: LifecycleSettings,
  shortCode: 'STOCK_SHORT' | 'PAID_NO_STOCK' = 'STOCK_SHORT',
  knownLines?: readonly ReservableLine[],
): Promise<boolean> {
  const lines =
    knownLines ??
    (await tx.all<ReservableLine>('SELECT sku, external_sku, quantity FROM order_lines WHERE order_id = ? ORDER BY line_no', [o.id]));
  const unmatched = lines.filter((l) => l.sku === null).map((l) => l.external_sku);
  if (unmatched.length) {
    moveReservation(o, 'unmatched', 'reserve');
    // A platform hold says more than a stock hold: it stays, and the stock is asked again when it is lifted.
    if (!isPlatformHeld(o)) await setHold(tx, o, 'SKU_UNMATCHED', `SKU not known to the hub: ${[...new Set(unmatched)].join(', ')} (商品未匹配)`, c);
    await saveOrder(tx, o, c.at);
    return false;
  }
  const unpaid = o.status === 'pending_payment';
  // Asked before any stock moves: an order that already has its stock is never reserved a second time.
  orderReservationMachine.check(o.reservation_state, unpaid ? 'held' : 'deducted', { orderStatus: o.status, by: 'reserve' });
  try {
    const taken = await reserveLines(tx, o.tenant_id, o.id, lines as readonly { sku: string; quantity: number }[], c.at, unpaid ? 'hold' : 'deduct');
    moveReservation(o, unpaid ? 'held' : 'deducted', 'reserve');
    const detail = taken.map((h) => ({ sku: h.sku, warehouse: h.warehouse, quantity: h.quantity }));
    await appendHistory(tx, {
      tenantId: o.tenant_id,
      orderId: o.id,
      at: c.at,
      kind: 'reservation',
      cause: c.cause,
      detail: { [unpaid ? 'reserved' : 'deducted']: detail },
    });
    await appendEvent(tx, {
      tenantId: o.tenant_id,
      type: unpaid ? 'order.stock_reserved' : 'order.stock_deducted',
      aggregateType: 'order',
      aggregateId: o.id,
      at: c.at,
      payload: { ...eventBase(o), lines: detail },
    });
    if (o.hold_code && stockHolds.has(o.hold_code)) await setHold(tx, o, null, null, c);
    // Already past shipping when its stock is taken (a platform reports it shipped or done as the hub first sees it,
    // or its SKU was only matched later): the units left the shelf, they are not held for it.
    if (leftWarehouse.has(o.status)) await shipDeducted(tx, o.tenant_id, o.id, c.at);
    if (unpaid) await scheduleTimer(tx, o.tenant_id, 'payment_timeout', o.id, c.at + settings.paymentTimeoutMs, c.at);
    await saveOrder(tx, o, c.at);
    return true;
  } catch (e) {
    if (!(e instanceof StockShort)) throw e;
    moveReservation(o, 'short', 'reserve');
    if (!isPlatformHeld(o)) await setHold(tx, o, shortCode, `not enough stock: ${e.sku} needs ${e.wanted} (库存不足)`, c);
    await saveOrder(tx, o, c.at);
    return false;
  }
}

/** One step along the anchor, as an effect sees it: the order already says `to`. */
interface OrderStep {
  tx: Tx;
  o: OrderState;
  from: OrderStatus;
  to: OrderStatus;
  c: Cause;
  settings: LifecycleSettings;
}

/**
 * Moves the order's reservation summary through its machine; refused before anything is written. Short or unmatched
 * again is the same answer to the stock question asked again: no transition, and nothing to refuse.
 */
function moveReservation(o: OrderState, to: OrderReservationState, by: OrderReservationContext['by']): void {
  if (o.reservation_state === to && (to === 'short' || to === 'unmatched')) return;
  orderReservationMachine.check(o.reservation_state, to, { orderStatus: o.status, by });
  o.reservation_state = to;
}

/**
 * What each effect the anchor names (orderMachine, domain/machine.ts) does. Typed by the machine's effect names, so a
 * missing one does not compile; startHub checks the table against the declaration too (app/machines.ts).
 */
export const orderEffects: { readonly [E in OrderEffect]: (s: OrderStep) => Promise<void> } = {
  async markPaid({ o, c }) {
    o.payment_status = 'paid';
    o.paid_at ??= c.sourceTime ?? c.at;
  },
  // A payment timer exists only while an unpaid order holds stock.
  async stopPaymentTimer({ tx, o, from, c }) {
    if (from === 'pending_payment' && o.reservation_state === 'held') await cancelTimer(tx, 'payment_timeout', o.id, c.at);
  },
  async firmUpReservation({ tx, o, c }) {
    if (o.reservation_state !== 'held') return;
    moveReservation(o, 'deducted', 'payment');
    await deductReservations(tx, o.id, c.at);
  },
  async markCancelled({ o, c }) {
    o.cancel_cause = c.cancelCause ?? (c.source === 'platform' ? 'platform' : c.source);
    o.cancelled_at = c.at;
  },
  async giveBackStock({ tx, o, from, c }) {
    if (o.reservation_state === 'held') {
      moveReservation(o, 'released', 'cancel');
      await releaseReservations(tx, o.tenant_id, o.id, c.at);
    } else if (o.reservation_state === 'deducted' && from === 'paid') {
      moveReservation(o, 'restocked', 'cancel');
      await restoreDeducted(tx, o.tenant_id, o.id, c.at);
    }
  },
  // Routed but not shipped: its parcels are stopped (拦截) before the warehouse works on them further.
  async stopShipments({ tx, o, from, c }) {
    if (from === 'paid') await withdrawFromShipments(tx, o, 'order_cancelled', c.cause, c.at);
  },
  async liftStockHold({ tx, o, c }) {
    if (o.hold_code && stockHolds.has(o.hold_code)) await setHold(tx, o, null, null, c);
  },
  async markShipped({ o }) {
    o.fulfilment_status = 'shipped';
  },
  // Shipped through the hub's warehouse flow, nothing is left reserved or waiting. Shipped another way (the seller
  // used the platform's back office), the units left all the same, and the hub's parcels for it must not follow.
  async shippedElsewhere({ tx, o, c }) {
    if (o.reservation_state !== 'deducted') return;
    await withdrawFromShipments(tx, o, 'shipped_elsewhere', c.cause, c.at);
    await shipDeducted(tx, o.tenant_id, o.id, c.at);
  },
  async markDelivered({ o }) {
    o.fulfilment_status = 'delivered';
  },
  // A late payment reopened an order the hub had cancelled: it needs its stock back, or it is an exception.
  async reopen({ tx, o, c, settings }) {
    if (o.reservation_state !== 'none') moveReservation(o, 'none', 'reopen');
    o.cancel_cause = null;
    o.cancelled_at = null;
    await tryReserve(tx, o, c, settings, 'PAID_NO_STOCK');
  },
};

/** One declared step: the target state's entering effects, the step's history row and event, then its after-effects. */
async function enterState(tx: Tx, o: OrderState, to: OrderStatus, c: Cause, settings: LifecycleSettings): Promise<void> {
  const from = o.status;
  const effects = orderMachine.effectsOf(from, to);
  o.status = to;
  const step: OrderStep = { tx, o, from, to, c, settings };
  for (const e of effects.before) await orderEffects[e](step);
  await appendHistory(tx, {
    tenantId: o.tenant_id,
    orderId: o.id,
    at: c.at,
    kind: 'status',
    from,
    to,
    cause: c.cause,
    sourceTime: c.sourceTime,
    rawEventId: c.rawEventId,
    detail: to === 'cancelled' ? { cancelCause: o.cancel_cause } : undefined,
  });
  await appendEvent(tx, {
    tenantId: o.tenant_id,
    type: 'order.status_changed',
    aggregateType: 'order',
    aggregateId: o.id,
    at: c.at,
    payload: { ...eventBase(o), from, to, cause: c.cause },
  });
  for (const e of effects.after) await orderEffects[e](step);
}

/**
 * The steps that take an order to `target`, or a HubError; pure, so a refused move has written nothing.
 * Platform facts walk through skipped steps (each checked); operator and system requests must be one declared step.
 */
export function planMove(o: OrderState, target: OrderStatus, source: TransitionSource): OrderStatus[] {
  const ctx = guardContext(o, source);
  if (source === 'platform') return planTransitions(o.status, target, ctx);
  checkTransition(o.status, target, ctx);
  return [target];
}

/**
 * Applies steps from planMove: stock, timers, history and events for each, then one save. `save: false` leaves the
 * save to the caller, who changes the order further in the same transaction (ingest's new orders take stock next).
 */
export async function applyMove(
  tx: Tx,
  o: OrderState,
  path: readonly OrderStatus[],
  c: Cause,
  settings: LifecycleSettings,
  save = true,
): Promise<void> {
  for (const step of path) await enterState(tx, o, step, c, settings);
  if (path.length && save) await saveOrder(tx, o, c.at);
}

/** Moves an order to `target` (planMove, then applyMove). */
export async function moveOrder(tx: Tx, o: OrderState, target: OrderStatus, c: Cause, settings: LifecycleSettings): Promise<OrderStatus[]> {
  const path = planMove(o, target, c.source);
  await applyMove(tx, o, path, c, settings);
  return path;
}

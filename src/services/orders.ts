// Reading orders (list, 360° detail) and the operator's and timers' decisions on them.
import { sql } from 'kysely';
import { HubError } from '../domain/errors.ts';
import { maskAddress, maskName, maskPhone } from '../domain/order.ts';
import { allowedTargets, isOrderStatus, type OrderStatus } from '../domain/status-machine.ts';
import { toIso } from '../domain/time.ts';
import type { Database, Tx } from '../store/db.ts';
import type { OrdersTable } from '../store/schema.ts';
import { claimTimer } from '../store/timers.ts';
import { moveOrder, orderStateColumns, tryReserve, type LifecycleSettings, type OrderState } from './order-lifecycle.ts';
import { DEFAULT_TENANT } from './tenancy.ts';
import { appendAudit } from '../store/audit.ts';
import { can, type Principal } from '../domain/principal.ts';
import { isUnlimited, type DataScope } from '../domain/permissions.ts';
import type { SelectQueryBuilder } from 'kysely';
import type { DB } from '../store/schema.ts';
import type { Keyring } from '../security/keyring.ts';

export interface OrderFilter {
  channel?: string | undefined;
  account?: string | undefined;
  platformOrderId?: string | undefined;
  status?: string | undefined;
  hold?: string | undefined;
  q?: string | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  page: number;
  pageSize: number;
}

/** How personal data leaves the hub: masked, unless the caller holds pii.view and asked to see it (audited). */
export interface PiiView {
  reveal: boolean;
}

function summary(o: OrdersTable, keyring: Keyring, pii: PiiView) {
  const phone = keyring.decryptNullable(o.receiver_phone);
  return {
    id: o.id,
    orderNo: o.order_no,
    channel: o.channel,
    accountId: o.account_id,
    platformOrderId: o.platform_order_id,
    status: o.status,
    platformStatus: o.platform_status,
    paymentStatus: o.payment_status,
    fulfilmentStatus: o.fulfilment_status,
    aftersaleStatus: o.aftersale_status,
    reservationState: o.reservation_state,
    hold: o.hold_code ? { code: o.hold_code, reason: o.hold_reason } : null,
    totalAmount: o.total_amount,
    paidAmount: o.paid_amount,
    currency: o.currency,
    receiverName: (pii.reveal ? o.receiver_name : maskName(o.receiver_name)) ?? '',
    receiverPhone: pii.reveal ? phone : maskPhone(phone),
    receiverRegion: [o.receiver_province, o.receiver_city, o.receiver_district].filter(Boolean).join(' '),
    platformCreatedAt: toIso(o.platform_created_at),
    createdAt: toIso(o.created_at),
    updatedAt: toIso(o.updated_at),
  };
}

/** Narrows a query on `orders` to what a scope may see (accounts, ship-to provinces, warehouses reserved from). */
export function scoped<O>(q: SelectQueryBuilder<DB, 'orders', O>, scope: DataScope): SelectQueryBuilder<DB, 'orders', O> {
  if (isUnlimited(scope)) return q;
  let out = q;
  if (scope.accounts) out = scope.accounts.length ? out.where('orders.account_id', 'in', scope.accounts) : out.where(sql<boolean>`1 = 0`);
  if (scope.provinces) out = scope.provinces.length ? out.where('orders.receiver_province', 'in', scope.provinces) : out.where(sql<boolean>`1 = 0`);
  const warehouses = scope.warehouses;
  if (warehouses) {
    out = warehouses.length
      ? out.where((eb) =>
          eb.exists(
            eb
              .selectFrom('reservations')
              .select(sql<number>`1`.as('x'))
              .whereRef('reservations.order_id', '=', 'orders.id')
              .where('reservations.warehouse', 'in', warehouses),
          ),
        )
      : out.where(sql<boolean>`1 = 0`);
  }
  return out;
}

export type OrderSummary = ReturnType<typeof summary>;

export class OrderService {
  constructor(
    private readonly db: Database,
    private readonly settings: LifecycleSettings,
    private readonly keyring: Keyring,
  ) {}

  async list(who: Principal, f: OrderFilter): Promise<{ items: OrderSummary[]; total: number; page: number; pageSize: number }> {
    let q = scoped(this.db.kysely.selectFrom('orders').where('tenant_id', '=', who.tenantId), who.scope);
    if (f.channel) q = q.where('channel', '=', f.channel);
    if (f.account) q = q.where('account_id', '=', f.account);
    if (f.platformOrderId) q = q.where('platform_order_id', '=', f.platformOrderId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.hold) q = f.hold === 'any' ? q.where('hold_code', 'is not', null) : q.where('hold_code', '=', f.hold);
    if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
    if (f.createdTo !== undefined) q = q.where('created_at', '<', f.createdTo);
    if (f.q) {
      const term = f.q.trim();
      // Exact keys first (order no, platform id, full phone through its keyed hash: phones are stored encrypted);
      // a name prefix as the loose fallback.
      const phoneHashes = /\d{5,}/.test(term) ? this.keyring.indexHashes(term) : [];
      q = q.where((eb) =>
        eb.or([
          eb('order_no', '=', term),
          eb('platform_order_id', '=', term),
          ...(phoneHashes.length ? [eb('receiver_phone_hash', 'in', phoneHashes), eb('buyer_phone_hash', 'in', phoneHashes)] : []),
          eb('receiver_name', 'like', `${term.replace(/[%_]/g, '')}%`),
        ]),
      );
    }
    const [{ total }] = (await q.select(sql<number>`count(*)`.as('total')).execute()) as [{ total: number }];
    // With an exact key (platform id, phone, order number) few rows match: order by an expression so the
    // planner picks the key's index instead of walking the creation-time index for its ordering.
    const selective = Boolean(f.platformOrderId || f.q);
    const rows = await q
      .selectAll()
      .orderBy(selective ? sql<number>`created_at + 0` : sql<number>`created_at`, 'desc')
      .orderBy('id', 'desc')
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize)
      .execute();
    return { items: rows.map((o) => summary(o, this.keyring, { reveal: false })), total: Number(total), page: f.page, pageSize: f.pageSize };
  }

  /**
   * The order's id, if it exists for this principal. An order outside the caller's scope answers exactly like one
   * that does not exist, so nobody can probe for another region's order numbers.
   */
  async resolveId(idOrOrderNo: string, who?: Principal): Promise<string> {
    const tenant = who?.tenantId ?? DEFAULT_TENANT;
    let q = this.db.kysely
      .selectFrom('orders')
      .select('orders.id')
      .where('orders.tenant_id', '=', tenant)
      .where((eb) => eb.or([eb('orders.id', '=', idOrOrderNo), eb('orders.order_no', '=', idOrOrderNo)]));
    if (who) q = scoped(q, who.scope);
    const r = await q.executeTakeFirst();
    if (!r) throw new HubError('ORDER_NOT_FOUND', `order ${idOrOrderNo} does not exist`);
    return r.id;
  }

  /** The 360° view. `reveal` needs pii.view; the caller audits it (the view itself is a read). */
  async get(who: Principal, idOrOrderNo: string, pii: PiiView = { reveal: false }) {
    if (pii.reveal && !can(who, 'pii.view')) {
      throw new HubError('FORBIDDEN', `seeing full phone numbers and addresses needs the permission pii.view, which ${who.name} does not have`, {
        permission: 'pii.view',
      });
    }
    const id = await this.resolveId(idOrOrderNo, who);
    const k = this.db.kysely;
    const o = await k.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const [lines, history, reservations, rawEvents] = await Promise.all([
      k.selectFrom('order_lines').selectAll().where('order_id', '=', id).orderBy('line_no').execute(),
      k.selectFrom('order_history').selectAll().where('order_id', '=', id).orderBy('id').execute(),
      k.selectFrom('reservations').selectAll().where('order_id', '=', id).orderBy('id').execute(),
      k
        .selectFrom('raw_events')
        .select(['id', 'event_id', 'received_at', 'deliveries', 'outcome', 'channel'])
        .where('order_id', '=', id)
        .orderBy('id')
        .execute(),
    ]);
    const status = o.status as OrderStatus;
    const k2 = this.keyring;
    const phone = k2.decryptNullable(o.receiver_phone);
    const address = k2.decryptNullable(o.receiver_address);
    const buyerPhone = k2.decryptNullable(o.buyer_phone);
    const r = pii.reveal;
    return {
      ...summary(o, k2, pii),
      piiRevealed: r,
      receiver: {
        name: (r ? o.receiver_name : maskName(o.receiver_name)) ?? '',
        phone: r ? phone : maskPhone(phone),
        province: o.receiver_province,
        city: o.receiver_city,
        district: o.receiver_district,
        address: (r ? address : maskAddress(address)) ?? '',
      },
      buyer: { id: o.buyer_id, name: r ? o.buyer_name : maskName(o.buyer_name), phone: r ? buyerPhone : maskPhone(buyerPhone) },
      amounts: {
        goods: o.goods_amount,
        lineDiscounts: o.line_discount_amount,
        shippingFee: o.shipping_fee,
        discountPlatform: o.discount_platform,
        discountSeller: o.discount_seller,
        total: o.total_amount,
        paid: o.paid_amount,
      },
      lines: lines.map((l) => ({
        lineNo: l.line_no,
        sku: l.sku,
        platformSku: l.external_sku,
        title: l.title,
        quantity: l.quantity,
        unitPrice: l.unit_price,
        discount: l.discount,
      })),
      reservation: {
        state: o.reservation_state,
        items: reservations.map((r) => ({ sku: r.sku, warehouse: r.warehouse, quantity: r.quantity, state: r.state })),
      },
      cancelCause: o.cancel_cause,
      paidAt: toIso(o.paid_at),
      cancelledAt: toIso(o.cancelled_at),
      sourceUpdatedAt: toIso(o.source_updated_at),
      version: o.version,
      allowedTransitions: isOrderStatus(status) ? allowedTargets(status) : [],
      history: history.map((h) => ({
        at: toIso(h.at),
        kind: h.kind,
        from: h.from_status,
        to: h.to_status,
        cause: h.cause,
        sourceTime: toIso(h.source_time),
        rawEventId: h.raw_event_id,
        detail: h.detail ? (JSON.parse(h.detail) as unknown) : null,
      })),
      rawEvents: rawEvents.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        channel: r.channel,
        receivedAt: toIso(r.received_at),
        deliveries: r.deliveries,
        outcome: r.outcome,
      })),
    };
  }

  private async loadState(id: string, tx: Tx): Promise<OrderState> {
    const o = await tx.get<OrderState>(`SELECT ${orderStateColumns} FROM orders WHERE id = ?`, [id]);
    if (!o) throw new HubError('ORDER_NOT_FOUND', `order ${id} does not exist`);
    return o;
  }

  /** An operator's decision: one declared step, guards applied. */
  async transition(who: Principal, idOrOrderNo: string, to: string, reason: string, now = Date.now()) {
    if (!isOrderStatus(to)) throw new HubError('VALIDATION_FAILED', `unknown status ${to}`);
    const id = await this.resolveId(idOrOrderNo, who);
    await this.db.transaction(async (tx) => {
      const o = await this.loadState(id, tx);
      const before = { status: o.status, reservation: o.reservation_state };
      await moveOrder(tx, o, to, { source: 'operator', cause: `${who.name}: ${reason}`, at: now, cancelCause: 'operator' }, this.settings);
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'order.transition', targetType: 'order', targetId: id, before, after: { status: o.status, reservation: o.reservation_state }, detail: { reason } },
        now,
      );
    });
    return this.get(who, id);
  }

  /** Tries again to reserve stock for an order held for short stock or unmatched SKUs. */
  async retryReservation(who: Principal, idOrOrderNo: string, now = Date.now()) {
    const id = await this.resolveId(idOrOrderNo, who);
    await this.db.transaction(async (tx) => {
      const o = await this.loadState(id, tx);
      if (o.status === 'cancelled' || !['short', 'unmatched', 'none'].includes(o.reservation_state)) {
        throw new HubError('CONFLICT', `order ${o.order_no} has nothing to reserve (reservation ${o.reservation_state}, status ${o.status})`);
      }
      const before = { reservation: o.reservation_state, hold: o.hold_code };
      await tryReserve(tx, o, { source: 'operator', cause: `${who.name}: retry reservation`, at: now }, this.settings);
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'order.retry_reservation', targetType: 'order', targetId: id, before, after: { reservation: o.reservation_state, hold: o.hold_code } },
        now,
      );
    });
    return this.get(who, id);
  }

  /** Fires one due payment-timeout timer: an order still unpaid is cancelled and its stock released. */
  async expireUnpaid(timer: { id: number; ref: string }, now = Date.now()): Promise<'cancelled' | 'skipped'> {
    return this.db.transaction(async (tx) => {
      if (!(await claimTimer(tx, timer.id, now))) return 'skipped';
      const o = await tx.get<OrderState>(`SELECT ${orderStateColumns} FROM orders WHERE id = ?`, [timer.ref]);
      if (!o || o.status !== 'pending_payment') return 'skipped';
      await moveOrder(
        tx,
        o,
        'cancelled',
        { source: 'system', cause: 'timer: payment timeout', at: now, cancelCause: 'payment_timeout' },
        this.settings,
      );
      return 'cancelled';
    });
  }
}

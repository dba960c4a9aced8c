// Reading orders (list, 360° detail) and the operator's and timers' decisions on them.
import { sql } from 'kysely';
import { HubError } from '../domain/errors.ts';
import { maskPhone } from '../domain/order.ts';
import { allowedTargets, isOrderStatus, type OrderStatus } from '../domain/status-machine.ts';
import { toIso } from '../domain/time.ts';
import type { Database, Tx } from '../store/db.ts';
import type { OrdersTable } from '../store/schema.ts';
import { claimTimer } from '../store/timers.ts';
import { moveOrder, orderStateColumns, tryReserve, type LifecycleSettings, type OrderState } from './order-lifecycle.ts';
import { DEFAULT_TENANT } from './tenancy.ts';

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

function summary(o: OrdersTable) {
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
    receiverName: o.receiver_name,
    receiverPhone: maskPhone(o.receiver_phone),
    receiverRegion: [o.receiver_province, o.receiver_city, o.receiver_district].filter(Boolean).join(' '),
    platformCreatedAt: toIso(o.platform_created_at),
    createdAt: toIso(o.created_at),
    updatedAt: toIso(o.updated_at),
  };
}

export type OrderSummary = ReturnType<typeof summary>;

export class OrderService {
  constructor(
    private readonly db: Database,
    private readonly settings: LifecycleSettings,
  ) {}

  async list(f: OrderFilter): Promise<{ items: OrderSummary[]; total: number; page: number; pageSize: number }> {
    let q = this.db.kysely.selectFrom('orders').where('tenant_id', '=', DEFAULT_TENANT);
    if (f.channel) q = q.where('channel', '=', f.channel);
    if (f.account) q = q.where('account_id', '=', f.account);
    if (f.platformOrderId) q = q.where('platform_order_id', '=', f.platformOrderId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.hold) q = f.hold === 'any' ? q.where('hold_code', 'is not', null) : q.where('hold_code', '=', f.hold);
    if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
    if (f.createdTo !== undefined) q = q.where('created_at', '<', f.createdTo);
    if (f.q) {
      const term = f.q.trim();
      // Exact keys first (order no, platform id, full phone); a name prefix as the loose fallback.
      q = q.where((eb) =>
        eb.or([
          eb('order_no', '=', term),
          eb('platform_order_id', '=', term),
          eb('receiver_phone', '=', term),
          eb('buyer_phone', '=', term),
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
    return { items: rows.map(summary), total: Number(total), page: f.page, pageSize: f.pageSize };
  }

  async resolveId(idOrOrderNo: string): Promise<string> {
    const r = await this.db.read.get<{ id: string }>('SELECT id FROM orders WHERE tenant_id = ? AND (id = ? OR order_no = ?)', [
      DEFAULT_TENANT,
      idOrOrderNo,
      idOrOrderNo,
    ]);
    if (!r) throw new HubError('ORDER_NOT_FOUND', `order ${idOrOrderNo} does not exist`);
    return r.id;
  }

  async get(idOrOrderNo: string) {
    const id = await this.resolveId(idOrOrderNo);
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
    return {
      ...summary(o),
      receiver: {
        name: o.receiver_name,
        phone: maskPhone(o.receiver_phone),
        province: o.receiver_province,
        city: o.receiver_city,
        district: o.receiver_district,
        address: o.receiver_address,
      },
      buyer: { id: o.buyer_id, name: o.buyer_name, phone: maskPhone(o.buyer_phone) },
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
  async transition(idOrOrderNo: string, to: string, reason: string, actor: string, now = Date.now()) {
    if (!isOrderStatus(to)) throw new HubError('VALIDATION_FAILED', `unknown status ${to}`);
    const id = await this.resolveId(idOrOrderNo);
    await this.db.transaction(async (tx) => {
      const o = await this.loadState(id, tx);
      await moveOrder(tx, o, to, { source: 'operator', cause: `${actor}: ${reason}`, at: now, cancelCause: 'operator' }, this.settings);
    });
    return this.get(id);
  }

  /** Tries again to reserve stock for an order held for short stock or unmatched SKUs. */
  async retryReservation(idOrOrderNo: string, actor: string, now = Date.now()) {
    const id = await this.resolveId(idOrOrderNo);
    await this.db.transaction(async (tx) => {
      const o = await this.loadState(id, tx);
      if (o.status === 'cancelled' || !['short', 'unmatched', 'none'].includes(o.reservation_state)) {
        throw new HubError('CONFLICT', `order ${o.order_no} has nothing to reserve (reservation ${o.reservation_state}, status ${o.status})`);
      }
      await tryReserve(tx, o, { source: 'operator', cause: `${actor}: retry reservation`, at: now }, this.settings);
    });
    return this.get(id);
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

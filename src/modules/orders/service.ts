// Reading orders (list, 360° detail) and the operator's and timers' decisions on them.
import { sql } from 'kysely';
import { platformHoldCodes } from '../channels/connectors/types.ts';
import { HubError } from '../../kernel/errors.ts';
import { computeAmounts, maskAddress, maskName, maskPhone, orderArithmeticProblems } from './domain/order.ts';
import { allowedTargets, isOrderStatus, type OrderStatus } from './domain/machine.ts';
import { toIso } from '../../kernel/time.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { OrdersTable } from '../../platform/db/schema.ts';
import { claimTimer } from '../../platform/jobs/timer-store.ts';
import { lockOrder, lockOrders } from './store/orders.ts';
import { reservationsOf } from '../inventory/queries/reservations.ts';
import { rawEventsOfOrder } from '../channels/store/raw-events.ts';
import { moveOrder, planMove, tryReserve, type LifecycleSettings, type OrderState } from './lifecycle.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from '../access/approvals.ts';
import { appendAudit } from '../access/audit.ts';
import { can, requirePermission, type Principal } from '../../kernel/principal.ts';
import { isUnlimited, orderScopeSql, toKysely, type DataScope } from '../../kernel/scope.ts';
import type { SelectQueryBuilder } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { shipmentsOfOrder } from '../fulfilment/warehouse-flow.ts';

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
  /** `createdAt` or `totalAmount`, `-` first for descending; newest first by default. */
  sort?: OrderSort | undefined;
}

export const orderSorts = ['createdAt', '-createdAt', 'totalAmount', '-totalAmount'] as const;
export type OrderSort = (typeof orderSorts)[number];

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

/** Narrows a query on `orders` to what a scope may see: the kernel's order policy, as a Kysely condition. */
export function scoped<O>(q: SelectQueryBuilder<DB, 'orders', O>, scope: DataScope): SelectQueryBuilder<DB, 'orders', O> {
  return isUnlimited(scope) ? q : q.where(toKysely(orderScopeSql(scope, 'orders')));
}

export type OrderSummary = ReturnType<typeof summary>;

/** One row of an order export: flat, amounts in minor units, personal data masked unless revealed. */
export interface OrderExportRow {
  orderNo: string;
  platformOrderId: string;
  channel: string;
  accountId: string;
  status: string;
  paymentStatus: string;
  fulfilmentStatus: string;
  reservation: string;
  hold: string;
  currency: string;
  totalAmount: number;
  paidAmount: number;
  receiverName: string;
  receiverPhone: string;
  province: string;
  city: string;
  district: string;
  address: string;
  platformCreatedAt: string;
  createdAt: string;
  paidAt: string;
}
export type OrderDetail = Awaited<ReturnType<OrderService['get']>>;

export interface PriceChangeInput {
  lines?: { lineNo: number; unitPrice?: number | undefined; discount?: number | undefined }[] | undefined;
  shippingFee?: number | undefined;
  discountSeller?: number | undefined;
  reason: string;
}

/** A price change as stored for its approval: every changed amount, from → to. */
export interface PriceChangePayload {
  orderId: string;
  orderNo: string;
  version: number;
  currency: string;
  lines: { lineNo: number; sku: string; quantity: number; from: { unitPrice: number; discount: number }; to: { unitPrice: number; discount: number } }[];
  shippingFee: { from: number; to: number } | null;
  discountSeller: { from: number; to: number } | null;
  total: { from: number; to: number };
  reason: string;
}

interface CancelPaidPayload {
  orderId: string;
  orderNo: string;
  version: number;
  reason: string;
  status: string;
  paidAmount: number;
}

export class OrderService {
  constructor(
    private readonly db: Database,
    private readonly settings: LifecycleSettings,
    private readonly keyring: Keyring,
    private readonly approvals: ApprovalService,
  ) {}

  /**
   * The ids a search term can mean, each found through its own index: order number, platform order id, a full phone
   * number (through its keyed hashes: phones are stored encrypted), or the start of a receiver's name. One OR over
   * all of them would scan the table (measured: 85 ms at 100,000 orders, growing with the table).
   */
  private async searchIds(who: Principal, term: string): Promise<string[]> {
    const k = this.db.kysely;
    const t = who.tenantId;
    const cap = 1000;
    const lookups: Promise<{ id: string }[]>[] = [
      k.selectFrom('orders').select('id').where('order_no', '=', term).where('tenant_id', '=', t).execute(),
      k.selectFrom('orders').select('id').where('tenant_id', '=', t).where('platform_order_id', '=', term).limit(cap).execute(),
    ];
    if (/\d{5,}/.test(term)) {
      const hashes = this.keyring.indexHashes(term);
      lookups.push(k.selectFrom('orders').select('id').where('tenant_id', '=', t).where('receiver_phone_hash', 'in', hashes).limit(cap).execute());
      lookups.push(k.selectFrom('orders').select('id').where('tenant_id', '=', t).where('buyer_phone_hash', 'in', hashes).limit(cap).execute());
    }
    // A name: a range on the (tenant, receiver_name) index, then the exact prefix test.
    const plain = term.replace(/[%_\\]/g, '');
    if (plain && !/^[\x21-\x7e]*\d[\x21-\x7e]*$/.test(term)) {
      lookups.push(
        k
          .selectFrom('orders')
          .select('id')
          .where('tenant_id', '=', t)
          .where('receiver_name', '>=', plain)
          .where('receiver_name', '<', `${plain}\uffff`)
          .where('receiver_name', 'like', `${plain}%`)
          .limit(cap)
          .execute(),
      );
    }
    const ids = new Set<string>();
    for (const rows of await Promise.all(lookups)) for (const r of rows) ids.add(r.id);
    return [...ids];
  }

  /** The orders a filter matches, inside the principal's tenant and scope. */
  private async filtered(who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>) {
    let q = scoped(this.db.kysely.selectFrom('orders').where('tenant_id', '=', who.tenantId), who.scope);
    if (f.channel) q = q.where('channel', '=', f.channel);
    if (f.account) q = q.where('account_id', '=', f.account);
    if (f.platformOrderId) q = q.where('platform_order_id', '=', f.platformOrderId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.hold) q = f.hold === 'any' ? q.where('hold_code', 'is not', null) : q.where('hold_code', '=', f.hold);
    if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
    if (f.createdTo !== undefined) q = q.where('created_at', '<', f.createdTo);
    if (f.q?.trim()) {
      const ids = await this.searchIds(who, f.q.trim());
      q = ids.length ? q.where('orders.id', 'in', ids) : q.where(sql<boolean>`1 = 0`);
    }
    return q;
  }

  async count(who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>): Promise<number> {
    const [{ total }] = (await (await this.filtered(who, f)).select(sql<number>`count(*)`.as('total')).execute()) as [{ total: number }];
    return Number(total);
  }

  /**
   * Starts an export: checks pii.view for a revealed one, counts the rows, and has `record` write the audit entry
   * before any row is read, so no copy of customer data leaves unaudited. `record` is the write path's audit call.
   */
  async export(
    who: Principal,
    f: Omit<OrderFilter, 'page' | 'pageSize'>,
    pii: PiiView,
    record: (entry: { action: string; targetType: string; targetId: null; detail: unknown }) => Promise<void>,
  ): Promise<{ total: number; rows: AsyncGenerator<OrderExportRow> }> {
    if (pii.reveal) {
      requirePermission(who, 'pii.view');
    }
    const total = await this.count(who, f);
    // The audit log is read by people without pii.view: a phone number searched for is kept masked there.
    const filter = { ...f, ...(f.q && /\d{5,}/.test(f.q) ? { q: maskPhone(f.q.trim()) } : {}) };
    await record({ action: pii.reveal ? 'pii.export' : 'orders.export', targetType: 'order', targetId: null, detail: { filter, rows: total, reveal: pii.reveal } });
    return { total, rows: this.exportRows(who, f, pii) };
  }

  /**
   * Every matching order for an export, newest first, read in pages by key (created_at, id) so that a large export
   * neither holds one huge result nor slows down with depth. Personal data masked unless `pii.reveal` (pii.view checked).
   */
  async *exportRows(who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>, pii: PiiView, pageSize = 1000): AsyncGenerator<OrderExportRow> {
    if (pii.reveal) requirePermission(who, 'pii.view');
    let after: { createdAt: number; id: string } | null = null;
    // The filter (and a search's index lookups) once; each page only adds its key condition.
    const base = await this.filtered(who, f);
    for (;;) {
      let q = base;
      if (after) {
        const c: { createdAt: number; id: string } = after;
        q = q.where((eb) => eb.or([eb('created_at', '<', c.createdAt), eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)])]));
      }
      const rows = await q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(pageSize).execute();
      for (const o of rows) yield this.exportRow(o, pii);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1] as OrdersTable;
      after = { createdAt: Number(last.created_at), id: last.id };
    }
  }

  private exportRow(o: OrdersTable, pii: PiiView): OrderExportRow {
    const k = this.keyring;
    const r = pii.reveal;
    const phone = k.decryptNullable(o.receiver_phone);
    const address = k.decryptNullable(o.receiver_address);
    return {
      orderNo: o.order_no,
      platformOrderId: o.platform_order_id,
      channel: o.channel,
      accountId: o.account_id,
      status: o.status,
      paymentStatus: o.payment_status,
      fulfilmentStatus: o.fulfilment_status,
      reservation: o.reservation_state,
      hold: o.hold_code ?? '',
      currency: o.currency,
      totalAmount: Number(o.total_amount),
      paidAmount: Number(o.paid_amount),
      receiverName: (r ? o.receiver_name : maskName(o.receiver_name)) ?? '',
      receiverPhone: (r ? phone : maskPhone(phone)) ?? '',
      province: o.receiver_province,
      city: o.receiver_city,
      district: o.receiver_district,
      address: (r ? address : maskAddress(address)) ?? '',
      platformCreatedAt: toIso(Number(o.platform_created_at)) ?? '',
      createdAt: toIso(Number(o.created_at)) ?? '',
      paidAt: toIso(o.paid_at === null ? null : Number(o.paid_at)) ?? '',
    };
  }

  async list(who: Principal, f: OrderFilter): Promise<{ items: OrderSummary[]; total: number; page: number; pageSize: number }> {
    const q = await this.filtered(who, f);
    const [{ total }] = (await q.select(sql<number>`count(*)`.as('total')).execute()) as [{ total: number }];
    // With an exact key (platform id, phone, order number) few rows match: order by an expression so the
    // planner picks the key's index instead of walking the creation-time index for its ordering.
    const selective = Boolean(f.platformOrderId || f.q);
    const sort = f.sort ?? '-createdAt';
    const dir = sort.startsWith('-') ? 'desc' : 'asc';
    const column = sort.endsWith('totalAmount') ? 'total_amount' : 'created_at';
    const rows = await q
      .selectAll()
      .orderBy(selective ? sql<number>`${sql.ref(column)} + 0` : sql<number>`${sql.ref(column)}`, dir)
      .orderBy('id', dir)
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize)
      .execute();
    return { items: rows.map((o) => summary(o, this.keyring, { reveal: false })), total: Number(total), page: f.page, pageSize: f.pageSize };
  }

  /**
   * The order's id, if it exists for this principal. An order outside the caller's scope answers exactly like one
   * that does not exist, so nobody can probe for another region's order numbers.
   */
  async resolveId(idOrOrderNo: string, who: Principal): Promise<string> {
    const q = this.db.kysely
      .selectFrom('orders')
      .select('orders.id')
      .where('orders.tenant_id', '=', who.tenantId)
      .where((eb) => eb.or([eb('orders.id', '=', idOrOrderNo), eb('orders.order_no', '=', idOrOrderNo)]));
    const r = await scoped(q, who.scope).executeTakeFirst();
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
    const [lines, history, reservations, rawEvents, notes, shipments] = await Promise.all([
      k.selectFrom('order_lines').selectAll().where('order_id', '=', id).orderBy('line_no').execute(),
      k.selectFrom('order_history').selectAll().where('order_id', '=', id).orderBy('id').execute(),
      reservationsOf(this.db.read, id),
      rawEventsOfOrder(this.db.read, id),
      this.db.read.all<{ id: number; at: number; author_name: string; text: string }>(
        'SELECT id, at, author_name, text FROM order_notes WHERE order_id = ? ORDER BY id',
        [id],
      ),
      shipmentsOfOrder(this.db.read, id, who.scope),
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
        // Masked or encrypted by the platform itself: what the hub holds is what the platform gave.
        protection: o.receiver_protection,
      },
      buyer: { id: o.buyer_id, name: r ? o.buyer_name : maskName(o.buyer_name), phone: r ? buyerPhone : maskPhone(buyerPhone) },
      amounts: {
        goods: o.goods_amount,
        lineDiscounts: o.line_discount_amount,
        shippingFee: o.shipping_fee,
        discountPlatform: o.discount_platform,
        discountSeller: o.discount_seller,
        tax: o.tax_amount,
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
        items: reservations,
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
      notes: notes.map((n) => ({ id: Number(n.id), at: toIso(Number(n.at)), author: n.author_name, text: n.text })),
      rawEvents: rawEvents.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        channel: r.channel,
        receivedAt: toIso(r.received_at),
        deliveries: r.deliveries,
        outcome: r.outcome,
      })),
      routing: {
        planId: o.dispatch_plan_id,
        checkedAt: toIso(o.routing_checked_at === null ? null : Number(o.routing_checked_at)),
        problems: o.dispatch_plan_id || !o.routing_problem ? null : (JSON.parse(o.routing_problem) as { code: string; message: string; sku?: string }[]),
      },
      shipments,
    };
  }

  /**
   * An operator's decision: one declared step, guards applied. Cancelling an order that is already paid needs
   * orders.cancel_paid and, under the default policy, a second person's approval: then the answer is the pending request.
   */
  async transition(who: Principal, idOrOrderNo: string, to: string, reason: string, now = Date.now()): Promise<MaybePending<OrderDetail>> {
    if (!isOrderStatus(to)) throw new HubError('VALIDATION_FAILED', `unknown status ${to}`);
    const id = await this.resolveId(idOrOrderNo, who);
    const pending = await this.db.transaction(async (tx) => {
      const o = await lockOrder(tx, id);
      if (to === 'cancelled' && o.payment_status === 'paid') {
        requirePermission(who, 'orders.cancel_paid');
        planMove(o, to, 'operator'); // refused moves are refused now, not after someone approved them
        const payload: CancelPaidPayload = { orderId: id, orderNo: o.order_no, version: await this.versionOf(tx, id), reason, status: o.status, paidAmount: o.paid_amount };
        if (this.approvals.required('order.cancel_paid')) {
          return this.approvals.open(
            tx,
            who,
            { kind: 'order.cancel_paid', targetType: 'order', targetId: id, summary: `cancel paid order ${o.order_no} (${o.status}, paid ${o.paid_amount} ${await this.currencyOf(tx, id)}): ${reason}`, payload: { ...payload } },
            now,
          );
        }
      }
      await this.applyTransition(tx, who, o, to, reason, null, now);
      return null;
    });
    return pending ? { pending } : { done: await this.get(who, id) };
  }

  private async versionOf(tx: Tx, id: string): Promise<number> {
    const r = await tx.get<{ version: number }>('SELECT version FROM orders WHERE id = ?', [id]);
    return Number(r?.version ?? 0);
  }

  private async currencyOf(tx: Tx, id: string): Promise<string> {
    return (await tx.get<{ currency: string }>('SELECT currency FROM orders WHERE id = ?', [id]))?.currency ?? '';
  }

  private async applyTransition(tx: Tx, who: Principal, o: OrderState, to: OrderStatus, reason: string, ctx: ApprovalContext | null, now: number) {
    const before = { status: o.status, reservation: o.reservation_state };
    const cause = ctx ? `${who.name}, approving ${ctx.requestedBy}: ${reason}` : `${who.name}: ${reason}`;
    await moveOrder(tx, o, to, { source: 'operator', cause, at: now, cancelCause: 'operator' }, this.settings);
    await appendAudit(
      tx,
      this.keyring,
      who,
      {
        action: 'order.transition',
        targetType: 'order',
        targetId: o.id,
        before,
        after: { status: o.status, reservation: o.reservation_state },
        detail: ctx ? { reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason },
      },
      now,
    );
  }

  /** The order of a stored request, if it still exists, is in the principal's scope and has not changed since. */
  private async sameOrder(tx: Tx, who: Principal, p: { orderId: string; orderNo: string; version: number }): Promise<OrderState> {
    const id = await this.resolveId(p.orderId, who);
    const o = await lockOrder(tx, id);
    const version = await this.versionOf(tx, id);
    if (version !== p.version) {
      throw new HubError('CONFLICT', `order ${p.orderNo} changed after the request was made (version ${p.version} → ${version}); look at it again and ask anew`);
    }
    return o;
  }

  /** Runs an approved cancellation of a paid order (stock goes back; the refund is after-sales' business). */
  async applyCancelPaid(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number) {
    const p = payload as unknown as CancelPaidPayload;
    const o = await this.sameOrder(tx, who, p);
    await this.applyTransition(tx, who, o, 'cancelled', p.reason, ctx, now);
    return { orderNo: o.order_no, status: o.status, reservation: o.reservation_state };
  }

  /** Whether a principal may see an order (for approvals that point at one). */
  async visibleTo(who: Principal, orderId: string | null): Promise<boolean> {
    if (!orderId) return false;
    try {
      await this.resolveId(orderId, who);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Changes line prices, line discounts, the shipping fee or the seller discount of an order not yet paid (改价).
   * Needs prices.change and, under the default policy, a second person's approval. The change is checked now, and
   * again against the order's version when it is carried out.
   */
  async requestPriceChange(who: Principal, idOrOrderNo: string, input: PriceChangeInput, now = Date.now()): Promise<MaybePending<OrderDetail>> {
    requirePermission(who, 'prices.change');
    const reason = input.reason.trim();
    if (!reason) throw new HubError('VALIDATION_FAILED', 'a price change needs a reason');
    const id = await this.resolveId(idOrOrderNo, who);
    const pending = await this.db.transaction(async (tx) => {
      const plan = await this.planPriceChange(tx, id, input);
      const payload: PriceChangePayload = { ...plan, reason };
      if (this.approvals.required('order.price_change')) {
        const total = `${plan.total.from} → ${plan.total.to} ${plan.currency}`;
        return this.approvals.open(
          tx,
          who,
          { kind: 'order.price_change', targetType: 'order', targetId: id, summary: `${plan.orderNo}: total ${total}: ${reason}`, payload: { ...payload } },
          now,
        );
      }
      await this.applyPriceChangeNow(tx, who, payload, null, now);
      return null;
    });
    return pending ? { pending } : { done: await this.get(who, id) };
  }

  private async planPriceChange(tx: Tx, id: string, input: PriceChangeInput): Promise<Omit<PriceChangePayload, 'reason'>> {
    await lockOrder(tx, id);
    const o = await tx.get<OrdersTable>('SELECT * FROM orders WHERE id = ?', [id]);
    if (!o) throw new HubError('ORDER_NOT_FOUND', `order ${id} does not exist`);
    if (o.status !== 'pending_payment') {
      throw new HubError('CONFLICT', `order ${o.order_no} is ${o.status}: prices can only change before payment`, { status: o.status });
    }
    const lines = await tx.all<{ line_no: number; sku: string | null; external_sku: string; quantity: number; unit_price: number; discount: number }>(
      'SELECT line_no, sku, external_sku, quantity, unit_price, discount FROM order_lines WHERE order_id = ? ORDER BY line_no',
      [id],
    );
    const changes: PriceChangePayload['lines'] = [];
    const seen = new Set<number>();
    for (const c of input.lines ?? []) {
      const l = lines.find((x) => Number(x.line_no) === c.lineNo);
      if (!l) throw new HubError('VALIDATION_FAILED', `order ${o.order_no} has no line ${c.lineNo}`, { lines: lines.map((x) => Number(x.line_no)) });
      if (seen.has(c.lineNo)) throw new HubError('VALIDATION_FAILED', `line ${c.lineNo} is named twice`);
      seen.add(c.lineNo);
      const to = { unitPrice: c.unitPrice ?? Number(l.unit_price), discount: c.discount ?? Number(l.discount) };
      const from = { unitPrice: Number(l.unit_price), discount: Number(l.discount) };
      if (to.unitPrice === from.unitPrice && to.discount === from.discount) continue;
      changes.push({ lineNo: c.lineNo, sku: l.sku ?? l.external_sku, quantity: Number(l.quantity), from, to });
    }
    const next = {
      lines: lines.map((l) => {
        const c = changes.find((x) => x.lineNo === Number(l.line_no));
        return { sku: l.external_sku, title: '', quantity: Number(l.quantity), unitPrice: c?.to.unitPrice ?? Number(l.unit_price), discount: c?.to.discount ?? Number(l.discount) };
      }),
      shippingFee: input.shippingFee ?? Number(o.shipping_fee),
      discountPlatform: Number(o.discount_platform),
      discountSeller: input.discountSeller ?? Number(o.discount_seller),
      tax: Number(o.tax_amount),
    };
    const problems = orderArithmeticProblems(next);
    if (problems.length) throw new HubError('VALIDATION_FAILED', `the new prices do not add up: ${problems.join('; ')}`, { errors: problems });
    const after = computeAmounts(next);
    const fee = next.shippingFee !== Number(o.shipping_fee) ? { from: Number(o.shipping_fee), to: next.shippingFee } : null;
    const seller = next.discountSeller !== Number(o.discount_seller) ? { from: Number(o.discount_seller), to: next.discountSeller } : null;
    if (!changes.length && !fee && !seller) throw new HubError('VALIDATION_FAILED', 'nothing would change: give new prices, discounts or a shipping fee');
    return {
      orderId: id,
      orderNo: o.order_no,
      version: Number(o.version),
      currency: o.currency,
      lines: changes,
      shippingFee: fee,
      discountSeller: seller,
      total: { from: Number(o.total_amount), to: after.totalAmount },
    };
  }

  /** Runs an approved price change. */
  async applyPriceChange(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number) {
    return this.applyPriceChangeNow(tx, who, payload as unknown as PriceChangePayload, ctx, now);
  }

  private async applyPriceChangeNow(tx: Tx, who: Principal, p: PriceChangePayload, ctx: ApprovalContext | null, now: number) {
    const o = await this.sameOrder(tx, who, p);
    if (o.status !== 'pending_payment') throw new HubError('CONFLICT', `order ${o.order_no} is ${o.status}: prices can only change before payment`);
    for (const l of p.lines) {
      await tx.run('UPDATE order_lines SET unit_price = ?, discount = ? WHERE order_id = ? AND line_no = ?', [l.to.unitPrice, l.to.discount, o.id, l.lineNo]);
    }
    const lines = await tx.all<{ quantity: number; unit_price: number; discount: number }>('SELECT quantity, unit_price, discount FROM order_lines WHERE order_id = ?', [o.id]);
    const cur = (await tx.get<{ shipping_fee: number; discount_platform: number; discount_seller: number; tax_amount: number }>(
      'SELECT shipping_fee, discount_platform, discount_seller, tax_amount FROM orders WHERE id = ?',
      [o.id],
    )) as { shipping_fee: number; discount_platform: number; discount_seller: number; tax_amount: number };
    const shippingFee = p.shippingFee?.to ?? Number(cur.shipping_fee);
    const discountSeller = p.discountSeller?.to ?? Number(cur.discount_seller);
    const a = computeAmounts({
      lines: lines.map((l) => ({ sku: '', title: '', quantity: Number(l.quantity), unitPrice: Number(l.unit_price), discount: Number(l.discount) })),
      shippingFee,
      discountPlatform: Number(cur.discount_platform),
      discountSeller,
      tax: Number(cur.tax_amount),
    });
    await tx.run(
      `UPDATE orders SET goods_amount = ?, line_discount_amount = ?, shipping_fee = ?, discount_seller = ?, total_amount = ?, updated_at = ?, version = version + 1
       WHERE id = ?`,
      [a.goodsAmount, a.lineDiscountAmount, shippingFee, discountSeller, a.totalAmount, now, o.id],
    );
    const change = { lines: p.lines, shippingFee: p.shippingFee, discountSeller: p.discountSeller, total: { from: p.total.from, to: a.totalAmount } };
    const cause = ctx ? `${who.name}, approving ${ctx.requestedBy}: ${p.reason}` : `${who.name}: ${p.reason}`;
    await appendHistory(tx, { tenantId: o.tenant_id, orderId: o.id, at: now, kind: 'price_change', cause, detail: change });
    await appendEvent(tx, {
      tenantId: o.tenant_id,
      type: 'order.price_changed',
      aggregateType: 'order',
      aggregateId: o.id,
      at: now,
      payload: { orderId: o.id, orderNo: o.order_no, channel: o.channel, accountId: o.account_id, platformOrderId: o.platform_order_id, ...change },
    });
    await appendAudit(
      tx,
      this.keyring,
      who,
      {
        action: 'order.price_change',
        targetType: 'order',
        targetId: o.id,
        before: { total: p.total.from, lines: p.lines.map((l) => ({ lineNo: l.lineNo, ...l.from })), shippingFee: p.shippingFee?.from, discountSeller: p.discountSeller?.from },
        after: { total: a.totalAmount, lines: p.lines.map((l) => ({ lineNo: l.lineNo, ...l.to })), shippingFee: p.shippingFee?.to, discountSeller: p.discountSeller?.to },
        detail: ctx ? { reason: p.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: p.reason },
      },
      now,
    );
    return { orderNo: o.order_no, total: { from: p.total.from, to: a.totalAmount } };
  }

  /** A note on an order (customer service, warehouse), audited. */
  async addNote(who: Principal, idOrOrderNo: string, text: string, now = Date.now()): Promise<OrderDetail> {
    const clean = text.trim();
    if (!clean) throw new HubError('VALIDATION_FAILED', 'a note needs text');
    const id = await this.resolveId(idOrOrderNo, who);
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO order_notes (tenant_id, order_id, at, author_id, author_name, text) VALUES (?, ?, ?, ?, ?, ?)', [
        who.tenantId,
        id,
        now,
        who.userId,
        who.name,
        clean,
      ]);
      await appendAudit(tx, this.keyring, who, { action: 'order.note', targetType: 'order', targetId: id, after: { length: clean.length } }, now);
    });
    return this.get(who, id);
  }

  /** Tries again to reserve stock for an order held for short stock or unmatched SKUs. */
  async retryReservation(who: Principal, idOrOrderNo: string, now = Date.now()) {
    const id = await this.resolveId(idOrOrderNo, who);
    await this.db.transaction(async (tx) => {
      const o = await lockOrder(tx, id);
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

  /**
   * Fires one due payment-timeout timer: an order still unpaid is cancelled and its stock released. `claim` is the token
   * of the timer pass that claimed it: the timer fires only while that claim is still the timer's.
   */
  async expireUnpaid(timer: { id: number; ref: string; claim?: string }, now = Date.now()): Promise<'cancelled' | 'skipped'> {
    return this.db.transaction(async (tx) => {
      // The order row first, then the timer: the payment service takes them in the same order (PostgreSQL), so a
      // payment notice and the timeout serialise on the order instead of deadlocking.
      const o = (await lockOrders(tx, [timer.ref])).get(timer.ref);
      if (!(await claimTimer(tx, timer.id, now, { claim: timer.claim, timed: { kind: 'payment_timeout', ref: timer.ref } }))) return 'skipped';
      if (!o || o.status !== 'pending_payment') return 'skipped';
      // The platform's own state is unclear (an unknown or ambiguous status): cancelling would be a guess. The stock
      // stays held until the platform says paid or cancelled.
      if (o.hold_code && (platformHoldCodes as readonly string[]).includes(o.hold_code)) return 'skipped';
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

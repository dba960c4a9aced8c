// Ingestion: keep the raw delivery, drop duplicates and stale updates, then create or move the order.
import { createHash } from 'node:crypto';
import { computeAmounts, dayInZone, formatOrderNo, type NormalizedOrder } from '../domain/order.ts';
import { HubError } from '../domain/errors.ts';
import type { Database, Tx } from '../store/db.ts';
import { appendEvent, appendHistory } from '../store/events.ts';
import { newId } from '../store/ids.ts';
import type { OrderStatus } from '../domain/status-machine.ts';
import type { Keyring } from '../security/keyring.ts';
import {
  applyMove,
  orderStateColumns,
  planMove,
  tryReserve,
  type Cause,
  type LifecycleSettings,
  type OrderState,
  type ReservableLine,
} from './order-lifecycle.ts';

export interface Delivery {
  tenantId: string;
  accountId: string;
  channel: string;
  eventId: string;
  receivedAt: number;
  headers: Record<string, string>;
  rawBody: Buffer;
  orders: NormalizedOrder[];
}

export type OrderOutcome = 'created' | 'updated' | 'unchanged' | 'duplicate' | 'stale' | 'refused_transition';

export interface OrderResult {
  outcome: OrderOutcome;
  orderId: string;
  orderNo: string;
  status: string;
  reservation: string;
  hold: string | null;
  detail?: string;
}

export interface DeliveryResult {
  rawEventId: number;
  /** True when this event id was seen before: nothing was done again. */
  duplicateDelivery: boolean;
  orders: OrderResult[];
}

/** Order numbers are handed out in blocks so PostgreSQL writers do not queue on one counter row. */
export class OrderNumbers {
  private blocks = new Map<string, { next: number; end: number }>();
  constructor(
    private readonly db: Database,
    private readonly timezone: string,
  ) {}

  async next(tx: Tx, at: number): Promise<string> {
    const day = dayInZone(at, this.timezone);
    // One counter for the whole hub, not per tenant: order numbers are unique across the sellers a hub hosts
    // (the column is), so a service provider's staff can name any order unambiguously. A tenant sees gaps.
    const key = `order_no:${day}`;
    let b = this.blocks.get(key);
    if (!b || b.next > b.end) {
      // SQLite has one writer, so a block of one keeps numbers gap-free there.
      const size = this.db.dialect === 'sqlite' ? 1 : 20;
      const first = await this.db.nextSequenceBlock(key, size, tx);
      b = { next: first, end: first + size - 1 };
      if (this.blocks.size > 64) this.blocks.clear();
      this.blocks.set(key, b);
    }
    return formatOrderNo(day, b.next++);
  }
}

const resolveSkuSql = `SELECT COALESCE(
  (SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = ? AND external_sku = ?),
  (SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = '' AND external_sku = ?),
  (SELECT sku FROM skus WHERE tenant_id = ? AND sku = ?)) AS sku`;

function pgArrayItem(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export class IngestService {
  constructor(
    private readonly settings: LifecycleSettings,
    private readonly numbers: OrderNumbers,
    private readonly keyring: Keyring,
  ) {}

  /**
   * Concurrent batches on PostgreSQL would lock the same stock rows in different orders and deadlock.
   * Locking every row a batch may touch up front, sorted, gives all writers one global lock order.
   */
  async lockStockFor(tx: Tx, deliveries: readonly Delivery[]): Promise<void> {
    if (tx.dialect !== 'postgres') return; // SQLite has one writer: nothing to order
    const skus = [...new Set(deliveries.flatMap((d) => d.orders.flatMap((o) => o.lines.map((l) => l.sku))))].sort();
    if (skus.length === 0) return;
    const tenants = [...new Set(deliveries.map((d) => d.tenantId))];
    for (const tenant of tenants.sort()) {
      await tx.all(
        `SELECT 1 FROM stock WHERE tenant_id = ? AND (sku = ANY(?::text[])
           OR sku IN (SELECT a.sku FROM sku_aliases a WHERE a.tenant_id = ? AND a.external_sku = ANY(?::text[])))
         ORDER BY sku, warehouse FOR UPDATE`,
        [tenant, `{${skus.map(pgArrayItem).join(',')}}`, tenant, `{${skus.map(pgArrayItem).join(',')}}`],
      );
    }
  }

  /**
   * The buyer's and the receiver's phone as stored: encrypted, and keyed hashes for exact search. Most orders
   * name one number for both: it is sealed once (the index hash shows the two are equal anyway).
   */
  private sealedPhones(buyer: string | null | undefined, receiver: string): [string | null, string | null, string, string] {
    const r: [string, string] = [this.keyring.encrypt(receiver), this.keyring.indexHash(receiver)];
    if (buyer === null || buyer === undefined || buyer === '') return [null, null, ...r];
    if (buyer === receiver) return [...r, ...r];
    return [this.keyring.encrypt(buyer), this.keyring.indexHash(buyer), ...r];
  }

  /** Applies one verified delivery inside the caller's transaction. */
  async apply(tx: Tx, d: Delivery): Promise<DeliveryResult> {
    const bodySha = createHash('sha256').update(d.rawBody).digest('hex');
    const inserted = await tx.get<{ id: number }>(
      `INSERT INTO raw_events (tenant_id, channel, account_id, event_id, received_at, last_delivery_at, headers, body, body_sha256, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'received')
       ON CONFLICT (account_id, event_id) DO NOTHING RETURNING id`,
      [
        d.tenantId,
        d.channel,
        d.accountId,
        d.eventId,
        d.receivedAt,
        d.receivedAt,
        JSON.stringify(d.headers),
        // The payload holds the buyer's phone and address: kept encrypted like the order's columns.
        this.keyring.encrypt(d.rawBody.toString('utf8')),
        bodySha,
      ],
    );
    if (!inserted) return this.redelivery(tx, d, bodySha);

    const rawEventId = inserted.id;
    const results: OrderResult[] = [];
    for (const n of d.orders) results.push(await this.applyOrder(tx, d, n, rawEventId));
    // A delivery that carries no order (a refund notice, a topic not taken yet) is kept as it came.
    const outcome = results.length === 1 ? (results[0] as OrderResult).outcome : results.length === 0 ? 'no_order' : 'batch';
    await tx.run('UPDATE raw_events SET outcome = ?, order_id = ?, detail = ? WHERE id = ?', [
      outcome,
      results[0]?.orderId ?? null,
      results.some((r) => r.detail) ? JSON.stringify(results.map((r) => r.detail ?? null)) : null,
      rawEventId,
    ]);
    return { rawEventId, duplicateDelivery: false, orders: results };
  }

  private async redelivery(tx: Tx, d: Delivery, bodySha: string): Promise<DeliveryResult> {
    const prior = await tx.get<{ id: number; body_sha256: string; order_id: string | null }>(
      'SELECT id, body_sha256, order_id FROM raw_events WHERE account_id = ? AND event_id = ?',
      [d.accountId, d.eventId],
    );
    if (!prior) throw new Error('raw event vanished during redelivery');
    if (prior.body_sha256 !== bodySha) {
      throw new HubError('CONFLICT', `event id ${d.eventId} was already delivered with a different body`, { rawEventId: prior.id });
    }
    await tx.run('UPDATE raw_events SET deliveries = deliveries + 1, last_delivery_at = ? WHERE id = ?', [d.receivedAt, prior.id]);
    const orders: OrderResult[] = [];
    for (const n of d.orders) {
      const o = await this.findOrder(tx, d.accountId, n.platformOrderId);
      if (o) orders.push(this.result(o, 'duplicate'));
    }
    return { rawEventId: prior.id, duplicateDelivery: true, orders };
  }

  private async findOrder(tx: Tx, accountId: string, platformOrderId: string): Promise<(OrderState & { source_updated_at: number }) | undefined> {
    return tx.get<OrderState & { source_updated_at: number }>(
      `SELECT ${orderStateColumns}, source_updated_at FROM orders WHERE account_id = ? AND platform_order_id = ?`,
      [accountId, platformOrderId],
    );
  }

  private result(o: OrderState, outcome: OrderOutcome, detail?: string): OrderResult {
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

  private async applyOrder(tx: Tx, d: Delivery, n: NormalizedOrder, rawEventId: number): Promise<OrderResult> {
    const cause: Cause = {
      source: 'platform',
      cause: `${d.channel} push ${d.eventId}`,
      at: d.receivedAt,
      sourceTime: n.sourceUpdatedAt,
      rawEventId,
      cancelCause: 'platform',
    };
    const existing = await this.findOrder(tx, d.accountId, n.platformOrderId);
    if (!existing) return this.create(tx, d, n, cause);
    // The stale guard: what the order already reflects is never overwritten by an older or equal source time.
    if (n.sourceUpdatedAt < existing.source_updated_at) {
      return this.result(existing, 'stale', `source time ${new Date(n.sourceUpdatedAt).toISOString()} is older than the order's`);
    }
    if (n.sourceUpdatedAt === existing.source_updated_at) return this.result(existing, 'duplicate');
    return this.update(tx, existing, n, cause);
  }

  private async create(tx: Tx, d: Delivery, n: NormalizedOrder, cause: Cause): Promise<OrderResult> {
    const id = newId(d.receivedAt);
    const orderNo = await this.numbers.next(tx, d.receivedAt);
    const amounts = computeAmounts(n);
    const now = d.receivedAt;
    const phones = this.sealedPhones(n.buyer.phone, n.receiver.phone);
    await tx.run(
      `INSERT INTO orders (id, tenant_id, order_no, channel, account_id, platform_order_id, status, platform_status, payment_status,
         fulfilment_status, aftersale_status, reservation_state, currency, goods_amount, line_discount_amount, shipping_fee,
         discount_platform, discount_seller, tax_amount, total_amount, paid_amount, buyer_id, buyer_name, buyer_phone, buyer_phone_hash, receiver_name,
         receiver_phone, receiver_phone_hash, receiver_province, receiver_city, receiver_district, receiver_address, platform_created_at,
         source_updated_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending_payment', ?, 'unpaid', 'unfulfilled', 'none', 'none', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        d.tenantId,
        orderNo,
        d.channel,
        d.accountId,
        n.platformOrderId,
        n.platformStatus,
        n.currency,
        amounts.goodsAmount,
        amounts.lineDiscountAmount,
        n.shippingFee,
        n.discountPlatform,
        n.discountSeller,
        n.tax ?? 0,
        amounts.totalAmount,
        n.paidAmount,
        n.buyer.id ?? null,
        n.buyer.name ?? null,
        ...phones.slice(0, 2),
        n.receiver.name,
        ...phones.slice(2),
        n.receiver.province,
        n.receiver.city,
        n.receiver.district,
        this.keyring.encrypt(n.receiver.address),
        n.platformCreatedAt,
        n.sourceUpdatedAt,
        now,
        now,
      ],
    );
    let lineNo = 0;
    const lines: ReservableLine[] = [];
    for (const l of n.lines) {
      const hubSku = await tx.get<{ sku: string | null }>(resolveSkuSql, [
        d.tenantId,
        d.accountId,
        l.sku,
        d.tenantId,
        l.sku,
        d.tenantId,
        l.sku,
      ]);
      await tx.run(
        `INSERT INTO order_lines (tenant_id, order_id, line_no, sku, external_sku, title, quantity, unit_price, discount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [d.tenantId, id, ++lineNo, hubSku?.sku ?? null, l.sku, l.title, l.quantity, l.unitPrice, l.discount],
      );
      lines.push({ sku: hubSku?.sku ?? null, external_sku: l.sku, quantity: l.quantity });
    }
    const o: OrderState = {
      id,
      tenant_id: d.tenantId,
      order_no: orderNo,
      channel: d.channel,
      account_id: d.accountId,
      platform_order_id: n.platformOrderId,
      status: 'pending_payment',
      payment_status: 'unpaid',
      fulfilment_status: 'unfulfilled',
      reservation_state: 'none',
      hold_code: null,
      hold_reason: null,
      cancel_cause: null,
      total_amount: amounts.totalAmount,
      paid_amount: n.paidAmount,
      paid_at: null,
      cancelled_at: null,
    };
    await appendHistory(tx, {
      tenantId: d.tenantId,
      orderId: id,
      at: now,
      kind: 'created',
      to: 'pending_payment',
      cause: cause.cause,
      sourceTime: n.sourceUpdatedAt,
      rawEventId: cause.rawEventId,
      detail: { platformStatus: n.platformStatus },
    });
    await appendEvent(tx, {
      tenantId: d.tenantId,
      type: 'order.created',
      aggregateType: 'order',
      aggregateId: id,
      at: now,
      payload: {
        orderId: id,
        orderNo,
        channel: d.channel,
        accountId: d.accountId,
        platformOrderId: n.platformOrderId,
        totalAmount: amounts.totalAmount,
        currency: n.currency,
      },
    });
    // Status first, stock second: an order that arrives paid takes its stock in one step, with no hold and no timer.
    // An order first seen cancelled never needed stock.
    const refused = await this.moveReported(tx, o, n, cause);
    if (o.status !== 'cancelled') await tryReserve(tx, o, cause, this.settings, 'STOCK_SHORT', lines);
    return this.result(o, 'created', refused);
  }

  /** Moves to the status the platform reports; a move the anchor forbids is recorded, never forced. */
  private async moveReported(tx: Tx, o: OrderState, n: NormalizedOrder, cause: Cause): Promise<string | undefined> {
    if (o.status === n.status) return undefined;
    let path: OrderStatus[];
    try {
      path = planMove(o, n.status, cause.source);
    } catch (e) {
      if (!(e instanceof HubError)) throw e;
      await appendHistory(tx, {
        tenantId: o.tenant_id,
        orderId: o.id,
        at: cause.at,
        kind: 'ignored',
        from: o.status,
        to: n.status,
        cause: cause.cause,
        sourceTime: cause.sourceTime,
        rawEventId: cause.rawEventId,
        detail: { code: e.code, message: e.message, platformStatus: n.platformStatus },
      });
      return e.message;
    }
    await applyMove(tx, o, path, cause, this.settings);
    return undefined;
  }

  private async update(tx: Tx, o: OrderState & { source_updated_at: number }, n: NormalizedOrder, cause: Cause): Promise<OrderResult> {
    const before = o.status;
    o.paid_amount = n.paidAmount;
    const phones = this.sealedPhones(n.buyer.phone, n.receiver.phone);
    await tx.run(
      `UPDATE orders SET platform_status = ?, source_updated_at = ?, paid_amount = ?, buyer_name = COALESCE(?, buyer_name),
         buyer_phone = COALESCE(?, buyer_phone), buyer_phone_hash = COALESCE(?, buyer_phone_hash), receiver_name = ?, receiver_phone = ?,
         receiver_phone_hash = ?, receiver_province = ?, receiver_city = ?, receiver_district = ?, receiver_address = ?, updated_at = ?
       WHERE id = ?`,
      [
        n.platformStatus,
        n.sourceUpdatedAt,
        n.paidAmount,
        n.buyer.name ?? null,
        ...phones.slice(0, 2),
        n.receiver.name,
        ...phones.slice(2),
        n.receiver.province,
        n.receiver.city,
        n.receiver.district,
        this.keyring.encrypt(n.receiver.address),
        cause.at,
        o.id,
      ],
    );
    const refused = await this.moveReported(tx, o, n, cause);
    if (refused) return this.result(o, 'refused_transition', refused);
    return this.result(o, o.status === before ? 'unchanged' : 'updated');
  }
}

// Ingestion: keep the raw delivery, drop duplicates and stale updates, then create or move the order.
import { createHash } from 'node:crypto';
import { computeAmounts, dayInZone, formatOrderNo, type NormalizedOrder } from '../domain/order.ts';
import { HubError } from '../../../kernel/errors.ts';
import type { Database, Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { newId } from '../../../kernel/ids.ts';
import type { OrderStatus } from '../domain/machine.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import { raiseAlert } from '../../health/alerts.ts';
import { lockStock, skuCatalog } from '../../inventory/store/stock.ts';
import { resolveSkuCode, skusAliasedFrom } from '../../inventory/store/catalogue.ts';
import { lockUnshippedShipmentsOf } from '../../fulfilment/store/shipments.ts';
import { insertRawEvent, rawEventDeliveredAgain, recordRawOutcome } from '../../channels/store/raw-events.ts';
import { lockOrders } from '../store/orders.ts';
import { LockOrderRetry, pgTextArray } from '../../../platform/db/unit-of-work.ts';
import {
  applyMove,
  applyPlatformHold,
  orderStateColumns,
  planMove,
  saveOrder,
  tryReserve,
  type Cause,
  type LifecycleSettings,
  type OrderState,
  type ReservableLine,
} from '../lifecycle.ts';

export interface Delivery {
  tenantId: string;
  accountId: string;
  channel: string;
  eventId: string;
  receivedAt: number;
  headers: Record<string, string>;
  rawBody: Buffer;
  orders: NormalizedOrder[];
  /** How it came: a platform push (the default), the hub's scheduled pull, or a fetch of orders a push announced. */
  via?: 'push' | 'pull' | 'fetch';
  /**
   * Its personal data already encrypted and hashed (sealDelivery). With the SQLite writer thread the HTTP thread
   * does this before handing the delivery over, so the one writer spends its time on statements only.
   */
  sealed?: SealedDelivery;
}

/** A delivery's values as stored: the body encrypted with its digest, and per order the phones and address. */
export interface SealedDelivery {
  body: string;
  bodySha256: string;
  orders: SealedOrder[];
}

/** Buyer phone and its index hash, receiver phone and its index hash, receiver address: encrypted or keyed hashes. */
export interface SealedOrder {
  phones: [string | null, string | null, string, string];
  address: string;
}

/**
 * The buyer's and the receiver's phone as stored: encrypted, and keyed hashes for exact search. Most orders name
 * one number for both: it is sealed once (the index hash shows the two are equal anyway).
 */
function sealOrder(keyring: Keyring, n: NormalizedOrder): SealedOrder {
  const receiver = n.receiver.phone;
  const buyer = n.buyer.phone;
  const r: [string, string] = [keyring.encrypt(receiver), keyring.indexHash(receiver)];
  const phones: SealedOrder['phones'] =
    buyer === null || buyer === undefined || buyer === '' ? [null, null, ...r] : buyer === receiver ? [...r, ...r] : [keyring.encrypt(buyer), keyring.indexHash(buyer), ...r];
  return { phones, address: keyring.encrypt(n.receiver.address) };
}

/** Encrypts and hashes what a delivery stores of personal data; the payload is kept encrypted like the order's columns. */
export function sealDelivery(keyring: Keyring, d: Delivery): SealedDelivery {
  return {
    body: keyring.encrypt(d.rawBody.toString('utf8')),
    bodySha256: createHash('sha256').update(d.rawBody).digest('hex'),
    orders: d.orders.map((n) => sealOrder(keyring, n)),
  };
}

/** Re-applies a stored raw event after a mapping fix: the same source time is applied again, an older one is not. */
export interface Replay {
  tenantId: string;
  accountId: string;
  channel: string;
  rawEventId: number;
  at: number;
  /** Who asked, for the history's cause. */
  by: string;
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



const storedExtra = 'source_updated_at, goods_amount, line_discount_amount, shipping_fee, discount_platform, discount_seller, tax_amount';
const storedColumns = `${orderStateColumns}, ${storedExtra}`;

/** An order as an update finds it: its state, the platform time it reflects, and its amounts. */
type StoredOrder = OrderState & {
  source_updated_at: number;
  goods_amount: number;
  line_discount_amount: number;
  shipping_fee: number;
  discount_platform: number;
  discount_seller: number;
  tax_amount: number;
};

export class IngestService {
  /** SKU codes already resolved, on SQLite: see resolveSku. */
  private readonly skus = new Map<string, string | null>();
  private skusStamp = '';

  constructor(
    private readonly settings: LifecycleSettings,
    private readonly numbers: OrderNumbers,
    private readonly keyring: Keyring,
  ) {}

  /**
   * A batch on PostgreSQL holds its locks until it commits, and other lanes and operators lock the same rows: it takes
   * them all up front, in the one lock order (unit-of-work.ts) — the orders it will update by id, their parcels not yet
   * shipped, then every stock row its lines may reserve by SKU — so no two writers ever wait on each other in a circle. SQLite has one writer:
   * nothing to order there (each item keeps the order alone, see GroupCommitter).
   */
  async lockFor(tx: Tx, deliveries: readonly Delivery[]): Promise<void> {
    if (tx.dialect !== 'postgres') return;
    const accounts: string[] = [];
    const platformIds: string[] = [];
    for (const d of deliveries) {
      for (const o of d.orders) {
        accounts.push(d.accountId);
        platformIds.push(o.platformOrderId);
      }
    }
    if (accounts.length) {
      // One statement finds and locks them, in id order; the ledger learns them as this batch's first locks.
      const rows = await tx.all<{ id: string }>(
        `SELECT id FROM orders WHERE (account_id, platform_order_id) IN (SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY id FOR UPDATE`,
        [pgTextArray(accounts), pgTextArray(platformIds)],
      );
      const ids = rows.map((r) => r.id);
      tx.locks.take('order', ids);
      // A cancellation (or a shipment made elsewhere) takes a routed order out of its parcels: those are next in order.
      if (ids.length) await lockUnshippedShipmentsOf(tx, ids);
    }
    const codes = [...new Set(deliveries.flatMap((d) => d.orders.flatMap((o) => o.lines.map((l) => l.sku))))].sort();
    if (codes.length === 0) return;
    for (const tenant of [...new Set(deliveries.map((d) => d.tenantId))].sort()) {
      // Every SKU a line may resolve to: its own code and what the tenant's aliases map it to.
      await lockStock(tx, tenant, [...codes, ...(await skusAliasedFrom(tx, tenant, codes))]);
    }
  }

  /**
   * The hub SKU a platform's SKU code names: the account's alias, the tenant's alias, or the code itself; null when
   * the hub does not know it. On SQLite this thread is the only writer, so answers are kept until the catalogue
   * changes, here (skuCatalog.version) or through another connection such as the CLI (SQLite's data_version). On
   * PostgreSQL other processes write too: every code is looked up.
   */
  private async resolveSku(tx: Tx, tenantId: string, accountId: string, code: string): Promise<string | null> {
    if (tx.dialect !== 'sqlite') {
      return resolveSkuCode(tx, tenantId, accountId, code);
    }
    const key = `${tenantId}\u0000${accountId}\u0000${code}`;
    const known = this.skus.get(key);
    if (known !== undefined) return known;
    const sku = await resolveSkuCode(tx, tenantId, accountId, code);
    if (this.skus.size >= 100_000) this.skus.clear();
    this.skus.set(key, sku);
    return sku;
  }

  /** Drops remembered SKU codes when the catalogue may have changed since they were read (SQLite only). */
  private async checkSkuCache(tx: Tx): Promise<void> {
    if (tx.dialect !== 'sqlite') return;
    const dataVersion = (await tx.get<{ data_version: number }>('PRAGMA data_version'))?.data_version ?? 0;
    const stamp = `${skuCatalog.version}:${dataVersion}`;
    if (stamp !== this.skusStamp) {
      this.skus.clear();
      this.skusStamp = stamp;
    }
  }

  /** Applies one verified delivery inside the caller's transaction. */
  async apply(tx: Tx, d: Delivery): Promise<DeliveryResult> {
    await this.checkSkuCache(tx);
    const sealed = d.sealed ?? sealDelivery(this.keyring, d);
    const bodySha = sealed.bodySha256;
    const inserted = await insertRawEvent(tx, {
      tenantId: d.tenantId,
      channel: d.channel,
      accountId: d.accountId,
      eventId: d.eventId,
      receivedAt: d.receivedAt,
      headers: d.headers,
      body: sealed.body,
      bodySha256: bodySha,
      via: d.via ?? 'push',
    });
    if (inserted === undefined) return this.redelivery(tx, d, bodySha);

    const rawEventId = inserted;
    const results: OrderResult[] = [];
    const cause = `${d.channel} ${d.via ?? 'push'} ${d.eventId}`;
    for (const [i, n] of d.orders.entries()) results.push(await this.applyOrder(tx, d, n, sealed.orders[i], rawEventId, cause, false));
    // A delivery that carries no order (a refund notice, a topic not taken yet) is kept as it came.
    const outcome = results.length === 1 ? (results[0] as OrderResult).outcome : results.length === 0 ? 'no_order' : 'batch';
    await recordRawOutcome(tx, rawEventId, {
      outcome,
      orderId: results[0]?.orderId ?? null,
      detail: results.some((r) => r.detail) ? JSON.stringify(results.map((r) => r.detail ?? null)) : null,
    });
    return { rawEventId, duplicateDelivery: false, orders: results };
  }

  private async redelivery(tx: Tx, d: Delivery, bodySha: string): Promise<DeliveryResult> {
    const prior = await rawEventDeliveredAgain(tx, d.accountId, d.eventId, d.receivedAt);
    if (!prior) throw new Error('raw event vanished during redelivery');
    // A different body under the same event id is refused (and its count rolls back with this item).
    if (prior.body_sha256 !== bodySha) {
      throw new HubError('CONFLICT', `event id ${d.eventId} was already delivered with a different body`, { rawEventId: prior.id });
    }
    const orders: OrderResult[] = [];
    for (const n of d.orders) {
      const o = await this.readOrder(tx, d.accountId, n.platformOrderId);
      if (o) orders.push(this.result(o, 'duplicate'));
    }
    return { rawEventId: prior.id, duplicateDelivery: true, orders };
  }

  /** The order a platform's id names, locked (a batch locked it up front; a replay or a lone delivery locks it here). */
  private async findOrder(tx: Tx, accountId: string, platformOrderId: string): Promise<StoredOrder | undefined> {
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
  private async readOrder(tx: Tx, accountId: string, platformOrderId: string): Promise<StoredOrder | undefined> {
    return tx.get<StoredOrder>(`SELECT ${storedColumns} FROM orders WHERE account_id = ? AND platform_order_id = ?`, [accountId, platformOrderId]);
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

  /** Applies a stored raw event's orders again (after a mapping fix), and records the new outcome on the event. */
  async replay(tx: Tx, r: Replay): Promise<OrderResult[]> {
    await this.checkSkuCache(tx);
    const d = { tenantId: r.tenantId, accountId: r.accountId, channel: r.channel, receivedAt: r.at };
    const results: OrderResult[] = [];
    for (const n of r.orders) results.push(await this.applyOrder(tx, d, n, undefined, r.rawEventId, `replay of raw event ${r.rawEventId} by ${r.by}`, true));
    const outcome = results.length === 1 ? (results[0] as OrderResult).outcome : results.length === 0 ? 'no_order' : 'batch';
    await recordRawOutcome(tx, r.rawEventId, {
      outcome,
      orderId: results[0]?.orderId ?? null,
      detail: results.some((x) => x.detail) ? JSON.stringify(results.map((x) => x.detail ?? null)) : null,
      keepOrder: true,
    });
    return results;
  }

  private async applyOrder(
    tx: Tx,
    d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>,
    n: NormalizedOrder,
    sealedOrder: SealedOrder | undefined,
    rawEventId: number,
    causeText: string,
    replay: boolean,
  ): Promise<OrderResult> {
    const sealed = sealedOrder ?? sealOrder(this.keyring, n);
    const cause: Cause = {
      source: 'platform',
      cause: causeText,
      at: d.receivedAt,
      sourceTime: n.sourceUpdatedAt,
      rawEventId,
      cancelCause: 'platform',
    };
    const existing = await this.findOrder(tx, d.accountId, n.platformOrderId);
    if (!existing) return this.create(tx, d, n, sealed, cause);
    // The stale guard: what the order already reflects is never overwritten by an older or equal source time.
    if (n.sourceUpdatedAt < existing.source_updated_at) {
      return this.result(existing, 'stale', `source time ${new Date(n.sourceUpdatedAt).toISOString()} is older than the order's`);
    }
    if (n.sourceUpdatedAt === existing.source_updated_at && !replay) return this.result(existing, 'duplicate');
    return this.update(tx, d, existing, n, sealed, cause);
  }

  /**
   * The hold the platform's state asks for: an ambiguous or unknown status (from the adapter), or parts that do not
   * add up to the platform's own total. Unknown statuses and mismatches are alerted too, once per value.
   */
  private async platformHold(tx: Tx, d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>, n: NormalizedOrder) {
    let hold = n.hold ?? null;
    if (!hold && n.platformTotal !== undefined) {
      const total = computeAmounts(n).totalAmount;
      if (total !== n.platformTotal) {
        hold = {
          code: 'AMOUNT_MISMATCH',
          reason: `the parts add up to ${total} but the platform's total is ${n.platformTotal} (${n.currency} minor units): kept as sent, check before shipping`,
        };
      }
    }
    if (hold?.code === 'STATUS_UNKNOWN' || hold?.code === 'AMOUNT_MISMATCH') {
      await raiseAlert(tx, {
        tenantId: d.tenantId,
        accountId: d.accountId,
        platform: d.channel,
        kind: hold.code === 'STATUS_UNKNOWN' ? 'status_unknown' : 'amount_mismatch',
        key: hold.code === 'STATUS_UNKNOWN' ? n.platformStatus : 'amounts',
        message: hold.reason,
        detail: { platformOrderId: n.platformOrderId, platformStatus: n.platformStatus },
        at: d.receivedAt,
      });
    }
    return hold;
  }

  private async create(
    tx: Tx,
    d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>,
    n: NormalizedOrder,
    sealed: SealedOrder,
    cause: Cause,
  ): Promise<OrderResult> {
    const id = newId(d.receivedAt);
    tx.locks.created('order', id);
    const orderNo = await this.numbers.next(tx, d.receivedAt);
    const amounts = computeAmounts(n);
    const now = d.receivedAt;
    const phones = sealed.phones;
    await tx.run(
      `INSERT INTO orders (id, tenant_id, order_no, channel, account_id, platform_order_id, status, platform_status, payment_status,
         fulfilment_status, aftersale_status, reservation_state, currency, goods_amount, line_discount_amount, shipping_fee,
         discount_platform, discount_seller, tax_amount, total_amount, paid_amount, buyer_id, buyer_name, buyer_phone, buyer_phone_hash, receiver_name,
         receiver_phone, receiver_phone_hash, receiver_province, receiver_city, receiver_district, receiver_address, receiver_protection,
         platform_created_at, source_updated_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending_payment', ?, 'unpaid', 'unfulfilled', 'none', 'none', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        sealed.address,
        n.receiverProtection ?? null,
        n.platformCreatedAt,
        n.sourceUpdatedAt,
        now,
        now,
      ],
    );
    let lineNo = 0;
    const lines: ReservableLine[] = [];
    for (const l of n.lines) {
      const hubSku = await this.resolveSku(tx, d.tenantId, d.accountId, l.sku);
      await tx.run(
        `INSERT INTO order_lines (tenant_id, order_id, line_no, sku, external_sku, title, quantity, unit_price, discount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [d.tenantId, id, ++lineNo, hubSku, l.sku, l.title, l.quantity, l.unitPrice, l.discount],
      );
      lines.push({ sku: hubSku, external_sku: l.sku, quantity: l.quantity });
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
    const refused = await this.moveReported(tx, o, n, cause, false);
    // tryReserve saves the order, whatever it finds: the move above and the stock are one UPDATE of the new row.
    if (o.status !== 'cancelled') await tryReserve(tx, o, cause, this.settings, 'STOCK_SHORT', lines);
    else await saveOrder(tx, o, now);
    const hold = await this.platformHold(tx, d, n);
    if (hold) await applyPlatformHold(tx, o, hold, cause, this.settings);
    return this.result(o, 'created', refused);
  }

  /** Moves to the status the platform reports; a move the anchor forbids is recorded, never forced. */
  private async moveReported(tx: Tx, o: OrderState, n: NormalizedOrder, cause: Cause, save = true): Promise<string | undefined> {
    // A status that does not say where the order is (ambiguous, unknown) leaves it where it is.
    if (n.status === null || o.status === n.status) return undefined;
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
    await applyMove(tx, o, path, cause, this.settings, save);
    return undefined;
  }

  private async update(
    tx: Tx,
    d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>,
    o: StoredOrder,
    n: NormalizedOrder,
    sealed: SealedOrder,
    cause: Cause,
  ): Promise<OrderResult> {
    const before = o.status;
    const holdBefore = o.hold_code;
    const edited = await this.updateAmounts(tx, o, n, cause);
    o.paid_amount = n.paidAmount;
    const phones = sealed.phones;
    await tx.run(
      `UPDATE orders SET platform_status = ?, source_updated_at = ?, paid_amount = ?, buyer_name = COALESCE(?, buyer_name),
         buyer_phone = COALESCE(?, buyer_phone), buyer_phone_hash = COALESCE(?, buyer_phone_hash), receiver_name = ?, receiver_phone = ?,
         receiver_phone_hash = ?, receiver_province = ?, receiver_city = ?, receiver_district = ?, receiver_address = ?,
         receiver_protection = ?, updated_at = ?
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
        sealed.address,
        n.receiverProtection ?? null,
        cause.at,
        o.id,
      ],
    );
    const refused = await this.moveReported(tx, o, n, cause);
    await applyPlatformHold(tx, o, await this.platformHold(tx, d, n), cause, this.settings);
    if (refused) return this.result(o, 'refused_transition', refused);
    return this.result(o, o.status === before && o.hold_code === holdBefore && !edited ? 'unchanged' : 'updated');
  }

  /**
   * The platform's numbers win: a price changed before payment (改价), a discount known only after payment, a
   * Shopify order edit. Line prices follow when the lines are the same SKUs and quantities; when the lines
   * themselves changed, the order keeps its lines and stock and is held for a person (ORDER_EDITED).
   */
  private async updateAmounts(tx: Tx, o: StoredOrder, n: NormalizedOrder, cause: Cause): Promise<boolean> {
    const a = computeAmounts(n);
    const tax = n.tax ?? 0;
    if (
      a.goodsAmount === Number(o.goods_amount) &&
      a.lineDiscountAmount === Number(o.line_discount_amount) &&
      n.shippingFee === Number(o.shipping_fee) &&
      n.discountPlatform === Number(o.discount_platform) &&
      n.discountSeller === Number(o.discount_seller) &&
      tax === Number(o.tax_amount)
    ) {
      return false;
    }
    const stored = await tx.all<{ line_no: number; external_sku: string; quantity: number; unit_price: number; discount: number }>(
      'SELECT line_no, external_sku, quantity, unit_price, discount FROM order_lines WHERE order_id = ? ORDER BY line_no',
      [o.id],
    );
    const sameLines = stored.length === n.lines.length && stored.every((l, i) => l.external_sku === n.lines[i]?.sku && l.quantity === n.lines[i]?.quantity);
    if (sameLines) {
      for (const [i, l] of stored.entries()) {
        const nl = n.lines[i] as NormalizedOrder['lines'][number];
        if (nl.unitPrice !== Number(l.unit_price) || nl.discount !== Number(l.discount)) {
          await tx.run('UPDATE order_lines SET unit_price = ?, discount = ? WHERE order_id = ? AND line_no = ?', [nl.unitPrice, nl.discount, o.id, l.line_no]);
        }
      }
    }
    const before = { total: o.total_amount, goods: Number(o.goods_amount), shipping: Number(o.shipping_fee), discountPlatform: Number(o.discount_platform), discountSeller: Number(o.discount_seller), tax: Number(o.tax_amount) };
    const after = { total: a.totalAmount, goods: a.goodsAmount, shipping: n.shippingFee, discountPlatform: n.discountPlatform, discountSeller: n.discountSeller, tax };
    await tx.run(
      `UPDATE orders SET goods_amount = ?, line_discount_amount = ?, shipping_fee = ?, discount_platform = ?, discount_seller = ?, tax_amount = ?,
         total_amount = ? WHERE id = ?`,
      [a.goodsAmount, a.lineDiscountAmount, n.shippingFee, n.discountPlatform, n.discountSeller, tax, a.totalAmount, o.id],
    );
    o.total_amount = a.totalAmount;
    await appendHistory(tx, {
      tenantId: o.tenant_id,
      orderId: o.id,
      at: cause.at,
      kind: 'update',
      cause: cause.cause,
      sourceTime: cause.sourceTime,
      rawEventId: cause.rawEventId,
      detail: { amounts: { before, after }, linesChanged: !sameLines },
    });
    await appendEvent(tx, {
      tenantId: o.tenant_id,
      type: 'order.amounts_changed',
      aggregateType: 'order',
      aggregateId: o.id,
      at: cause.at,
      payload: { orderId: o.id, orderNo: o.order_no, channel: o.channel, accountId: o.account_id, platformOrderId: o.platform_order_id, before, after },
    });
    if (!sameLines) {
      await applyPlatformHold(tx, o, { code: 'ORDER_EDITED', reason: 'the platform changed the order’s lines: check the lines and the stock taken for them' }, cause, this.settings);
    }
    return true;
  }
}

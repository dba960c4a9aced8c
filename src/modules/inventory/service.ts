// Stock levels per SKU and warehouse, SKU mapping, and serving held orders once stock or a mapping arrives.
import { HubError } from '../../kernel/errors.ts';
import { toIso } from '../../kernel/time.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { lockStock, skuCatalog } from './store/stock.ts';
import { tryReserve, type LifecycleSettings, type OrderState } from '../orders/lifecycle.ts';
import { lockOrders, matchLines, ordersHeldForStock, ordersUnmatchedFor, skusOfOrders } from '../orders/store/orders.ts';
import { appendAudit } from '../access/audit.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { contains, isUnlimited, type DataScope } from '../../kernel/scope.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from '../access/approvals.ts';
import { ensureWarehouse } from '../fulfilment/store/warehouses.ts';
import { channelAccountExists } from '../channels/queries/accounts.ts';
import { orderNosWithinScope } from '../orders/queries/order-facts.ts';

export interface WarehouseStock {
  warehouse: string;
  onHand: number;
  reserved: number;
  available: number;
  safetyStock: number;
  sellable: number;
  lowStock: boolean;
  updatedAt: string | null;
}

export interface StockView {
  sku: string;
  onHand: number;
  reserved: number;
  /** Units that can still be reserved: on hand − reserved. */
  available: number;
  safetyStock: number;
  /** What may be offered to channels: on hand × sellable ratio − safety stock − reserved, never below 0. */
  sellable: number;
  lowStock: boolean;
  byWarehouse: WarehouseStock[];
}

interface StockRow {
  sku: string;
  warehouse: string;
  on_hand: number;
  reserved: number;
  safety_stock: number;
  updated_at: number;
}

/** One row of a bulk adjustment: a new count (onHand) or a difference (delta); optionally a new safety stock. */
export interface StockAdjustment {
  sku: string;
  warehouse: string;
  onHand?: number | undefined;
  delta?: number | undefined;
  safetyStock?: number | undefined;
}

interface BulkPayload {
  items: StockAdjustment[];
  reason: string;
}

export interface BulkResult {
  changes: {
    sku: string;
    warehouse: string;
    before: { onHand: number; safetyStock: number } | null;
    after: { onHand: number; safetyStock: number };
  }[];
  servedOrders: string[];
}

function warehouseInScope(scope: DataScope, warehouse: string): boolean {
  return contains(scope, 'stock', { warehouses: [warehouse] });
}

export interface StockSettings extends LifecycleSettings {
  sellableRatio: number;
}

export class StockService {
  constructor(
    private readonly db: Database,
    private readonly settings: StockSettings,
    private readonly keyring: Keyring,
    private readonly approvals: ApprovalService,
  ) {}

  private view(sku: string, rows: StockRow[]): StockView {
    const byWarehouse = rows.map((r) => {
      const sellable = Math.max(0, Math.floor(r.on_hand * this.settings.sellableRatio) - r.safety_stock - r.reserved);
      return {
        warehouse: r.warehouse,
        onHand: r.on_hand,
        reserved: r.reserved,
        available: r.on_hand - r.reserved,
        safetyStock: r.safety_stock,
        sellable,
        lowStock: r.on_hand - r.reserved <= r.safety_stock,
        updatedAt: toIso(r.updated_at),
      };
    });
    const sum = (f: (w: WarehouseStock) => number) => byWarehouse.reduce((a, w) => a + f(w), 0);
    const onHand = sum((w) => w.onHand);
    const reserved = sum((w) => w.reserved);
    const safetyStock = sum((w) => w.safetyStock);
    return {
      sku,
      onHand,
      reserved,
      available: onHand - reserved,
      safetyStock,
      sellable: sum((w) => w.sellable),
      lowStock: onHand - reserved <= safetyStock,
      byWarehouse,
    };
  }

  /** One SKU, in the warehouses the principal's scope covers; a SKU not stocked in any of them is not there for it. */
  async get(who: Principal, sku: string): Promise<StockView> {
    const rows = (
      await this.db.read.all<StockRow>(
        'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? AND sku = ? ORDER BY warehouse',
        [who.tenantId, sku],
      )
    ).filter((r) => warehouseInScope(who.scope, r.warehouse));
    if (rows.length === 0) {
      const known = who.scope.warehouses === null && (await this.db.read.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]));
      if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
    }
    return this.view(sku, rows);
  }

  async list(who: Principal, opts: { lowOnly: boolean; limit: number; offset: number }): Promise<{ items: StockView[]; total: number }> {
    const skus = await this.db.read.all<{ sku: string }>('SELECT sku FROM skus WHERE tenant_id = ? ORDER BY sku', [who.tenantId]);
    const rows = await this.db.read.all<StockRow>(
      'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? ORDER BY sku, warehouse',
      [who.tenantId],
    );
    const bySku = new Map<string, StockRow[]>();
    for (const r of rows) if (warehouseInScope(who.scope, r.warehouse)) bySku.set(r.sku, [...(bySku.get(r.sku) ?? []), r]);
    // A warehouse-scoped principal sees the SKUs stocked in its warehouses only.
    let views = skus.filter((s) => who.scope.warehouses === null || bySku.has(s.sku)).map((s) => this.view(s.sku, bySku.get(s.sku) ?? []));
    if (opts.lowOnly) views = views.filter((v) => v.lowStock);
    return { items: views.slice(opts.offset, opts.offset + opts.limit), total: views.length };
  }

  private checkWarehouse(who: Principal, warehouse: string): void {
    if (!warehouseInScope(who.scope, warehouse)) {
      throw new HubError('FORBIDDEN', `${who.name} may only change stock in: ${(who.scope.warehouses ?? []).join(', ') || 'no warehouse'}`, { warehouse });
    }
  }

  /** Sets the counted stock of a SKU in a warehouse. Refused when it would drop below what is already reserved. */
  async set(
    who: Principal,
    input: { sku: string; warehouse: string; onHand: number; safetyStock?: number | undefined; cause: string },
    now = Date.now(),
  ): Promise<{ stock: StockView; servedOrders: string[] }> {
    this.checkWarehouse(who, input.warehouse);
    const served = await this.db.transaction(async (tx) => {
      // The one lock order: the held orders this stock may serve, then every stock row they (and this count) touch.
      const held = await this.lockHeldOrders(tx, who.tenantId, [input.sku]);
      const change = await this.applyOne(tx, who.tenantId, { sku: input.sku, warehouse: input.warehouse, onHand: input.onHand, safetyStock: input.safetyStock }, now);
      const served = await this.serve(tx, held, `stock set for ${input.sku} (${input.cause})`, now);
      await appendEvent(tx, {
        tenantId: who.tenantId,
        type: 'stock.set',
        aggregateType: 'sku',
        aggregateId: input.sku,
        at: now,
        payload: { sku: input.sku, warehouse: input.warehouse, onHand: change.after.onHand, safetyStock: input.safetyStock ?? null, cause: input.cause },
      });
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'stock.set', targetType: 'stock', targetId: `${input.sku}@${input.warehouse}`, before: change.before, after: change.after, detail: { cause: input.cause } },
        now,
      );
      return served;
    });
    return { stock: await this.get(who, input.sku), servedOrders: await this.visibleOrderNos(who, served) };
  }

  /**
   * One stock row to a new count (onHand) or by a difference (delta), in one conditional upsert: the change applies
   * only if it still covers the reservations and stays at 0 or more.
   */
  private async applyOne(tx: Tx, tenant: string, a: StockAdjustment, now: number) {
    const before = await tx.get<{ on_hand: number; reserved: number; safety_stock: number }>(
      'SELECT on_hand, reserved, safety_stock FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?',
      [tenant, a.sku, a.warehouse],
    );
    if ((await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', ?) ON CONFLICT (tenant_id, sku) DO NOTHING`, [tenant, a.sku, now])) > 0) {
      skuCatalog.version++;
    }
    await ensureWarehouse(tx, tenant, a.warehouse, now);
    const delta = a.onHand === undefined ? (a.delta ?? 0) : null;
    let changed: number;
    if (a.onHand !== undefined) {
      changed = await tx.run(
        `INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE
           SET on_hand = excluded.on_hand, safety_stock = COALESCE(?, stock.safety_stock), updated_at = excluded.updated_at
           WHERE stock.reserved <= excluded.on_hand`,
        [tenant, a.sku, a.warehouse, a.onHand, a.safetyStock ?? 0, now, a.safetyStock ?? null],
      );
    } else {
      // A difference: the row exists first (0 on hand), then one conditional update moves it.
      await tx.run(
        `INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, 0, 0, 0, ?)
         ON CONFLICT (tenant_id, sku, warehouse) DO NOTHING`,
        [tenant, a.sku, a.warehouse, now],
      );
      changed = await tx.run(
        `UPDATE stock SET on_hand = on_hand + ?, safety_stock = COALESCE(?, safety_stock), updated_at = ?
         WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND on_hand + ? >= reserved AND on_hand + ? >= 0`,
        [delta, a.safetyStock ?? null, now, tenant, a.sku, a.warehouse, delta, delta],
      );
    }
    if (changed !== 1) {
      const r = await tx.get<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?', [
        tenant,
        a.sku,
        a.warehouse,
      ]);
      const target = delta === null ? a.onHand : (r?.on_hand ?? 0) + delta;
      throw new HubError(
        'STOCK_BELOW_RESERVED',
        `${a.sku}@${a.warehouse}: on hand ${target} is below the ${r?.reserved ?? 0} units already reserved${(target ?? 0) < 0 ? ' (and below zero)' : ''}; cancel or move those orders first`,
        { sku: a.sku, warehouse: a.warehouse, reserved: r?.reserved ?? 0 },
      );
    }
    const after = (await tx.get<{ on_hand: number; safety_stock: number }>('SELECT on_hand, safety_stock FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?', [
      tenant,
      a.sku,
      a.warehouse,
    ])) as { on_hand: number; safety_stock: number };
    return {
      before: before ? { onHand: Number(before.on_hand), safetyStock: Number(before.safety_stock) } : null,
      after: { onHand: Number(after.on_hand), safetyStock: Number(after.safety_stock) },
    };
  }

  /**
   * Several stock rows at once, all or none (a stock count, a correction after an audit). Needs a second person's
   * approval under the default policy: the answer is then the pending request.
   */
  async requestAdjustments(who: Principal, input: { items: StockAdjustment[]; reason: string }, now = Date.now()): Promise<MaybePending<BulkResult>> {
    const reason = input.reason.trim();
    if (!reason) throw new HubError('VALIDATION_FAILED', 'a stock adjustment needs a reason');
    const seen = new Set<string>();
    input.items.forEach((a, i) => {
      if ((a.onHand === undefined) === (a.delta === undefined)) {
        throw new HubError('VALIDATION_FAILED', `items[${i}] needs exactly one of onHand (a new count) or delta (a difference)`);
      }
      if (a.delta === 0 && a.safetyStock === undefined) throw new HubError('VALIDATION_FAILED', `items[${i}] changes nothing (delta 0)`);
      const key = `${a.sku}@${a.warehouse}`;
      if (seen.has(key)) throw new HubError('VALIDATION_FAILED', `items[${i}]: ${key} is named twice`);
      seen.add(key);
      this.checkWarehouse(who, a.warehouse);
    });
    const payload: BulkPayload = { items: input.items.map((a) => ({ ...a })), reason };
    if (this.approvals.required('stock.bulk_adjust')) {
      const warehouses = [...new Set(input.items.map((a) => a.warehouse))];
      const pending = await this.db.transaction((tx) =>
        this.approvals.open(
          tx,
          who,
          {
            kind: 'stock.bulk_adjust',
            targetType: 'stock',
            targetId: null,
            summary: `${input.items.length} stock rows in ${warehouses.join(', ')}: ${reason}`,
            payload: { ...payload },
          },
          now,
        ),
      );
      return { pending };
    }
    const done = await this.db.transaction((tx) => this.applyBulk(tx, who, payload, null, now));
    return { done: { ...done, servedOrders: await this.visibleOrderNos(who, done.servedOrders) } };
  }

  /** Runs an approved bulk adjustment. */
  async applyAdjustments(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number): Promise<BulkResult> {
    return this.applyBulk(tx, who, payload as unknown as BulkPayload, ctx, now);
  }

  /** The order numbers among these that the principal's scope sees: a stock change serves orders of every shop. */
  private async visibleOrderNos(who: Principal, orderNos: readonly string[]): Promise<string[]> {
    if (orderNos.length === 0 || isUnlimited(who.scope)) return [...orderNos];
    return orderNosWithinScope(this.db.read, who.tenantId, who.scope, orderNos);
  }

  /** Whether a principal sees a bulk request: every warehouse it touches is in scope. */
  visibleTo(who: Principal, payload: Record<string, unknown>): boolean {
    return (payload as unknown as BulkPayload).items.every((a) => warehouseInScope(who.scope, a.warehouse));
  }

  private async applyBulk(tx: Tx, who: Principal, p: BulkPayload, ctx: ApprovalContext | null, now: number): Promise<BulkResult> {
    const changes: BulkResult['changes'] = [];
    const skus = [...new Set(p.items.map((a) => a.sku))].sort();
    const held = await this.lockHeldOrders(tx, who.tenantId, skus);
    for (const a of p.items) {
      this.checkWarehouse(who, a.warehouse);
      const c = await this.applyOne(tx, who.tenantId, a, now);
      changes.push({ sku: a.sku, warehouse: a.warehouse, before: c.before, after: c.after });
    }
    const served = await this.serve(tx, held, `stock adjusted (${p.reason})`, now);
    await appendEvent(tx, {
      tenantId: who.tenantId,
      type: 'stock.adjusted',
      aggregateType: 'stock',
      aggregateId: ctx?.approvalId ?? 'bulk',
      at: now,
      payload: { changes: changes.map((c) => ({ sku: c.sku, warehouse: c.warehouse, onHand: c.after.onHand, safetyStock: c.after.safetyStock })), cause: p.reason },
    });
    await appendAudit(
      tx,
      this.keyring,
      who,
      {
        action: 'stock.bulk_adjust',
        targetType: 'stock',
        targetId: null,
        before: changes.map((c) => ({ sku: c.sku, warehouse: c.warehouse, ...(c.before ?? { onHand: null }) })),
        after: changes.map((c) => ({ sku: c.sku, warehouse: c.warehouse, ...c.after })),
        detail: ctx ? { reason: p.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: p.reason },
      },
      now,
    );
    return { changes, servedOrders: served };
  }

  /**
   * The orders held for short stock of these SKUs (the oldest 500), locked, and then every stock row their lines and
   * these SKUs touch: serving them moves stock of other SKUs too, so all of it is taken up front, in order.
   */
  private async lockHeldOrders(tx: Tx, tenant: string, skus: readonly string[]): Promise<OrderState[]> {
    const candidates = await ordersHeldForStock(tx, tenant, skus, 500);
    const locked = await lockOrders(tx, candidates);
    // Still held once locked (another writer may have served or cancelled one meanwhile), oldest first.
    const held = candidates.map((id) => locked.get(id)).filter((o): o is OrderState => !!o && (o.hold_code === 'STOCK_SHORT' || o.hold_code === 'PAID_NO_STOCK') && o.status !== 'cancelled');
    await lockStock(tx, tenant, [...skus, ...(await skusOfOrders(tx, held.map((o) => o.id)))]);
    return held;
  }

  /** Held orders, oldest first, get another chance at stock (locked by lockHeldOrders). */
  private async serve(tx: Tx, held: readonly OrderState[], cause: string, now: number): Promise<string[]> {
    const served: string[] = [];
    for (const o of held) {
      if (await tryReserve(tx, o, { source: 'system', cause, at: now }, this.settings)) served.push(o.order_no);
    }
    return served;
  }

  /**
   * Maps a platform's SKU code to a hub SKU (for one account, or all when accountId is empty);
   * orders held as "SKU unmatched" are re-matched and reserved.
   */
  async mapSku(
    who: Principal,
    input: { externalSku: string; sku: string; accountId?: string | undefined },
    now = Date.now(),
  ): Promise<{ rematchedOrders: string[] }> {
    const accountId = input.accountId ?? '';
    // A mapping for every account ('') would reach shops outside an account-scoped principal's scope.
    if (!contains(who.scope, 'channel_account', { accounts: [accountId] })) {
      throw new HubError('FORBIDDEN', `${who.name} may only map SKUs for the channel accounts in scope: name one of them as accountId`, {
        accounts: who.scope.accounts,
      });
    }
    const rematched = await this.db.transaction(async (tx) => {
      // An account is named inside the caller's organisation: another seller's account id does not exist here.
      if (accountId !== '') {
        if (!(await channelAccountExists(tx, who.tenantId, accountId))) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${accountId} does not exist`);
      }
      const previous = await tx.get<{ sku: string }>('SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = ? AND external_sku = ?', [
        who.tenantId,
        accountId,
        input.externalSku,
      ]);
      const known = await tx.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, input.sku]);
      if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${input.sku} is not known to the hub; set its stock first`);
      await tx.run(
        `INSERT INTO sku_aliases (tenant_id, account_id, external_sku, sku, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, account_id, external_sku) DO UPDATE SET sku = excluded.sku`,
        [who.tenantId, accountId, input.externalSku, input.sku, now],
      );
      skuCatalog.version++;
      const affected = await ordersUnmatchedFor(tx, who.tenantId, accountId, input.externalSku);
      // The orders first, then every stock row their lines will name once matched (the one lock order).
      const locked = await lockOrders(tx, affected);
      await lockStock(tx, who.tenantId, [input.sku, ...(await skusOfOrders(tx, [...locked.keys()]))]);
      const out: string[] = [];
      for (const order_id of [...locked.keys()]) {
        await matchLines(tx, order_id, input.externalSku, input.sku);
        const o = locked.get(order_id);
        if (o && o.hold_code === 'SKU_UNMATCHED' && o.status !== 'cancelled') {
          await tryReserve(tx, o, { source: 'system', cause: `SKU ${input.externalSku} mapped to ${input.sku}`, at: now }, this.settings);
          out.push(o.order_no);
        }
      }
      await appendEvent(tx, {
        tenantId: who.tenantId,
        type: 'sku.mapped',
        aggregateType: 'sku',
        aggregateId: input.sku,
        at: now,
        payload: { externalSku: input.externalSku, sku: input.sku, accountId: accountId || null, rematchedOrders: out },
      });
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: 'sku.map',
          targetType: 'sku_alias',
          targetId: `${accountId || '*'}:${input.externalSku}`,
          before: previous ? { sku: previous.sku } : null,
          after: { sku: input.sku },
          detail: { rematchedOrders: out },
        },
        now,
      );
      return out;
    });
    return { rematchedOrders: await this.visibleOrderNos(who, rematched) };
  }
}

// Stock levels per SKU and warehouse, SKU mapping, and serving held orders once stock or a mapping arrives.
import { HubError } from '../domain/errors.ts';
import { toIso } from '../domain/time.ts';
import type { Database, Tx } from '../store/db.ts';
import { appendEvent } from '../store/events.ts';
import { orderStateColumns, tryReserve, type LifecycleSettings, type OrderState } from './order-lifecycle.ts';
import { DEFAULT_TENANT } from './tenancy.ts';
import { appendAudit } from '../store/audit.ts';
import type { Principal } from '../domain/principal.ts';
import type { Keyring } from '../security/keyring.ts';

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

export interface StockSettings extends LifecycleSettings {
  sellableRatio: number;
}

export class StockService {
  constructor(
    private readonly db: Database,
    private readonly settings: StockSettings,
    private readonly keyring: Keyring,
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

  async get(sku: string): Promise<StockView> {
    const rows = await this.db.read.all<StockRow>(
      'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? AND sku = ? ORDER BY warehouse',
      [DEFAULT_TENANT, sku],
    );
    if (rows.length === 0) {
      const known = await this.db.read.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [DEFAULT_TENANT, sku]);
      if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
    }
    return this.view(sku, rows);
  }

  async list(opts: { lowOnly: boolean; limit: number; offset: number }): Promise<{ items: StockView[]; total: number }> {
    const skus = await this.db.read.all<{ sku: string }>('SELECT sku FROM skus WHERE tenant_id = ? ORDER BY sku', [DEFAULT_TENANT]);
    const rows = await this.db.read.all<StockRow>(
      'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? ORDER BY sku, warehouse',
      [DEFAULT_TENANT],
    );
    const bySku = new Map<string, StockRow[]>();
    for (const r of rows) bySku.set(r.sku, [...(bySku.get(r.sku) ?? []), r]);
    let views = skus.map((s) => this.view(s.sku, bySku.get(s.sku) ?? []));
    if (opts.lowOnly) views = views.filter((v) => v.lowStock);
    return { items: views.slice(opts.offset, opts.offset + opts.limit), total: views.length };
  }

  /** Sets the counted stock of a SKU in a warehouse. Refused when it would drop below what is already reserved. */
  async set(
    who: Principal,
    input: { sku: string; warehouse: string; onHand: number; safetyStock?: number | undefined; cause: string },
    now = Date.now(),
  ): Promise<{ stock: StockView; servedOrders: string[] }> {
    const served = await this.db.transaction(async (tx) => {
      const before = await tx.get<{ on_hand: number; reserved: number; safety_stock: number }>(
        'SELECT on_hand, reserved, safety_stock FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?',
        [DEFAULT_TENANT, input.sku, input.warehouse],
      );
      await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', ?) ON CONFLICT (tenant_id, sku) DO NOTHING`, [
        DEFAULT_TENANT,
        input.sku,
        now,
      ]);
      await tx.run(
        `INSERT INTO warehouses (tenant_id, code, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO NOTHING`,
        [DEFAULT_TENANT, input.warehouse, input.warehouse, now],
      );
      // One conditional upsert: the new count applies only if it still covers the reservations.
      const changed = await tx.run(
        `INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE
           SET on_hand = excluded.on_hand, safety_stock = COALESCE(?, stock.safety_stock), updated_at = excluded.updated_at
           WHERE stock.reserved <= excluded.on_hand`,
        [DEFAULT_TENANT, input.sku, input.warehouse, input.onHand, input.safetyStock ?? 0, now, input.safetyStock ?? null],
      );
      if (changed !== 1) {
        const r = await tx.get<{ reserved: number }>('SELECT reserved FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?', [
          DEFAULT_TENANT,
          input.sku,
          input.warehouse,
        ]);
        throw new HubError(
          'STOCK_BELOW_RESERVED',
          `${input.sku}@${input.warehouse}: on hand ${input.onHand} is below the ${r?.reserved ?? '?'} units already reserved; cancel or move those orders first`,
          { reserved: r?.reserved ?? null },
        );
      }
      await appendEvent(tx, {
        tenantId: DEFAULT_TENANT,
        type: 'stock.set',
        aggregateType: 'sku',
        aggregateId: input.sku,
        at: now,
        payload: { sku: input.sku, warehouse: input.warehouse, onHand: input.onHand, safetyStock: input.safetyStock ?? null, cause: input.cause },
      });
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: 'stock.set',
          targetType: 'stock',
          targetId: `${input.sku}@${input.warehouse}`,
          before: before ? { onHand: before.on_hand, safetyStock: before.safety_stock } : null,
          after: { onHand: input.onHand, safetyStock: input.safetyStock ?? before?.safety_stock ?? 0 },
          detail: { cause: input.cause },
        },
        now,
      );
      return this.serveHeldOrders(tx, input.sku, `stock set for ${input.sku} (${input.cause})`, now);
    });
    return { stock: await this.get(input.sku), servedOrders: served };
  }

  /** Orders held for short stock of this SKU, oldest first, get another chance. */
  async serveHeldOrders(tx: Tx, sku: string, cause: string, now: number): Promise<string[]> {
    const held = await tx.all<OrderState>(
      `SELECT ${orderStateColumns} FROM orders o
       WHERE o.tenant_id = ? AND o.hold_code IN ('STOCK_SHORT', 'PAID_NO_STOCK') AND o.status <> 'cancelled'
         AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.sku = ?)
       ORDER BY o.created_at LIMIT 500`,
      [DEFAULT_TENANT, sku],
    );
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
    const rematched = await this.db.transaction(async (tx) => {
      const previous = await tx.get<{ sku: string }>('SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = ? AND external_sku = ?', [
        DEFAULT_TENANT,
        accountId,
        input.externalSku,
      ]);
      const known = await tx.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [DEFAULT_TENANT, input.sku]);
      if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${input.sku} is not known to the hub; set its stock first`);
      await tx.run(
        `INSERT INTO sku_aliases (tenant_id, account_id, external_sku, sku, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, account_id, external_sku) DO UPDATE SET sku = excluded.sku`,
        [DEFAULT_TENANT, accountId, input.externalSku, input.sku, now],
      );
      const affected = await tx.all<{ order_id: string }>(
        `SELECT DISTINCT l.order_id FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE l.sku IS NULL AND l.external_sku = ? AND o.tenant_id = ? AND (? = '' OR o.account_id = ?)`,
        [input.externalSku, DEFAULT_TENANT, accountId, accountId],
      );
      const out: string[] = [];
      for (const { order_id } of affected) {
        await tx.run(`UPDATE order_lines SET sku = ? WHERE order_id = ? AND sku IS NULL AND external_sku = ?`, [
          input.sku,
          order_id,
          input.externalSku,
        ]);
        const o = await tx.get<OrderState>(`SELECT ${orderStateColumns} FROM orders WHERE id = ?`, [order_id]);
        if (o && o.hold_code === 'SKU_UNMATCHED' && o.status !== 'cancelled') {
          await tryReserve(tx, o, { source: 'system', cause: `SKU ${input.externalSku} mapped to ${input.sku}`, at: now }, this.settings);
          out.push(o.order_no);
        }
      }
      await appendEvent(tx, {
        tenantId: DEFAULT_TENANT,
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
    return { rematchedOrders: rematched };
  }
}

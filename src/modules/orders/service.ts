// Reading orders (list, 360° detail) and the operator's and timers' decisions on them: a thin façade that builds the
// module's deps once and hands each call to its use case (commands/ for writes, queries/ for reads), so the command
// registry (app/commands.ts), the hub and every caller keep naming one service and its methods.
import type { Database, Tx } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from '../access/approvals.ts';
import type { LifecycleSettings } from './lifecycle.ts';
import type { OrderDeps } from './deps.ts';
import type { PiiView } from './views.ts';
import type { OrderFilter } from './queries/order-filter.ts';
import { countOrders } from './queries/count-orders.ts';
import { exportOrderPages, exportOrderRows, exportOrders, type ExportCounts, type OrderExportRow } from './queries/export-orders.ts';
import { listOrders } from './queries/list-orders.ts';
import { resolveOrderId } from './queries/resolve-order-id.ts';
import { orderDetail, type OrderDetail } from './queries/order-detail.ts';
import { orderVisibleTo } from './queries/order-visible-to.ts';
import { transitionOrder } from './commands/transition-order.ts';
import { applyCancelPaid } from './commands/apply-cancel-paid.ts';
import { requestPriceChange, type PriceChangeInput } from './commands/request-price-change.ts';
import { applyPriceChange } from './commands/apply-price-change.ts';
import { setSellerRemark, type SellerRemarkInput } from './commands/set-seller-remark.ts';
import { addOrderNote } from './commands/add-order-note.ts';
import { retryReservation } from './commands/retry-reservation.ts';
import { expireUnpaid } from './commands/expire-unpaid.ts';

// Where these lived before the split; importers keep naming this file.
export { orderSorts, scoped, type OrderFilter, type OrderSort } from './queries/order-filter.ts';
export type { OrderSummary, PiiView } from './views.ts';
export type { ExportCounts, OrderExportRow } from './queries/export-orders.ts';
export { contentDisposition, exportColumns, exportFileName, exportLayouts, sheetRows, type ExportLayout } from './queries/export-sheet.ts';
export type { OrderDetail } from './queries/order-detail.ts';
export type { PriceChangeInput } from './commands/request-price-change.ts';
export type { PriceChangePayload } from './commands/apply-price-change.ts';

import { unmatchedCodes, type UnmatchedCode } from './queries/unmatched-codes.ts';

export class OrderService {
  private readonly deps: OrderDeps;

  constructor(db: Database, settings: LifecycleSettings, keyring: Keyring, approvals: ApprovalService) {
    this.deps = { db, settings, keyring, approvals };
  }

  /** Platform codes order lines wait on (商品未匹配), by shop, with their held orders. */
  unmatchedCodes(who: Principal, limit = 500): Promise<UnmatchedCode[]> {
    return unmatchedCodes(this.deps, who, limit);
  }

  count(who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>): Promise<number> {
    return countOrders(this.deps, who, f);
  }

  export(
    who: Principal,
    f: Omit<OrderFilter, 'page' | 'pageSize'>,
    pii: PiiView,
    record: (entry: { action: string; targetType: string; targetId: null; detail: unknown }) => Promise<void>,
  ): Promise<{ total: number; counts: ExportCounts; rows: AsyncGenerator<OrderExportRow> }> {
    return exportOrders(this.deps, who, f, pii, record);
  }

  /** The export's orders a page at a time (what the rows generator flattens). */
  exportPages(who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>, pii: PiiView, pageSize = 1000): AsyncGenerator<OrderExportRow[]> {
    return exportOrderPages(this.deps, who, f, pii, pageSize);
  }

  exportRows(who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>, pii: PiiView, pageSize = 1000): AsyncGenerator<OrderExportRow> {
    return exportOrderRows(this.deps, who, f, pii, pageSize);
  }

  list(who: Principal, f: OrderFilter) {
    return listOrders(this.deps, who, f);
  }

  resolveId(idOrOrderNo: string, who: Principal): Promise<string> {
    return resolveOrderId(this.deps, idOrOrderNo, who);
  }

  get(who: Principal, idOrOrderNo: string, pii: PiiView = { reveal: false }): Promise<OrderDetail> {
    return orderDetail(this.deps, who, idOrOrderNo, pii);
  }

  transition(who: Principal, idOrOrderNo: string, to: string, reason: string, now = Date.now()): Promise<MaybePending<OrderDetail>> {
    return transitionOrder(this.deps, who, idOrOrderNo, to, reason, now);
  }

  applyCancelPaid(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number) {
    return applyCancelPaid(this.deps, tx, who, payload, ctx, now);
  }

  visibleTo(who: Principal, orderId: string | null): Promise<boolean> {
    return orderVisibleTo(this.deps, who, orderId);
  }

  requestPriceChange(who: Principal, idOrOrderNo: string, input: PriceChangeInput, now = Date.now()): Promise<MaybePending<OrderDetail>> {
    return requestPriceChange(this.deps, who, idOrOrderNo, input, now);
  }

  applyPriceChange(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number) {
    return applyPriceChange(this.deps, tx, who, payload, ctx, now);
  }

  addNote(who: Principal, idOrOrderNo: string, text: string, now = Date.now()): Promise<OrderDetail> {
    return addOrderNote(this.deps, who, idOrOrderNo, text, now);
  }

  /** The seller's remark and flag (卖家备注/旗帜), kept on the order and written back to the platform. */
  setSellerRemark(who: Principal, idOrOrderNo: string, input: SellerRemarkInput, now = Date.now()): Promise<OrderDetail> {
    return setSellerRemark(this.deps, who, idOrOrderNo, input, now);
  }

  /** The hub wakes the outbound worker through this when a remark is due for the platform. */
  set onRemark(fn: (() => void) | undefined) {
    this.deps.onRemark = fn;
  }

  retryReservation(who: Principal, idOrOrderNo: string, now = Date.now()) {
    return retryReservation(this.deps, who, idOrOrderNo, now);
  }

  expireUnpaid(timer: { id: number; ref: string; claim?: string }, now = Date.now()): Promise<'cancelled' | 'skipped'> {
    return expireUnpaid(this.deps, timer, now);
  }
}

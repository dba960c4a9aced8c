// What a request would change, per kind, read from its stored payload: the decider sees SKUs, quantities and
// old → new values (money in minor units with its currency; the console formats and translates it). Pure: no I/O.
import type { ApprovalKind } from './domain/approvals.ts';

type Change = { from: number; to: number };

export type ApprovalDiff =
  | {
      kind: 'order.price_change';
      orderId: string;
      orderNo: string;
      currency: string;
      lines: { lineNo: number; sku: string; quantity: number; unitPrice: Change; discount: Change }[];
      shippingFee: Change | null;
      discountSeller: Change | null;
      total: Change;
    }
  | { kind: 'order.cancel_paid'; orderId: string; orderNo: string; currency: string | null; status: { from: string; to: 'cancelled' }; paidAmount: number }
  | {
      kind: 'stock.bulk_adjust';
      /** before: on hand when the request was made (0 for a row that did not exist; null for a request older than this view). */
      rows: { sku: string; warehouse: string; before: number | null; after: number | null; delta: number | null; safetyStock: { from: number | null; to: number } | null }[];
    }
  | { kind: 'channel_account.delete'; accountId: string; name: string; platform: string }
  | { kind: 'user.delete'; userId: string; username: string };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const change = (v: unknown): Change | null => {
  const o = v as { from?: unknown; to?: unknown } | null;
  const from = num(o?.from);
  const to = num(o?.to);
  return from === null || to === null ? null : { from, to };
};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Record<string, unknown>[]) : []);

/** The diff of a stored request; null when its payload does not carry one (a shape this version does not know). */
export function approvalDiff(kind: ApprovalKind, p: Record<string, unknown>): ApprovalDiff | null {
  switch (kind) {
    case 'order.price_change': {
      const total = change(p.total);
      if (!total) return null;
      return {
        kind,
        orderId: str(p.orderId),
        orderNo: str(p.orderNo),
        currency: str(p.currency),
        lines: list(p.lines).map((l) => {
          const from = l.from as { unitPrice?: unknown; discount?: unknown } | undefined;
          const to = l.to as { unitPrice?: unknown; discount?: unknown } | undefined;
          return {
            lineNo: num(l.lineNo) ?? 0,
            sku: str(l.sku),
            quantity: num(l.quantity) ?? 0,
            unitPrice: { from: num(from?.unitPrice) ?? 0, to: num(to?.unitPrice) ?? 0 },
            discount: { from: num(from?.discount) ?? 0, to: num(to?.discount) ?? 0 },
          };
        }),
        shippingFee: change(p.shippingFee),
        discountSeller: change(p.discountSeller),
        total,
      };
    }
    case 'order.cancel_paid':
      return {
        kind,
        orderId: str(p.orderId),
        orderNo: str(p.orderNo),
        currency: typeof p.currency === 'string' ? p.currency : null,
        status: { from: str(p.status), to: 'cancelled' },
        paidAmount: num(p.paidAmount) ?? 0,
      };
    case 'stock.bulk_adjust': {
      const before = list(p.before);
      return {
        kind,
        rows: list(p.items).map((a) => {
          const b = before.find((x) => x.sku === a.sku && x.warehouse === a.warehouse);
          const was = b ? num(b.onHand) : null;
          const delta = num(a.delta);
          const onHand = num(a.onHand);
          const after = onHand ?? (delta !== null && was !== null ? was + delta : null);
          const safety = num(a.safetyStock);
          return {
            sku: str(a.sku),
            warehouse: str(a.warehouse),
            before: was,
            after,
            delta: onHand !== null ? (was === null ? null : onHand - was) : delta,
            safetyStock: safety === null ? null : { from: b ? num(b.safetyStock) : null, to: safety },
          };
        }),
      };
    }
    case 'channel_account.delete':
      return { kind, accountId: str(p.accountId), name: str(p.name), platform: str(p.platform) };
    case 'user.delete':
      return { kind, userId: str(p.userId), username: str(p.username) };
  }
}

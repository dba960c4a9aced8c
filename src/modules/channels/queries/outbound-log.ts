// An account's outbound platform writes (the outbound log), newest first, paged by id; and one order's writes.
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { outboundCallScopeSql } from '../../../kernel/scope.ts';
import type { IntegrationDeps } from '../deps.ts';
import type { OutboundRow } from '../store/outbound.ts';

export interface OutboundView {
  id: number;
  kind: string;
  orderId: string | null;
  shipmentId: string | null;
  platformOrderId: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastCode: string | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  platformRef: string | null;
  carrier: string | null;
  trackingNo: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export function outboundView(r: OutboundRow): OutboundView {
  const req = JSON.parse(r.request) as { carrier?: unknown; trackingNo?: unknown };
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(r.id),
    kind: r.kind,
    orderId: r.order_id,
    shipmentId: r.shipment_id,
    platformOrderId: r.platform_order_id,
    state: r.state,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at === null ? null : toIso(Number(r.next_attempt_at)),
    lastStatus: num(r.last_status),
    lastCode: r.last_code,
    lastLatencyMs: num(r.last_latency_ms),
    lastError: r.last_error,
    platformRef: r.platform_ref,
    carrier: typeof req.carrier === 'string' ? req.carrier : null,
    trackingNo: typeof req.trackingNo === 'string' ? req.trackingNo : null,
    createdAt: toIso(Number(r.created_at)),
    updatedAt: toIso(Number(r.updated_at)),
  };
}

/** The account's writes, newest first; `before` (an id from the last page) pages on. Scoped like the account. */
export async function outboundLog(deps: IntegrationDeps, who: Principal, accountId: string, page: { limit: number; before?: number | undefined }) {
  const account = await deps.accounts.getFor(who, accountId);
  // The account is in scope; its writes are filtered by their orders too (a province scope sees its orders' writes).
  const scope = outboundCallScopeSql(who.scope, 'outbound_calls');
  const rows = await deps.db.read.all<OutboundRow>(
    `SELECT * FROM outbound_calls WHERE tenant_id = ? AND account_id = ?${page.before !== undefined ? ' AND id < ?' : ''} AND ${scope.text} ORDER BY id DESC LIMIT ?`,
    [account.tenantId, accountId, ...(page.before !== undefined ? [page.before] : []), ...scope.params, page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map(outboundView);
  return { items, nextBefore: rows.length > page.limit ? (items[items.length - 1]?.id ?? null) : null };
}

// An account's outbound platform writes (the outbound log), newest first, paged by id; and one order's writes.
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { outboundCallScopeSql } from '../../../kernel/scope.ts';
import type { IntegrationDeps } from '../deps.ts';
import { isOpenException, type OutboundRow } from '../store/outbound.ts';
import { writeExceptionActions, writeExceptionReason, type WriteExceptionAction, type WriteExceptionReason } from '../domain/write-refusal.ts';

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
  /** A correction (更正运单号): the number the platform held that this write replaces. */
  replacesTrackingNo: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  /** A remark's text and flag (kind remark). */
  remark: string | null;
  flag: number | null;
  /** When the platform took it, and when a pull or push showed it there (ship-back's closed loop). */
  doneAt: string | null;
  confirmedAt: string | null;
  /** Taken but not confirmed within the window: the alert was raised. */
  unconfirmedAlertedAt: string | null;
  handledAt: string | null;
  handledBy: string | null;
  handledNote: string | null;
  supersededBy: number | null;
  resendOf: number | null;
  /** An open exception: why, in one word the console translates, and what a person may do; null otherwise. */
  exception: { reason: WriteExceptionReason; actions: WriteExceptionAction[] } | null;
}

export function outboundView(r: OutboundRow): OutboundView {
  const req = JSON.parse(r.request) as { carrier?: unknown; trackingNo?: unknown; replacesTrackingNo?: unknown; text?: unknown; flag?: unknown };
  const num = (v: number | null) => (v === null ? null : Number(v));
  const iso = (v: number | null) => (v === null ? null : toIso(Number(v)));
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
    replacesTrackingNo: typeof req.replacesTrackingNo === 'string' ? req.replacesTrackingNo : null,
    createdAt: toIso(Number(r.created_at)),
    updatedAt: toIso(Number(r.updated_at)),
    remark: r.kind === 'remark' && typeof req.text === 'string' ? req.text : null,
    flag: r.kind === 'remark' && typeof req.flag === 'number' ? req.flag : null,
    doneAt: iso(r.done_at),
    confirmedAt: iso(r.confirmed_at),
    unconfirmedAlertedAt: iso(r.unconfirmed_alerted_at),
    handledAt: iso(r.handled_at),
    handledBy: r.handled_by,
    handledNote: r.handled_note,
    supersededBy: num(r.superseded_by),
    resendOf: num(r.resend_of),
    exception: isOpenException(r)
      ? { reason: writeExceptionReason({ state: r.state, code: r.last_code, error: r.last_error, status: num(r.last_status) }), actions: writeExceptionActions(r.kind) }
      : null,
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
  return { items, nextBefore: rows.length > page.limit ? (items[items.length - 1]?.id ?? null) : null, counts: await outboundCounts(deps, account.tenantId, accountId, scope), accountActive: account.active };
}

/**
 * What the account's writes come to now: still to send (`waiting` of them while the account is paused), refused and
 * given up (open: nobody handled or replaced them), taken but not yet confirmed by a pull, and of those the overdue.
 */
async function outboundCounts(deps: IntegrationDeps, tenantId: string, accountId: string, scope: { text: string; params: readonly unknown[] }) {
  const open = `superseded_by IS NULL AND handled_at IS NULL AND confirmed_at IS NULL`;
  const r = await deps.db.read.get<Record<'pending' | 'failed' | 'refused' | 'unconfirmed' | 'overdue', number | string | null>>(
    `SELECT
       SUM(CASE WHEN state IN ('pending', 'in_flight') THEN 1 ELSE 0 END) AS pending,
       SUM(CASE WHEN state = 'failed' AND ${open} THEN 1 ELSE 0 END) AS failed,
       SUM(CASE WHEN state = 'refused' AND ${open} THEN 1 ELSE 0 END) AS refused,
       SUM(CASE WHEN state = 'done' AND kind = 'ship_back' AND ${open} THEN 1 ELSE 0 END) AS unconfirmed,
       SUM(CASE WHEN state = 'done' AND kind = 'ship_back' AND ${open} AND unconfirmed_alerted_at IS NOT NULL THEN 1 ELSE 0 END) AS overdue
     FROM outbound_calls WHERE tenant_id = ? AND account_id = ? AND ${scope.text}`,
    [tenantId, accountId, ...(scope.params as never[])],
  );
  const n = (v: number | string | null | undefined) => Number(v ?? 0);
  // Stock writes live on their listings (one owed write per listing, coalesced): owed now, failing and retried, refused.
  const st = await deps.db.read.get<Record<'pending' | 'retrying' | 'refused', number | string | null>>(
    `SELECT
       SUM(CASE WHEN sync_due_at IS NOT NULL THEN 1 ELSE 0 END) AS pending,
       SUM(CASE WHEN sync_attempts > 0 THEN 1 ELSE 0 END) AS retrying,
       SUM(CASE WHEN sync_attempts = 0 AND sync_error_code IS NOT NULL THEN 1 ELSE 0 END) AS refused
     FROM listings WHERE tenant_id = ? AND account_id = ? AND sku IS NOT NULL AND ignored = 0 AND gone = 0`,
    [tenantId, accountId],
  );
  return {
    pending: n(r?.pending),
    failed: n(r?.failed),
    refused: n(r?.refused),
    unconfirmed: n(r?.unconfirmed),
    overdue: n(r?.overdue),
    stock: { pending: n(st?.pending), retrying: n(st?.retrying), refused: n(st?.refused) },
  };
}

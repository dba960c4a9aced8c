// The platform call log of one account (调用记录): every request the hub made to the platform, newest first, with
// what it was for and what came of it; filtered by kind and result, paged by id; and its last day in numbers.
import type { Principal } from '../../../kernel/principal.ts';
import { platformCallScopeSql } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { IntegrationDeps } from '../deps.ts';
import type { PlatformCallRow } from '../store/call-log.ts';

export interface PlatformCallView {
  id: number;
  kind: string;
  op: string;
  subject: string;
  orderId: string | null;
  outboundId: number | null;
  listingId: number | null;
  attempt: number;
  httpStatus: number | null;
  result: string;
  code: string | null;
  error: string | null;
  latencyMs: number;
  at: string;
}

export function platformCallView(r: PlatformCallRow): PlatformCallView {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(r.id),
    kind: r.kind,
    op: r.op,
    subject: r.subject,
    orderId: r.order_id,
    outboundId: num(r.outbound_id),
    listingId: num(r.listing_id),
    attempt: Number(r.attempt),
    httpStatus: num(r.http_status),
    result: r.result,
    code: r.code,
    error: r.error,
    latencyMs: Number(r.latency_ms),
    at: toIso(Number(r.at)) ?? '',
  };
}

export interface CallLogFilter {
  limit: number;
  before?: number | undefined;
  kind?: string | undefined;
  result?: string | undefined;
}

const day = 86_400_000;

export async function platformCallLog(deps: IntegrationDeps, who: Principal, accountId: string, f: CallLogFilter, now = Date.now()) {
  const account = await deps.accounts.getFor(who, accountId);
  const scope = platformCallScopeSql(who.scope, 'platform_calls');
  const where = ['tenant_id = ?', 'account_id = ?', scope.text];
  const params: unknown[] = [account.tenantId, accountId, ...scope.params];
  if (f.kind !== undefined) {
    where.push('kind = ?');
    params.push(f.kind);
  }
  if (f.result !== undefined) {
    where.push('result = ?');
    params.push(f.result);
  }
  const page = f.before !== undefined ? ' AND id < ?' : '';
  const rows = await deps.db.read.all<PlatformCallRow>(
    `SELECT * FROM platform_calls WHERE ${where.join(' AND ')}${page} ORDER BY id DESC LIMIT ?`,
    [...params, ...(f.before !== undefined ? [f.before] : []), f.limit + 1] as never[],
  );
  const items = rows.slice(0, f.limit).map(platformCallView);
  // The last day, by kind and result (what the page's numbers say), and the slowest answer.
  const last = await deps.db.read.all<{ kind: string; result: string; n: number | string; slowest: number | string | null }>(
    `SELECT kind, result, count(*) AS n, max(latency_ms) AS slowest FROM platform_calls
     WHERE tenant_id = ? AND account_id = ? AND at >= ? AND ${scope.text} GROUP BY kind, result`,
    [account.tenantId, accountId, now - day, ...scope.params] as never[],
  );
  const last24h = { calls: 0, ok: 0, retry: 0, refused: 0, failed: 0, slowestMs: 0, byKind: {} as Record<string, number> };
  for (const r of last) {
    const n = Number(r.n);
    last24h.calls += n;
    if (r.result === 'ok' || r.result === 'retry' || r.result === 'refused' || r.result === 'failed') last24h[r.result] += n;
    last24h.byKind[r.kind] = (last24h.byKind[r.kind] ?? 0) + n;
    last24h.slowestMs = Math.max(last24h.slowestMs, Number(r.slowest ?? 0));
  }
  return { items, nextBefore: rows.length > f.limit ? (items[items.length - 1]?.id ?? null) : null, last24h };
}

// The exception queue of platform writes: refused, given up, or taken but never confirmed, that nobody has handled or
// replaced yet; oldest first (the longest waiting on top), across the accounts a principal may see.
import type { Principal } from '../../../kernel/principal.ts';
import { requirePermission } from '../../../kernel/principal.ts';
import { outboundCallScopeSql } from '../../../kernel/scope.ts';
import type { IntegrationDeps } from '../deps.ts';
import { openExceptionSql, type OutboundRow } from '../store/outbound.ts';
import { outboundView } from './outbound-log.ts';

export async function outboundExceptions(deps: IntegrationDeps, who: Principal, f: { accountId?: string | undefined; limit: number; after?: number | undefined }) {
  requirePermission(who, 'orders.read');
  if (f.accountId) await deps.accounts.getFor(who, f.accountId);
  const scope = outboundCallScopeSql(who.scope, 'outbound_calls');
  const params: unknown[] = [who.tenantId];
  let where = `tenant_id = ? AND ${openExceptionSql}`;
  if (f.accountId) {
    where += ' AND account_id = ?';
    params.push(f.accountId);
  }
  if (f.after !== undefined) {
    where += ' AND id > ?';
    params.push(f.after);
  }
  const rows = await deps.db.read.all<OutboundRow>(`SELECT * FROM outbound_calls WHERE ${where} AND ${scope.text} ORDER BY id LIMIT ?`, [...(params as never[]), ...scope.params, f.limit + 1]);
  const items = rows.slice(0, f.limit).map((r) => ({ ...outboundView(r), accountId: r.account_id, channel: r.channel }));
  return { items, nextAfter: rows.length > f.limit ? (items[items.length - 1]?.id ?? null) : null };
}

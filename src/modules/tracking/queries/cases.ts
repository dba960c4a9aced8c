// The after-sale cases a principal may see ("not received" complaints), most urgent first.
import type { Principal } from '../../../kernel/principal.ts';
import { caseScopeSql } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { SqlValue } from '../../../platform/db/database.ts';
import type { TrackingDeps } from '../deps.ts';

export interface CaseView {
  id: string;
  orderId: string;
  shipmentId: string | null;
  kind: string;
  priority: 'urgent' | 'normal';
  state: string;
  reason: string;
  openedBy: string;
  openedAt: string | null;
}

/** The cases matching `where`, inside the principal's tenant and scope (also the answer of a complaint just recorded). */
export async function caseRows(deps: TrackingDeps, who: Principal, where: string, params: SqlValue[]): Promise<CaseView[]> {
  if (where.includes('IN ()')) return [];
  const f = caseScopeSql(who.scope, 'aftersale_cases');
  const rows = await deps.db.read.all<{ id: string; order_id: string; shipment_id: string | null; kind: string; priority: string; state: string; reason: string; opened_by: string; opened_at: number }>(
    `SELECT id, order_id, shipment_id, kind, priority, state, reason, opened_by, opened_at FROM aftersale_cases WHERE tenant_id = ? AND ${where} AND ${f.text}
       ORDER BY CASE priority WHEN 'urgent' THEN 0 ELSE 1 END, opened_at, id LIMIT 500`,
    [who.tenantId, ...params, ...f.params],
  );
  return rows.map((r) => ({
    id: r.id,
    orderId: r.order_id,
    shipmentId: r.shipment_id,
    kind: r.kind,
    priority: r.priority === 'urgent' ? 'urgent' : 'normal',
    state: r.state,
    reason: r.reason,
    openedBy: r.opened_by,
    openedAt: toIso(Number(r.opened_at)),
  }));
}

export async function cases(deps: TrackingDeps, who: Principal, f: { state?: string | undefined }): Promise<{ items: CaseView[] }> {
  return { items: await caseRows(deps, who, f.state ? 'state = ?' : '1 = 1', f.state ? [f.state] : []) };
}

// The audit log as a principal may read it: newest first, filtered, and inside its data scope.
import type { Principal } from '../../../kernel/principal.ts';
import { auditScopeSql, toKysely } from '../../../kernel/scope.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { AuditLogTable } from '../../../platform/db/schema.ts';

export interface AuditFilter {
  targetType?: string | undefined;
  targetId?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  limit: number;
  /** Rows with a lower sequence number than this (paging backwards from the newest). */
  beforeSeq?: number | undefined;
}

/** Entries the principal may read, newest first: a scoped principal reads its own actions and entries about objects in its scope. */
export async function listAudit(db: Database, who: Principal, f: AuditFilter) {
  let q = db.kysely.selectFrom('audit_log').selectAll().where('tenant_id', '=', who.tenantId).where(toKysely(auditScopeSql(who.scope, who.userId, 'audit_log')));
  if (f.targetType) q = q.where('target_type', '=', f.targetType);
  if (f.targetId) q = q.where('target_id', '=', f.targetId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.actor) q = q.where('actor_name', '=', f.actor);
  if (f.beforeSeq !== undefined) q = q.where('seq', '<', f.beforeSeq);
  const rows = (await q.orderBy('seq', 'desc').limit(f.limit).execute()) as unknown as AuditLogTable[];
  const parse = (v: string | null) => (v === null ? null : (JSON.parse(v) as unknown));
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: new Date(Number(r.at)).toISOString(),
    actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name, tokenId: r.token_id, ip: r.ip, userAgent: r.user_agent },
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    before: parse(r.before),
    after: parse(r.after),
    detail: parse(r.detail),
  }));
}

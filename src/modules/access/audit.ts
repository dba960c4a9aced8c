// The audit log: who changed what, from where, before → after. Append-only and hash-chained per tenant: each row's
// MAC (HMAC-SHA256 under a data key) covers its content and the previous row's MAC, and audit_heads keeps the
// last link, so editing, deleting or truncating rows is found by verifyAudit.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { auditScopeSql, isUnlimited, toKysely } from '../../kernel/scope.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { AuditLogTable } from '../../platform/db/schema.ts';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
}

/** A stored row, as Kysely reads it too. */
type AuditRow = AuditLogTable;

const GENESIS = '0'.repeat(64);
const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** The exact bytes a row's MAC covers: every column but id and mac, in a fixed order. */
function canonical(r: Omit<AuditRow, 'id' | 'mac'>): string {
  return JSON.stringify([
    r.tenant_id,
    Number(r.seq),
    Number(r.at),
    r.actor_kind,
    r.actor_id,
    r.actor_name,
    r.token_id,
    r.ip,
    r.user_agent,
    r.action,
    r.target_type,
    r.target_id,
    r.before,
    r.after,
    r.detail,
    r.key_id,
    r.prev_mac,
  ]);
}

/** Appends one entry inside the caller's transaction (so the change and its audit commit together). */
export async function appendAudit(tx: Tx, keyring: Keyring, who: Principal, e: AuditEntry, at = Date.now()): Promise<number> {
  const tenant = who.tenantId;
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  let head = await tx.get<{ seq: number; mac: string }>(`SELECT seq, mac FROM audit_heads WHERE tenant_id = ?${lock}`, [tenant]);
  if (!head) {
    await tx.run(`INSERT INTO audit_heads (tenant_id, seq, mac) VALUES (?, 0, ?) ON CONFLICT (tenant_id) DO NOTHING`, [tenant, GENESIS]);
    head = (await tx.get<{ seq: number; mac: string }>(`SELECT seq, mac FROM audit_heads WHERE tenant_id = ?${lock}`, [tenant])) as {
      seq: number;
      mac: string;
    };
  }
  const row: Omit<AuditRow, 'id' | 'mac'> = {
    tenant_id: tenant,
    seq: Number(head.seq) + 1,
    at,
    actor_kind: who.kind,
    actor_id: who.userId,
    actor_name: who.name,
    token_id: who.tokenId,
    ip: who.ip,
    user_agent: who.userAgent ? who.userAgent.slice(0, 300) : null,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId ?? null,
    before: json(e.before),
    after: json(e.after),
    detail: json(e.detail),
    key_id: keyring.activeId,
    prev_mac: head.mac,
  };
  const mac = keyring.auditMac(row.key_id, canonical(row));
  await tx.run(
    `INSERT INTO audit_log (tenant_id, seq, at, actor_kind, actor_id, actor_name, token_id, ip, user_agent, action, target_type, target_id,
       before, after, detail, key_id, prev_mac, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.tenant_id,
      row.seq,
      row.at,
      row.actor_kind,
      row.actor_id,
      row.actor_name,
      row.token_id,
      row.ip,
      row.user_agent,
      row.action,
      row.target_type,
      row.target_id,
      row.before,
      row.after,
      row.detail,
      row.key_id,
      row.prev_mac,
      mac,
    ],
  );
  await tx.run('UPDATE audit_heads SET seq = ?, mac = ? WHERE tenant_id = ?', [row.seq, mac, tenant]);
  return row.seq;
}

export interface AuditVerdict {
  tenantId: string;
  checked: number;
  ok: boolean;
  /** The first broken link: the row (by sequence number and id) and what is wrong with it. */
  firstBroken: { seq: number; id: number | null; reason: string } | null;
}

/** Walks every tenant's chain from the start; stops at the first broken link. */
export async function verifyAudit(db: Database, keyring: Keyring): Promise<AuditVerdict[]> {
  const tenants = await db.read.all<{ tenant_id: string }>(
    'SELECT tenant_id FROM audit_heads UNION SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id',
  );
  const verdicts: AuditVerdict[] = [];
  for (const { tenant_id: tenant } of tenants) {
    let prevMac = GENESIS;
    let expectSeq = 1;
    let checked = 0;
    let broken: AuditVerdict['firstBroken'] = null;
    for (;;) {
      const rows = await db.read.all<AuditRow>('SELECT * FROM audit_log WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT 1000', [
        tenant,
        expectSeq,
      ]);
      for (const r of rows) {
        const seq = Number(r.seq);
        if (seq !== expectSeq) broken = { seq: expectSeq, id: null, reason: `row ${expectSeq} is missing (next is ${seq})` };
        else if (r.prev_mac !== prevMac) broken = { seq, id: r.id, reason: 'its link to the previous row does not match' };
        else {
          let mac: string | null = null;
          try {
            mac = keyring.auditMac(r.key_id, canonical(r));
          } catch {
            broken = { seq, id: r.id, reason: `it was signed with key ${r.key_id}, which is not in the keyring` };
          }
          if (!broken && mac !== r.mac) broken = { seq, id: r.id, reason: 'its content does not match its MAC (edited)' };
        }
        if (broken) break;
        prevMac = r.mac;
        expectSeq++;
        checked++;
      }
      if (broken || rows.length < 1000) break;
    }
    if (!broken) {
      const head = await db.read.get<{ seq: number; mac: string }>('SELECT seq, mac FROM audit_heads WHERE tenant_id = ?', [tenant]);
      const headSeq = Number(head?.seq ?? 0);
      if (!head) broken = { seq: expectSeq - 1, id: null, reason: 'the chain head is missing' };
      else if (headSeq !== expectSeq - 1 || head.mac !== prevMac) {
        broken = {
          seq: Math.min(headSeq, expectSeq),
          id: null,
          reason: headSeq > expectSeq - 1 ? `rows ${expectSeq}…${headSeq} are missing (deleted from the end)` : 'the chain head does not match the last row',
        };
      }
    }
    verdicts.push({ tenantId: tenant, checked, ok: !broken, firstBroken: broken });
  }
  return verdicts;
}

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
  const rows = (await q.orderBy('seq', 'desc').limit(f.limit).execute()) as unknown as AuditRow[];
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

/** The principal's tenant's chain, walked: it reads every entry, so a limited data scope may not ask for it. */
export async function verifyAuditFor(db: Database, keyring: Keyring, who: Principal): Promise<Omit<AuditVerdict, 'tenantId'>> {
  if (!isUnlimited(who.scope)) {
    throw new HubError('FORBIDDEN', `verifying the audit log reads every entry of the organisation; ${who.name} has a limited data scope`, { scope: who.scope });
  }
  const v = (await verifyAudit(db, keyring)).find((x) => x.tenantId === who.tenantId);
  return v ? { checked: v.checked, ok: v.ok, firstBroken: v.firstBroken } : { ok: true, checked: 0, firstBroken: null };
}

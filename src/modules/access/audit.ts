// The audit log: who changed what, from where, before → after. Append-only and hash-chained per tenant: each row's
// MAC (HMAC-SHA256 under a data key) covers its content and the previous row's MAC, and audit_heads keeps the
// last link, so editing, deleting or truncating rows is found by verifyAudit.
//
// One file on purpose: appending a link and walking the chain must agree on the exact bytes a MAC covers
// (canonical), the first link (GENESIS) and the head; kept side by side, they cannot drift apart. Reading entries
// (queries/list-audit.ts) and a principal's verification (queries/verify-audit.ts) are use cases and live apart.
import type { Principal } from '../../kernel/principal.ts';
import { storableText, storableValue } from '../../kernel/text.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { forUpdate } from '../../platform/db/unit-of-work.ts';
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
const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(storableValue(v)));
const text = (s: string | null | undefined) => (s === undefined || s === null ? null : storableText(s));

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

/**
 * Appends one entry inside the caller's transaction (so the change and its audit commit together).
 *
 * Every string is made storable (no NUL, no lone surrogate) before it is hashed: a driver would otherwise store
 * something else than what the MAC covers (U+FFFD for a lone surrogate, on SQLite and PostgreSQL alike), and one
 * sign-in with such a username, from anyone, would leave a row that never verifies again.
 */
export async function appendAudit(tx: Tx, keyring: Keyring, who: Principal, e: AuditEntry, at = Date.now()): Promise<number> {
  const tenant = storableText(who.tenantId);
  // The chain head is the last lock of every transaction (unit-of-work.ts): audit after the change it records.
  tx.locks.take('audit', [tenant]);
  const lock = forUpdate(tx);
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
    actor_id: text(who.userId),
    actor_name: storableText(who.name),
    token_id: text(who.tokenId),
    ip: text(who.ip),
    // Cut first, then clean: the cut may fall between the two halves of a pair.
    user_agent: who.userAgent ? storableText(who.userAgent.slice(0, 300)) : null,
    action: storableText(e.action),
    target_type: storableText(e.targetType),
    target_id: text(e.targetId),
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

/** A broken link: the row (by sequence number, and id when the row is there) and what is wrong with it. */
export interface BrokenLink {
  seq: number;
  id: number | null;
  reason: string;
}

export interface AuditVerdict {
  tenantId: string;
  /** Rows read and checked. */
  checked: number;
  ok: boolean;
  /** Every broken link in chain order (the first MAX_LISTED of them; brokenCount says how many in all). */
  broken: BrokenLink[];
  brokenCount: number;
  /** broken[0], for callers that only show one. */
  firstBroken: BrokenLink | null;
}

/** A removed data key breaks every row it signed; the list stops growing here, the count does not. */
const MAX_LISTED = 1000;

/**
 * Walks every tenant's chain from the start and reports every broken link, not only the first: after a break it
 * resynchronises on the row as stored (its own MAC becomes the link the next row must carry), so one edit is
 * one report and a later, real edit is still found. A gap in the sequence is one report; the row after it is
 * then only checked for its own content, since its link necessarily points at a row that is gone.
 */
export async function verifyAudit(db: Database, keyring: Keyring): Promise<AuditVerdict[]> {
  const tenants = await db.read.all<{ tenant_id: string }>(
    'SELECT tenant_id FROM audit_heads UNION SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id',
  );
  const verdicts: AuditVerdict[] = [];
  for (const { tenant_id: tenant } of tenants) {
    let prevMac = GENESIS;
    let expectSeq = 1;
    let checked = 0;
    const broken: BrokenLink[] = [];
    let brokenCount = 0;
    const report = (b: BrokenLink) => {
      brokenCount++;
      if (broken.length < MAX_LISTED) broken.push(b);
    };
    for (;;) {
      const rows = await db.read.all<AuditRow>('SELECT * FROM audit_log WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT 1000', [
        tenant,
        expectSeq,
      ]);
      for (const r of rows) {
        const seq = Number(r.seq);
        if (seq !== expectSeq) report({ seq: expectSeq, id: null, reason: `${missing(expectSeq, seq - 1)} (next is ${seq})` });
        else if (r.prev_mac !== prevMac) report({ seq, id: r.id, reason: 'its link to the previous row does not match' });
        let mac: string | null = null;
        try {
          mac = keyring.auditMac(r.key_id, canonical(r));
        } catch {
          report({ seq, id: r.id, reason: `it was signed with key ${r.key_id}, which is not in the keyring` });
        }
        if (mac !== null && mac !== r.mac) report({ seq, id: r.id, reason: 'its content does not match its MAC (edited)' });
        prevMac = r.mac;
        expectSeq = seq + 1;
        checked++;
      }
      if (rows.length < 1000) break;
    }
    const head = await db.read.get<{ seq: number; mac: string }>('SELECT seq, mac FROM audit_heads WHERE tenant_id = ?', [tenant]);
    const lastSeq = expectSeq - 1;
    const headSeq = Number(head?.seq ?? 0);
    if (!head) report({ seq: lastSeq, id: null, reason: 'the chain head is missing' });
    else if (headSeq > lastSeq) report({ seq: expectSeq, id: null, reason: `${missing(expectSeq, headSeq)} (deleted from the end)` });
    else if (headSeq !== lastSeq || head.mac !== prevMac) report({ seq: headSeq, id: null, reason: 'the chain head does not match the last row' });
    verdicts.push({ tenantId: tenant, checked, ok: brokenCount === 0, broken, brokenCount, firstBroken: broken[0] ?? null });
  }
  return verdicts;
}

const missing = (from: number, to: number) => (from === to ? `row ${from} is missing` : `rows ${from}…${to} are missing`);

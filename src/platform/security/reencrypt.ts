// Personal data at rest after a key rotation: which data key each stored value is under (`keyReport`), and the
// backfill that rewrites plaintext and old-key values under the active key (`reencrypt`), in short keyset-paged
// transactions so a big table never sits in one and an interrupted run simply runs again.
import { HubError, isHubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { Keyring } from './keyring.ts';
import { appendAudit } from '../../modules/access/audit.ts';
import type { Database, SqlValue, Tx } from '../db/database.ts';

interface EncryptedColumn {
  name: string;
  /** The keyed-hash column beside it (exact phone search), recomputed from the plaintext under the active key. */
  hash?: string;
}

interface EncryptedTable {
  table: string;
  /** Primary key: the batches walk it in order. */
  key: string;
  columns: readonly EncryptedColumn[];
}

/**
 * Every column the services write through `keyring.encrypt`. The audit log is absent on purpose: its `key_id` names
 * the key that signed each row, and rewriting the chain would rewrite history (see `keyReport`'s audit counts).
 */
export const encryptedTables: readonly EncryptedTable[] = [
  {
    table: 'orders',
    key: 'id',
    columns: [{ name: 'receiver_phone', hash: 'receiver_phone_hash' }, { name: 'receiver_address' }, { name: 'buyer_phone', hash: 'buyer_phone_hash' }],
  },
  { table: 'raw_events', key: 'id', columns: [{ name: 'body' }] },
  { table: 'channel_accounts', key: 'id', columns: [{ name: 'credentials' }] },
  { table: 'payment_accounts', key: 'id', columns: [{ name: 'credentials' }] },
  { table: 'payment_notices', key: 'id', columns: [{ name: 'body' }] },
  { table: 'webhook_endpoints', key: 'id', columns: [{ name: 'secret' }] },
];

/** `enc:v1:` + a key id (at most 32 characters) + `:` fits in this many characters. */
const HEAD = 48;
export const DEFAULT_BATCH = 500;
export const MAX_BATCH = 5000;

// ---------------------------------------------------------------- the report

export interface ColumnKeys {
  table: string;
  column: string;
  kind: 'encrypted' | 'index hash' | 'audit signature';
  /** Values per key id. */
  byKey: Record<string, number>;
  /** Encrypted columns: values stored as plaintext (written before encryption). Index hashes: phones without a hash. */
  plaintext: number;
}

export interface KeyUse {
  id: string;
  inKeyring: boolean;
  active: boolean;
  /** Encrypted values and index hashes under this key. */
  values: number;
  /** Audit rows signed with it: they verify only while the key stays in the list. */
  auditEntries: number;
}

export interface KeyReport {
  activeKeyId: string;
  keyring: string[];
  columns: ColumnKeys[];
  keys: KeyUse[];
  /** Values (and missing or old index hashes) that `reencrypt` would still rewrite: 0 once a rotation is complete. */
  pending: number;
}

/** The key id in a stored value's prefix, in SQL ('' for plaintext). */
function keyIdSql(db: Database, col: string): string {
  const pos = db.dialect === 'postgres' ? 'strpos' : 'instr';
  const head = `substr(${col}, 8, 40)`;
  return `CASE WHEN substr(${col}, 1, 7) = 'enc:v1:' THEN substr(${head}, 1, ${pos}(${head}, ':') - 1) ELSE '' END`;
}

/** The key id of an index hash (`<keyId>:<hash>`), in SQL. */
function hashKeyIdSql(db: Database, col: string): string {
  const pos = db.dialect === 'postgres' ? 'strpos' : 'instr';
  return `substr(${col}, 1, ${pos}(${col}, ':') - 1)`;
}

const present = (col: string) => `${col} IS NOT NULL AND ${col} <> ''`;

/**
 * How many stored values are under which data key, and how many are still plaintext, per column; and how many audit
 * rows each key signed. Reads only (counts in SQL, no value leaves the database), so it is safe on a running hub.
 */
export async function keyReport(db: Database, keyring: Keyring): Promise<KeyReport> {
  const columns: ColumnKeys[] = [];
  const grouped = async (sql: string) => {
    const rows = await db.read.all<{ key_id: string | null; n: number }>(sql);
    return rows.map((r) => ({ keyId: r.key_id ?? '', n: Number(r.n) }));
  };
  for (const t of encryptedTables) {
    for (const c of t.columns) {
      const byKey: Record<string, number> = {};
      let plaintext = 0;
      for (const { keyId, n } of await grouped(
        `SELECT ${keyIdSql(db, c.name)} AS key_id, count(*) AS n FROM ${t.table} WHERE ${present(c.name)} GROUP BY 1`,
      )) {
        if (keyId === '') plaintext += n;
        else byKey[keyId] = (byKey[keyId] ?? 0) + n;
      }
      columns.push({ table: t.table, column: c.name, kind: 'encrypted', byKey, plaintext });
      if (c.hash) {
        const hashes: Record<string, number> = {};
        for (const { keyId, n } of await grouped(
          `SELECT ${hashKeyIdSql(db, c.hash)} AS key_id, count(*) AS n FROM ${t.table} WHERE ${c.hash} IS NOT NULL GROUP BY 1`,
        )) {
          hashes[keyId] = (hashes[keyId] ?? 0) + n;
        }
        const missing = await db.read.get<{ n: number }>(`SELECT count(*) AS n FROM ${t.table} WHERE ${present(c.name)} AND ${c.hash} IS NULL`);
        columns.push({ table: t.table, column: c.hash, kind: 'index hash', byKey: hashes, plaintext: Number(missing?.n ?? 0) });
      }
    }
  }
  const audit: Record<string, number> = {};
  for (const { keyId, n } of await grouped('SELECT key_id, count(*) AS n FROM audit_log GROUP BY key_id')) audit[keyId] = n;
  columns.push({ table: 'audit_log', column: 'key_id', kind: 'audit signature', byKey: audit, plaintext: 0 });

  const active = keyring.activeId;
  const ids = [...keyring.ids];
  for (const c of columns) for (const id of Object.keys(c.byKey)) if (!ids.includes(id)) ids.push(id);
  const data = columns.filter((c) => c.kind !== 'audit signature');
  const keys = ids.map((id) => ({
    id,
    inKeyring: keyring.ids.includes(id),
    active: id === active,
    values: data.reduce((s, c) => s + (c.byKey[id] ?? 0), 0),
    auditEntries: audit[id] ?? 0,
  }));
  const pending = data.reduce((s, c) => s + c.plaintext + Object.entries(c.byKey).reduce((n, [id, v]) => n + (id === active ? 0 : v), 0), 0);
  return { activeKeyId: active, keyring: [...keyring.ids], columns, keys, pending };
}

// ---------------------------------------------------------------- the backfill

export interface TableProgress {
  table: string;
  /** Rows of this table looked at so far. */
  rowsDone: number;
  /** Rows rewritten so far (in a dry run: that would be rewritten). */
  rowsChanged: number;
}

export interface TableCounts {
  rows: number;
  changed: number;
  /** Encrypted values rewritten under the active key (plaintext or another key before). */
  values: number;
  /** Index hashes (re)computed under the active key. */
  hashes: number;
}

export interface ReencryptResult {
  activeKeyId: string;
  dryRun: boolean;
  tables: Record<string, TableCounts>;
}

export interface ReencryptOptions {
  /** Rows per transaction (1…MAX_BATCH). */
  batchSize?: number;
  /** Count what would change, write nothing. */
  dryRun?: boolean;
  /** Called after every batch. */
  onProgress?: (p: TableProgress) => void;
  /** Who runs it: one `data.reencrypt` audit row with the counts is written when set (never in a dry run). */
  auditAs?: Principal;
  now?: () => number;
}

export function assertBatchSize(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH) {
    throw new HubError('VALIDATION_FAILED', `the batch size must be a whole number from 1 to ${MAX_BATCH}`, { batchSize: n });
  }
}

type Row = Record<string, SqlValue>;

const isEmpty = (v: SqlValue | undefined): v is null | '' | undefined => v === null || v === undefined || v === '';

/** What a row needs, judged from the first characters of each value (a raw payload can be megabytes). */
function needsWork(t: EncryptedTable, head: Row, active: string): boolean {
  for (const c of t.columns) {
    const v = head[c.name];
    if (!isEmpty(v) && Keyring.keyIdOf(String(v)) !== active) return true;
    if (c.hash) {
      const h = head[c.hash];
      if (isEmpty(v) ? h !== null && h !== undefined : typeof h !== 'string' || !h.startsWith(`${active}:`)) return true;
    }
  }
  return false;
}

interface Rewrite {
  values: Row;
  reencrypted: number;
  hashed: number;
}

/** The row's new values, or null when nothing needs to change. Decrypts only what it must. */
function rewrite(t: EncryptedTable, pk: SqlValue, full: Row, keyring: Keyring): Rewrite | null {
  const active = keyring.activeId;
  const values: Row = {};
  let reencrypted = 0;
  let hashed = 0;
  for (const c of t.columns) {
    const v = full[c.name] ?? null;
    values[c.name] = v;
    const stale = !isEmpty(v) && Keyring.keyIdOf(String(v)) !== active;
    const h = c.hash ? (full[c.hash] ?? null) : null;
    const hashStale = c.hash ? (isEmpty(v) ? h !== null : typeof h !== 'string' || !h.startsWith(`${active}:`)) : false;
    if (!stale && !hashStale) {
      if (c.hash) values[c.hash] = h;
      continue;
    }
    // Bytes, not text: a raw body keeps whatever bytes the platform sent, invalid UTF-8 included.
    let plain: Buffer | null = null;
    if (!isEmpty(v)) {
      try {
        plain = keyring.decryptBytes(String(v));
      } catch (e) {
        // Names the row and column, never the value.
        throw new HubError(isHubError(e) ? e.code : 'INTERNAL', `${t.table}.${c.name} of row ${String(pk)} cannot be decrypted: ${(e as Error).message}`);
      }
    }
    if (stale && plain !== null) {
      values[c.name] = keyring.encryptBytes(plain);
      reencrypted++;
    }
    if (c.hash) {
      values[c.hash] = plain === null ? null : keyring.indexHash(plain.toString('utf8'));
      if (hashStale) hashed++;
    }
  }
  return reencrypted + hashed > 0 ? { values, reencrypted, hashed } : null;
}

function statements(t: EncryptedTable) {
  const cols = t.columns.map((c) => c.name);
  const all = t.columns.flatMap((c) => (c.hash ? [c.name, c.hash] : [c.name]));
  const heads = t.columns.flatMap((c) => [`substr(${c.name}, 1, ${HEAD}) AS ${c.name}`, ...(c.hash ? [c.hash] : [])]);
  const select = `SELECT ${t.key} AS pk, ${heads.join(', ')} FROM ${t.table}`;
  return {
    all,
    first: `${select} ORDER BY ${t.key} LIMIT ?`,
    next: `${select} WHERE ${t.key} > ? ORDER BY ${t.key} LIMIT ?`,
    full: `SELECT ${all.join(', ')} FROM ${t.table} WHERE ${t.key} = ?`,
    // Compare-and-set on the encrypted values read: a row a writer changed meanwhile is read again, not overwritten.
    update: `UPDATE ${t.table} SET ${all.map((c) => `${c} = ?`).join(', ')} WHERE ${t.key} = ? AND ${cols
      .map((c) => `${c} IS NOT DISTINCT FROM ?`)
      .join(' AND ')}`,
    cols,
  };
}

/** Rewrites one row in the caller's transaction; returns what it changed (nothing when it no longer needs it). */
async function rewriteRow(tx: Tx, t: EncryptedTable, s: ReturnType<typeof statements>, pk: SqlValue, keyring: Keyring, dryRun: boolean): Promise<Rewrite | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const full = await tx.get<Row>(s.full, [pk]);
    if (!full) return null; // deleted meanwhile
    const r = rewrite(t, pk, full, keyring);
    if (!r || dryRun) return r;
    const changed = await tx.run(s.update, [...s.all.map((c) => r.values[c] ?? null), pk, ...s.cols.map((c) => full[c] ?? null)]);
    if (changed === 1) return r;
  }
  throw new HubError('CONFLICT', `${t.table} row ${String(pk)} kept changing while it was re-encrypted; run again`);
}

/** One transaction: the next `batchSize` rows after `cursor` by primary key, and the rewrites they need. */
async function rewriteBatch(
  tx: Tx,
  t: EncryptedTable,
  s: ReturnType<typeof statements>,
  cursor: SqlValue,
  batchSize: number,
  keyring: Keyring,
  dryRun: boolean,
): Promise<TableCounts & { last: SqlValue }> {
  const heads = await (cursor === null ? tx.all<Row>(s.first, [batchSize]) : tx.all<Row>(s.next, [cursor, batchSize]));
  const done = { rows: heads.length, changed: 0, values: 0, hashes: 0, last: heads.at(-1)?.pk ?? null };
  for (const head of heads) {
    if (!needsWork(t, head, keyring.activeId)) continue;
    const r = await rewriteRow(tx, t, s, head.pk ?? null, keyring, dryRun);
    if (!r) continue;
    done.changed++;
    done.values += r.reencrypted;
    done.hashes += r.hashed;
  }
  return done;
}

/**
 * Rewrites every plaintext or old-key value under the active key, and recomputes the phone index hashes with it.
 * Walks each table by primary key, `batchSize` rows per transaction; values already under the active key are left
 * as they are, so a second run changes nothing and an interrupted run can simply be started again.
 * Refuses to start (writing nothing) when a value is under a key that is not in the keyring.
 */
export async function reencrypt(db: Database, keyring: Keyring, opts: ReencryptOptions = {}): Promise<ReencryptResult> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  assertBatchSize(batchSize);
  const dryRun = opts.dryRun ?? false;
  const now = opts.now ?? Date.now;
  // Index hashes need no old key (they are recomputed from the plaintext); encrypted values do.
  const unknown = new Map<string, number>();
  for (const c of (await keyReport(db, keyring)).columns) {
    if (c.kind !== 'encrypted') continue;
    for (const [id, n] of Object.entries(c.byKey)) if (!keyring.ids.includes(id)) unknown.set(id, (unknown.get(id) ?? 0) + n);
  }
  if (unknown.size) {
    throw new HubError(
      'CONFIG_INVALID',
      `values are encrypted under data keys missing from the keyring (${[...unknown].map(([id, n]) => `${id}: ${n}`).join(', ')}); ` +
        'put those keys back after the active one and run again',
      { missingKeys: [...unknown.keys()] },
    );
  }
  const result: ReencryptResult = { activeKeyId: keyring.activeId, dryRun, tables: {} };
  const changedAny = () => Object.values(result.tables).some((c) => c.changed > 0);
  const audit = async (detail: unknown) => {
    if (!opts.auditAs || dryRun) return;
    const who = opts.auditAs;
    await db.transaction((tx) =>
      appendAudit(
        tx,
        keyring,
        who,
        { action: 'data.reencrypt', targetType: 'data_keys', targetId: keyring.activeId, after: { activeKeyId: keyring.activeId, tables: result.tables }, detail },
        now(),
      ),
    );
  };
  try {
    for (const t of encryptedTables) {
      const s = statements(t);
      const counts: TableCounts = { rows: 0, changed: 0, values: 0, hashes: 0 };
      result.tables[t.table] = counts;
      let cursor: SqlValue = null;
      for (;;) {
        const from: SqlValue = cursor;
        const batch: TableCounts & { last: SqlValue } = await db.transaction((tx) => rewriteBatch(tx, t, s, from, batchSize, keyring, dryRun));
        counts.rows += batch.rows;
        counts.changed += batch.changed;
        counts.values += batch.values;
        counts.hashes += batch.hashes;
        opts.onProgress?.({ table: t.table, rowsDone: counts.rows, rowsChanged: counts.changed });
        if (batch.rows < batchSize) break;
        cursor = batch.last;
      }
    }
  } catch (e) {
    // What was rewritten before the failure stays rewritten (and correct): say so in the audit log too.
    if (changedAny()) {
      await audit({ completed: false, error: isHubError(e) ? e.code : 'INTERNAL' }).catch(() => undefined);
    }
    throw e;
  }
  await audit({ completed: true, batchSize });
  return result;
}

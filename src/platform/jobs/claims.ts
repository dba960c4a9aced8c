// Claiming rows of a table of work items (timers, webhook deliveries, refunds, outbound platform writes) for one pass of one process.
//
// A claim is a lease on rows instead of on a name: one UPDATE marks a batch of due rows with this pass's claim token and
// a time the claim lapses, skipping rows another process has claimed (FOR UPDATE SKIP LOCKED on PostgreSQL, so two
// processes claiming at once take different rows instead of queueing on each other; SQLite has one writer, so the
// statement alone is atomic). The effect of each row commits with a fence on its claim (`claimed_by = token`), and ends
// it; a row left claimed by a process that died is free again once the claim lapses.
import type { Database, SqlValue, Tx } from '../db/database.ts';
import { dbNow } from './leases.ts';

export type WorkTable = 'timers' | 'webhook_deliveries' | 'refunds' | 'outbound_calls';

/** How long a claim lives unless renewed; the pass renews it while it works through a long batch. */
export const defaultClaimMs = 60_000;

let seq = 0;

export interface ClaimQuery {
  table: WorkTable;
  /** Which rows are due (the claim condition is added), with its parameters. */
  where: string;
  params: readonly SqlValue[];
  orderBy: string;
  limit: number;
  /** Columns to return for each claimed row. */
  columns: string;
}

/** A batch of rows this pass claimed, and what it takes to keep them until the work is done. */
export class Claim<R> {
  private renewedAt = Date.now();

  constructor(
    private readonly db: Database,
    readonly table: WorkTable,
    readonly token: string,
    readonly rows: R[],
    private readonly ttlMs: number,
  ) {}

  /** Extends the claim on the rows still claimed, when a third of its time has passed (between two rows of a batch). */
  async keep(): Promise<void> {
    if (Date.now() - this.renewedAt < this.ttlMs / 3) return;
    this.renewedAt = Date.now();
    await this.db.transaction((tx) =>
      tx.run(`UPDATE ${this.table} SET claimed_until = ${dbNow(tx.dialect)} + CAST(? AS BIGINT) WHERE claimed_by = ?`, [this.ttlMs, this.token]),
    );
  }

  /** Frees one row without doing its work (not due after all, or left for a later attempt). */
  async release(id: number | string): Promise<void> {
    await this.db.transaction((tx) => releaseClaimIn(tx, this.table, id, this.token));
  }
}

/**
 * Claims up to `limit` due rows for a pass of `holder`; the claim token names the holder, so an operator can tell which
 * process works a row.
 */
export async function claimDue<R>(db: Database, holder: string, q: ClaimQuery, ttlMs = defaultClaimMs): Promise<Claim<R>> {
  const token = `${holder}#${++seq}`;
  const rows = await db.transaction(async (tx) => {
    const now = dbNow(tx.dialect);
    const skipLocked = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    return tx.all<R>(
      `UPDATE ${q.table} SET claimed_by = ?, claimed_until = ${now} + CAST(? AS BIGINT)
       WHERE id IN (SELECT id FROM ${q.table} WHERE (${q.where}) AND (claimed_until IS NULL OR claimed_until <= ${now})
                    ORDER BY ${q.orderBy} LIMIT ?${skipLocked})
       RETURNING ${q.columns}`,
      [token, ttlMs, ...q.params, q.limit],
    );
  });
  return new Claim(db, q.table, token, rows, ttlMs);
}

/**
 * In the transaction of a row's effect: true when the row is still under this claim (nobody took it over after the claim
 * lapsed). Locks the row on PostgreSQL, so the check holds until commit.
 */
export async function holdsClaim(tx: Tx, table: WorkTable, id: number | string, token: string): Promise<boolean> {
  const row = await tx.get<{ claimed_by: string | null }>(`SELECT claimed_by FROM ${table} WHERE id = ?${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, [id]);
  return row?.claimed_by === token;
}

/** Ends a row's claim inside the transaction that recorded its outcome. */
export async function releaseClaimIn(tx: Tx, table: WorkTable, id: number | string, token: string): Promise<void> {
  await tx.run(`UPDATE ${table} SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?`, [id, token]);
}

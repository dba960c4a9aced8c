// The outbound worker's first step: claim the platform writes due now and mark them in flight, so no other hub
// process sends them at the same time.
import { claimDue, type Claim } from '../../../platform/jobs/claims.ts';
import { dbNow } from '../../../platform/jobs/leases.ts';
import type { IntegrationDeps } from '../deps.ts';
import type { OutboundRow } from '../store/outbound.ts';

/**
 * Claims up to `limit` due writes (claims.ts). `in_flight` rows are due again once their claim lapsed: the process
 * that sent them died before it wrote the answer, and the client's check-first makes the resend harmless. Null when
 * nothing is due (looked up on the read connection: no write when idle).
 */
export async function claimDueOutbound(deps: IntegrationDeps, now: number, holder: string, limit = 20, skipAccounts: readonly string[] = []): Promise<Claim<OutboundRow> | null> {
  // A paused account's writes wait (not refused): they are claimed again as soon as the account is active. An account
  // this process is still writing to (`skipAccounts`) is left for the pass after: its writes go one after another.
  const skip = skipAccounts.length ? ` AND account_id NOT IN (${skipAccounts.map(() => '?').join(', ')})` : '';
  const where = `state IN ('pending', 'in_flight') AND next_attempt_at <= ? AND account_id NOT IN (SELECT id FROM channel_accounts WHERE active = 0 AND deleted_at IS NULL)${skip}`;
  const params = [now, ...skipAccounts];
  const any = await deps.db.read.get(`SELECT id FROM outbound_calls WHERE ${where} AND (claimed_until IS NULL OR claimed_until <= ${dbNow(deps.db.dialect)}) LIMIT 1`, params);
  if (!any) return null;
  const claim = await claimDue<OutboundRow>(deps.db, holder, { table: 'outbound_calls', where, params, orderBy: 'next_attempt_at, id', limit, columns: '*' });
  if (claim.rows.length) {
    await deps.db.transaction(async (tx) => {
      for (const r of claim.rows) await tx.run(`UPDATE outbound_calls SET state = 'in_flight', updated_at = ? WHERE id = ? AND claimed_by = ?`, [now, r.id, claim.token]);
    });
  }
  claim.rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.id) - Number(b.id));
  return claim;
}

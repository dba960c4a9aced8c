// The refund worker's first step: claim the refunds due for sending or asking about, so no other hub process works them.
import { claimDue, type Claim } from '../../../platform/jobs/claims.ts';
import { dbNow } from '../../../platform/jobs/leases.ts';
import type { RefundDeps } from '../deps.ts';
import type { RefundRow } from '../rows.ts';

/**
 * Claims refunds due at `now` for one pass of the refund worker (claims.ts): a refund another hub process is sending
 * or asking about is left alone. Null when none is due (looked up on the read connection: no write when idle).
 */
export async function claimDueRefunds(deps: RefundDeps, now: number, holder: string, limit = 50): Promise<Claim<RefundRow> | null> {
  const where = `state IN ('requested', 'submitted') AND next_attempt_at <= ?`;
  const any = await deps.db.read.get(`SELECT id FROM refunds WHERE ${where} AND (claimed_until IS NULL OR claimed_until <= ${dbNow(deps.db.dialect)}) LIMIT 1`, [now]);
  if (!any) return null;
  const claim = await claimDue<RefundRow>(deps.db, holder, { table: 'refunds', where, params: [now], orderBy: 'next_attempt_at, id', limit, columns: '*' });
  claim.rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || a.id.localeCompare(b.id));
  return claim;
}

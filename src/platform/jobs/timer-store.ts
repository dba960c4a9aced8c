// Persisted timers: a due time in a table survives restarts; firing and its effect commit together.
import type { Tx } from '../db/database.ts';

/** tracking_recheck: an untrusted delivery asked about again; tracking_subscribe: a shipped number registered with the source. */
export type TimerKind = 'payment_timeout' | 'tracking_recheck' | 'tracking_subscribe';

/** The row a timer times: an order's payment timeout, a shipment's tracking timers (their lock owner, unit-of-work.ts). */
function ownerOf(kind: TimerKind, ref: string) {
  return { kind: kind === 'payment_timeout' ? ('order' as const) : ('shipment' as const), key: ref };
}

/** (Re)sets a timer. A claim on it is ended: a pass working the old due time must not mark the new one done. */
export async function scheduleTimer(tx: Tx, tenantId: string, kind: TimerKind, ref: string, dueAt: number, now: number): Promise<void> {
  tx.locks.takeOwned('timer', `${kind}:${ref}`, ownerOf(kind, ref));
  await tx.run(
    `INSERT INTO timers (tenant_id, kind, ref, due_at, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)
     ON CONFLICT (kind, ref) DO UPDATE SET due_at = excluded.due_at, state = 'pending', updated_at = excluded.updated_at,
       claimed_by = NULL, claimed_until = NULL`,
    [tenantId, kind, ref, dueAt, now, now],
  );
}

export async function cancelTimer(tx: Tx, kind: TimerKind, ref: string, now: number): Promise<void> {
  tx.locks.takeOwned('timer', `${kind}:${ref}`, ownerOf(kind, ref));
  await tx.run(`UPDATE timers SET state = 'cancelled', updated_at = ? WHERE kind = ? AND ref = ? AND state = 'pending'`, [now, kind, ref]);
}

/**
 * Marks a due timer fired; returns false when another worker (or a cancel) got there first. With `claim` (the token of
 * the pass that claimed it, see claims.ts) it is also false when that claim lapsed and another pass took the timer.
 * Claim it after locking what it times (`timed`, e.g. the order of a payment timeout), or as the transaction's first lock.
 */
export async function claimTimer(tx: Tx, id: number, now: number, opts: { claim?: string | undefined; timed?: { kind: TimerKind; ref: string } } = {}): Promise<boolean> {
  const { claim, timed } = opts;
  if (timed) tx.locks.takeOwned('timer', `#${id}`, ownerOf(timed.kind, timed.ref));
  else tx.locks.take('timer', [`#${id}`]);
  const n = await tx.run(
    `UPDATE timers SET state = 'done', attempts = attempts + 1, updated_at = ?, claimed_by = NULL, claimed_until = NULL
     WHERE id = ? AND state = 'pending'${claim === undefined ? '' : ' AND claimed_by = ?'}`,
    claim === undefined ? [now, id] : [now, id, claim],
  );
  return n === 1;
}

/** A timer's attempt failed: tried again at `retryAt`, its claim ended (only if the claim is still this pass's). */
export async function retryTimer(tx: Tx, id: number, error: string, retryAt: number, now: number, claim?: string): Promise<void> {
  await tx.run(
    `UPDATE timers SET attempts = attempts + 1, last_error = ?, due_at = ?, updated_at = ?, claimed_by = NULL, claimed_until = NULL
     WHERE id = ? AND state = 'pending'${claim === undefined ? '' : ' AND claimed_by = ?'}`,
    claim === undefined ? [error.slice(0, 500), retryAt, now, id] : [error.slice(0, 500), retryAt, now, id, claim],
  );
}

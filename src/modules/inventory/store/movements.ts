// The stock movement ledger (出入库流水): every write that moves a stock row's on-hand or reserved units records the
// row's figures after the move (the UPDATE's RETURNING) and what it moved, so before = after − the move, exactly, under
// the row's lock. Written in the same transaction as the move: the ledger and the stock row never disagree.
import type { Tx } from '../../../platform/db/database.ts';

/** Why a stock row moved. */
export type MovementCause = 'set' | 'adjust' | 'count' | 'reserve' | 'release' | 'restock' | 'reroute' | 'ship';

/** Who and why, as the ledger keeps it: a person (or null for the hub's own order flow), a reason, a reference. */
export interface MovementContext {
  cause: MovementCause;
  reason?: string | null | undefined;
  actor?: { id: string | null; name: string } | null | undefined;
  /** The order, approval or parcel the move serves. */
  ref?: string | null | undefined;
}

/** One move at one stock row: its figures after the move and the change that got them there. */
export interface RowMove {
  sku: string;
  warehouse: string;
  onHandAfter: number;
  reservedAfter: number;
  dOnHand: number;
  dReserved: number;
}

export async function recordMovement(tx: Tx, tenantId: string, m: RowMove, ctx: MovementContext, now: number): Promise<void> {
  if (m.dOnHand === 0 && m.dReserved === 0) return;
  await tx.run(
    `INSERT INTO stock_movements (tenant_id, sku, warehouse, at, cause, reason, actor_id, actor_name, ref,
       on_hand_before, on_hand_after, reserved_before, reserved_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      tenantId,
      m.sku,
      m.warehouse,
      now,
      ctx.cause,
      ctx.reason ?? null,
      ctx.actor?.id ?? null,
      ctx.actor?.name ?? null,
      ctx.ref ?? null,
      Number(m.onHandAfter) - m.dOnHand,
      Number(m.onHandAfter),
      Number(m.reservedAfter) - m.dReserved,
      Number(m.reservedAfter),
    ],
  );
}

/** The figures a stock UPDATE … RETURNING hands back. */
export interface Figures {
  on_hand: number;
  reserved: number;
}

export const returningFigures = ' RETURNING on_hand, reserved';

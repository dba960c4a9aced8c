// Telling a platform a parcel's corrected carrier or tracking number (a typo found after it shipped): in the transaction
// that corrects the shipment, each of its platform orders gets one ship-back write with the new number, superseding the
// write that told the platform the old one. The platform's own correction method is the connector's business
// (a parcel with `replacesTrackingNo`); here is only which write that is, or why there is none.
import { HubError } from '../../../kernel/errors.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { resolveAlert } from '../../health/alerts.ts';
import { adapterFor } from '../connectors/registry.ts';
import type { ShipBackParcel } from '../connectors/types.ts';
import { unconfirmedAlertKey, unconfirmedAlertKind, type OutboundRow } from './outbound.ts';

/**
 * Why this channel's platform cannot be told a corrected number, in words for the person asking; null when it can (or
 * when the hub never tells it of parcels at all, like the own shop: nothing to correct there).
 */
export function trackingCorrectionRefusal(channel: string): string | null {
  const a = adapterFor(channel);
  if (!a) return null;
  if (a.trackingCorrectionRefused) return a.trackingCorrectionRefused;
  // A ship-back client that has not learnt corrections would send the new number as a second parcel.
  if (a.shipBack && !a.trackingCorrection) return `the hub cannot correct a ${a.label} tracking number yet: correct it in the ${a.label} seller back office`;
  return null;
}

export interface ShipBackCorrectionDraft {
  shipmentId: string;
  orderId: string;
  carrier: string;
  trackingNo: string;
  at: number;
}

/** What happened to one platform order's ship-back: the write queued (and the one it supersedes), or why none was. */
export type ShipBackCorrection =
  | { kind: 'queued'; id: number; supersedes: number; mode: 'correct' | 'resend' | 'replace' }
  | { kind: 'none'; reason: 'never_told' | 'platform_has_it' | 'corrected_by_hand' };

/**
 * Whether correcting this platform order's ship-back means asking the platform to change a number it already holds
 * (`correct`) — the one case a platform without a correction method cannot take — rather than sending the new number
 * in place of one it never got. Read-only: the caller decides before anything is written.
 */
export async function shipBackCorrectionMode(tx: Tx, shipmentId: string, orderId: string): Promise<'correct' | 'resend' | 'replace' | null> {
  const current = (await tx.all<OutboundRow>(`SELECT * FROM outbound_calls WHERE kind = 'ship_back' AND shipment_id = ? AND order_id = ? AND superseded_by IS NULL ORDER BY id`, [shipmentId, orderId])).at(-1);
  if (!current) return null;
  if (current.state === 'pending' || current.state === 'in_flight') return 'replace';
  return current.state === 'done' || current.handled_at !== null ? 'correct' : 'resend';
}

/**
 * The platform was corrected by hand in its own back office (a platform the hub cannot correct, or a person who did it
 * there): the write that told it the old number is closed with a note, so its "not confirmed" alert does not wait for a
 * number the platform no longer shows. Nothing is sent.
 */
export async function closeCorrectedByHand(tx: Tx, d: ShipBackCorrectionDraft, who: string): Promise<ShipBackCorrection> {
  const current = (await tx.all<OutboundRow>(`SELECT * FROM outbound_calls WHERE kind = 'ship_back' AND shipment_id = ? AND order_id = ? AND superseded_by IS NULL ORDER BY id`, [d.shipmentId, d.orderId])).at(-1);
  if (!current) return { kind: 'none', reason: 'never_told' };
  if (current.handled_at === null) {
    await tx.run('UPDATE outbound_calls SET handled_at = ?, handled_by = ?, handled_note = ?, updated_at = ? WHERE id = ? AND handled_at IS NULL', [
      d.at,
      who,
      `corrected to ${d.carrier} ${d.trackingNo} on the platform by hand`,
      d.at,
      current.id,
    ]);
  }
  if (current.unconfirmed_alerted_at !== null) await resolveAlert(tx, current.account_id, unconfirmedAlertKind, unconfirmedAlertKey(Number(current.id)), d.at);
  return { kind: 'none', reason: 'corrected_by_hand' };
}

/**
 * In the transaction that corrects the shipment (its orders and the shipment locked by the caller): the platform order's
 * current ship-back write (the last of its chain of resends) decides what the platform is sent.
 * - done (the platform took the old number), or closed by hand: a correction — the parcel again with the new number and
 *   `replacesTrackingNo` = the number that write carried — which the connector sends with the platform's method;
 * - refused or given up, not closed: the platform holds no number from it, so a plain send of the new number (a resend);
 * - pending and never tried: it is superseded before it goes, and the new number is sent instead;
 * - in flight, or waiting to retry after an attempt (the platform may have it behind a lost answer): refused
 *   (SHIP_BACK_IN_FLIGHT) — correct it once that write has settled.
 * Nothing is queued when the hub never told the platform of this parcel, or when the platform already holds the new
 * number (a resend fixed it earlier). The new write's key names the write it supersedes, and the superseding is fenced,
 * so a double submit queues one correction.
 */
export async function enqueueShipBackCorrection(tx: Tx, d: ShipBackCorrectionDraft): Promise<ShipBackCorrection> {
  const chain = await tx.all<OutboundRow>(`SELECT * FROM outbound_calls WHERE kind = 'ship_back' AND shipment_id = ? AND order_id = ? AND superseded_by IS NULL ORDER BY id`, [d.shipmentId, d.orderId]);
  const current = chain.at(-1);
  if (!current) return { kind: 'none', reason: 'never_told' };
  const before = JSON.parse(current.request) as ShipBackParcel;
  const tried = Number(current.attempts) > 0 || current.claimed_by !== null;
  if (current.state === 'in_flight' || (current.state === 'pending' && tried)) {
    throw new HubError('SHIP_BACK_IN_FLIGHT', `the platform is being told ${before.trackingNo} for order ${current.platform_order_id} right now (write ${current.id}): correct the number once that write has settled`, {
      outboundId: Number(current.id),
      state: current.state,
    });
  }
  let mode: 'correct' | 'resend' | 'replace';
  if (current.state === 'pending') mode = 'replace';
  else if (current.state === 'done' || current.handled_at !== null) mode = 'correct';
  else mode = 'resend';
  if (mode === 'correct' && before.trackingNo === d.trackingNo && before.carrier === d.carrier) return { kind: 'none', reason: 'platform_has_it' };

  const key = `ship_back:correct:${current.id}`;
  const { replacesTrackingNo: _earlier, ...parcel } = before;
  const request: ShipBackParcel = { ...parcel, carrier: d.carrier, trackingNo: d.trackingNo, idempotencyKey: key, ...(mode === 'correct' ? { replacesTrackingNo: before.trackingNo } : {}) };
  const made = await tx.get<{ id: number }>(
    `INSERT INTO outbound_calls (tenant_id, account_id, channel, kind, order_id, shipment_id, platform_order_id, idempotency_key, request, state, attempts, next_attempt_at, resend_of, created_at, updated_at)
     VALUES (?, ?, ?, 'ship_back', ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING id`,
    [current.tenant_id, current.account_id, current.channel, current.order_id, current.shipment_id, current.platform_order_id, key, JSON.stringify(request), d.at, current.id, d.at, d.at],
  );
  const id = Number(made?.id);
  // The fence: a write claimed or superseded since it was read is not superseded again.
  const fenced =
    mode === 'replace'
      ? await tx.run(`UPDATE outbound_calls SET state = 'superseded', superseded_by = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND superseded_by IS NULL AND state = 'pending' AND attempts = 0 AND claimed_by IS NULL`, [
          id,
          d.at,
          current.id,
        ])
      : await tx.run('UPDATE outbound_calls SET superseded_by = ?, updated_at = ? WHERE id = ? AND superseded_by IS NULL', [id, d.at, current.id]);
  if (fenced !== 1) throw new HubError('SHIP_BACK_IN_FLIGHT', `the write telling the platform about order ${current.platform_order_id} changed meanwhile (write ${current.id}): try again`, { outboundId: Number(current.id) });
  // Superseded, it is no longer the one the "not confirmed" alert is about.
  if (current.unconfirmed_alerted_at !== null) await resolveAlert(tx, current.account_id, unconfirmedAlertKind, unconfirmedAlertKey(Number(current.id)), d.at);
  return { kind: 'queued', id, supersedes: Number(current.id), mode };
}

// Resending a ship-back with a corrected carrier or tracking number (the first one was refused for it, or never showed
// up on the platform): a new write, due at once, that supersedes the old one; audited with both versions.
import { HubError } from '../../../kernel/errors.ts';
import { isCode } from '../../../kernel/codes.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { ShipBackParcel } from '../connectors/types.ts';
import type { IntegrationDeps } from '../deps.ts';
import { isOpenException, outboundCallFor } from '../store/outbound.ts';
import { outboundView, type OutboundView } from '../queries/outbound-log.ts';

export interface ShipBackCorrection {
  carrier?: string | undefined;
  trackingNo?: string | undefined;
}

export async function resendShipBack(deps: IntegrationDeps, who: Principal, id: number, fix: ShipBackCorrection, now = Date.now()): Promise<OutboundView> {
  requirePermission(who, 'orders.modify');
  const carrier = fix.carrier?.trim();
  const trackingNo = fix.trackingNo?.trim();
  if (!carrier && !trackingNo) throw new HubError('VALIDATION_FAILED', 'a resend needs a corrected carrier or tracking number');
  if (carrier !== undefined && !isCode('carrier', carrier)) throw new HubError('VALIDATION_FAILED', `carrier ${JSON.stringify(carrier)} is not a carrier code`);
  if (trackingNo !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(trackingNo)) throw new HubError('VALIDATION_FAILED', 'a tracking number is 1–64 letters, digits and -');
  const row = await deps.db.transaction(async (tx) => {
    const r = await outboundCallFor(tx, who, id);
    if (!r) throw new HubError('OUTBOUND_NOT_FOUND', `platform write ${id} does not exist`);
    if (r.kind !== 'ship_back') throw new HubError('OUTBOUND_NOT_OPEN', `platform write ${id} is a ${r.kind}: only a ship-back is resent with a correction`);
    if (!isOpenException(r)) throw new HubError('OUTBOUND_NOT_OPEN', `platform write ${id} is ${r.state}: only a refused, given-up or unconfirmed ship-back can be resent`, { state: r.state });
    const before = JSON.parse(r.request) as ShipBackParcel;
    const key = `ship_back:resend:${id}`;
    const request: ShipBackParcel = { ...before, carrier: carrier ?? before.carrier, trackingNo: trackingNo ?? before.trackingNo, idempotencyKey: key };
    const made = await tx.get<{ id: number }>(
      `INSERT INTO outbound_calls (tenant_id, account_id, channel, kind, order_id, shipment_id, platform_order_id, idempotency_key, request, state, attempts, next_attempt_at, resend_of, created_at, updated_at)
       VALUES (?, ?, ?, 'ship_back', ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING id`,
      [r.tenant_id, r.account_id, r.channel, r.order_id, r.shipment_id, r.platform_order_id, key, JSON.stringify(request), now, id, now, now],
    );
    const newId = Number(made?.id);
    // The fence: a second resend of the same write (a double click) finds it superseded.
    const n = await tx.run(`UPDATE outbound_calls SET superseded_by = ?, updated_at = ? WHERE id = ? AND superseded_by IS NULL`, [newId, now, id]);
    if (n !== 1) throw new HubError('OUTBOUND_NOT_OPEN', `platform write ${id} was already resent`);
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'outbound.resend',
        targetType: 'order',
        targetId: r.order_id,
        before: { outbound: id, carrier: before.carrier, trackingNo: before.trackingNo },
        after: { outbound: newId, carrier: request.carrier, trackingNo: request.trackingNo },
      },
      now,
    );
    return (await outboundCallFor(tx, who, newId))!;
  });
  deps.onOutboundDue?.();
  return outboundView(row);
}

// A verified WMS push recorded and applied: its status code mapped through the account's dictionary and applied
// through the warehouse-flow steps the console uses, in one transaction with its own record, so a retried event id
// changes nothing.
import { HubError } from '../../../kernel/errors.ts';
import { systemPrincipal, type Principal } from '../../../kernel/principal.ts';
import { parseIsoInstant } from '../../../kernel/time.ts';
import type { WmsDeps } from '../deps.ts';
import type { WmsOutcome, WmsPush, WmsStep } from '../wms/views.ts';

const rank: Record<string, number> = { planned: 0, waved: 1, picked: 2, packed: 3, shipped: 4, delivered: 5, returned: 6 };

/**
 * Maps and applies one verified push, with its record, in one transaction. A known event id changes nothing (checked
 * before the dictionary, which may have changed since); the same id for a different report is refused.
 */
export async function recordWmsPush(deps: WmsDeps, p: WmsPush): Promise<WmsOutcome> {
  return deps.db.transaction(async (tx) => {
    const found = await deps.cache.get(p.wmsAccountId, p.receivedAt);
    if (!found) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${p.wmsAccountId}`);
    const { account } = found;
    // The cached account may be a moment old: the row decides, held against a delete until this push commits.
    tx.locks.take('account', [account.id]);
    const live = await tx.get<{ active: number }>(`SELECT active FROM wms_accounts WHERE id = ? AND deleted_at IS NULL${tx.dialect === 'postgres' ? ' FOR SHARE' : ''}`, [account.id]);
    if (!live) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${p.wmsAccountId}`);
    if (Number(live.active) !== 1) throw new HubError('ACCOUNT_INACTIVE', `WMS account ${p.wmsAccountId} is switched off`);
    const { shipmentId, status } = p.body;
    const who: Principal = { ...systemPrincipal(account.tenantId, `wms:${account.name}`), scope: { accounts: null, warehouses: [account.warehouse], provinces: null } };
    const seen = async () => {
      const before = await tx.get<{ shipment_id: string; status: string; step: WmsStep; outcome: WmsOutcome['outcome'] | 'pending' }>(
        'SELECT shipment_id, status, step, outcome FROM wms_pushes WHERE wms_account_id = ? AND event_id = ?',
        [account.id, p.eventId],
      );
      if (!before) return null;
      if (before.shipment_id !== shipmentId || before.status !== status) {
        throw new HubError('CONFLICT', `event id ${p.eventId} was used before for status "${before.status}" of shipment ${before.shipment_id}; a different report needs its own event id`, {
          eventId: p.eventId,
          shipmentId: before.shipment_id,
          status: before.status,
        });
      }
      // Only the answer needs it: a duplicate decides nothing, so it locks nothing.
      const current = await deps.flow.packingState(tx, who, before.shipment_id, false);
      return { duplicate: true, shipmentId: before.shipment_id, status: before.status, step: before.step, outcome: before.outcome === 'pending' ? 'ignored' : before.outcome, state: current.state } satisfies WmsOutcome;
    };
    const known = await seen();
    if (known) return known;
    const step = Object.hasOwn(account.dictionary, status) ? account.dictionary[status] : undefined;
    if (!step) {
      throw new HubError('WMS_STATUS_UNKNOWN', `WMS status code "${status}" is not in the dictionary of WMS account ${account.name}; nothing was recorded`, { status });
    }
    const reportedAt = parseIsoInstant(p.body.at);
    const claimed = await tx.run(
      `INSERT INTO wms_pushes (wms_account_id, event_id, tenant_id, shipment_id, status, step, outcome, reported_at, received_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
      [account.id, p.eventId, account.tenantId, shipmentId, status, step, reportedAt, p.receivedAt],
    );
    if (claimed !== 1) {
      // Delivered twice at once: the other copy committed first.
      const again = await seen();
      if (again) return again;
      throw new HubError('CONFLICT', `event id ${p.eventId} is being recorded by another delivery; send it again`);
    }
    const now = p.receivedAt;
    // Shipping moves the shipment's orders: they are locked before the shipment (the one lock order).
    if (step === 'shipped') await deps.flow.lockOrdersOf(tx, who, shipmentId);
    const { state, remaining } = await deps.flow.packingState(tx, who, shipmentId);
    let outcome: WmsOutcome['outcome'] = 'applied';
    if (step === 'ignored') outcome = 'ignored';
    else if (state === 'cancelled') {
      // Stopped (拦截) after the WMS got it: no step applies any more, and a WMS that goes on must hear so, not 200.
      throw new HubError('SHIPMENT_CANCELLED', `shipment ${shipmentId} was cancelled (its orders were cancelled or shipped another way): stop work on it and put its units back; nothing was recorded`, {
        shipmentId,
        state,
      });
    }
    else if ((rank[state] ?? 0) >= (rank[step] ?? 0)) outcome = 'already_past';
    else if (step === 'picked') {
      await deps.flow.pickIn(tx, who, shipmentId, now);
    } else {
      if (step === 'packed' && p.body.lines?.length) {
        // The WMS says which units went in: scanned as the console scans them (a wrong one refuses the push).
        await deps.flow.scanIn(tx, who, shipmentId, p.body.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)), now);
      } else if (remaining.length) {
        await deps.flow.scanIn(tx, who, shipmentId, remaining, now);
      }
      if (step === 'shipped') {
        const trackingNo = p.body.trackingNo?.trim();
        const carrier = p.body.carrier?.trim();
        if (!carrier || !trackingNo) throw new HubError('VALIDATION_FAILED', `a WMS "${status}" (shipped) push needs carrier and trackingNo`);
        await deps.flow.shipIn(tx, who, shipmentId, { carrier, trackingNo }, now);
      }
    }
    const after = await deps.flow.packingState(tx, who, shipmentId);
    await tx.run('UPDATE wms_pushes SET outcome = ? WHERE wms_account_id = ? AND event_id = ?', [outcome, account.id, p.eventId]);
    return { duplicate: false, shipmentId, status, step, outcome, state: after.state };
  });
}

// The ship-back's closed loop, its alarm: a ship-back the platform took that no pull or push has confirmed within the
// window raises one alert (per row, once); confirming it later resolves the alert (store/outbound.ts).
import { raiseAlert } from '../../health/alerts.ts';
import type { IntegrationDeps } from '../deps.ts';
import { unconfirmedAlertKey, unconfirmedAlertKind, type OutboundRow } from '../store/outbound.ts';

const due = `kind = 'ship_back' AND state = 'done' AND confirmed_at IS NULL AND unconfirmed_alerted_at IS NULL AND handled_at IS NULL AND superseded_by IS NULL AND done_at <= ?`;

/** Raises the alert for every ship-back done before `now - windowMs` and still unconfirmed; returns how many. */
export async function raiseUnconfirmedShipBacks(deps: IntegrationDeps, now: number, windowMs: number, limit = 100): Promise<number> {
  // Looked up on the read connection first: no write when there is nothing to raise (every pass asks).
  if (!(await deps.db.read.get(`SELECT id FROM outbound_calls WHERE ${due} LIMIT 1`, [now - windowMs]))) return 0;
  return deps.db.transaction(async (tx) => {
    const rows = await tx.all<Pick<OutboundRow, 'id' | 'tenant_id' | 'account_id' | 'channel' | 'platform_order_id' | 'order_id' | 'done_at'>>(
      `SELECT id, tenant_id, account_id, channel, platform_order_id, order_id, done_at FROM outbound_calls WHERE ${due} ORDER BY id LIMIT ?`,
      [now - windowMs, limit],
    );
    let n = 0;
    for (const r of rows) {
      // The fence: another pass that raised it first leaves nothing to do here.
      if ((await tx.run('UPDATE outbound_calls SET unconfirmed_alerted_at = ? WHERE id = ? AND unconfirmed_alerted_at IS NULL', [now, r.id])) !== 1) continue;
      await raiseAlert(tx, {
        tenantId: r.tenant_id,
        accountId: r.account_id,
        platform: r.channel,
        kind: unconfirmedAlertKind,
        key: unconfirmedAlertKey(Number(r.id)),
        message: `ship-back of platform order ${r.platform_order_id} was accepted but no pull has shown it shipped with our tracking number within ${Math.round(windowMs / 60_000)} minutes`,
        detail: { outboundId: Number(r.id), orderId: r.order_id, platformOrderId: r.platform_order_id, doneAt: Number(r.done_at) },
        at: now,
      });
      n++;
    }
    return n;
  });
}

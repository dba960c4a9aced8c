// Replaying a stored raw event through its adapter again, after a dictionary or mapping fix.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { rawEventScopeSql } from '../../../kernel/scope.ts';
import { storableValue } from '../../../kernel/text.ts';
import { adapterFor } from '../connectors/registry.ts';
import { appendAudit } from '../../access/audit.ts';
import type { OrderResult } from '../../orders/ingest/ingest.ts';
import type { IntegrationDeps } from '../deps.ts';

/**
 * Runs a stored raw event through its adapter again (after a dictionary or mapping fix) and applies what it says
 * now. An order that has moved on since is not moved back (the stale guard); the same source time is re-applied.
 */
export async function replayRawEvent(deps: IntegrationDeps, who: Principal, rawEventId: number, now = Date.now()): Promise<{ rawEventId: number; orders: OrderResult[] }> {
  requirePermission(who, 'accounts.manage');
  if (!deps.ingest) throw new Error('replay runs where writes run');
  const ingest = deps.ingest;
  const f = rawEventScopeSql(who.scope, 'raw_events');
  const r = await deps.db.read.get<{ tenant_id: string; account_id: string; channel: string; event_id: string; headers: string; body: string; via: string }>(
    `SELECT tenant_id, account_id, channel, event_id, headers, body, via FROM raw_events WHERE id = ? AND tenant_id = ? AND ${f.text}`,
    [rawEventId, who.tenantId, ...f.params],
  );
  if (!r) throw new HubError('RAW_EVENT_NOT_FOUND', `raw event ${rawEventId} does not exist`);
  const adapter = adapterFor(r.channel);
  const body = deps.keyring.decryptBytes(r.body);
  const headers = JSON.parse(r.headers) as Record<string, string>;
  let orders;
  if (r.via === 'pull') {
    if (!adapter?.parsePulled) throw new HubError('PLATFORM_NOT_SUPPORTED', `${r.channel} cannot read a pulled order again`);
    orders = adapter.parsePulled(body);
  } else {
    if (!adapter?.parsePush) throw new HubError('PLATFORM_NOT_SUPPORTED', `${r.channel} has no push adapter`);
    // Made storable as when it first came (NUL removed, lone surrogates replaced).
    orders = storableValue(adapter.parsePush(body, { eventId: r.event_id, keptHeaders: headers }));
  }
  return deps.db.transaction(async (tx) => {
    const results = await ingest.replay(tx, {
      tenantId: r.tenant_id,
      accountId: r.account_id,
      channel: r.channel,
      rawEventId,
      at: now,
      by: who.name,
      orders,
    });
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'raw_event.replay', targetType: 'raw_event', targetId: String(rawEventId), after: results.map((x) => ({ order: x.orderNo, outcome: x.outcome, status: x.status, hold: x.hold })) },
      now,
    );
    return { rawEventId, orders: results };
  });
}

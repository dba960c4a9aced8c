// Channel alerts: one row per account, kind and key, counted on every repeat, so a storm is one alert that grows.
import type { Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';

export interface AlertInput {
  tenantId: string;
  accountId: string;
  platform: string;
  /** status_unknown, field_added, field_missing, body_large, body_too_large, refusals, pull_error, pull_failing … */
  kind: string;
  key: string;
  message: string;
  detail?: unknown;
  at: number;
}

/**
 * Raises an alert, or counts a repeat of an open one. A repeat of an acknowledged alert opens it again. The first
 * occurrence (and a reopening) is also an outbox event, so subscribers hear of it once, not on every repeat.
 */
export async function raiseAlert(tx: Tx, a: AlertInput): Promise<void> {
  const detail = a.detail === undefined ? null : JSON.stringify(a.detail);
  const row = await tx.get<{ id: number; acknowledged_at: number | null; occurrences: number }>(
    `INSERT INTO channel_alerts (tenant_id, account_id, platform, kind, alert_key, message, detail, first_at, last_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id, kind, alert_key) DO UPDATE SET occurrences = channel_alerts.occurrences + 1, last_at = excluded.last_at,
       message = excluded.message, detail = excluded.detail
     RETURNING id, acknowledged_at, occurrences`,
    [a.tenantId, a.accountId, a.platform, a.kind, a.key.slice(0, 200), a.message.slice(0, 1000), detail, a.at, a.at],
  );
  if (!row) return;
  if (row.acknowledged_at !== null) {
    await tx.run('UPDATE channel_alerts SET acknowledged_at = NULL, acknowledged_by = NULL WHERE id = ?', [row.id]);
  } else if (Number(row.occurrences) > 1) {
    return;
  }
  await appendEvent(tx, {
    tenantId: a.tenantId,
    type: 'channel.alert',
    aggregateType: 'channel_account',
    aggregateId: a.accountId,
    at: a.at,
    payload: { accountId: a.accountId, platform: a.platform, kind: a.kind, key: a.key, message: a.message },
  });
}

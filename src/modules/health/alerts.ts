// Channel alerts: one row per account, kind and key, counted on every repeat, so a storm is one alert that grows.
import type { Database, Reader, Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import type { Principal } from '../../kernel/principal.ts';
import { channelAlertScopeSql, toKysely } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';

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

/** An alert of the principal's tenant and scope, for acknowledging it. */
export async function alertFor(tx: Tx, who: Principal, id: number) {
  const f = channelAlertScopeSql(who.scope, 'channel_alerts');
  return tx.get<{ account_id: string; kind: string; alert_key: string; acknowledged_at: number | null }>(
    `SELECT account_id, kind, alert_key, acknowledged_at FROM channel_alerts WHERE id = ? AND tenant_id = ? AND ${f.text}`,
    [id, who.tenantId, ...f.params],
  );
}

/** Someone has seen the alert: it stays, closed, until it happens again. */
export async function acknowledge(tx: Tx, id: number, by: string, now: number): Promise<void> {
  await tx.run('UPDATE channel_alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?', [now, by, id]);
}

/**
 * The condition behind an open alert ended by itself (a ship-back confirmed after its alert): the alert closes as if
 * acknowledged by the hub. Nothing when there is no such open alert.
 */
export async function resolveAlert(tx: Tx, accountId: string, kind: string, key: string, now: number): Promise<void> {
  await tx.run(`UPDATE channel_alerts SET acknowledged_at = ?, acknowledged_by = 'hub: resolved' WHERE account_id = ? AND kind = ? AND alert_key = ? AND acknowledged_at IS NULL`, [now, accountId, kind, key.slice(0, 200)]);
}

/** Alerts nobody has acknowledged yet, of one account. */
export async function openAlertCount(q: Reader, accountId: string): Promise<number> {
  return Number((await q.get<{ n: number }>('SELECT count(*) AS n FROM channel_alerts WHERE account_id = ? AND acknowledged_at IS NULL', [accountId]))?.n ?? 0);
}

/** The alerts a principal may see, newest first. */
export async function listAlerts(db: Database, who: Principal, f: { accountId?: string | undefined; open?: boolean | undefined; limit?: number | undefined }) {
  let q = db.kysely.selectFrom('channel_alerts').selectAll().where('tenant_id', '=', who.tenantId).where(toKysely(channelAlertScopeSql(who.scope, 'channel_alerts')));
  if (f.accountId) q = q.where('account_id', '=', f.accountId);
  if (f.open) q = q.where('acknowledged_at', 'is', null);
  const rows = await q.orderBy('last_at', 'desc').limit(f.limit ?? 100).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    accountId: r.account_id,
    platform: r.platform,
    kind: r.kind,
    key: r.alert_key,
    message: r.message,
    firstAt: toIso(r.first_at),
    lastAt: toIso(r.last_at),
    occurrences: r.occurrences,
    acknowledgedAt: toIso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
  }));
}

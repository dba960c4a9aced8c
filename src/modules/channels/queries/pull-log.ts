// An account's pull runs, newest first.
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { IntegrationDeps } from '../deps.ts';

export async function pullLog(deps: IntegrationDeps, who: Principal, accountId: string, limit = 50) {
  await deps.accounts.getFor(who, accountId);
  const rows = await deps.db.read.all<{
    id: number;
    started_at: number;
    finished_at: number;
    window_from: number;
    window_to: number;
    pages: number;
    fetched: number;
    created: number;
    updated: number;
    recovered: number;
    error_code: string | null;
    error: string | null;
    rate_limited: number;
  }>('SELECT * FROM pull_log WHERE account_id = ? ORDER BY id DESC LIMIT ?', [accountId, limit]);
  return rows.map((r) => ({
    id: Number(r.id),
    startedAt: toIso(r.started_at),
    durationMs: Number(r.finished_at) - Number(r.started_at),
    windowFrom: toIso(r.window_from),
    windowTo: toIso(r.window_to),
    pages: r.pages,
    fetched: r.fetched,
    created: r.created,
    updated: r.updated,
    recovered: r.recovered,
    errorCode: r.error_code,
    error: r.error,
    rateLimited: Boolean(r.rate_limited),
  }));
}

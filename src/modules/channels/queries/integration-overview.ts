// The integration page of one account: what came in over the last day (pushed, fetched, pulled, recovered by
// polling), the pull state, the last pull and the open alerts.
import type { Principal } from '../../../kernel/principal.ts';
import { rawEventScopeSql } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import { adapterFor } from '../connectors/registry.ts';
import { openAlertCount } from '../../health/alerts.ts';
import type { IntegrationDeps } from '../deps.ts';
import { recoveredOutcomes } from '../pull-run.ts';
import { pullLog } from './pull-log.ts';

const day = 24 * 3_600_000;

/** The integration page of one account: the last 24 hours, the pull state, open alerts. */
export async function integrationOverview(deps: IntegrationDeps, who: Principal, accountId: string, now = Date.now()) {
  const a = await deps.accounts.getFor(who, accountId);
  const since = now - day;
  // What was received counts the raw events the principal's scope sees (a province scope: its province's orders).
  const f = rawEventScopeSql(who.scope, 'raw_events');
  const counts = await deps.db.read.all<{ via: string; outcome: string; events: number; deliveries: number }>(
    `SELECT via, outcome, count(*) AS events, sum(deliveries) AS deliveries FROM raw_events
     WHERE account_id = ? AND received_at >= ? AND ${f.text} GROUP BY via, outcome`,
    [accountId, since, ...f.params],
  );
  const byOutcome: Record<string, number> = {};
  let pushed = 0;
  let pushDeliveries = 0;
  let pulled = 0;
  let fetched = 0;
  let recovered = 0;
  for (const c of counts) {
    const n = Number(c.events);
    if (c.via === 'fetch') {
      fetched += n;
    } else if (c.via === 'pull') {
      pulled += n;
      if (recoveredOutcomes.includes(c.outcome)) recovered += n;
    } else {
      pushed += n;
      pushDeliveries += Number(c.deliveries);
      byOutcome[c.outcome] = (byOutcome[c.outcome] ?? 0) + n;
    }
  }
  const recoveredAllTime = await deps.db.read.get<{ n: number }>(
    `SELECT count(*) AS n FROM raw_events WHERE account_id = ? AND via = 'pull' AND outcome IN (${recoveredOutcomes.map(() => '?').join(', ')}) AND ${f.text}`,
    [accountId, ...recoveredOutcomes, ...f.params],
  );
  const state = await deps.db.read.get<{ watermark: number; next_run_at: number; failures: number; last_error: string | null }>(
    'SELECT watermark, next_run_at, failures, last_error FROM pull_state WHERE account_id = ?',
    [accountId],
  );
  const lastPull = (await pullLog(deps, who, accountId, 1))[0] ?? null;
  const openAlerts = await openAlertCount(deps.db.read, accountId);
  const adapter = adapterFor(a.platform);
  return {
    account: { id: a.id, platform: a.platform, name: a.name, active: a.active },
    push: { supported: Boolean(adapter?.verifyPush) },
    pull: { supported: Boolean(adapter?.pull), configured: Boolean(adapter?.pull && (adapter.pullConfigured?.(a.credentials as never) ?? true)) },
    /** pushed: raw events from pushes; fetched: orders a push named and the hub fetched; pulled: the scheduled pulls. */
    last24h: { pushed, pushDeliveries, fetched, pulled, recovered, byOutcome },
    recoveredAllTime: Number(recoveredAllTime?.n ?? 0),
    pullState: state
      ? { watermark: toIso(state.watermark), nextRunAt: toIso(state.next_run_at), failures: state.failures, lastError: state.last_error }
      : null,
    lastPull,
    openAlerts,
  };
}

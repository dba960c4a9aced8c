// Recording a pull run: its log line and the pull state it leaves (the watermark only moves forward), behind a fence on
// the run's lease; a failing account raises an alert.
import type { IntegrationDeps } from '../deps.ts';
import { fence } from '../../../platform/jobs/leases.ts';
import { raiseAlert } from '../../health/alerts.ts';
import type { PullRunRecord } from '../pull-run.ts';

export async function recordPull(deps: IntegrationDeps, r: PullRunRecord): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (r.lease) await fence(tx, r.lease);
    await tx.run(
      `INSERT INTO pull_log (tenant_id, account_id, started_at, finished_at, window_from, window_to, pages, fetched, created, updated, recovered,
         error_code, error, rate_limited) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.tenantId,
        r.accountId,
        r.startedAt,
        r.finishedAt,
        r.windowFrom,
        r.windowTo,
        r.pages,
        r.fetched,
        r.created,
        r.updated,
        r.recovered,
        r.errorCode,
        r.error?.slice(0, 1000) ?? null,
        r.rateLimited ? 1 : 0,
      ],
    );
    await tx.run(
      `INSERT INTO pull_state (account_id, tenant_id, watermark, next_run_at, failures, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET
         watermark = CASE WHEN pull_state.watermark > excluded.watermark THEN pull_state.watermark ELSE excluded.watermark END,
         next_run_at = excluded.next_run_at, failures = excluded.failures,
         last_error = excluded.last_error, updated_at = excluded.updated_at`,
      [r.accountId, r.tenantId, r.watermark, r.nextRunAt, r.failures, r.errorCode ? `${r.errorCode}: ${r.error ?? ''}`.slice(0, 1000) : null, r.finishedAt],
    );
    if (r.errorCode && !r.rateLimited) {
      await raiseAlert(tx, {
        tenantId: r.tenantId,
        accountId: r.accountId,
        platform: r.platform,
        kind: 'pull_error',
        key: r.errorCode,
        message: `pull failed with ${r.errorCode}: ${r.error ?? ''}`,
        at: r.finishedAt,
      });
    }
    if (r.failures >= 3) {
      await raiseAlert(tx, {
        tenantId: r.tenantId,
        accountId: r.accountId,
        platform: r.platform,
        kind: 'pull_failing',
        key: 'pull',
        message: `${r.failures} pulls in a row failed: orders that pushes miss are not being recovered (last: ${r.errorCode ?? ''})`,
        at: r.finishedAt,
      });
    }
  });
}

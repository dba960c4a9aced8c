// Recording what contract drift learnt about an account's payloads: the shape stats to keep, and an alert per finding.
import type { ShapeStats } from '../domain/drift.ts';
import type { IntegrationDeps } from '../deps.ts';
import { raiseAlert } from '../../health/alerts.ts';

export interface DriftRecord {
  tenantId: string;
  accountId: string;
  platform: string;
  shape: string;
  at: number;
  /** The learnt stats to keep (null: nothing new to keep). */
  stats: ShapeStats | null;
  findings: { kind: string; key: string; message: string }[];
}

export async function recordDrift(deps: IntegrationDeps, r: DriftRecord): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (r.stats) {
      await tx.run(
        `INSERT INTO contract_shapes (account_id, shape, deliveries, mean_bytes, max_bytes, fields, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, shape) DO UPDATE SET deliveries = excluded.deliveries, mean_bytes = excluded.mean_bytes,
           max_bytes = excluded.max_bytes, fields = excluded.fields, updated_at = excluded.updated_at`,
        [r.accountId, r.shape, r.stats.deliveries, Math.round(r.stats.meanBytes), r.stats.maxBytes, JSON.stringify(r.stats.fields), r.at],
      );
    }
    for (const f of r.findings) {
      await raiseAlert(tx, {
        tenantId: r.tenantId,
        accountId: r.accountId,
        platform: r.platform,
        kind: f.kind,
        key: `${r.shape}:${f.key}`,
        message: f.message,
        detail: { shape: r.shape },
        at: r.at,
      });
    }
  });
}

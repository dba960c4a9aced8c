// The policies a tenant's saved tracking settings put in force (trust, alerts), read inside a write or for a read.
import type { TrustPolicy } from '../domain/delivery-trust.ts';
import type { TrackingAlertPolicy } from '../domain/alerts.ts';
import { alertPolicyOf, readStoredSettings, trustPolicyOf } from '../settings.ts';
import type { Reader, Tx } from '../../../platform/db/database.ts';
import type { TrackingDeps } from '../deps.ts';

export async function storedSettings(q: Reader | Tx, tenantId: string): Promise<{ settings: string; updated_at: number; updated_by: string } | null> {
  return (await q.get<{ settings: string; updated_at: number; updated_by: string }>('SELECT settings, updated_at, updated_by FROM tracking_settings WHERE tenant_id = ?', [tenantId])) ?? null;
}

/** The trust policy in force for a tenant: its own settings, or the hub's default. */
export async function trustPolicyIn(deps: TrackingDeps, q: Reader | Tx, tenantId: string): Promise<TrustPolicy> {
  const row = await storedSettings(q, tenantId);
  return row ? trustPolicyOf(readStoredSettings(row.settings)) : deps.settings.trust;
}

/** The alert policies of the tenants among these that saved settings (the others use the worker's default). */
export async function alertPoliciesIn(q: Reader | Tx, tenantIds: readonly string[]): Promise<Map<string, TrackingAlertPolicy>> {
  const ids = [...new Set(tenantIds)];
  if (ids.length === 0) return new Map();
  const rows = await q.all<{ tenant_id: string; settings: string }>(`SELECT tenant_id, settings FROM tracking_settings WHERE tenant_id IN (${ids.map(() => '?').join(', ')})`, ids);
  return new Map(rows.map((r) => [r.tenant_id, alertPolicyOf(readStoredSettings(r.settings))]));
}

// A tenant's tracking settings as the API shows them (GET /api/tracking/settings).
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { defaultTenantTrackingSettings, readStoredSettings, type TenantTrackingSettings } from '../settings.ts';
import type { TrackingDeps } from '../deps.ts';
import { storedSettings } from './policies.ts';

/** A tenant's tracking settings as the API shows them: the values in force, and whether the seller set them. */
export interface TrackingSettingsView extends TenantTrackingSettings {
  /** False while the tenant has never saved settings: the defaults apply. */
  custom: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

export async function settingsView(deps: TrackingDeps, who: Principal): Promise<TrackingSettingsView> {
  const row = await storedSettings(deps.db.read, who.tenantId);
  if (!row) return { ...structuredClone(defaultTenantTrackingSettings), custom: false, updatedAt: null, updatedBy: null };
  return { ...readStoredSettings(row.settings), custom: true, updatedAt: toIso(Number(row.updated_at)), updatedBy: row.updated_by };
}

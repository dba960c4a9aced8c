// Saving a tenant's tracking settings (PUT /api/tracking/settings): trust grades, re-checks, the "not received" window
// and the alert limits.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { applySettingsPatch, defaultTenantTrackingSettings, readStoredSettings, type TenantTrackingSettings, type TrackingSettingsPatch } from '../settings.ts';
import type { TrackingDeps } from '../deps.ts';
import type { TrackingSettingsView } from '../queries/settings-view.ts';

/**
 * Changes the fields given (the others keep their value, or the default); every problem of the patch is refused
 * with VALIDATION_FAILED before anything is written. Audited, with an event, in one transaction.
 */
export async function saveTrackingSettings(deps: TrackingDeps, who: Principal, patch: TrackingSettingsPatch, now = Date.now()): Promise<TrackingSettingsView> {
  if (Object.values(patch).every((v) => v === undefined)) throw new HubError('VALIDATION_FAILED', 'no setting given: name at least one field to change');
  applySettingsPatch(defaultTenantTrackingSettings, patch);
  const saved = await deps.db.transaction(async (tx) => {
    // A row first (so concurrent saves queue on its lock instead of both starting from the defaults).
    const created = await tx.get<{ tenant_id: string }>(
      'INSERT INTO tracking_settings (tenant_id, settings, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id',
      [who.tenantId, JSON.stringify(defaultTenantTrackingSettings), now, who.name],
    );
    const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const row = await tx.get<{ settings: string }>(`SELECT settings FROM tracking_settings WHERE tenant_id = ?${lock}`, [who.tenantId]);
    const before = readStoredSettings(row?.settings);
    const after = applySettingsPatch(before, patch);
    await tx.run('UPDATE tracking_settings SET settings = ?, updated_at = ?, updated_by = ? WHERE tenant_id = ?', [JSON.stringify(after), now, who.name, who.tenantId]);
    const changed = (Object.keys(after) as (keyof TenantTrackingSettings)[]).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'tracking_settings.update', targetType: 'tracking_settings', targetId: who.tenantId, before: created ? null : before, after, detail: { changed, wereDefaults: Boolean(created) } },
      now,
    );
    await appendEvent(tx, { tenantId: who.tenantId, type: 'tracking_settings.updated', aggregateType: 'tracking_settings', aggregateId: who.tenantId, at: now, payload: { changed } });
    return after;
  });
  return { ...saved, custom: true, updatedAt: toIso(now), updatedBy: who.name };
}

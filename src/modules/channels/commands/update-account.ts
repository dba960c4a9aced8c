// Changing a channel account: its name, on/off, credentials field by field (secrets are write-only), and its settings
// (Shopify's stock location) field by field, checked with the shop before they are kept.
import { HubError } from '../../../kernel/errors.ts';
import { mergeCredentials } from '../../../platform/account-cache.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { AccountDeps } from '../deps.ts';
import { adapterFor } from '../connectors/registry.ts';
import { PlatformWriteError, type ChannelAdapter } from '../connectors/types.ts';
import type { ChannelAccount } from '../account-views.ts';
import { channelAccount, channelAccountFor } from '../queries/channel-account.ts';
import { markAccountListingsDue } from '../store/listing-sync.ts';

export interface AccountPatch {
  name?: string;
  credentials?: unknown;
  active?: boolean;
  /** Settings the platform takes (ChannelAdapter.settingFields), field by field; null removes one. */
  settings?: unknown;
}

/** How long the shop may take to answer a settings check before the save is refused as unavailable. */
const checkTimeoutMs = 15_000;

/**
 * The settings as they would be after the patch: only the platform's own fields, in the shape it takes, and — when they
 * change — agreed by the shop (a Shopify location must be one of the shop's). Nothing is kept when any of it fails.
 */
async function settingsAfter(deps: AccountDeps, current: ChannelAccount, credentials: Record<string, unknown>, patch: unknown): Promise<Record<string, unknown>> {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new HubError('VALIDATION_FAILED', 'settings must be an object');
  const adapter = adapterFor(current.platform) as ChannelAdapter<unknown> | undefined;
  const known = new Set((adapter?.settingFields ?? []).map((f) => f.name));
  const unknown = Object.keys(patch).filter((k) => !known.has(k));
  if (unknown.length) {
    const problems = unknown.map((k) => `settings.${k} is not a setting of ${adapter?.label ?? current.platform}${known.size ? ` (settings: ${[...known].join(', ')})` : ' (it has none)'}`);
    throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  }
  const merged = mergeCredentials(current.settings, patch as Record<string, unknown>);
  const problems = adapter?.settingsProblems?.(merged) ?? [];
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  const changed = Object.keys(patch).some((k) => JSON.stringify(merged[k]) !== JSON.stringify(current.settings[k]));
  if (!changed || !adapter?.checkSettings || Object.keys(merged).length === 0) return merged;
  let found: string[];
  try {
    found = await adapter.checkSettings({ credentials, fetch: deps.fetch, now: Date.now, signal: AbortSignal.timeout(checkTimeoutMs), settings: merged, learned: current.learned }, merged);
  } catch (e) {
    const err = e instanceof PlatformWriteError ? e : new PlatformWriteError('NETWORK', e instanceof Error ? e.message : String(e));
    if (err.opts.refused) {
      const why = [`${adapter.label} refused the check of the settings (${err.code}): ${err.message}`];
      throw new HubError('VALIDATION_FAILED', why[0] as string, { errors: why, platformCode: err.code });
    }
    throw new HubError('PLATFORM_UNAVAILABLE', `${adapter.label} could not be asked whether the settings fit the shop (${err.code}: ${err.message}): try again`, { platformCode: err.code });
  }
  if (found.length) throw new HubError('VALIDATION_FAILED', found.join('; '), { errors: found });
  return merged;
}

export async function updateAccount(deps: AccountDeps, who: Principal, id: string, patch: AccountPatch, now = Date.now()): Promise<ChannelAccount> {
  const current = await channelAccountFor(deps, who, id);
  // Credentials change field by field (secrets are never shown, so a form sends only what was typed); null removes one.
  let credentials: Record<string, unknown> | undefined;
  if (patch.credentials !== undefined) {
    if (!patch.credentials || typeof patch.credentials !== 'object' || Array.isArray(patch.credentials)) {
      throw new HubError('VALIDATION_FAILED', 'credentials must be an object');
    }
    credentials = mergeCredentials(current.credentials, patch.credentials as Record<string, unknown>);
    const problems = (adapterFor(current.platform)?.credentialProblems(credentials)) ?? [];
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  }
  if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  const settings = patch.settings === undefined ? current.settings : await settingsAfter(deps, current, credentials ?? current.credentials, patch.settings);
  const settingsChanged = JSON.stringify(settings) !== JSON.stringify(current.settings);
  await deps.db.transaction(async (tx) => {
    await tx.run(`UPDATE channel_accounts SET name = ?, credentials = ?, active = ?, settings = ?, updated_at = ? WHERE id = ?`, [
      patch.name?.trim() ?? current.name,
      deps.keyring.encrypt(JSON.stringify(credentials ?? current.credentials)),
      patch.active === undefined ? (current.active ? 1 : 0) : patch.active ? 1 : 0,
      JSON.stringify(settings),
      now,
      id,
    ]);
    // New credentials may name another shop: what was read from the old one is read again when needed.
    if (credentials !== undefined) await tx.run(`UPDATE channel_accounts SET learned = '{}' WHERE id = ?`, [id]);
    // Stock written somewhere else now (another Shopify location): every listing of the shop is written again.
    if (settingsChanged) await markAccountListingsDue(tx, id, now);
    await appendEvent(tx, {
      tenantId: current.tenantId,
      type: 'channel_account.updated',
      aggregateType: 'channel_account',
      aggregateId: id,
      at: now,
      payload: { id, fields: Object.keys(patch) },
    });
    const view = (a: { name: string; active: boolean; settings: Record<string, unknown> }) => ({ name: a.name, active: a.active, settings: a.settings });
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'channel_account.update',
        targetType: 'channel_account',
        targetId: id,
        before: view(current),
        after: view({ name: patch.name?.trim() ?? current.name, active: patch.active ?? current.active, settings }),
        detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials as object) } : undefined,
      },
      now,
    );
  });
  deps.cache.forget(id);
  return (await channelAccount(deps, id)) as ChannelAccount;
}

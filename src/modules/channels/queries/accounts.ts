// Channel accounts as other modules ask about them: does a shop exist in this organisation (a SKU mapping, a user's
// scope, a payment account's shops name one).
import type { Reader } from '../../../platform/db/database.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';

/** Whether the tenant has this channel account (deleted ones do not count). */
export async function channelAccountExists(q: Reader, tenantId: string, accountId: string): Promise<boolean> {
  return !!(await q.get('SELECT 1 AS x FROM channel_accounts WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL', [accountId, tenantId]));
}

/** The tenant's channel accounts (not deleted), by id: the shops stock is allocated to. */
export async function channelAccountIds(q: Reader, tenantId: string): Promise<string[]> {
  return (await q.all<{ id: string }>('SELECT id FROM channel_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id', [tenantId])).map((r) => r.id);
}

/** The tenant's channel accounts (not deleted) with what a person knows them by: the stock allocation page's rows. */
export async function channelAccountNames(q: Reader, tenantId: string): Promise<{ id: string; name: string; platform: string; active: boolean }[]> {
  const rows = await q.all<{ id: string; name: string; platform: string; active: number }>(
    'SELECT id, name, platform, active FROM channel_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY name, id',
    [tenantId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, platform: r.platform, active: Number(r.active) === 1 }));
}

/**
 * A shop's platform and credentials (decrypted), for a module that calls the platform as that shop: Shopee's waybill
 * network arranges an order's shipment with the keys of the shop the order came from. Null when the account is gone.
 */
export async function shopCredentials(q: Reader, keyring: Keyring, tenantId: string, accountId: string): Promise<{ platform: string; active: boolean; credentials: Record<string, unknown> } | null> {
  const r = await q.get<{ platform: string; active: number; credentials: string }>('SELECT platform, active, credentials FROM channel_accounts WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL', [accountId, tenantId]);
  return r ? { platform: r.platform, active: Number(r.active) === 1, credentials: JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown> } : null;
}

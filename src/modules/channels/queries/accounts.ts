// Channel accounts as other modules ask about them: does a shop exist in this organisation (a SKU mapping, a user's
// scope, a payment account's shops name one).
import type { Reader } from '../../../platform/db/database.ts';

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

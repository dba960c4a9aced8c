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

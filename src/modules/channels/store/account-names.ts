// Shop names by account id, for reports that show a shop to a person (an export's 店铺 column): removed shops included,
// since their orders are still exported.
import type { Reader } from '../../../platform/db/database.ts';

export async function accountNames(q: Pick<Reader, 'all'>, tenantId: string): Promise<Map<string, string>> {
  const rows = await q.all<{ id: string; name: string }>(`SELECT id, name FROM channel_accounts WHERE tenant_id = ?`, [tenantId]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

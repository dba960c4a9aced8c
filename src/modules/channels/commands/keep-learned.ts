// Keeps what the hub read from a shop once (Shopify's primary location) with its channel account, so a connector need
// not ask again on every call. Not a person's change: no audit, no event; new credentials forget it (update-account).
import type { AccountDeps } from '../deps.ts';
import { objectOf } from '../account-views.ts';

export async function keepLearned(deps: AccountDeps, id: string, facts: Record<string, string>): Promise<void> {
  const clean = Object.fromEntries(Object.entries(facts).filter(([k, v]) => /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(k) && typeof v === 'string').map(([k, v]) => [k, v.slice(0, 500)]));
  if (Object.keys(clean).length === 0) return;
  await deps.db.transaction(async (tx) => {
    const r = await tx.get<{ learned: string }>('SELECT learned FROM channel_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
    if (!r) return;
    // Two calls learning at once write the same facts read from the same shop: the later one may keep either.
    await tx.run('UPDATE channel_accounts SET learned = ? WHERE id = ?', [JSON.stringify({ ...objectOf(r.learned), ...clean }), id]);
  });
  deps.cache.forget(id);
}

// Asking to delete a channel account: a second person's approval under the default policy, else deleted at once.
import type { Principal } from '../../../kernel/principal.ts';
import type { MaybePending } from '../../access/approvals.ts';
import type { AccountDeps } from '../deps.ts';
import { channelAccountFor } from '../queries/channel-account.ts';
import { applyDeleteAccount } from './apply-delete-account.ts';

/**
 * Deletes an account: pushes to it are refused from then on, its credentials are erased, its orders stay.
 * Needs a second person's approval under the default policy.
 */
export async function deleteAccount(deps: AccountDeps, who: Principal, id: string, reason: string, now = Date.now()): Promise<MaybePending<{ id: string }>> {
  const a = await channelAccountFor(deps, who, id);
  const payload = { accountId: id, name: a.name, platform: a.platform, reason };
  if (deps.approvals.required('channel_account.delete')) {
    const pending = await deps.db.transaction((tx) =>
      deps.approvals.open(
        tx,
        who,
        { kind: 'channel_account.delete', targetType: 'channel_account', targetId: id, summary: `delete ${a.platform} account "${a.name}": ${reason}`, payload },
        now,
      ),
    );
    return { pending };
  }
  await deps.db.transaction((tx) => applyDeleteAccount(deps, tx, who, payload, null, now));
  deps.cache.forget(id);
  return { done: { id } };
}

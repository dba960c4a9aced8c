// Changes a payment account: its name, credentials (field by field), shops, order reference or whether it is active.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { mergeCredentials } from '../../../platform/account-cache.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { checkChannels, checkCredentials } from '../account-rules.ts';
import type { OrderRef, PaymentAccount } from '../account-view.ts';
import type { PaymentAccountDeps } from '../deps.ts';
import { getPaymentAccount, getPaymentAccountFor } from '../queries/get-payment-account.ts';

export interface PaymentAccountPatch {
  name?: string | undefined;
  credentials?: Record<string, unknown> | undefined;
  channelAccounts?: string[] | undefined;
  orderRef?: OrderRef | undefined;
  active?: boolean | undefined;
}

export async function updatePaymentAccount(deps: PaymentAccountDeps, who: Principal, id: string, patch: PaymentAccountPatch, now = Date.now()): Promise<PaymentAccount> {
  const current = await getPaymentAccountFor(deps, who, id);
  let credentials = current.credentials;
  if (patch.credentials !== undefined) {
    // Field by field, as channel accounts: secrets are never shown, so a form sends only what was typed; null removes.
    credentials = mergeCredentials(current.credentials, patch.credentials);
    checkCredentials(current.provider, credentials);
  }
  if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  await deps.db.transaction(async (tx) => {
    const channels = patch.channelAccounts ? await checkChannels(tx, current.tenantId, patch.channelAccounts) : current.channelAccounts;
    const after = {
      name: patch.name?.trim() ?? current.name,
      active: patch.active ?? current.active,
      channelAccounts: channels,
      orderRef: patch.orderRef ?? current.orderRef,
    };
    await tx.run(
      'UPDATE payment_accounts SET name = ?, credentials = ?, channel_accounts = ?, order_ref = ?, active = ?, updated_at = ? WHERE id = ?',
      [after.name, deps.keyring.encrypt(JSON.stringify(credentials)), JSON.stringify(channels), after.orderRef, after.active ? 1 : 0, now, id],
    );
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'payment_account.update',
        targetType: 'payment_account',
        targetId: id,
        before: { name: current.name, active: current.active, channelAccounts: current.channelAccounts, orderRef: current.orderRef },
        after,
        detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials) } : undefined,
      },
      now,
    );
    await appendEvent(tx, {
      tenantId: current.tenantId,
      type: 'payment_account.updated',
      aggregateType: 'payment_account',
      aggregateId: id,
      at: now,
      payload: { id, fields: Object.keys(patch) },
    });
  });
  deps.cache.forget(id);
  return (await getPaymentAccount(deps, id)) as PaymentAccount;
}

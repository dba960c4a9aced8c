// Connects a payment account (a WeChat Pay, Alipay or Stripe merchant) and names the shops it is paid through.
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { checkChannels, checkCredentials } from '../account-rules.ts';
import type { OrderRef, PaymentAccount } from '../account-view.ts';
import type { PaymentAccountDeps } from '../deps.ts';
import { getPaymentAccount } from '../queries/get-payment-account.ts';

export interface PaymentAccountInput {
  provider: string;
  name: string;
  credentials: Record<string, unknown>;
  channelAccounts: string[];
  orderRef?: OrderRef | undefined;
}

export async function createPaymentAccount(deps: PaymentAccountDeps, who: Principal, input: PaymentAccountInput, now = Date.now()): Promise<PaymentAccount> {
  checkCredentials(input.provider, input.credentials);
  const name = input.name.trim();
  if (!name) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    const channels = await checkChannels(tx, who.tenantId, input.channelAccounts);
    await tx.run(
      `INSERT INTO payment_accounts (id, tenant_id, provider, name, credentials, channel_accounts, order_ref, active, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      [id, who.tenantId, input.provider, name, deps.keyring.encrypt(JSON.stringify(input.credentials)), JSON.stringify(channels), input.orderRef ?? 'order_no', now, now],
    );
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'payment_account.create',
        targetType: 'payment_account',
        targetId: id,
        after: { provider: input.provider, name, channelAccounts: channels, orderRef: input.orderRef ?? 'order_no', credentialKeys: Object.keys(input.credentials) },
      },
      now,
    );
    await appendEvent(tx, {
      tenantId: who.tenantId,
      type: 'payment_account.created',
      aggregateType: 'payment_account',
      aggregateId: id,
      at: now,
      payload: { id, provider: input.provider, name },
    });
  });
  deps.cache.forget(id);
  return (await getPaymentAccount(deps, id)) as PaymentAccount;
}

// Payment accounts (WeChat Pay, Alipay, Stripe merchants) per tenant: credentials encrypted and write-only, and the
// channel accounts whose orders each one is paid through.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { AccountCache, mergeCredentials } from '../../platform/account-cache.ts';
import { providerFor, paymentProviders } from './providers/registry.ts';
import { appendAudit } from '../access/audit.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { newId } from '../../kernel/ids.ts';
import { channelAccountExists } from '../channels/queries/accounts.ts';

/** Which of the order's numbers the shop sent to the provider as out_trade_no (Stripe: metadata.order_no). */
export type OrderRef = 'order_no' | 'platform_order_id';

export interface PaymentAccount {
  id: string;
  tenantId: string;
  provider: string;
  name: string;
  active: boolean;
  credentials: Record<string, unknown>;
  channelAccounts: string[];
  orderRef: OrderRef;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  tenant_id: string;
  provider: string;
  name: string;
  credentials: string;
  channel_accounts: string;
  order_ref: string;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface PaymentAccountInput {
  provider: string;
  name: string;
  credentials: Record<string, unknown>;
  channelAccounts: string[];
  orderRef?: OrderRef | undefined;
}

export interface PaymentAccountPatch {
  name?: string | undefined;
  credentials?: Record<string, unknown> | undefined;
  channelAccounts?: string[] | undefined;
  orderRef?: OrderRef | undefined;
  active?: boolean | undefined;
}

export class PaymentAccountService {
  private readonly cache = new AccountCache<PaymentAccount>((id) => this.get(id));

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
  ) {}

  private toAccount(r: Row): PaymentAccount {
    return {
      id: r.id,
      tenantId: r.tenant_id,
      provider: r.provider,
      name: r.name,
      active: Number(r.active) === 1,
      credentials: JSON.parse(this.keyring.decrypt(r.credentials)) as Record<string, unknown>,
      channelAccounts: JSON.parse(r.channel_accounts) as string[],
      orderRef: r.order_ref === 'platform_order_id' ? 'platform_order_id' : 'order_no',
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  private problems(provider: string, credentials: unknown): void {
    const p = providerFor(provider);
    if (!p) throw new HubError('PLATFORM_NOT_SUPPORTED', `payment provider "${provider}" is not supported`, { supported: paymentProviders });
    const problems = p.credentialProblems(credentials);
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  }

  private async checkChannels(tx: Tx, tenantId: string, ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)].sort();
    for (const id of unique) {
      if (!(await channelAccountExists(tx, tenantId, id))) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
    }
    return unique;
  }

  async create(who: Principal, input: PaymentAccountInput, now = Date.now()): Promise<PaymentAccount> {
    this.problems(input.provider, input.credentials);
    const name = input.name.trim();
    if (!name) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      const channels = await this.checkChannels(tx, who.tenantId, input.channelAccounts);
      await tx.run(
        `INSERT INTO payment_accounts (id, tenant_id, provider, name, credentials, channel_accounts, order_ref, active, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        [id, who.tenantId, input.provider, name, this.keyring.encrypt(JSON.stringify(input.credentials)), JSON.stringify(channels), input.orderRef ?? 'order_no', now, now],
      );
      await appendAudit(
        tx,
        this.keyring,
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
    this.cache.forget(id);
    return (await this.get(id)) as PaymentAccount;
  }

  async update(who: Principal, id: string, patch: PaymentAccountPatch, now = Date.now()): Promise<PaymentAccount> {
    const current = await this.getFor(who, id);
    let credentials = current.credentials;
    if (patch.credentials !== undefined) {
      // Field by field, as channel accounts: secrets are never shown, so a form sends only what was typed; null removes.
      credentials = mergeCredentials(current.credentials, patch.credentials);
      this.problems(current.provider, credentials);
    }
    if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
    await this.db.transaction(async (tx) => {
      const channels = patch.channelAccounts ? await this.checkChannels(tx, current.tenantId, patch.channelAccounts) : current.channelAccounts;
      const after = {
        name: patch.name?.trim() ?? current.name,
        active: patch.active ?? current.active,
        channelAccounts: channels,
        orderRef: patch.orderRef ?? current.orderRef,
      };
      await tx.run(
        'UPDATE payment_accounts SET name = ?, credentials = ?, channel_accounts = ?, order_ref = ?, active = ?, updated_at = ? WHERE id = ?',
        [after.name, this.keyring.encrypt(JSON.stringify(credentials)), JSON.stringify(channels), after.orderRef, after.active ? 1 : 0, now, id],
      );
      await appendAudit(
        tx,
        this.keyring,
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
    this.cache.forget(id);
    return (await this.get(id)) as PaymentAccount;
  }

  /** Any tenant's account (the notice path knows no principal); null when unknown or deleted. */
  async get(id: string): Promise<PaymentAccount | null> {
    const r = await this.db.read.get<Row>('SELECT * FROM payment_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
    return r ? this.toAccount(r) : null;
  }

  async getFor(who: Principal, id: string): Promise<PaymentAccount> {
    const a = await this.get(id);
    if (!a || a.tenantId !== who.tenantId) throw new HubError('ACCOUNT_NOT_FOUND', `payment account ${id} does not exist`);
    return a;
  }

  async list(who: Principal): Promise<PaymentAccount[]> {
    const rows = await this.db.read.all<Row>('SELECT * FROM payment_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at', [who.tenantId]);
    return rows.map((r) => this.toAccount(r));
  }

  /** For the notice path: cached for a few seconds. */
  forNotice(id: string, now = Date.now()): Promise<PaymentAccount | null> {
    return this.cache.get(id, now);
  }

  forget(id: string): void {
    this.cache.forget(id);
  }

  /** The active payment account that pays for a channel account's orders, if any (the first one created). */
  async forChannelAccount(tx: Tx | Database['read'], tenantId: string, channelAccountId: string): Promise<PaymentAccount | null> {
    const rows = await tx.all<Row>(
      'SELECT * FROM payment_accounts WHERE tenant_id = ? AND active = 1 AND deleted_at IS NULL ORDER BY created_at',
      [tenantId],
    );
    for (const r of rows) {
      const channels = JSON.parse(r.channel_accounts) as string[];
      if (channels.includes(channelAccountId)) return this.toAccount(r);
    }
    return null;
  }
}

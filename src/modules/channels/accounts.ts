// Channel accounts (shops): which platform, which credentials. Credentials are write-only to the outside.
import { HubError } from '../../kernel/errors.ts';
import { adapterFor, channelAdapters } from './connectors/registry.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from '../access/approvals.ts';
import { newId } from '../../kernel/ids.ts';
import { AccountCache, mergeCredentials } from '../../platform/account-cache.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { appendAudit } from '../access/audit.ts';
import type { Principal } from '../../kernel/principal.ts';
import { contains } from '../../kernel/scope.ts';
import type { Keyring } from '../../platform/security/keyring.ts';

export interface ChannelAccount {
  id: string;
  tenantId: string;
  platform: string;
  name: string;
  active: boolean;
  credentials: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  tenant_id: string;
  platform: string;
  name: string;
  credentials: string;
  active: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

const toAccount = (r: Row, keyring: Keyring): ChannelAccount => ({
  id: r.id,
  tenantId: r.tenant_id,
  platform: r.platform,
  name: r.name,
  active: r.active === 1,
  // Credentials are encrypted at rest like personal data (rows from before encryption are read as they are).
  credentials: JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function accountInScope(who: Principal, id: string): boolean {
  return contains(who.scope, 'channel_account', { accounts: [id] });
}

export class AccountService {
  // The ingest path looks accounts up on every push: a short-lived cache keeps that off the database.
  private readonly cache = new AccountCache<ChannelAccount>((id) => this.get(id));

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly approvals: ApprovalService,
  ) {}

  async create(who: Principal, input: { platform: string; name: string; credentials: unknown }, now = Date.now()): Promise<ChannelAccount> {
    const adapter = adapterFor(input.platform);
    if (!adapter) {
      throw new HubError('PLATFORM_NOT_SUPPORTED', `platform "${input.platform}" is not supported yet`, {
        supported: Object.keys(channelAdapters),
      });
    }
    const problems = adapter.credentialProblems(input.credentials);
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
    const name = input.name.trim();
    if (!name) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO channel_accounts (id, tenant_id, platform, name, credentials, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
        [id, who.tenantId, input.platform, name, this.keyring.encrypt(JSON.stringify(input.credentials)), now, now],
      );
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'channel_account.create', targetType: 'channel_account', targetId: id, after: { platform: input.platform, name, credentialKeys: Object.keys(input.credentials as object) } },
        now,
      );
      await appendEvent(tx, {
        tenantId: who.tenantId,
        type: 'channel_account.created',
        aggregateType: 'channel_account',
        aggregateId: id,
        at: now,
        payload: { id, platform: input.platform, name },
      });
    });
    this.cache.forget(id);
    return (await this.get(id)) as ChannelAccount;
  }

  async update(who: Principal, id: string, patch: { name?: string; credentials?: unknown; active?: boolean }, now = Date.now()): Promise<ChannelAccount> {
    const current = await this.getFor(who, id);
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
    await this.db.transaction(async (tx) => {
      await tx.run(`UPDATE channel_accounts SET name = ?, credentials = ?, active = ?, updated_at = ? WHERE id = ?`, [
        patch.name?.trim() ?? current.name,
        this.keyring.encrypt(JSON.stringify(credentials ?? current.credentials)),
        patch.active === undefined ? (current.active ? 1 : 0) : patch.active ? 1 : 0,
        now,
        id,
      ]);
      await appendEvent(tx, {
        tenantId: current.tenantId,
        type: 'channel_account.updated',
        aggregateType: 'channel_account',
        aggregateId: id,
        at: now,
        payload: { id, fields: Object.keys(patch) },
      });
      const view = (a: { name: string; active: boolean }) => ({ name: a.name, active: a.active });
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: 'channel_account.update',
          targetType: 'channel_account',
          targetId: id,
          before: view(current),
          after: view({ name: patch.name?.trim() ?? current.name, active: patch.active ?? current.active }),
          detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials as object) } : undefined,
        },
        now,
      );
    });
    this.cache.forget(id);
    return (await this.get(id)) as ChannelAccount;
  }

  /** Any tenant's account, for the push path (which knows no principal); null when unknown or deleted. */
  async get(id: string): Promise<ChannelAccount | null> {
    const r = await this.db.read.get<Row>('SELECT * FROM channel_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
    return r ? toAccount(r, this.keyring) : null;
  }

  /** An account the principal may see: its tenant, inside its account scope. Anything else does not exist. */
  async getFor(who: Principal, id: string): Promise<ChannelAccount> {
    const a = await this.get(id);
    if (!a || a.tenantId !== who.tenantId || !accountInScope(who, id)) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
    return a;
  }

  /**
   * Deletes an account: pushes to it are refused from then on, its credentials are erased, its orders stay.
   * Needs a second person's approval under the default policy.
   */
  async requestDelete(who: Principal, id: string, reason: string, now = Date.now()): Promise<MaybePending<{ id: string }>> {
    const a = await this.getFor(who, id);
    const payload = { accountId: id, name: a.name, platform: a.platform, reason };
    if (this.approvals.required('channel_account.delete')) {
      const pending = await this.db.transaction((tx) =>
        this.approvals.open(
          tx,
          who,
          { kind: 'channel_account.delete', targetType: 'channel_account', targetId: id, summary: `delete ${a.platform} account "${a.name}": ${reason}`, payload },
          now,
        ),
      );
      return { pending };
    }
    await this.db.transaction((tx) => this.applyDelete(tx, who, payload, null, now));
    this.cache.forget(id);
    return { done: { id } };
  }

  async applyDelete(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext | null, now: number): Promise<{ id: string }> {
    const id = String(payload.accountId);
    const a = await this.getFor(who, id);
    const changed = await tx.run(
      `UPDATE channel_accounts SET active = 0, deleted_at = ?, credentials = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL`,
      [now, this.keyring.encrypt('{}'), now, id, who.tenantId],
    );
    if (changed !== 1) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
    await appendEvent(tx, { tenantId: who.tenantId, type: 'channel_account.deleted', aggregateType: 'channel_account', aggregateId: id, at: now, payload: { id, platform: a.platform, name: a.name } });
    await appendAudit(
      tx,
      this.keyring,
      who,
      {
        action: 'channel_account.delete',
        targetType: 'channel_account',
        targetId: id,
        before: { name: a.name, platform: a.platform, active: a.active, credentialKeys: Object.keys(a.credentials) },
        after: { deleted: true },
        detail: ctx ? { reason: payload.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: payload.reason },
      },
      now,
    );
    this.cache.forget(id);
    return { id };
  }

  /** For the ingest path: cached for a few seconds, so a credential change takes effect within that time. */
  forIngest(id: string, now = Date.now()): Promise<ChannelAccount | null> {
    return this.cache.get(id, now);
  }

  /** Drops a cached entry (another thread changed the account). */
  forget(id: string): void {
    this.cache.forget(id);
  }

  /** The accounts a principal may see (its tenant, its account scope), deleted ones left out. */
  async list(who: Principal): Promise<ChannelAccount[]> {
    const rows = await this.db.read.all<Row>('SELECT * FROM channel_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at', [who.tenantId]);
    return rows.filter((r) => accountInScope(who, r.id)).map((r) => toAccount(r, this.keyring));
  }
}

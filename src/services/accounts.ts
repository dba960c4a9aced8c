// Channel accounts (shops): which platform, which credentials. Credentials are write-only to the outside.
import { HubError } from '../domain/errors.ts';
import { adapterFor, channelAdapters } from '../channels/registry.ts';
import type { Database } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { DEFAULT_TENANT } from './tenancy.ts';
import { appendEvent } from '../store/events.ts';
import { appendAudit } from '../store/audit.ts';
import type { Principal } from '../domain/principal.ts';
import type { Keyring } from '../security/keyring.ts';

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

export class AccountService {
  // The ingest path looks accounts up on every push: a short-lived cache keeps that off the database.
  private cache = new Map<string, { account: ChannelAccount | null; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
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
    this.cache.delete(id);
    return (await this.get(id)) as ChannelAccount;
  }

  async update(who: Principal, id: string, patch: { name?: string; credentials?: unknown; active?: boolean }, now = Date.now()): Promise<ChannelAccount> {
    const current = await this.get(id);
    if (!current || current.tenantId !== who.tenantId) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
    if (patch.credentials !== undefined) {
      const problems = (adapterFor(current.platform)?.credentialProblems(patch.credentials)) ?? [];
      if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
    }
    if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
    await this.db.transaction(async (tx) => {
      await tx.run(`UPDATE channel_accounts SET name = ?, credentials = ?, active = ?, updated_at = ? WHERE id = ?`, [
        patch.name?.trim() ?? current.name,
        this.keyring.encrypt(JSON.stringify(patch.credentials ?? current.credentials)),
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
    this.cache.delete(id);
    return (await this.get(id)) as ChannelAccount;
  }

  async get(id: string): Promise<ChannelAccount | null> {
    const r = await this.db.read.get<Row>('SELECT * FROM channel_accounts WHERE id = ?', [id]);
    return r ? toAccount(r, this.keyring) : null;
  }

  /** For the ingest path: cached for a few seconds, so a credential change takes effect within that time. */
  async forIngest(id: string, now = Date.now()): Promise<ChannelAccount | null> {
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.account;
    const account = await this.get(id);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { account, until: now + 5_000 });
    return account;
  }

  /** Drops a cached entry (another thread changed the account). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  async list(tenantId = DEFAULT_TENANT): Promise<ChannelAccount[]> {
    const rows = await this.db.read.all<Row>('SELECT * FROM channel_accounts WHERE tenant_id = ? ORDER BY created_at', [tenantId]);
    return rows.map((r) => toAccount(r, this.keyring));
  }
}

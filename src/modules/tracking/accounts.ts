// Tracking source accounts (Kuaidi100, AfterShip, 17TRACK) per tenant: credentials encrypted and write-only, an API
// base that points the hub at a local fake in tests and the demo.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { AccountCache, mergeCredentials } from '../../platform/account-cache.ts';
import { trackingAdapter } from './sources/registry.ts';
import type { TrackingSource } from './sources/types.ts';
import { appendAudit } from '../access/audit.ts';
import type { Database, Reader, Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { newId } from '../../kernel/ids.ts';

export interface TrackingAccount {
  id: string;
  tenantId: string;
  source: TrackingSource;
  name: string;
  active: boolean;
  apiBase: string | null;
  credentials: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  tenant_id: string;
  source: string;
  name: string;
  credentials: string;
  api_base: string | null;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface TrackingAccountInput {
  source: TrackingSource;
  name: string;
  credentials: Record<string, unknown>;
  apiBase?: string | null | undefined;
}

export interface TrackingAccountPatch {
  name?: string | undefined;
  credentials?: Record<string, unknown> | undefined;
  apiBase?: string | null | undefined;
  active?: boolean | undefined;
}

function checkApiBase(apiBase: string | null | undefined): string | null {
  if (apiBase === undefined || apiBase === null || apiBase === '') return null;
  let u: URL;
  try {
    u = new URL(apiBase);
  } catch {
    throw new HubError('VALIDATION_FAILED', 'apiBase must be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HubError('VALIDATION_FAILED', 'apiBase must be an absolute http(s) URL');
  return apiBase.replace(/\/$/, '');
}

export class TrackingAccountService {
  private readonly cache = new AccountCache<TrackingAccount>((id) => this.get(id));

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
  ) {}

  private toAccount(r: Row): TrackingAccount {
    return {
      id: r.id,
      tenantId: r.tenant_id,
      source: trackingAdapter(r.source).name,
      name: r.name,
      active: Number(r.active) === 1,
      apiBase: r.api_base,
      credentials: JSON.parse(this.keyring.decrypt(r.credentials)) as Record<string, unknown>,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  private problems(source: string, credentials: Record<string, unknown>): void {
    const problems = trackingAdapter(source).credentialProblems(credentials);
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  }

  async create(who: Principal, input: TrackingAccountInput, now = Date.now()): Promise<TrackingAccount> {
    this.problems(input.source, input.credentials);
    const name = input.name.trim();
    if (!name) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
    const apiBase = checkApiBase(input.apiBase);
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO tracking_accounts (id, tenant_id, source, name, credentials, api_base, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        [id, who.tenantId, input.source, name, this.keyring.encrypt(JSON.stringify(input.credentials)), apiBase, now, now],
      );
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'tracking_account.create', targetType: 'tracking_account', targetId: id, after: { source: input.source, name, apiBase, credentialKeys: Object.keys(input.credentials) } },
        now,
      );
      await appendEvent(tx, { tenantId: who.tenantId, type: 'tracking_account.created', aggregateType: 'tracking_account', aggregateId: id, at: now, payload: { id, source: input.source, name } });
    });
    this.cache.forget(id);
    return (await this.get(id)) as TrackingAccount;
  }

  async update(who: Principal, id: string, patch: TrackingAccountPatch, now = Date.now()): Promise<TrackingAccount> {
    const current = await this.getFor(who, id);
    let credentials = current.credentials;
    if (patch.credentials !== undefined) {
      // Field by field: secrets are never shown, so a form sends only what was typed; null removes a field.
      credentials = mergeCredentials(current.credentials, patch.credentials);
      this.problems(current.source, credentials);
    }
    if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
    const after = {
      name: patch.name?.trim() ?? current.name,
      active: patch.active ?? current.active,
      apiBase: patch.apiBase === undefined ? current.apiBase : checkApiBase(patch.apiBase),
    };
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE tracking_accounts SET name = ?, credentials = ?, api_base = ?, active = ?, updated_at = ? WHERE id = ?', [
        after.name,
        this.keyring.encrypt(JSON.stringify(credentials)),
        after.apiBase,
        after.active ? 1 : 0,
        now,
        id,
      ]);
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: 'tracking_account.update',
          targetType: 'tracking_account',
          targetId: id,
          before: { name: current.name, active: current.active, apiBase: current.apiBase },
          after,
          detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials) } : undefined,
        },
        now,
      );
      await appendEvent(tx, { tenantId: current.tenantId, type: 'tracking_account.updated', aggregateType: 'tracking_account', aggregateId: id, at: now, payload: { id, fields: Object.keys(patch) } });
    });
    this.cache.forget(id);
    return (await this.get(id)) as TrackingAccount;
  }

  async remove(who: Principal, id: string, now = Date.now()): Promise<{ id: string; deleted: true }> {
    const current = await this.getFor(who, id);
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE tracking_accounts SET deleted_at = ?, active = 0, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [now, now, id]);
      await appendAudit(tx, this.keyring, who, { action: 'tracking_account.delete', targetType: 'tracking_account', targetId: id, before: { source: current.source, name: current.name } }, now);
      await appendEvent(tx, { tenantId: current.tenantId, type: 'tracking_account.deleted', aggregateType: 'tracking_account', aggregateId: id, at: now, payload: { id } });
    });
    this.cache.forget(id);
    return { id, deleted: true };
  }

  /** Any tenant's account (the push path knows no principal); null when unknown or deleted. */
  async get(id: string, q: Reader | Tx = this.db.read): Promise<TrackingAccount | null> {
    const r = await q.get<Row>('SELECT * FROM tracking_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
    return r ? this.toAccount(r) : null;
  }

  async getFor(who: Principal, id: string): Promise<TrackingAccount> {
    const a = await this.get(id);
    if (!a || a.tenantId !== who.tenantId) throw new HubError('ACCOUNT_NOT_FOUND', `tracking account ${id} does not exist`);
    return a;
  }

  async list(who: Principal): Promise<TrackingAccount[]> {
    const rows = await this.db.read.all<Row>('SELECT * FROM tracking_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id', [who.tenantId]);
    return rows.map((r) => this.toAccount(r));
  }

  /** The tenant's tracking source for new shipments: its first active account. */
  async forTenant(tenantId: string, q: Reader | Tx = this.db.read): Promise<TrackingAccount | null> {
    const r = await q.get<Row>('SELECT * FROM tracking_accounts WHERE tenant_id = ? AND active = 1 AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1', [tenantId]);
    return r ? this.toAccount(r) : null;
  }

  /** For the push path: cached for a few seconds. */
  forPush(id: string, now = Date.now()): Promise<TrackingAccount | null> {
    return this.cache.get(id, now);
  }

  forget(id: string): void {
    this.cache.forget(id);
  }
}

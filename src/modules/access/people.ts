// Users, roles, sessions and API tokens: who may come in, and what they may do once inside.
// Password hashing runs where the request is (argon2 on the thread pool); only the outcome is written.
import { isCode } from '../../kernel/codes.ts';
import { HubError } from '../../kernel/errors.ts';
import { allPermissions, builtinRole, builtinRoles, isPermission, type Permission, type RoleDefinition } from '../../kernel/permissions.ts';
import { isWithin, parseScope, readStoredScope, unlimitedScope, type DataScope } from '../../kernel/scope.ts';
import type { Principal } from '../../kernel/principal.ts';
import { toIso } from '../../kernel/time.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { newSecret, secretHash } from '../../platform/security/secrets.ts';
import { appendAudit } from './audit.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { newId } from '../../kernel/ids.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from './approvals.ts';
import { warehouseExists } from '../fulfilment/store/warehouses.ts';
import { channelAccountExists } from '../channels/queries/accounts.ts';

export interface PeopleSettings {
  sessionHours: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
}

export const defaultPeopleSettings: PeopleSettings = { sessionHours: 12, lockoutThreshold: 5, lockoutMinutes: 15 };

interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string;
  scope: string;
  active: number;
  failed_attempts: number;
  locked_until: number | null;
  last_sign_in_at: number | null;
  password_changed_at: number;
  created_at: number;
  updated_at: number;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  permissions: Permission[];
  scope: DataScope;
  active: boolean;
  locked: boolean;
  lastSignInAt: string | null;
  createdAt: string | null;
}

export interface TokenView {
  id: string;
  name: string;
  userId: string;
  createdBy: string;
  createdAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revoked: boolean;
}


export class PeopleService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly approvals: ApprovalService,
    private readonly settings: PeopleSettings = defaultPeopleSettings,
  ) {}

  // ------------------------------------------------------------ reads

  async roles(tenantId: string): Promise<RoleDefinition[]> {
    const custom = await this.db.read.all<{ name: string; description: string; permissions: string }>(
      'SELECT name, description, permissions FROM roles WHERE tenant_id = ? ORDER BY name',
      [tenantId],
    );
    return [
      ...builtinRoles,
      ...custom.map((r) => ({ name: r.name, description: r.description, permissions: JSON.parse(r.permissions) as Permission[], builtin: false })),
    ];
  }

  async permissionsOf(tenantId: string, roleNames: readonly string[], known?: readonly RoleDefinition[]): Promise<Permission[]> {
    const all = known ?? (await this.roles(tenantId));
    const out = new Set<Permission>();
    for (const n of roleNames) for (const p of all.find((r) => r.name === n)?.permissions ?? []) out.add(p);
    return allPermissions.filter((p) => out.has(p));
  }

  private async view(u: UserRow, known?: readonly RoleDefinition[], now = Date.now()): Promise<UserView> {
    const roles = JSON.parse(u.roles) as string[];
    return {
      id: u.id,
      username: u.username,
      displayName: u.display_name,
      roles,
      permissions: await this.permissionsOf(u.tenant_id, roles, known),
      scope: readStoredScope(u.scope),
      active: u.active === 1,
      locked: u.locked_until !== null && u.locked_until > now,
      lastSignInAt: toIso(u.last_sign_in_at),
      createdAt: toIso(u.created_at),
    };
  }

  async listUsers(tenantId: string): Promise<UserView[]> {
    const rows = await this.db.read.all<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY username', [tenantId]);
    // The tenant's roles once, not once per user.
    const known = await this.roles(tenantId);
    return Promise.all(rows.map((r) => this.view(r, known)));
  }

  async getUser(tenantId: string, id: string): Promise<UserView> {
    const r = await this.db.read.get<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [tenantId, id]);
    if (!r) throw new HubError('USER_NOT_FOUND', `user ${id} does not exist`);
    return this.view(r);
  }

  /** For sign-in: the stored hash and lock state of a username (undefined when unknown). */
  async credentialsOf(tenantId: string, username: string) {
    return this.db.read.get<Pick<UserRow, 'id' | 'password_hash' | 'active' | 'locked_until'>>(
      'SELECT id, password_hash, active, locked_until FROM users WHERE tenant_id = ? AND username = ?',
      [tenantId, username],
    );
  }

  private async principalFor(
    u: UserRow,
    extra: { kind: 'user' | 'token'; tokenId: string | null; sessionId: string | null; ip: string | null; userAgent: string | null },
  ): Promise<Principal> {
    const roles = JSON.parse(u.roles) as string[];
    return {
      kind: extra.kind,
      tenantId: u.tenant_id,
      userId: u.id,
      name: u.username,
      tokenId: extra.tokenId,
      sessionId: extra.sessionId,
      permissions: await this.permissionsOf(u.tenant_id, roles),
      scope: readStoredScope(u.scope),
      ip: extra.ip,
      userAgent: extra.userAgent,
    };
  }

  /** The principal behind a session cookie, with the CSRF hash to check state-changing requests against. */
  async sessionPrincipal(sessionSecret: string, from: { ip: string | null; userAgent: string | null }, now = Date.now()) {
    const s = await this.db.read.get<{ id_hash: string; user_id: string; csrf_hash: string; expires_at: number; revoked_at: number | null }>(
      'SELECT id_hash, user_id, csrf_hash, expires_at, revoked_at FROM sessions WHERE id_hash = ?',
      [secretHash(sessionSecret)],
    );
    if (!s || s.revoked_at !== null || s.expires_at <= now) return null;
    const u = await this.db.read.get<UserRow>('SELECT * FROM users WHERE id = ?', [s.user_id]);
    if (!u || u.active !== 1) return null;
    return { principal: await this.principalFor(u, { kind: 'user', tokenId: null, sessionId: s.id_hash, ...from }), csrfHash: s.csrf_hash };
  }

  /** The principal behind an API token, or why it is refused (unknown, revoked, expired, or its user inactive). */
  async tokenPrincipal(
    token: string,
    from: { ip: string | null; userAgent: string | null },
    now = Date.now(),
  ): Promise<{ principal: Principal; lastUsedAt: number | null } | { refused: 'unknown' | 'revoked' | 'expired' | 'user_inactive'; tokenId: string | null; tenantId: string | null }> {
    const t = await this.db.read.get<{ id: string; tenant_id: string; user_id: string; expires_at: number | null; revoked_at: number | null; last_used_at: number | null }>(
      'SELECT id, tenant_id, user_id, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?',
      [secretHash(token)],
    );
    if (!t) return { refused: 'unknown', tokenId: null, tenantId: null };
    const refused = (why: 'revoked' | 'expired' | 'user_inactive') => ({ refused: why, tokenId: t.id, tenantId: t.tenant_id });
    if (t.revoked_at !== null) return refused('revoked');
    if (t.expires_at !== null && t.expires_at <= now) return refused('expired');
    const u = await this.db.read.get<UserRow>('SELECT * FROM users WHERE id = ?', [t.user_id]);
    if (!u || u.active !== 1) return refused('user_inactive');
    return {
      principal: await this.principalFor(u, { kind: 'token', tokenId: t.id, sessionId: null, ...from }),
      lastUsedAt: t.last_used_at,
    };
  }

  async listTokens(tenantId: string, userId?: string): Promise<TokenView[]> {
    const rows = await this.db.read.all<{
      id: string;
      name: string;
      user_id: string;
      created_by: string;
      created_at: number;
      expires_at: number | null;
      last_used_at: number | null;
      revoked_at: number | null;
    }>(
      `SELECT id, name, user_id, created_by, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
       WHERE tenant_id = ?${userId ? ' AND user_id = ?' : ''} ORDER BY created_at`,
      userId ? [tenantId, userId] : [tenantId],
    );
    return rows.map((t) => ({
      id: t.id,
      name: t.name,
      userId: t.user_id,
      createdBy: t.created_by,
      createdAt: toIso(t.created_at),
      expiresAt: toIso(t.expires_at),
      lastUsedAt: toIso(t.last_used_at),
      revoked: t.revoked_at !== null,
    }));
  }

  // ------------------------------------------------------------ writes (all audited in their transaction)

  private async checkRoles(tx: Tx, tenantId: string, roles: readonly string[]): Promise<void> {
    if (roles.length === 0) throw new HubError('VALIDATION_FAILED', 'a user needs at least one role');
    for (const r of roles) {
      if (builtinRole(r)) continue;
      const row = await tx.get('SELECT name FROM roles WHERE tenant_id = ? AND name = ?', [tenantId, r]);
      if (!row) throw new HubError('ROLE_NOT_FOUND', `role ${r} does not exist`);
    }
  }

  /**
   * A scope to save for a user: read strictly (absent or null: no limit), naming only shops and warehouses the tenant
   * has, and never wider than the scope of whoever saves it.
   */
  private async scopeToSave(tx: Tx, who: Principal, input: unknown): Promise<DataScope> {
    const scope = input === undefined || input === null ? { ...unlimitedScope } : parseScope(input);
    for (const [i, id] of (scope.accounts ?? []).entries()) {
      if (!(await channelAccountExists(tx, who.tenantId, id))) throw new HubError('VALIDATION_FAILED', `scope.accounts[${i}]: there is no channel account ${id}`, { path: `scope.accounts[${i}]` });
    }
    for (const [i, code] of (scope.warehouses ?? []).entries()) {
      if (!(await warehouseExists(tx, who.tenantId, code))) throw new HubError('VALIDATION_FAILED', `scope.warehouses[${i}]: there is no warehouse ${code}`, { path: `scope.warehouses[${i}]` });
    }
    if (!isWithin(scope, who.scope)) {
      throw new HubError('FORBIDDEN', `${who.name} may only give a scope inside its own`, { scope: who.scope });
    }
    return scope;
  }

  async createUser(
    who: Principal,
    input: { username: string; displayName?: string; passwordHash: string; roles: string[]; scope?: unknown },
    now = Date.now(),
  ): Promise<UserView> {
    const username = input.username.trim();
    // The same patterns as the edge's (kernel/codes.ts): the CLI and the demo create users without passing it.
    if (!isCode('username', username)) throw new HubError('VALIDATION_FAILED', 'username must be 2–64 letters, digits, . _ @ or -');
    const roles = [...new Set(input.roles)];
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      const scope = await this.scopeToSave(tx, who, input.scope);
      await this.checkRoles(tx, who.tenantId, roles);
      const taken = await tx.get('SELECT id FROM users WHERE tenant_id = ? AND username = ?', [who.tenantId, username]);
      if (taken) throw new HubError('CONFLICT', `username ${username} is taken`);
      await tx.run(
        `INSERT INTO users (id, tenant_id, username, display_name, password_hash, roles, scope, active, failed_attempts, password_changed_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?)`,
        [id, who.tenantId, username, input.displayName?.trim() || username, input.passwordHash, JSON.stringify(roles), JSON.stringify(scope), now, now, now],
      );
      await appendAudit(tx, this.keyring, who, { action: 'user.create', targetType: 'user', targetId: id, after: { username, roles, scope } }, now);
    });
    return this.getUser(who.tenantId, id);
  }

  async updateUser(
    who: Principal,
    id: string,
    patch: { displayName?: string; roles?: string[]; scope?: unknown; active?: boolean; passwordHash?: string },
    now = Date.now(),
  ): Promise<UserView> {
    await this.db.transaction(async (tx) => {
      const u = await tx.get<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [who.tenantId, id]);
      if (!u) throw new HubError('USER_NOT_FOUND', `user ${id} does not exist`);
      if (patch.roles) await this.checkRoles(tx, who.tenantId, patch.roles);
      if (u.id === who.userId && (patch.active === false || (patch.roles && !patch.roles.includes('admin') && JSON.parse(u.roles).includes('admin')))) {
        throw new HubError('CONFLICT', 'you cannot deactivate yourself or take away your own admin role; ask another admin');
      }
      const next = {
        display_name: patch.displayName?.trim() || u.display_name,
        roles: patch.roles ? JSON.stringify([...new Set(patch.roles)]) : u.roles,
        scope: patch.scope !== undefined ? JSON.stringify(await this.scopeToSave(tx, who, patch.scope)) : u.scope,
        active: patch.active === undefined ? u.active : patch.active ? 1 : 0,
      };
      await tx.run(
        `UPDATE users SET display_name = ?, roles = ?, scope = ?, active = ?, password_hash = ?, password_changed_at = ?,
           failed_attempts = CASE WHEN ? THEN 0 ELSE failed_attempts END, locked_until = CASE WHEN ? THEN NULL ELSE locked_until END, updated_at = ?
         WHERE id = ?`,
        [
          next.display_name,
          next.roles,
          next.scope,
          next.active,
          patch.passwordHash ?? u.password_hash,
          patch.passwordHash ? now : u.password_changed_at,
          patch.passwordHash ? 1 : 0,
          patch.passwordHash ? 1 : 0,
          now,
          id,
        ],
      );
      // Taking access away ends the user's sessions at once.
      if (patch.active === false || patch.passwordHash || patch.roles || patch.scope !== undefined) {
        await tx.run('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, id]);
      }
      const before = { displayName: u.display_name, roles: JSON.parse(u.roles), scope: JSON.parse(u.scope), active: u.active === 1 };
      const after = { displayName: next.display_name, roles: JSON.parse(next.roles), scope: JSON.parse(next.scope), active: next.active === 1 };
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'user.update', targetType: 'user', targetId: id, before, after, detail: patch.passwordHash ? { passwordChanged: true } : undefined },
        now,
      );
    });
    return this.getUser(who.tenantId, id);
  }

  /**
   * Deletes a user: sessions and API tokens end at once, the row stays (the audit log names it) and the username
   * stays taken. Needs a second person's approval under the default policy.
   */
  async requestDeleteUser(who: Principal, id: string, reason: string, now = Date.now()): Promise<MaybePending<{ id: string }>> {
    const u = await this.getUser(who.tenantId, id);
    if (u.id === who.userId) throw new HubError('CONFLICT', 'you cannot delete yourself; ask another admin');
    const payload = { userId: id, username: u.username, reason };
    if (this.approvals.required('user.delete')) {
      const pending = await this.db.transaction((tx) =>
        this.approvals.open(tx, who, { kind: 'user.delete', targetType: 'user', targetId: id, summary: `delete user ${u.username} (${u.roles.join(', ')}): ${reason}`, payload }, now),
      );
      return { pending };
    }
    await this.db.transaction((tx) => this.applyDeleteUser(tx, who, payload, null, now));
    return { done: { id } };
  }

  async applyDeleteUser(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext | null, now: number): Promise<{ id: string }> {
    const id = String(payload.userId);
    if (id === who.userId) throw new HubError('CONFLICT', 'you cannot delete yourself; ask another admin');
    const u = await tx.get<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [who.tenantId, id]);
    if (!u) throw new HubError('USER_NOT_FOUND', `user ${id} does not exist`);
    await tx.run('UPDATE users SET active = 0, deleted_at = ?, updated_at = ? WHERE id = ?', [now, now, id]);
    await tx.run('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, id]);
    const tokens = await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, id]);
    await appendAudit(
      tx,
      this.keyring,
      who,
      {
        action: 'user.delete',
        targetType: 'user',
        targetId: id,
        before: { username: u.username, roles: JSON.parse(u.roles), scope: JSON.parse(u.scope), active: u.active === 1 },
        after: { deleted: true, tokensRevoked: tokens },
        detail: ctx ? { reason: payload.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: payload.reason },
      },
      now,
    );
    return { id };
  }

  async saveRole(who: Principal, input: { name: string; description?: string; permissions: string[] }, now = Date.now()): Promise<RoleDefinition> {
    if (!isCode('role', input.name)) throw new HubError('VALIDATION_FAILED', 'a role name is 2–40 lowercase letters, digits or _, starting with a letter');
    if (builtinRole(input.name)) throw new HubError('CONFLICT', `${input.name} is a built-in role and cannot be changed`);
    const unknown = input.permissions.filter((p) => !isPermission(p));
    if (unknown.length) throw new HubError('VALIDATION_FAILED', `unknown permissions: ${unknown.join(', ')}`, { unknown, known: allPermissions });
    const perms = allPermissions.filter((p) => input.permissions.includes(p));
    await this.db.transaction(async (tx) => {
      const old = await tx.get<{ permissions: string; description: string }>('SELECT permissions, description FROM roles WHERE tenant_id = ? AND name = ?', [
        who.tenantId,
        input.name,
      ]);
      await tx.run(
        `INSERT INTO roles (tenant_id, name, description, permissions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description, permissions = excluded.permissions, updated_at = excluded.updated_at`,
        [who.tenantId, input.name, input.description ?? '', JSON.stringify(perms), now, now],
      );
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: old ? 'role.update' : 'role.create',
          targetType: 'role',
          targetId: input.name,
          before: old ? { description: old.description, permissions: JSON.parse(old.permissions) } : undefined,
          after: { description: input.description ?? '', permissions: perms },
        },
        now,
      );
    });
    return { name: input.name, description: input.description ?? '', permissions: perms, builtin: false };
  }

  async deleteRole(who: Principal, name: string, now = Date.now()): Promise<void> {
    if (builtinRole(name)) throw new HubError('CONFLICT', `${name} is a built-in role and cannot be deleted`);
    await this.db.transaction(async (tx) => {
      const old = await tx.get<{ permissions: string }>('SELECT permissions FROM roles WHERE tenant_id = ? AND name = ?', [who.tenantId, name]);
      if (!old) throw new HubError('ROLE_NOT_FOUND', `role ${name} does not exist`);
      const users = await tx.all<{ username: string; roles: string }>('SELECT username, roles FROM users WHERE tenant_id = ?', [who.tenantId]);
      const holders = users.filter((u) => (JSON.parse(u.roles) as string[]).includes(name)).map((u) => u.username);
      if (holders.length) throw new HubError('CONFLICT', `role ${name} is still given to: ${holders.join(', ')}`, { holders });
      await tx.run('DELETE FROM roles WHERE tenant_id = ? AND name = ?', [who.tenantId, name]);
      await appendAudit(tx, this.keyring, who, { action: 'role.delete', targetType: 'role', targetId: name, before: { permissions: JSON.parse(old.permissions) } }, now);
    });
  }

  /** Records a sign-in attempt whose password was already checked; a success opens a session. */
  async recordSignIn(
    who: Principal,
    input: { username: string; userId: string | null; ok: boolean; reason?: string },
    now = Date.now(),
  ): Promise<{ session: string; csrf: string; expiresAt: number } | null> {
    return this.db.transaction(async (tx) => {
      if (!input.ok || !input.userId) {
        if (input.userId) {
          await tx.run(
            `UPDATE users SET failed_attempts = failed_attempts + 1,
               locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END WHERE id = ?`,
            [this.settings.lockoutThreshold, now + this.settings.lockoutMinutes * 60_000, input.userId],
          );
        }
        await appendAudit(
          tx,
          this.keyring,
          who,
          { action: 'auth.sign_in_failed', targetType: 'user', targetId: input.userId, detail: { username: input.username, reason: input.reason ?? 'wrong password' } },
          now,
        );
        return null;
      }
      const session = newSecret('ohs');
      const csrf = this.keyring.csrfFor(session);
      const expiresAt = now + this.settings.sessionHours * 3_600_000;
      await tx.run('UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = ? WHERE id = ?', [now, input.userId]);
      await tx.run(
        `INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_hash, ip, user_agent, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [secretHash(session), who.tenantId, input.userId, secretHash(csrf), who.ip, who.userAgent?.slice(0, 300) ?? null, now, expiresAt],
      );
      await appendAudit(
        tx,
        this.keyring,
        { ...who, userId: input.userId, name: input.username, kind: 'user' },
        { action: 'auth.sign_in', targetType: 'user', targetId: input.userId },
        now,
      );
      return { session, csrf, expiresAt };
    });
  }

  async signOut(who: Principal, now = Date.now()): Promise<void> {
    if (!who.sessionId) return;
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL', [now, who.sessionId]);
      await appendAudit(tx, this.keyring, who, { action: 'auth.sign_out', targetType: 'user', targetId: who.userId }, now);
    });
  }

  /** A new API token for a user; the secret is returned once and only its hash is kept. */
  async createToken(
    who: Principal,
    input: { name: string; userId: string; expiresAt?: number | null },
    now = Date.now(),
  ): Promise<TokenView & { token: string }> {
    const name = input.name.trim();
    if (!name) throw new HubError('VALIDATION_FAILED', 'a token needs a name (what it is for)');
    if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt <= now) {
      throw new HubError('VALIDATION_FAILED', 'expiresAt must be in the future');
    }
    const token = newSecret('oht');
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      const u = await tx.get<{ id: string }>('SELECT id FROM users WHERE tenant_id = ? AND id = ?', [who.tenantId, input.userId]);
      if (!u) throw new HubError('USER_NOT_FOUND', `user ${input.userId} does not exist`);
      await tx.run(
        `INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, who.tenantId, input.userId, name, secretHash(token), who.name, now, input.expiresAt ?? null],
      );
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'token.create', targetType: 'api_token', targetId: id, after: { name, userId: input.userId, expiresAt: toIso(input.expiresAt ?? null) } },
        now,
      );
    });
    const view = (await this.listTokens(who.tenantId)).find((t) => t.id === id) as TokenView;
    return { ...view, token };
  }

  async revokeToken(who: Principal, id: string, now = Date.now()): Promise<void> {
    await this.db.transaction(async (tx) => {
      const t = await tx.get<{ id: string; revoked_at: number | null }>('SELECT id, revoked_at FROM api_tokens WHERE tenant_id = ? AND id = ?', [who.tenantId, id]);
      if (!t) throw new HubError('TOKEN_NOT_FOUND', `API token ${id} does not exist`);
      if (t.revoked_at !== null) return;
      await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ?', [now, id]);
      await appendAudit(tx, this.keyring, who, { action: 'token.revoke', targetType: 'api_token', targetId: id }, now);
    });
  }

  /** Last-used time of a token (the caller throttles this to once a minute per token). */
  async touchToken(id: string, at = Date.now()): Promise<void> {
    await this.db.transaction((tx) => tx.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [at, id]));
  }

  /** An audit row on its own: refused sign-ins, CSRF failures, views of personal data. */
  async record(who: Principal, entry: { action: string; targetType: string; targetId?: string | null; detail?: unknown }, now = Date.now()): Promise<void> {
    await this.db.transaction((tx) => appendAudit(tx, this.keyring, who, entry, now));
  }
}

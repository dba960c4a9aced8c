// Users, roles, sessions and API tokens: who may come in, and what they may do once inside.
// Password hashing runs where the request is (argon2 on the thread pool); only the outcome is written.
// The service the command registry and the routes call; each method is one use case of commands/ or queries/.
import type { Permission, RoleDefinition } from '../../kernel/permissions.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { ApprovalService } from './approvals.ts';
import type { MaybePending } from './approval-view.ts';
import type { ApprovalContext, PeopleDeps, PeopleSettings } from './deps.ts';
import type { TokenView, UserView } from './people-views.ts';
import { listRoles } from './queries/list-roles.ts';
import { permissionsOf } from './queries/permissions-of.ts';
import { listUsers } from './queries/list-users.ts';
import { listOrganisations } from './queries/list-organisations.ts';
import { getUser } from './queries/get-user.ts';
import { credentialsOf } from './queries/credentials-of.ts';
import { sessionPrincipal } from './queries/session-principal.ts';
import { tokenPrincipal } from './queries/token-principal.ts';
import { listTokens } from './queries/list-tokens.ts';
import { createUser } from './commands/create-user.ts';
import { updateUser } from './commands/update-user.ts';
import { deleteUser } from './commands/delete-user.ts';
import { applyDeleteUser } from './commands/apply-delete-user.ts';
import { saveRole } from './commands/save-role.ts';
import { deleteRole } from './commands/delete-role.ts';
import { recordSignIn } from './commands/record-sign-in.ts';
import { signOut } from './commands/sign-out.ts';
import { createToken } from './commands/create-token.ts';
import { revokeToken } from './commands/revoke-token.ts';
import { touchToken } from './commands/touch-token.ts';
import { recordAudit } from './commands/record-audit.ts';

export type { PeopleSettings } from './deps.ts';
export type { TokenView, UserView } from './people-views.ts';

export const defaultPeopleSettings: PeopleSettings = { sessionHours: 12, lockoutThreshold: 5, lockoutMinutes: 15 };

export class PeopleService {
  private readonly deps: PeopleDeps;

  constructor(db: Database, keyring: Keyring, approvals: ApprovalService, settings: PeopleSettings = defaultPeopleSettings) {
    this.deps = { db, keyring, approvals, settings };
  }

  // ------------------------------------------------------------ reads

  roles(tenantId: string): Promise<RoleDefinition[]> {
    return listRoles(this.deps, tenantId);
  }

  permissionsOf(tenantId: string, roleNames: readonly string[], known?: readonly RoleDefinition[]): Promise<Permission[]> {
    return permissionsOf(this.deps, tenantId, roleNames, known);
  }

  listUsers(tenantId: string): Promise<UserView[]> {
    return listUsers(this.deps, tenantId);
  }

  /** Every organisation (tenant) with a user or an audited action, by id. */
  organisations(): Promise<string[]> {
    return listOrganisations(this.deps);
  }

  getUser(tenantId: string, id: string): Promise<UserView> {
    return getUser(this.deps, tenantId, id);
  }

  credentialsOf(tenantId: string, username: string) {
    return credentialsOf(this.deps, tenantId, username);
  }

  sessionPrincipal(sessionSecret: string, from: { ip: string | null; userAgent: string | null }, now = Date.now()) {
    return sessionPrincipal(this.deps, sessionSecret, from, now);
  }

  tokenPrincipal(token: string, from: { ip: string | null; userAgent: string | null }, now = Date.now()) {
    return tokenPrincipal(this.deps, token, from, now);
  }

  listTokens(tenantId: string, userId?: string): Promise<TokenView[]> {
    return listTokens(this.deps, tenantId, userId);
  }

  // ------------------------------------------------------------ writes (all audited in their transaction)

  createUser(who: Principal, input: { username: string; displayName?: string; passwordHash: string; roles: string[]; scope?: unknown }, now = Date.now()): Promise<UserView> {
    return createUser(this.deps, who, input, now);
  }

  updateUser(who: Principal, id: string, patch: { displayName?: string; roles?: string[]; scope?: unknown; active?: boolean; passwordHash?: string }, now = Date.now()): Promise<UserView> {
    return updateUser(this.deps, who, id, patch, now);
  }

  requestDeleteUser(who: Principal, id: string, reason: string, now = Date.now()): Promise<MaybePending<{ id: string }>> {
    return deleteUser(this.deps, who, id, reason, now);
  }

  applyDeleteUser(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext | null, now: number): Promise<{ id: string }> {
    return applyDeleteUser(this.deps, tx, who, payload, ctx, now);
  }

  saveRole(who: Principal, input: { name: string; description?: string; permissions: string[] }, now = Date.now()): Promise<RoleDefinition> {
    return saveRole(this.deps, who, input, now);
  }

  deleteRole(who: Principal, name: string, now = Date.now()): Promise<void> {
    return deleteRole(this.deps, who, name, now);
  }

  recordSignIn(who: Principal, input: { username: string; userId: string | null; ok: boolean; reason?: string }, now = Date.now()): Promise<{ session: string; csrf: string; expiresAt: number } | null> {
    return recordSignIn(this.deps, who, input, now);
  }

  signOut(who: Principal, now = Date.now()): Promise<void> {
    return signOut(this.deps, who, now);
  }

  createToken(who: Principal, input: { name: string; userId: string; expiresAt?: number | null }, now = Date.now()): Promise<TokenView & { token: string }> {
    return createToken(this.deps, who, input, now);
  }

  revokeToken(who: Principal, id: string, now = Date.now()): Promise<void> {
    return revokeToken(this.deps, who, id, now);
  }

  touchToken(id: string, at = Date.now()): Promise<void> {
    return touchToken(this.deps, id, at);
  }

  record(who: Principal, entry: { action: string; targetType: string; targetId?: string | null; detail?: unknown }, now = Date.now()): Promise<void> {
    return recordAudit(this.deps, who, entry, now);
  }
}

// A stored user as the hub shows it (a UserView) and as it acts (a Principal), and an API token as it is listed.
import type { Permission, RoleDefinition } from '../../kernel/permissions.ts';
import { readStoredScope, type DataScope } from '../../kernel/scope.ts';
import type { Principal } from '../../kernel/principal.ts';
import { toIso } from '../../kernel/time.ts';
import type { PeopleDeps } from './deps.ts';
import { permissionsOf } from './queries/permissions-of.ts';

export interface UserRow {
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

export async function userView(deps: PeopleDeps, u: UserRow, known?: readonly RoleDefinition[], now = Date.now()): Promise<UserView> {
  const roles = JSON.parse(u.roles) as string[];
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    roles,
    permissions: await permissionsOf(deps, u.tenant_id, roles, known),
    scope: readStoredScope(u.scope),
    active: u.active === 1,
    locked: u.locked_until !== null && u.locked_until > now,
    lastSignInAt: toIso(u.last_sign_in_at),
    createdAt: toIso(u.created_at),
  };
}

export async function principalFor(
  deps: PeopleDeps,
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
    permissions: await permissionsOf(deps, u.tenant_id, roles),
    scope: readStoredScope(u.scope),
    ip: extra.ip,
    userAgent: extra.userAgent,
  };
}

// Who is acting, as every service sees it: a signed-in user, an API token, the break-glass admin token, or
// the hub itself. Plain data, so it crosses into the writer thread unchanged.
import { HubError } from './errors.ts';
import { allPermissions, type Permission } from './permissions.ts';
import { unlimitedScope, type DataScope } from './scope.ts';

export interface Principal {
  kind: 'user' | 'token' | 'admin_token' | 'system';
  tenantId: string;
  /** The user (also for a token: the user it acts for); null for the admin token and the system. */
  userId: string | null;
  /** Username, `admin-token` or `system`: what the audit log shows. */
  name: string;
  tokenId: string | null;
  sessionId: string | null;
  permissions: readonly Permission[];
  scope: DataScope;
  ip: string | null;
  userAgent: string | null;
}

/** The hub acting on its own (timers, CLI maintenance). */
export function systemPrincipal(tenantId: string, name = 'system'): Principal {
  return {
    kind: 'system',
    tenantId,
    userId: null,
    name,
    tokenId: null,
    sessionId: null,
    permissions: allPermissions,
    scope: unlimitedScope,
    ip: null,
    userAgent: null,
  };
}

export function can(p: Principal, permission: Permission): boolean {
  return p.permissions.includes(permission);
}

export function requirePermission(p: Principal, permission: Permission): void {
  if (!can(p, permission)) {
    throw new HubError('FORBIDDEN', `this needs the permission ${permission}, which ${p.name} does not have`, { permission });
  }
}

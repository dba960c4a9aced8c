// The doors of /api: who is asking (session cookie, API token, or the break-glass admin token), whether a
// cookie-borne request carries its CSRF token, and whether the route's declared permission is held.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../kernel/errors.ts';
import { allPermissions, type Permission } from '../../kernel/permissions.ts';
import { unlimitedScope } from '../../kernel/scope.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Hub } from '../hub.ts';
import { secretHash, secretsMatch } from '../../platform/security/secrets.ts';
import { DEFAULT_TENANT } from '../../kernel/tenancy.ts';

/** What a route needs: a permission, any signed-in principal, or nothing (sign-in itself). */
export type RouteAccess = Permission | 'authenticated' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const SESSION_COOKIE = 'orderhub_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function origin(req: FastifyRequest): { ip: string | null; userAgent: string | null } {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null };
}

/** Somebody not yet known: refused sign-ins and CSRF failures are audited under this name. */
export function anonymous(req: FastifyRequest, name = 'anonymous', tenantId = DEFAULT_TENANT): Principal {
  return {
    kind: 'user',
    tenantId,
    userId: null,
    name,
    tokenId: null,
    sessionId: null,
    permissions: [],
    scope: unlimitedScope,
    ...origin(req),
  };
}

function adminPrincipal(req: FastifyRequest): Principal {
  return {
    kind: 'admin_token',
    tenantId: DEFAULT_TENANT,
    userId: null,
    name: 'admin-token',
    tokenId: null,
    sessionId: null,
    permissions: allPermissions,
    scope: unlimitedScope,
    ...origin(req),
  };
}

/**
 * Refusals are audited once a window per key (a token, an address, a session): a flood of bad requests must not
 * become a flood of audit writes. The next entry for a key says how many refusals were folded into the previous one.
 */
export class RefusalThrottle {
  private readonly seen = new Map<string, { at: number; folded: number }>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** null: already audited in this window (counted); otherwise audit it, with the refusals folded since the last entry. */
  admit(key: string, now: number): { folded: number } | null {
    const last = this.seen.get(key);
    if (last && last.at > now - this.windowMs) {
      last.folded++;
      return null;
    }
    // Bounded memory under a flood of distinct keys: forgetting only means one more entry per key.
    if (!last && this.seen.size >= this.maxKeys) this.seen.clear();
    this.seen.set(key, { at: now, folded: 0 });
    return { folded: last?.folded ?? 0 };
  }
}

/** Installs authentication and the permission check on an encapsulated /api scope. */
export function installAuth(api: FastifyInstance, hub: Hub): void {
  api.decorateRequest('principal', null);
  // A token's last-used time is written at most once a minute, not on every request.
  const touched = new Map<string, number>();
  // Refused tokens are audited once a minute per token (or per address for unknown ones), CSRF refusals once a
  // minute per session.
  const tokenRefusals = new RefusalThrottle();
  const csrfRefusals = new RefusalThrottle();
  const folded = (n: number) => (n > 0 ? { folded: n } : {});
  const auditRefusal = async (req: FastifyRequest, r: { refused: string; tokenId: string | null; tenantId: string | null }) => {
    const admitted = tokenRefusals.admit(r.tokenId ?? `ip:${req.ip}`, Date.now());
    if (!admitted) return;
    const caller = { ...anonymous(req, r.tokenId ? `token ${r.tokenId}` : 'anonymous', r.tenantId ?? DEFAULT_TENANT), kind: 'token' as const, tokenId: r.tokenId };
    await hub.writes
      .recordAudit(caller, {
        action: 'auth.token_refused',
        targetType: 'api_token',
        targetId: r.tokenId,
        detail: { reason: r.refused, route: `${req.method} ${req.routeOptions.url ?? ''}`, ...folded(admitted.folded) },
      })
      .catch((e: unknown) => req.log.warn({ err: e }, 'could not audit a refused token'));
  };
  const auditCsrfRefusal = async (req: FastifyRequest, p: Principal) => {
    const admitted = csrfRefusals.admit(`session:${p.sessionId ?? req.ip}`, Date.now());
    if (!admitted) return;
    await hub.writes
      .recordAudit(p, {
        action: 'auth.csrf_refused',
        targetType: 'route',
        targetId: `${req.method} ${req.routeOptions.url ?? ''}`,
        ...(admitted.folded > 0 ? { detail: folded(admitted.folded) } : {}),
      })
      .catch((e: unknown) => req.log.warn({ err: e }, 'could not audit a CSRF refusal'));
  };

  api.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config.access;
    if (access === undefined) {
      // A route that forgot to say what it needs is closed, not open (and the route-table test fails).
      req.log.error({ url: req.routeOptions.url }, 'route declares no access rule');
      throw new HubError('FORBIDDEN', 'this route declares no permission and is closed');
    }
    if (access === 'public') return;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw new HubError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
      const token = m[1] as string;
      const adminHash = await hub.adminTokenCheck.hash();
      if (adminHash && secretsMatch(secretHash(token), adminHash)) {
        req.principal = adminPrincipal(req);
      } else {
        const found = await hub.people.tokenPrincipal(token, origin(req));
        if ('refused' in found) {
          await auditRefusal(req, found);
          throw new HubError('UNAUTHENTICATED', 'the API token is unknown, revoked or expired');
        }
        req.principal = found.principal;
        const id = found.principal.tokenId as string;
        const now = Date.now();
        if ((touched.get(id) ?? found.lastUsedAt ?? 0) < now - 60_000) {
          touched.set(id, now);
          void hub.writes.touchToken(id, now).catch((e: unknown) => req.log.warn({ err: e }, 'could not record token use'));
        }
      }
    } else {
      const cookie = req.cookies[SESSION_COOKIE];
      if (!cookie) throw new HubError('UNAUTHENTICATED', 'sign in first (POST /api/auth/sign-in) or send Authorization: Bearer <token>');
      const found = await hub.people.sessionPrincipal(cookie, origin(req));
      if (!found) {
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        throw new HubError('UNAUTHENTICATED', 'the session has ended; sign in again');
      }
      req.principal = found.principal;
      if (!SAFE_METHODS.has(req.method)) {
        const given = req.headers['x-csrf-token'];
        if (typeof given !== 'string' || !secretsMatch(secretHash(given), found.csrfHash)) {
          await auditCsrfRefusal(req, found.principal);
          throw new HubError('CSRF_TOKEN_INVALID', 'a request made with the session cookie must carry its X-CSRF-Token header');
        }
      }
    }
    if (access !== 'authenticated' && !req.principal.permissions.includes(access)) {
      throw new HubError('FORBIDDEN', `this needs the permission ${access}, which ${req.principal.name} does not have`, { permission: access });
    }
  });
}

/** The principal of a request that passed installAuth (routes other than public ones). */
export function who(req: FastifyRequest): Principal {
  if (!req.principal) throw new HubError('UNAUTHENTICATED', 'not signed in');
  return req.principal;
}

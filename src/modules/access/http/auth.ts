// Sign-in and sign-out for the console: a session in an HTTP-only cookie, and the CSRF token writes must carry.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { HubError } from '../../../kernel/errors.ts';
import { verifyPassword } from '../../../platform/security/secrets.ts';
import { DEFAULT_TENANT } from '../../../kernel/tenancy.ts';
import { anonymous, SESSION_COOKIE, who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { Me } from '../../../app/http/schemas.ts';

/** What the sign-in page may say about the demo while it runs: its organisation, its shared password, its users. */
export interface SignInDemo {
  tenant: string;
  password: string;
  users: { username: string; role: string }[];
}

const DemoUser = Type.Object({ username: Type.String(), role: Type.String({ description: 'a built-in role name' }) });

export const authRoutes: FastifyPluginAsyncTypebox<{ hub: Hub; demo: SignInDemo | null }> = async (app, { hub, demo }) => {
  // The one organisation, or null: never which ones there are when there are several.
  const onlyOrganisation = async (): Promise<string | null> => {
    const orgs = await hub.people.organisations();
    return orgs.length === 1 ? (orgs[0] as string) : null;
  };

  const me = async (p: ReturnType<typeof who>, csrfToken: string | null) => ({
    user: p.userId ? await hub.people.getUser(p.tenantId, p.userId) : null,
    name: p.name,
    kind: p.kind,
    tenant: p.tenantId,
    timezone: hub.config.timezone,
    permissions: [...p.permissions],
    scope: p.scope,
    csrfToken,
  });

  app.get(
    '/auth/options',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'What the sign-in page needs to know before anyone signs in',
        description:
          'Unauthenticated, so it says as little as the page needs: `defaultTenant` is the demo organisation while the demo runs, ' +
          'else the one organisation when the hub holds exactly one, else null (the sign-in then uses `default`). The list of ' +
          'organisations is never given. `demo` (only while the demo runs) names the demo users, their roles and their shared password, ' +
          'which the demo prints on start anyway.',
        response: {
          200: Type.Object({
            defaultTenant: Type.Union([Type.String(), Type.Null()], { description: 'the organisation to offer on the sign-in page, or null' }),
            demo: Type.Union([Type.Object({ tenant: Type.String(), password: Type.String(), users: Type.Array(DemoUser) }), Type.Null()], {
              description: 'the demo, while it runs',
            }),
          }),
        },
      },
    },
    async () => ({ defaultTenant: demo ? demo.tenant : await onlyOrganisation(), demo }),
  );

  app.post(
    '/auth/sign-in',
    {
      config: {
        access: 'public',
        rateLimit: { max: hub.config.signInPerMinute, timeWindow: 60_000 },
      },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username and password; sets the session cookie',
        description:
          'Answers 401 SIGN_IN_FAILED for a wrong username or password alike, 423 SIGN_IN_LOCKED after too many wrong passwords in a row, ' +
          '429 RATE_LIMITED for too many attempts from one address. Keep `csrfToken`: every write made with the cookie sends it as X-CSRF-Token.',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          tenant: Type.Optional(
            Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the seller organisation, where one hub hosts several (代运营); `default` when absent' }),
          ),
        }),
        response: { 200: Me, 400: ErrorBody, 401: ErrorBody, 423: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const tenant = req.body.tenant ?? DEFAULT_TENANT;
      const caller = anonymous(req, username, tenant);
      const cred = await hub.people.credentialsOf(tenant, username);
      const now = Date.now();
      if (cred && cred.locked_until !== null && cred.locked_until > now) {
        await hub.writes.recordSignIn(caller, { username, userId: cred.id, ok: false, reason: 'locked' });
        throw new HubError('SIGN_IN_LOCKED', `too many wrong passwords; try again after ${new Date(cred.locked_until).toISOString()}`);
      }
      const passwordOk = await verifyPassword(cred?.password_hash ?? null, password);
      const ok = Boolean(cred && passwordOk && cred.active === 1);
      const reason = !cred ? 'unknown user' : !passwordOk ? 'wrong password' : 'user inactive';
      const opened = await hub.writes.recordSignIn(caller, { username, userId: cred?.id ?? null, ok, reason });
      if (!opened) throw new HubError('SIGN_IN_FAILED', 'wrong username or password');
      void reply.setCookie(SESSION_COOKIE, opened.session, {
        path: '/',
        httpOnly: true,
        secure: hub.config.cookieSecure,
        sameSite: 'strict',
        expires: new Date(opened.expiresAt),
      });
      const found = await hub.people.sessionPrincipal(opened.session, { ip: req.ip, userAgent: null });
      if (!found) throw new HubError('INTERNAL', 'the new session could not be read back');
      return me(found.principal, opened.csrf);
    },
  );

  app.post(
    '/auth/sign-out',
    { config: { access: 'authenticated' }, schema: { summary: 'Sign out: end this session', description: 'Ends the session of the cookie (or the principal) that calls it and clears the cookie; 204. Other sessions of the same user stay open.', tags: ['auth'], response: { 204: Type.Null() } } },
    async (req, reply) => {
      await hub.writes.signOut(who(req));
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      config: { access: 'authenticated' },
      schema: { description: 'For a console session the answer carries `csrfToken`, which every write made with the cookie sends as X-CSRF-Token; for an API token it is null. `permissions` and `scope` are what every other route checks.', tags: ['auth'], summary: 'Who is asking, what they may do and see (and, for a session, its CSRF token)', response: { 200: Me } },
    },
    async (req) => {
      const p = who(req);
      const cookie = req.cookies[SESSION_COOKIE];
      return me(p, p.sessionId && cookie ? hub.keyring.csrfFor(cookie) : null);
    },
  );
};

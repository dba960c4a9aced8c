// Users, roles and API tokens: handlers validate, call the people service, and shape the answer.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { permissions } from '../../../kernel/permissions.ts';
import { hashPassword } from '../../../platform/security/secrets.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { ApiToken, Instant, PendingApproval, Role as RoleView, RoleName, ScopeInput, User, Username } from '../../../app/http/schemas.ts';
import { instantAt } from '../../../app/http/edge.ts';
import { answerMaybePending } from './approvals.ts';

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Role = RoleName();

export const peopleRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  const manage = { access: 'users.manage' } as const;

  app.get('/users', { config: manage, schema: { summary: 'The users of this organisation', description: 'Every user with roles, data scope (accounts, warehouses, provinces) and whether they are active. Password hashes are never returned. Needs users.manage.', tags: ['people'], response: { 200: Type.Object({ items: Type.Array(User) }) } } }, async (req) => ({
    items: await hub.people.listUsers(who(req).tenantId),
  }));

  app.post(
    '/users',
    {
      config: manage,
      schema: {
        description: 'Username unique within the organisation (409 CONFLICT when taken); roles must exist (404 ROLE_NOT_FOUND); the password is stored only as a hash. Audited.',
        tags: ['people'],
        summary: 'Add a user',
        body: Type.Object({
          username: Username(),
          displayName: Type.Optional(Type.String({ maxLength: 100 })),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          roles: Type.Array(Role, { minItems: 1, maxItems: 20 }),
          scope: Type.Optional(Type.Union([ScopeInput, Type.Null()])),
        }),
        response: { 201: User, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const { password, ...rest } = req.body;
      const passwordHash = await hashPassword(password, rest.username);
      return reply.code(201).send(await hub.writes.createUser(who(req), { ...rest, passwordHash }));
    },
  );

  app.get('/users/:id', { config: manage, schema: { summary: 'One user', description: 'The user with roles and data scope; 404 USER_NOT_FOUND for an id of another organisation. Needs users.manage.', tags: ['people'], params: Id, response: { 200: User, 404: ErrorBody } } }, async (req) =>
    hub.people.getUser(who(req).tenantId, req.params.id),
  );

  app.patch(
    '/users/:id',
    {
      config: manage,
      schema: {
        description: 'Only the fields sent change. Nobody can deactivate themselves or take away their own admin role (409 CONFLICT). Changing roles, scope, active or the password ends the user’s sessions. Audited.',
        tags: ['people'],
        summary: 'Change a user: roles, scope, active, password (ends the user’s sessions when access changes)',
        params: Id,
        body: Type.Object({
          displayName: Type.Optional(Type.String({ maxLength: 100 })),
          roles: Type.Optional(Type.Array(Role, { minItems: 1, maxItems: 20 })),
          scope: Type.Optional(Type.Union([ScopeInput, Type.Null()])),
          active: Type.Optional(Type.Boolean()),
          password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        }),
        response: { 200: User, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const { password, ...rest } = req.body;
      const p = who(req);
      let passwordHash: string | undefined;
      if (password !== undefined) {
        const u = await hub.people.getUser(p.tenantId, req.params.id);
        passwordHash = await hashPassword(password, u.username);
      }
      return hub.writes.updateUser(p, req.params.id, { ...rest, ...(passwordHash ? { passwordHash } : {}) });
    },
  );

  app.delete(
    '/users/:id',
    {
      config: manage,
      schema: {
        tags: ['people'],
        summary: 'Delete a user: sessions and API tokens end at once; the username stays taken (the audit log names it)',
        description: 'Needs a second person’s approval under the default policy: the answer is then 202 with the pending request.',
        params: Id,
        querystring: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: { 204: Type.Null(), 202: PendingApproval, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => answerMaybePending(reply, await hub.writes.deleteUser(who(req), req.params.id, req.query.reason), () => null, 204),
  );

  app.get(
    '/permissions',
    {
      config: { access: 'authenticated' },
      schema: { summary: 'Every permission the hub knows, with what it allows', description: 'The names custom roles are built from (orders.read, fulfilment.ship …) and a sentence on each.', tags: ['people'], response: { 200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })) }) } },
    },
    async () => ({ items: Object.entries(permissions).map(([name, description]) => ({ name, description })) }),
  );

  app.get('/roles', { config: manage, schema: { summary: 'The built-in and custom roles with their permissions', description: 'Built-in roles (admin, operations, customer_service, warehouse, finance, read_only) cannot be changed or deleted; custom roles are this organisation’s own.', tags: ['people'], response: { 200: Type.Object({ items: Type.Array(RoleView) }) } } }, async (req) => ({
    items: (await hub.people.roles(who(req).tenantId)).map((r) => ({ ...r, permissions: [...r.permissions] })),
  }));

  app.put(
    '/roles/:name',
    {
      config: manage,
      schema: {
        description: 'Replaces the role’s description and permissions; users holding it get the new permissions on their next request. A built-in role name is refused (409 CONFLICT). Audited.',
        tags: ['people'],
        summary: 'Create or change a custom role',
        params: Type.Object({ name: Role }),
        body: Type.Object({ description: Type.Optional(Type.String({ maxLength: 200 })), permissions: Type.Array(Type.String(), { maxItems: 100 }) }),
        response: { 200: RoleView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const r = await hub.writes.saveRole(who(req), { name: req.params.name, ...req.body });
      return { ...r, permissions: [...r.permissions] };
    },
  );

  app.delete(
    '/roles/:name',
    {
      config: manage,
      schema: { summary: 'Delete a custom role', description: 'Refused with 409 CONFLICT for a built-in role, or while any user still holds the role (the answer names them). Audited.', tags: ['people'], params: Type.Object({ name: Role }), response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody } },
    },
    async (req, reply) => {
      await hub.writes.deleteRole(who(req), req.params.name);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/tokens',
    {
      config: manage,
      schema: { summary: 'The API tokens of this organisation', description: 'Each token’s name, its user, when it was made and last used; the token itself is shown only once, when it is created.', tags: ['people'], querystring: Type.Object({ userId: Type.Optional(Type.String()) }), response: { 200: Type.Object({ items: Type.Array(ApiToken) }) } },
    },
    async (req) => ({ items: await hub.people.listTokens(who(req).tenantId, req.query.userId) }),
  );

  app.post(
    '/tokens',
    {
      config: manage,
      schema: {
        description: 'The token acts as the user it belongs to, with that user’s permissions and data scope. The database keeps only its hash: copy it from this answer. Audited.',
        tags: ['people'],
        summary: 'Create an API token for a user (an integration); the token is shown once',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          userId: Type.String({ maxLength: 64 }),
          expiresAt: Type.Optional(Instant('when it stops working; never when absent')),
        }),
        response: { 201: Type.Composite([ApiToken, Type.Object({ token: Type.String() })]), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const expiresAt = instantAt('body/expiresAt', req.body.expiresAt) ?? null;
      return reply.code(201).send(await hub.writes.createToken(who(req), { name: req.body.name, userId: req.body.userId, expiresAt }));
    },
  );

  app.delete('/tokens/:id', { config: manage, schema: { summary: 'Revoke an API token', description: 'The token is refused from the next request on. Audited.', tags: ['people'], params: Id, response: { 204: Type.Null(), 404: ErrorBody } } }, async (req, reply) => {
    await hub.writes.revokeToken(who(req), req.params.id);
    return reply.code(204).send(null);
  });
};

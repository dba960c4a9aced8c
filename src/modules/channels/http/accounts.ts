// Channel accounts: handlers validate, call the account service, and shape the answer.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import type { ChannelAccount } from '../account-views.ts';
import { toIso } from '../../../kernel/time.ts';
import { publicBase } from '../../../app/http/app.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { Account, PendingApproval } from '../../../app/http/schemas.ts';
import { answerMaybePending } from '../../access/http/approvals.ts';
import { adapterFor } from '../connectors/registry.ts';

export function accountView(hub: Hub, a: ChannelAccount) {
  return {
    id: a.id,
    platform: a.platform,
    name: a.name,
    active: a.active,
    credentialKeys: Object.keys(a.credentials),
    settings: a.settings,
    learned: a.learned,
    webhookUrl: adapterFor(a.platform)?.verifyPush ? `${publicBase(hub)}/hooks/${a.platform}/${a.id}` : null,
    createdAt: toIso(a.createdAt),
    updatedAt: toIso(a.updatedAt),
  };
}

export const accountRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.post(
    '/channel-accounts',
    {
      config: { access: 'accounts.manage' },
      schema: {
        description: 'The credentials a platform needs are listed by GET /api/platforms; they are stored encrypted and never returned (only their names, `credentialKeys`). 400 PLATFORM_NOT_SUPPORTED for an unknown platform. Audited.',
        tags: ['channel accounts'],
        summary: 'Add a shop on a platform',
        body: Type.Object({
          platform: Type.String({ minLength: 1, maxLength: 32, description: 'A platform of GET /api/platforms: ownshop, shopify, woocommerce, shopee, douyin, taobao, pinduoduo, jd' }),
          name: Type.String({ minLength: 1, maxLength: 128 }),
          credentials: Type.Record(Type.String(), Type.Unknown(), { description: 'The fields GET /api/platforms lists for the platform, e.g. ownshop: {"secret": "…"}. Write-only.' }),
        }),
        response: { 201: Account, 400: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(accountView(hub, await hub.writes.createAccount(who(req), req.body))),
  );

  app.get(
    '/channel-accounts',
    { config: { access: 'accounts.read' }, schema: { summary: 'The shops (channel accounts) in scope', description: 'Each shop’s platform, name, whether it is active, its webhook URL and pull settings, and the names of its credentials (never their values). A user scoped to some shops sees only those.', tags: ['channel accounts'], response: { 200: Type.Object({ items: Type.Array(Account) }) } } },
    async (req) => ({ items: (await hub.accounts.list(who(req))).map((a) => accountView(hub, a)) }),
  );

  app.get(
    '/channel-accounts/:id',
    { config: { access: 'accounts.read' }, schema: { summary: 'One shop (channel account)', description: 'The shop as in the list; 404 ACCOUNT_NOT_FOUND when it is out of scope or of another organisation. Credentials are never shown.', tags: ['channel accounts'], params: Type.Object({ id: Type.String() }), response: { 200: Account, 404: ErrorBody } } },
    async (req) => accountView(hub, await hub.accounts.getFor(who(req), req.params.id)),
  );

  app.patch(
    '/channel-accounts/:id',
    {
      config: { access: 'accounts.manage' },
      schema: {
        summary: 'Change a shop: name, active, pull settings, credentials',
        description: 'Credentials sent are merged into the stored ones and re-encrypted; a switched-off shop refuses pushes (403 ACCOUNT_INACTIVE) and is not pulled. Audited.',
        tags: ['channel accounts'],
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          credentials: Type.Optional(
            Type.Record(Type.String(), Type.Unknown(), { description: 'Changes the fields given and keeps the others; a field set to null is removed' }),
          ),
          active: Type.Optional(Type.Boolean()),
          settings: Type.Optional(
            Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
              description:
                'The settings GET /api/platforms lists for the platform (settingFields), e.g. Shopify {"stockLocationId": "gid://shopify/Location/123"}: the fields given change, the others stay, null removes one. Checked with the shop before they are kept (a Shopify location must be one of the shop’s): 400 when it says no, 503 PLATFORM_UNAVAILABLE when it cannot be asked.',
            }),
          ),
        }),
        response: { 200: Account, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => accountView(hub, await hub.writes.updateAccount(who(req), req.params.id, req.body)),
  );

  app.delete(
    '/channel-accounts/:id',
    {
      config: { access: 'accounts.manage' },
      schema: {
        tags: ['channel accounts'],
        summary: 'Delete a channel account: pushes to it are refused, its credentials erased; its orders stay',
        description: 'Needs a second person’s approval under the default policy: the answer is then 202 with the pending request.',
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: { 204: Type.Null(), 202: PendingApproval, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => answerMaybePending(reply, await hub.writes.deleteAccount(who(req), req.params.id, req.query.reason), () => null, 204),
  );
};

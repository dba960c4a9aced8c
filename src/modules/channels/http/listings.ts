// Listings (商品下载) and the 商品对应 page: an account's listings with its last listing pull, a pull on demand, an
// ignore; unmatched listings and unmatched order codes of every account in scope; a new SKU for one of them.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { HubError } from '../../../kernel/errors.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { SkuCode } from '../../../app/http/schemas.ts';
import { canPullListings } from '../listing-puller.ts';
import { listingApiOf } from '../queries/listings.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const AccountParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const Listing = Type.Object({
  id: Type.Integer(),
  accountId: Type.String(),
  platformItemId: Type.String(),
  platformSkuId: Type.String({ description: "'' when the item has no SKUs" }),
  merchantCode: Nullable(Type.String({ description: 'The merchant code the seller typed on the platform (商家编码)' })),
  title: Type.String(),
  sku: Nullable(Type.String({ description: 'The hub SKU it is matched to; null = unmatched (商品未匹配)' })),
  matchSource: Nullable(Type.String({ description: "code (its merchant code is a hub SKU), alias (a mapped code), manual (by a person)" })),
  ignored: Type.Boolean(),
  platformQuantity: Nullable(Type.Integer({ description: 'What the platform offered at the last pull' })),
  syncedQuantity: Nullable(Type.Integer({ description: 'What stock sync last told the platform' })),
  syncedAt: Nullable(Type.String()),
  syncError: Nullable(Type.String()),
  fixedQuantity: Nullable(Type.Integer({ description: 'Override: the listing offers this many (never more than is free), whatever the shop’s ratio' })),
  capQuantity: Nullable(Type.Integer({ description: 'Override: the listing offers at most this many' })),
  platformChange: Nullable(
    Type.Object(
      { at: Nullable(Type.String()), lastWritten: Type.Integer(), found: Type.Integer(), written: Type.Integer() },
      { description: "The last stock write that found the platform's quantity changed since the hub's own last write (a sale there, a person's edit): written over with the hub's number" },
    ),
  ),
});

const ListingPull = Type.Object({
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  running: Type.Boolean(),
  seen: Type.Integer(),
  matched: Type.Integer(),
  unmatched: Type.Integer(),
  gone: Type.Integer(),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  nextRunAt: Nullable(Type.String({ description: 'null when scheduled listing pulls are switched off' })),
});

const ListingApi = Type.Boolean({ description: "False for a platform without a listing API (the own web shop: the hub's catalogue is its catalogue)" });

const Paging = {
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'part of the merchant code or the title' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

export const listingRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/channel-accounts/:id/listings',
    {
      config: { access: 'accounts.read' },
      schema: {
        description: 'Each listing (商品链接) and SKU variant with its merchant code, the hub SKU it is matched to (by code or by hand) or none, and whether it is ignored.',
        tags: ['listings'],
        summary: "The shop's listings (商品下载) as the last pull found them, with their hub SKU, and the last listing pull",
        params: AccountParams,
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('matched'), Type.Literal('unmatched'), Type.Literal('ignored')])), ...Paging }),
        response: {
          200: Type.Object({ items: Type.Array(Listing), total: Type.Integer(), listingApi: ListingApi, lastPull: Nullable(ListingPull) }),
          404: ErrorBody,
        },
      },
    },
    async (req) => hub.integration.listings(who(req), req.params.id, { state: req.query.state, q: req.query.q, limit: req.query.limit, offset: req.query.offset }),
  );

  app.get(
    '/channel-accounts/:id/listings/pull',
    {
      config: { access: 'accounts.read' },
      schema: {
        description: 'null when the shop’s listings were never pulled.',
        tags: ['listings'],
        summary: "The account's last listing pull: when it ran, what it found, why it failed",
        params: AccountParams,
        response: { 200: Type.Object({ accountId: Type.String(), listingApi: ListingApi, lastPull: Nullable(ListingPull) }), 404: ErrorBody },
      },
    },
    async (req) => hub.integration.listingPull(who(req), req.params.id),
  );

  app.post(
    '/channel-accounts/:id/listings/pull',
    {
      config: { access: 'accounts.manage' },
      schema: {
        tags: ['listings'],
        summary: "Pull the shop's listings now (the scheduled pull runs anyway)",
        description: 'Answers 202 at once: the pull runs in the background; its progress and result are at `status` (GET).',
        params: AccountParams,
        response: { 202: Type.Object({ accountId: Type.String(), accepted: Type.Boolean(), status: Type.String() }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const account = await hub.accounts.getFor(who(req), req.params.id);
      if (!listingApiOf(account.platform)) throw new HubError('PLATFORM_NOT_SUPPORTED', `${account.platform} has no listing API: the hub's own catalogue is this shop's catalogue`);
      if (!canPullListings(account.platform, account.credentials)) throw new HubError('VALIDATION_FAILED', 'the account has no API credentials to read its listings with: add them first');
      if (!account.active) throw new HubError('ACCOUNT_INACTIVE', `account ${account.id} is switched off`);
      void hub.listings.request(account.id).catch(() => undefined);
      return reply.code(202).send({ accountId: account.id, accepted: true, status: `/api/channel-accounts/${account.id}/listings/pull` });
    },
  );

  app.post(
    '/channel-accounts/:id/listings/:listingId/ignore',
    {
      config: { access: 'stock.adjust' },
      schema: {
        description: 'For listings that are not stock items (gift cards, services). Audited.',
        tags: ['listings'],
        summary: 'Ignore a listing (neither matched nor shown as unmatched; later pulls keep it ignored), or take the ignore back',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), listingId: Type.Integer({ minimum: 1 }) }),
        body: Type.Object({ ignored: Type.Boolean() }),
        response: { 200: Type.Object({ listingId: Type.Integer(), ignored: Type.Boolean() }), 404: ErrorBody },
      },
    },
    async (req) => hub.writes.ignoreListing(who(req), { accountId: req.params.id, listingId: req.params.listingId, ignored: req.body.ignored }),
  );

  app.post(
    '/channel-accounts/:id/listings/:listingId/match',
    {
      config: { access: 'stock.adjust' },
      schema: {
        description: 'The SKU must exist in the catalogue (404 SKU_NOT_FOUND). Audited.',
        tags: ['listings'],
        summary: 'Match one listing to a hub SKU by hand (kept by later pulls); to map a code for all its listings and held orders use POST /api/sku-mappings',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), listingId: Type.Integer({ minimum: 1 }) }),
        body: Type.Object({ sku: SkuCode() }),
        response: { 200: Type.Object({ listingId: Type.Integer(), sku: Type.String() }), 404: ErrorBody },
      },
    },
    async (req) => hub.writes.matchListing(who(req), { accountId: req.params.id, listingId: req.params.listingId, sku: req.body.sku }),
  );

  app.put(
    '/channel-accounts/:id/listings/:listingId/overrides',
    {
      config: { access: 'stock.adjust' },
      schema: {
        tags: ['listings'],
        summary: 'Set what one listing offers (库存分配 per listing): a fixed quantity, a cap, or neither (null)',
        description:
          'A fixed quantity replaces the shop’s share for this listing but is never more than is free (on hand − reserved − safety stock); a cap limits ' +
          'whatever the listing would offer. A SKU given to another shop still offers 0, and a shop whose sync is off is not written to. The listing is pushed again.',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), listingId: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            fixedQuantity: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
            capQuantity: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ listingId: Type.Integer(), fixedQuantity: Nullable(Type.Integer()), capQuantity: Nullable(Type.Integer()) }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => hub.writes.setListingOverrides(who(req), { accountId: req.params.id, listingId: req.params.listingId, ...req.body }),
  );

  app.get(
    '/listings',
    {
      config: { access: 'stock.read' },
      schema: {
        tags: ['listings'],
        summary: 'Every listing of a hub SKU in the shops in scope, with its overrides and what the next stock push offers on it',
        description:
          '`offered` is the number a stock push sends now (the shop’s share with the listing’s fixed quantity or cap); null when the shop’s sync is off, the ' +
          'listing is ignored, or the caller is limited to some warehouses.',
        querystring: Type.Object({ sku: SkuCode() }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Intersect([Listing, Type.Object({ accountName: Type.String(), platform: Type.String(), offered: Nullable(Type.Integer()) })])),
          }),
          400: ErrorBody,
        },
      },
    },
    async (req) => hub.integration.skuListings(who(req), req.query.sku),
  );

  app.get(
    '/listings/unmatched',
    {
      config: { access: 'stock.read' },
      schema: {
        description: 'Listings whose merchant code matches no hub SKU, newest first; matching one releases orders held for it.',
        tags: ['listings'],
        summary: 'Unmatched listings (商品未匹配) of every shop in scope, for the 商品对应 page',
        querystring: Type.Object(Paging),
        response: { 200: Type.Object({ items: Type.Array(Type.Intersect([Listing, Type.Object({ accountName: Type.String(), platform: Type.String() })])), total: Type.Integer() }) },
      },
    },
    async (req) => hub.integration.unmatchedListings(who(req), { q: req.query.q, limit: req.query.limit, offset: req.query.offset }),
  );

  app.get(
    '/unmatched-codes',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['listings'],
        summary: 'Platform codes order lines wait on (商品未匹配), by shop, with the number of held orders',
        description: 'Mapping a code (POST /api/sku-mappings) matches and reserves every order held for it, at once.',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ accountId: Type.String(), channel: Type.String(), externalSku: Type.String(), title: Type.String(), heldOrders: Type.Integer(), units: Type.Integer() }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await hub.orders.unmatchedCodes(who(req)) }),
  );

  app.post(
    '/skus',
    {
      config: { access: 'stock.adjust' },
      schema: {
        description: 'For a listing whose code is not in the catalogue yet; 409 SKU_EXISTS for a SKU already known. Stock is set afterwards (PUT /api/stock/{sku}). Audited.',
        tags: ['stock'],
        summary: 'Add a SKU to the catalogue with a title (nothing on hand yet)',
        body: Type.Object({ sku: SkuCode(), title: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 201: Type.Object({ sku: Type.String(), title: Type.String() }), 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(await hub.writes.createSku(who(req), req.body)),
  );
};

// Stock levels and SKU mapping.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../app/hub.ts';
import { who } from '../../app/http/auth.ts';
import { ErrorBody } from '../../app/http/errors.ts';
import { PendingApproval, SkuCode, StockView, WarehouseCode } from '../../app/http/schemas.ts';
import { answerMaybePending } from '../access/http/approvals.ts';
import { toIso } from '../../kernel/time.ts';
import type { AllocationView } from './queries/allocation.ts';

const Level = Type.Object({ onHand: Type.Integer(), safetyStock: Type.Integer() });
const BulkAdjustment = Type.Object({
  changes: Type.Array(Type.Object({ sku: Type.String(), warehouse: Type.String(), before: Type.Union([Level, Type.Null()]), after: Level })),
  servedOrders: Type.Array(Type.String()),
});

const Sku = SkuCode();
const ChannelSellable = Type.Object({ accountId: Type.String(), sellable: Type.Union([Type.Integer(), Type.Null()]) });
const Allocation = Type.Object({ accountId: Type.String(), ratioPct: Type.Integer(), safetyStock: Type.Integer(), syncEnabled: Type.Boolean(), updatedAt: Type.Union([Type.String(), Type.Null()]) });
const ListedAllocation = Type.Composite([
  Allocation,
  Type.Object({ accountName: Type.String(), platform: Type.String(), active: Type.Boolean({ description: 'false when the shop is switched off' }) }),
]);
const allocationBody = <A extends AllocationView>(a: A) => ({ ...a, updatedAt: toIso(a.updatedAt) });
const Warehouse = WarehouseCode();

export const stockRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.put(
    '/stock/:sku',
    {
      config: { access: 'stock.adjust' },
      schema: {
        tags: ['stock'],
        summary: 'Set the counted stock of a SKU in a warehouse',
        description:
          'Creates the SKU if new; the warehouse must exist (404 WAREHOUSE_NOT_FOUND, nothing written: create it with PUT /api/warehouses/{code}). ' +
          'The reason is kept in the movement ledger (GET /api/stock/{sku}/movements) and the audit log. ' +
          'Refused (409 STOCK_BELOW_RESERVED) when onHand would drop below the units already reserved. ' +
          'Orders held for short stock of this SKU are served, oldest first.',
        params: Type.Object({ sku: Sku }),
        body: Type.Object({
          warehouse: Warehouse,
          onHand: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
          safetyStock: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
          reason: Type.String({ minLength: 1, maxLength: 500, description: 'why the count changed (调整原因)' }),
        }),
        response: {
          200: Type.Composite([StockView, Type.Object({ servedOrders: Type.Array(Type.String()) })]),
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (req) => {
      const r = await hub.writes.setStock(who(req), { sku: req.params.sku, ...req.body, cause: 'api', unknownWarehouse: 'refuse' });
      return { ...r.stock, servedOrders: r.servedOrders };
    },
  );

  app.get(
    '/stock/:sku',
    {
      config: { access: 'stock.read' },
      schema: {
        summary: 'One SKU’s stock in every warehouse, and what each shop is offered',
        tags: ['stock'],
        description: 'byChannel: what each channel account may offer (ratio, safety stock, exclusive allocation) — the number a stock sync pushes; null when the account is not synced.',
        params: Type.Object({ sku: Sku }),
        response: { 200: Type.Composite([StockView, Type.Object({ byChannel: Type.Array(ChannelSellable) })]), 404: ErrorBody },
      },
    },
    async (req) => hub.stock.detail(who(req), req.params.sku),
  );

  app.get(
    '/stock/:sku/movements',
    {
      config: { access: 'stock.read' },
      schema: {
        tags: ['stock'],
        summary: 'The movement ledger of a SKU (出入库流水): every change of on-hand or reserved units, newest first',
        description:
          'One entry per change of one stock row: cause (set, adjust, count, reserve, release, restock, reroute, ship), the person (null for the hub’s own ' +
          'order flow), their reason, what it serves (order id, parcel, approval) and on-hand and reserved before → after. Only the warehouses the ' +
          'caller’s scope covers. Paged: pass nextBefore as before for the next page.',
        params: Type.Object({ sku: Sku }),
        querystring: Type.Object({
          warehouse: Type.Optional(Warehouse),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                sku: Type.String(),
                warehouse: Type.String(),
                at: Type.String(),
                cause: Type.String(),
                reason: Type.Union([Type.String(), Type.Null()]),
                actor: Type.Union([Type.String(), Type.Null()]),
                ref: Type.Union([Type.String(), Type.Null()]),
                onHand: Type.Object({ before: Type.Integer(), after: Type.Integer() }),
                reserved: Type.Object({ before: Type.Integer(), after: Type.Integer() }),
              }),
            ),
            nextBefore: Type.Union([Type.Integer(), Type.Null()]),
          }),
          404: ErrorBody,
        },
      },
    },
    async (req) => hub.stock.movements(who(req), req.params.sku, req.query),
  );

  app.get(
    '/stock-allocation',
    {
      config: { access: 'stock.read' },
      schema: {
        tags: ['stock'],
        summary: 'Stock allocation (库存分配): each shop’s ratio, safety stock and sync switch, and SKUs given to one shop',
        description:
          'Every channel account in the caller’s scope, with its name and platform; one never set uses the defaults (ratio 100 %, safety stock 0, synced) and has updatedAt null.',
        response: { 200: Type.Object({ accounts: Type.Array(ListedAllocation), exclusive: Type.Array(Type.Object({ sku: Type.String(), accountId: Type.String() })) }) },
      },
    },
    async (req) => {
      const r = await hub.stock.allocation(who(req));
      return { accounts: r.accounts.map(allocationBody), exclusive: r.exclusive };
    },
  );

  app.put(
    '/stock-allocation/:accountId',
    {
      config: { access: 'stock.adjust' },
      schema: {
        description: 'The ratio is in per cent (0–100) with a safety stock of the shop’s own; the new number is pushed to the shop’s listings by the stock sync. Audited.',
        tags: ['stock'],
        summary: 'Set a shop’s share of stock: floor((on hand − reserved − safety stock − the shop’s safety stock) × ratio %)',
        params: Type.Object({ accountId: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Object(
          {
            ratioPct: Type.Integer({ minimum: 0, maximum: 100 }),
            safetyStock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
            syncEnabled: Type.Boolean(),
          },
          { additionalProperties: false },
        ),
        response: { 200: Allocation, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => allocationBody(await hub.writes.saveStockAllocation(who(req), { accountId: req.params.accountId, ...req.body })),
  );

  app.put(
    '/stock/:sku/exclusive',
    {
      config: { access: 'stock.adjust' },
      schema: {
        description: 'Used for a launch or a live-stream: one shop gets the SKU’s whole share, every other shop is pushed 0 until the exclusivity ends. Audited.',
        tags: ['stock'],
        summary: 'Give a SKU to one shop only (every other shop’s listings of it get 0), or end that with accountId null',
        params: Type.Object({ sku: Sku }),
        body: Type.Object({ accountId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: Type.Object({ sku: Type.String(), accountId: Type.Union([Type.String(), Type.Null()]) }), 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => hub.writes.setStockExclusive(who(req), { sku: req.params.sku, accountId: req.body.accountId }),
  );

  app.get(
    '/stock',
    {
      config: { access: 'stock.read' },
      schema: {
        summary: 'Stock levels per SKU and warehouse',
        description: 'On hand, reserved, safety stock and what is free per SKU and warehouse; `low` keeps the SKUs at or below safety stock; paged (page, pageSize) with the total. A warehouse-scoped user sees only their warehouses.',
        tags: ['stock'],
        querystring: Type.Object({
          low: Type.Optional(Type.Boolean({ description: 'only SKUs at or below safety stock' })),
          q: Type.Optional(Type.String({ maxLength: 100, description: 'part of the SKU code or of the product name' })),
          page: Type.Integer({ minimum: 1, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(StockView), total: Type.Integer() }) },
      },
    },
    async (req) =>
      hub.stock.list(who(req), { lowOnly: req.query.low ?? false, q: req.query.q, limit: req.query.pageSize, offset: (req.query.page - 1) * req.query.pageSize }),
  );

  app.post(
    '/stock/adjustments',
    {
      config: { access: 'stock.adjust' },
      schema: {
        tags: ['stock'],
        summary: 'Adjust several stock rows at once, all or none',
        description:
          'Each item sets a new count (onHand) or applies a difference (delta), optionally a new safety stock. kind "count" marks a stock count (盘点) ' +
          'in the movement ledger. Every warehouse must exist (404 WAREHOUSE_NOT_FOUND, nothing written or asked). ' +
          'Refused as a whole (409 STOCK_BELOW_RESERVED) when one row would drop below its reservations or below zero. ' +
          'Needs a second person’s approval under the default policy: the answer is then 202 with the pending request.',
        body: Type.Object({
          items: Type.Array(
            Type.Object({
              sku: Sku,
              warehouse: Warehouse,
              onHand: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
              delta: Type.Optional(Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 })),
              safetyStock: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
            }),
            { minItems: 1, maxItems: 1000 },
          ),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
          kind: Type.Optional(Type.Union([Type.Literal('adjust'), Type.Literal('count')])),
        }),
        response: { 200: BulkAdjustment, 202: PendingApproval, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => answerMaybePending(reply, await hub.writes.adjustStock(who(req), req.body), (r) => r),
  );

  app.post(
    '/sku-mappings',
    {
      config: { access: 'stock.adjust' },
      schema: {
        tags: ['stock'],
        summary: 'Map a platform SKU code to a hub SKU',
        description: 'Orders held as SKU_UNMATCHED (商品未匹配) with that code are matched and reserved.',
        body: Type.Object({
          // The platform's own code, whatever it holds: it must match what its orders carry.
          externalSku: Type.String({ minLength: 1, maxLength: 64, description: 'the SKU code as the platform sends it' }),
          sku: Sku,
          accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only for this channel account (of the caller’s organisation: else 404); all accounts when absent' })),
        }),
        response: { 200: Type.Object({ rematchedOrders: Type.Array(Type.String()) }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => hub.writes.mapSku(who(req), req.body),
  );

  // Bundles (组合装): a hub SKU sold as components with quantities; it holds no stock of its own.
  const BundleView = Type.Object({
    sku: Type.String(),
    title: Type.String(),
    components: Type.Array(Type.Object({ sku: Type.String(), title: Type.String(), quantity: Type.Integer() })),
  });

  app.put(
    '/bundles/:sku',
    {
      config: { access: 'stock.adjust' },
      schema: {
        tags: ['stock'],
        summary: 'Define a bundle (组合装): its component SKUs and how many of each one unit takes',
        description:
          'An order line of the bundle reserves, picks and ships its components. Refused (400 BUNDLE_INVALID) when a component is unknown, ' +
          'is itself a bundle or is the bundle, when a quantity is below 1, or when the SKU holds stock of its own; refused (409 BUNDLE_IN_USE) ' +
          'when the components would change while orders hold stock for the bundle: those must ship or be cancelled first.',
        params: Type.Object({ sku: Sku }),
        body: Type.Object({
          components: Type.Array(Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) }), { minItems: 1, maxItems: 50 }),
        }),
        response: { 200: BundleView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.defineBundle(who(req), { sku: req.params.sku, components: req.body.components }),
  );

  app.get(
    '/bundles/:sku',
    { config: { access: 'stock.read' }, schema: { description: 'The components and quantity of each; a bundle holds no stock of its own: its availability is its scarcest component’s. 404 BUNDLE_NOT_FOUND for an unknown bundle.', tags: ['stock'], summary: 'One bundle and its components', params: Type.Object({ sku: Sku }), response: { 200: BundleView, 404: ErrorBody } } },
    async (req) => hub.stock.bundle(who(req), req.params.sku),
  );

  app.get(
    '/bundles',
    { config: { access: 'stock.read' }, schema: { description: 'Every bundle (组合商品) of the organisation with its components; an order line of a bundle reserves the components.', tags: ['stock'], summary: 'Every bundle and its components', response: { 200: Type.Object({ items: Type.Array(BundleView) }) } } },
    async (req) => hub.stock.bundles(who(req)),
  );

  app.delete(
    '/bundles/:sku',
    {
      config: { access: 'stock.adjust' },
      schema: {
        tags: ['stock'],
        summary: 'Delete a bundle definition (the SKU stays, as a plain SKU)',
        description: 'Refused (409 BUNDLE_IN_USE) while orders hold stock for the bundle.',
        params: Type.Object({ sku: Sku }),
        response: { 200: Type.Object({ deleted: Type.String() }), 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.deleteBundle(who(req), req.params.sku),
  );
};

// Routing (分单): rules, warehouse attributes, SKU fulfilment traits, dry runs and committed dispatch plans.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { toIso } from '../../../kernel/time.ts';
import type { DispatchPlan } from '../routing/planner.ts';
import type { RoutingOutcome } from '../routing/service.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { instantAt } from '../../../app/http/edge.ts';
import { CarrierCode, Instant, SkuCode, WarehouseCode } from '../../../app/http/schemas.ts';

const Str = Type.String();

const Carrier = Type.Object({
  code: CarrierCode(),
  regions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })),
  maxParcelGrams: Type.Optional(Type.Integer({ minimum: 1 })),
  available: Type.Optional(Type.Boolean()),
});

const WarehouseView = Type.Object({
  code: Str,
  name: Str,
  priority: Type.Integer(),
  regions: Type.Array(Str, { description: '"浙江", "浙江/杭州" or "*" (everywhere)' }),
  dailyCapacity: Type.Integer({ description: 'shipments per day' }),
  canClearCustoms: Type.Boolean(),
  carriers: Type.Union([Type.Array(Carrier), Type.Null()], { description: 'null: the carrier is chosen at packing' }),
  usedToday: Type.Integer({ description: 'shipments planned today (the seller’s day)' }),
});

const SkuTraitsView = Type.Object({
  sku: Str,
  allowedWarehouses: Type.Union([Type.Array(Str), Type.Null()]),
  promisedShipHours: Type.Integer(),
  weightGrams: Type.Integer(),
  needsCustomsClearance: Type.Boolean(),
  configured: Type.Boolean({ description: 'false: nothing saved yet, routing uses the defaults shown' }),
});

const Rule = Type.Object(
  { kind: Type.String() },
  {
    additionalProperties: true,
    description:
      'prefer_region · require_region · fewest_shipments · prefer_priority · max_parcel_weight {grams} · merge_related {windowMinutes, minAddressSimilarity}; the order is the order of preference',
  },
);
const RulesView = Type.Object({ rules: Type.Array(Rule), version: Type.Integer(), updatedAt: Type.Union([Str, Type.Null()]), updatedBy: Type.Union([Str, Type.Null()]), isDefault: Type.Boolean() });

const PlannedLine = Type.Object({ orderId: Str, lineId: Str, sku: Str, quantity: Type.Integer({ minimum: 1 }) });
const Shipment = Type.Object({
  shipmentNo: Type.String({ minLength: 1, maxLength: 80 }),
  warehouse: WarehouseCode(),
  // null: the carrier is chosen at packing.
  carrier: Type.Union([Type.Null(), Str]),
  lines: Type.Array(PlannedLine, { minItems: 1 }),
  weightGrams: Type.Integer({ minimum: 0 }),
  shipBy: Instant('the strictest promised ship time of its lines'),
  orderIds: Type.Array(Str),
});
const Plan = Type.Object({ planId: Type.String({ minLength: 1, maxLength: 80 }), orderIds: Type.Array(Str, { minItems: 1 }), shipments: Type.Array(Shipment, { minItems: 1 }) });
type PlanBody = Static<typeof Plan>;

const Outcome = Type.Object({
  plans: Type.Array(Plan),
  unplanned: Type.Array(
    Type.Object({
      orderIds: Type.Array(Str),
      reasons: Type.Array(Type.Object({ code: Str, orderId: Str, lineId: Type.Optional(Str), sku: Type.Optional(Str), message: Str })),
    }),
  ),
  problems: Type.Array(Type.Object({ code: Str, planId: Str, shipmentNo: Type.Optional(Str), warehouse: Type.Optional(Str), sku: Type.Optional(Str), message: Str })),
  committed: Type.Boolean(),
});

const RunBody = Type.Object({
  orderIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 5000, description: 'order ids or numbers; absent: every paid, unrouted order' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
  plans: Type.Optional(Type.Array(Plan, { minItems: 1, maxItems: 1000, description: 'plans from a dry run, to be checked again (and committed) exactly as reviewed' })),
});

function planIn(p: PlanBody, i: number): DispatchPlan {
  return { ...p, shipments: p.shipments.map((s, j) => ({ ...s, shipBy: instantAt(`body/plans/${i}/shipments/${j}/shipBy`, s.shipBy) })) };
}

function outcomeOut(o: RoutingOutcome) {
  return { ...o, plans: o.plans.map((p) => ({ ...p, shipments: p.shipments.map((s) => ({ ...s, shipBy: toIso(s.shipBy) ?? '' })) })) };
}

export const routingRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get('/routing/rules', { config: { access: 'orders.read' }, schema: { description: 'The rules that pick a warehouse for a paid order (by province, channel, SKU, priority), in the order they are tried.', tags: ['routing'], summary: 'The routing rules of this tenant', response: { 200: RulesView } } }, async (req) =>
    hub.routing.getRules(who(req)),
  );

  app.put(
    '/routing/rules',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        tags: ['routing'],
        summary: 'Replace the routing rules',
        description: 'Checked whole before saving: an unknown kind, a bad or extra parameter refuses the set (400 VALIDATION_FAILED with every problem).',
        body: Type.Object({ rules: Type.Array(Rule, { maxItems: 20 }) }),
        response: { 200: RulesView, 400: ErrorBody },
      },
    },
    async (req) => hub.writes.saveRoutingRules(who(req), req.body.rules),
  );

  app.get('/warehouses', { config: { access: 'stock.read' }, schema: { description: 'Each warehouse with the regions it serves, its daily capacity, customs and carriers — what routing weighs.', tags: ['routing'], summary: 'Warehouses and their routing attributes', response: { 200: Type.Array(WarehouseView) } } }, async (req) =>
    hub.routing.listWarehouses(who(req)),
  );

  app.put(
    '/warehouses/:code',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        tags: ['routing'],
        summary: 'Create a warehouse or change its routing attributes',
        description: 'Fields left out keep their value; `carriers: []` means the carrier is chosen at packing (shown as null).',
        params: Type.Object({ code: WarehouseCode() }),
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          regions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 })),
          dailyCapacity: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
          canClearCustoms: Type.Optional(Type.Boolean()),
          // An array, never null (kept so since bodies were coerced, when a union of array and null mangled one). [] = chosen at packing.
          carriers: Type.Optional(Type.Array(Carrier, { maxItems: 50 })),
        }),
        response: { 200: WarehouseView, 400: ErrorBody, 403: ErrorBody },
      },
    },
    async (req) => {
      const { carriers, ...rest } = req.body;
      return hub.writes.saveWarehouse(who(req), req.params.code, { ...rest, ...(carriers ? { carriers: carriers.length ? carriers : null } : {}) });
    },
  );

  app.get('/sku-traits', { config: { access: 'stock.read' }, schema: { description: 'Per SKU: weight, volume, fragile, hazardous and similar traits that routing and carriers take into account.', tags: ['routing'], summary: 'Fulfilment traits of every SKU', response: { 200: Type.Array(SkuTraitsView) } } }, async (req) =>
    hub.routing.listSkuTraits(who(req)),
  );

  app.put(
    '/sku-traits/:sku',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        description: 'Replaces the SKU’s traits; routing uses them from the next order on. Needs fulfilment.configure. Audited.',
        tags: ['routing'],
        summary: 'Set the fulfilment traits of a SKU',
        params: Type.Object({ sku: SkuCode() }),
        body: Type.Object({
          allowedWarehouses: Type.Optional(Type.Array(WarehouseCode(), { maxItems: 100, description: 'absent or [] = any warehouse; each must exist in the caller’s organisation' })),
          promisedShipHours: Type.Integer({ minimum: 1, maximum: 24 * 90 }),
          weightGrams: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
          needsCustomsClearance: Type.Optional(Type.Boolean()),
        }),
        response: { 200: SkuTraitsView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const { allowedWarehouses, ...rest } = req.body;
      return hub.writes.saveSkuTraits(who(req), req.params.sku, { ...rest, allowedWarehouses: allowedWarehouses?.length ? allowedWarehouses : null });
    },
  );

  app.post(
    '/routing/dry-run',
    {
      config: { access: 'fulfilment.route' },
      schema: {
        tags: ['routing'],
        summary: 'Plan paid orders (or check given plans) without writing anything',
        description:
          'Answers the dispatch plans, the orders that cannot be routed with their reasons, and the problems a commit would meet now (stock, capacity, carriers). ' +
          'Plans given in the body are checked as they are.',
        body: RunBody,
        response: { 200: Outcome, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => outcomeOut(await hub.routing.dryRun(who(req), { ...req.body, plans: req.body.plans?.map(planIn) })),
  );

  app.post(
    '/routing/run',
    {
      config: { access: 'fulfilment.route' },
      schema: {
        tags: ['routing'],
        summary: 'Route paid orders and commit their dispatch plans',
        description:
          'One transaction: shipments, their lines, stock moved where a plan ships from another warehouse than payment took it from, reservations, history and events. ' +
          'A plan that no longer fits (stock taken meanwhile) is refused whole with 409 ROUTING_PLAN_STALE and nothing is written; ' +
          'given plans whose orders cannot be routed (not paid, held, already routed) are refused with 409 ORDER_NOT_ROUTABLE. ' +
          'Orders that cannot be planned keep their reason, shown in the order view.',
        body: RunBody,
        response: { 200: Outcome, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    // Named fields only: a lease (the auto-routing runner's fence) never comes from a request.
    async (req) => outcomeOut(await hub.writes.runRouting(who(req), { orderIds: req.body.orderIds, limit: req.body.limit, plans: req.body.plans?.map(planIn) })),
  );
};

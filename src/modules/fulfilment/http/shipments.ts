// The warehouse flow over HTTP: shipments, waves, pick lists (JSON and a printable page), pack by scanning, ship.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { shipmentStates, WarehouseFlowService } from '../warehouse-flow.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { CarrierCode, ShipmentView, WarehouseCode } from '../../../app/http/schemas.ts';

const Str = Type.String();
const NStr = Type.Union([Str, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 80 });

const WaveSummary = Type.Object({ id: Str, warehouse: Str, state: Str, createdBy: Str, createdAt: NStr });
const WaveView = Type.Composite([WaveSummary, Type.Object({ shipments: Type.Array(ShipmentView) })]);
const PickList = Type.Object({
  waveId: Str,
  warehouse: Str,
  createdAt: NStr,
  shipments: Type.Integer(),
  units: Type.Integer(),
  items: Type.Array(
    Type.Object({
      sku: Str,
      title: Str,
      quantity: Type.Integer(),
      shipments: Type.Array(Type.Object({ shipmentId: Str, quantity: Type.Integer() })),
      // Units of this SKU that are components of bundles (组合装), per bundle.
      bundles: Type.Optional(Type.Array(Type.Object({ sku: Str, title: Str, quantity: Type.Integer() }))),
    }),
  ),
});

export const shipmentRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/shipments',
    {
      config: { access: 'orders.read' },
      schema: {
        description: 'Parcels with their orders, warehouse, state (planned, waved, picked, packed, shipped …), ship-by time, carrier and tracking number; filter by state and warehouse. A warehouse-scoped user sees only their warehouses.',
        tags: ['warehouse'],
        summary: 'Shipments, most urgent (ship-by) first',
        querystring: Type.Object({
          warehouse: Type.Optional(Str),
          state: Type.Optional(Type.Union(shipmentStates.map((s) => Type.Literal(s)))),
          waveId: Type.Optional(Str),
          page: Type.Integer({ minimum: 1, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(ShipmentView), total: Type.Integer() }) },
      },
    },
    async (req) => {
      const q = req.query;
      return hub.warehouseFlow.list(who(req), { warehouse: q.warehouse, state: q.state, waveId: q.waveId, limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
    },
  );

  app.get(
    '/shipments/:id',
    { config: { access: 'orders.read' }, schema: { summary: 'One shipment (parcel)', description: 'The parcel with its lines (SKU, quantity, scanned), orders, state history, carrier, tracking number and waybill. 404 SHIPMENT_NOT_FOUND when out of scope.', tags: ['warehouse'], params: Type.Object({ id: Id }), response: { 200: ShipmentView, 404: ErrorBody } } },
    async (req) => hub.warehouseFlow.get(who(req), req.params.id),
  );

  app.post(
    '/shipments/:id/scans',
    {
      config: { access: 'fulfilment.ship' },
      schema: {
        tags: ['warehouse'],
        summary: 'Scan units into a shipment’s parcel (pack by scanning)',
        description:
          'One SKU code per unit, all or none. A code the shipment does not carry, or a unit more than it still needs, is refused whole with ' +
          '422 PACK_SCAN_MISMATCH and nothing is recorded. The scan that completes every line packs the shipment. 409 SHIPMENT_STATE once packed or shipped.',
        params: Type.Object({ id: Id }),
        body: Type.Object({ codes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 10_000 }) }),
        response: {
          200: Type.Composite([ShipmentView, Type.Object({ remaining: Type.Array(Type.Object({ sku: Str, quantity: Type.Integer() })) })]),
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (req) => hub.writes.scanShipment(who(req), req.params.id, req.body.codes),
  );

  app.post(
    '/shipments/:id/ship',
    {
      config: { access: 'fulfilment.ship' },
      schema: {
        tags: ['warehouse'],
        summary: 'Hand a packed shipment to the carrier with its tracking number (发货)',
        description:
          '"Shipped" means exactly this. The parcel\'s e-waybill, when it has one, is its tracking number and carrier (409 WAYBILL_MISMATCH when another is named); ' +
          '400 VALIDATION_FAILED without a waybill or a tracking number (or without a carrier when the plan chose none); ' +
          '404 SHIPMENT_NOT_FOUND; 409 SHIPMENT_ALREADY_SHIPPED the second time; 409 SHIPMENT_STATE before it is packed; 409 TRACKING_NO_IN_USE; ' +
          '409 ORDER_HELD when one of its orders is on hold, 409 CONFLICT when one was cancelled. When every shipment of an order has shipped, the order moves to shipped.',
        params: Type.Object({ id: Id }),
        body: Type.Object({ carrier: Type.Optional(CarrierCode()), trackingNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })) }),
        response: { 200: ShipmentView, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.shipShipment(who(req), req.params.id, req.body),
  );

  app.post(
    '/shipments/:id/tracking',
    {
      config: { access: 'orders.modify' },
      schema: {
        tags: ['warehouse'],
        summary: 'Correct a shipped parcel’s carrier or tracking number (更正运单号): the platforms told the old one are told the correction. Audited',
        description:
          'For a typo found after the parcel left. In one transaction the shipment takes the new number, tracking is registered again for it, and each ' +
          'platform order in the parcel gets a ship-back correction (its platform’s own method: Taobao consign.resend, Douyin logisticsEdit, PDD ' +
          'online.send 修改发货, Shopify update_tracking, WooCommerce a new tracking item for the old one) superseding the write that told it the old ' +
          'number (a plain send of the new number where that write never reached the platform). platformWrites says what was queued per order. ' +
          '409 CORRECTION_UNSUPPORTED when a platform of the parcel holds the old number and takes no correction (JD, Shopee), nothing written — correct it in its back office and send correctedOnPlatform: true; 409 SHIPMENT_STATE before it ' +
          'ships (ship it with the right number instead) and once delivered or returned; 409 TRACKING_NO_UNCHANGED for the number it has; ' +
          '409 TRACKING_NO_IN_USE; 409 WAYBILL_MISMATCH for a parcel with an e-waybill; 409 SHIP_BACK_IN_FLIGHT while the platform is being told ' +
          'the old number (try again once it settled); 404 SHIPMENT_NOT_FOUND.',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          {
            carrier: Type.Optional(CarrierCode('the right carrier; absent: the shipment’s stays')),
            trackingNo: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }),
            correctedOnPlatform: Type.Optional(
              Type.Boolean({ description: 'true: the number was corrected in the platform’s own back office already; the hub corrects its record and tracking, closes the old write, tells no platform' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            shipment: ShipmentView,
            from: Type.Object({ carrier: NStr, trackingNo: NStr }),
            platformWrites: Type.Array(
              Type.Object({
                orderId: Str,
                platformOrderId: Str,
                kind: Type.String({ description: 'queued: a write to the platform; none: nothing to tell it' }),
                id: Type.Optional(Type.Integer({ description: 'the queued write (GET /api/channel-accounts/{id}/outbound)' })),
                supersedes: Type.Optional(Type.Integer({ description: 'the write it replaces' })),
                mode: Type.Optional(Type.String({ description: 'correct (the platform has the old number), resend (its send was refused), replace (it was not sent yet)' })),
                reason: Type.Optional(Type.String({ description: 'never_told (the hub never told this platform of the parcel), platform_has_it, or corrected_by_hand (correctedOnPlatform)' })),
              }),
            ),
          }),
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (req) => hub.writes.correctShipmentTracking(who(req), req.params.id, req.body),
  );

  app.post(
    '/waves',
    {
      config: { access: 'fulfilment.ship' },
      schema: {
        tags: ['warehouse'],
        summary: 'Make a wave (波次) of planned shipments of one warehouse',
        description:
          'The shipments named, or the most urgent planned ones (ship-by first, up to limit), never those of a cancelled or held order. ' +
          '409 when there are none, a named one is not planned there (SHIPMENT_STATE), or its order is cancelled or held (ORDER_HELD).',
        body: Type.Object({
          warehouse: WarehouseCode(),
          shipmentIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 1000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 201: WaveView, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(await hub.writes.createWave(who(req), req.body)),
  );

  app.get(
    '/waves',
    {
      config: { access: 'orders.read' },
      schema: {
        summary: 'Waves (波次) of parcels to pick',
        description: 'Each wave’s warehouse, state, the number of parcels and when it was made; newest first.',
        tags: ['warehouse'],
        querystring: Type.Object({ warehouse: Type.Optional(Str), limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: { 200: Type.Array(WaveSummary) },
      },
    },
    async (req) => hub.warehouseFlow.listWaves(who(req), req.query),
  );

  app.get(
    '/waves/:id',
    { config: { access: 'orders.read' }, schema: { summary: 'One wave with its parcels', description: 'The wave and the shipments in it with their states. 404 WAVE_NOT_FOUND when out of scope.', tags: ['warehouse'], params: Type.Object({ id: Id }), response: { 200: WaveView, 404: ErrorBody } } },
    async (req) => hub.warehouseFlow.getWave(who(req), req.params.id),
  );

  app.get(
    '/waves/:id/pick-list',
    {
      config: { access: 'orders.read' },
      schema: { description: 'One row per SKU with the quantity to pick for the whole wave (and the count of parcels and units), so a picker walks the shelves once.', tags: ['warehouse'], summary: 'The pick list (拣货单) of a wave, summed per SKU', params: Type.Object({ id: Id }), response: { 200: PickList, 404: ErrorBody } },
    },
    async (req) => hub.warehouseFlow.pickList(who(req), req.params.id),
  );

  app.get(
    '/waves/:id/pick-list.html',
    {
      config: { access: 'orders.read' },
      schema: { description: 'The same pick list as a self-contained HTML page sized for printing.', tags: ['warehouse'], summary: 'The pick list as a page to print', params: Type.Object({ id: Id }), produces: ['text/html'] },
    },
    async (req, reply) => reply.type('text/html; charset=utf-8').send(WarehouseFlowService.pickListHtml(await hub.warehouseFlow.pickList(who(req), req.params.id))),
  );

  app.post(
    '/waves/:id/picked',
    {
      config: { access: 'fulfilment.ship' },
      schema: { description: 'Shipments of the wave that are still waved move to picked (ready to pack by scanning); cancelled ones stay out. Needs fulfilment.ship.', tags: ['warehouse'], summary: 'Confirm the wave is picked: its waved shipments become picked', params: Type.Object({ id: Id }), response: { 200: WaveView, 404: ErrorBody } },
    },
    async (req) => hub.writes.confirmPicked(who(req), req.params.id),
  );
};

// E-waybills (电子面单) over HTTP: waybill accounts per carrier network, a parcel's (or a wave's) waybill number, its
// cancel, and the labels as PDF (76×130 or 100×180 mm). Handlers validate, call one use case and shape the answer.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { CarrierCode } from '../../../app/http/schemas.ts';
import { labelSizes, type LabelSize } from '../waybills/label.ts';
import { waybillNetworks } from '../waybills/types.ts';

const Str = Type.String();
const NStr = Type.Union([Str, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 80 });
const Text = (max: number) => Type.String({ maxLength: max });

const Sender = Type.Object({ name: Text(60), phone: Text(30), province: Text(30), city: Text(30), district: Text(30), address: Text(200) }, { additionalProperties: false });
const AccountView = Type.Object({
  id: Str,
  network: Str,
  name: Str,
  carrier: Str,
  credentialKeys: Type.Array(Str),
  sender: Sender,
  active: Type.Boolean(),
  createdAt: NStr,
});
const WaybillView = Type.Object({
  shipmentId: Str,
  network: Str,
  carrier: Str,
  accountId: Str,
  state: Type.Union([Type.Literal('requesting'), Type.Literal('issued'), Type.Literal('cancel_pending'), Type.Literal('cancelled')]),
  waybillNo: NStr,
  sortCode: NStr,
  requestedAt: NStr,
  issuedAt: NStr,
  cancelledAt: NStr,
  cancelReason: NStr,
  lastError: NStr,
});
const Size = Type.Union(Object.keys(labelSizes).map((k) => Type.Literal(k)), { default: '76x130', description: 'label size in mm' });

export const waybillRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/waybill-accounts',
    { config: { access: 'stock.read' }, schema: { description: 'Each network account (Cainiao, PDD, Douyin, JD, Shopee) with its carrier, sender address and whether it is active; credentials are never shown.', tags: ['shipments'], summary: 'E-waybill accounts (电子面单) per carrier network', response: { 200: Type.Object({ items: Type.Array(AccountView) }) } } },
    async (req) => ({ items: await hub.waybills.listAccounts(who(req)) }),
  );

  app.post(
    '/waybill-accounts',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        tags: ['shipments'],
        summary: 'Add a carrier network’s e-waybill account',
        description:
          'network: cainiao (Taobao/Tmall orders, TOP keys: appKey, appSecret, session), pinduoduo (PDD orders: clientId, clientSecret, accessToken), ' +
          'douyin (Douyin orders: appKey, appSecret, accessToken, signMethod), jd (JD orders, 无界电子面单: appKey, appSecret, accessToken, vendorCode, and branchCode or settlementCode) or ' +
          'shopee (Shopee orders, carrier shopee; the order’s own shop signs, so credentials hold only the shipping settings: method pickup|dropoff, ' +
          'pickupAddressId, branchId, senderRealName, documentType). ' +
          'carrier: the hub carrier its numbers belong to. The credentials are encrypted and never shown again. 400 VALIDATION_FAILED with every problem.',
        body: Type.Object(
          { network: Type.Union(waybillNetworks.map((n) => Type.Literal(n))), name: Type.String({ minLength: 1, maxLength: 100 }), carrier: CarrierCode(), credentials: Type.Record(Type.String(), Type.Unknown()), sender: Sender },
          { additionalProperties: false },
        ),
        response: { 201: AccountView, 400: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(await hub.writes.createWaybillAccount(who(req), req.body)),
  );

  app.get(
    '/shipments/:id/waybill',
    { config: { access: 'orders.read' }, schema: { description: 'The e-waybill number, carrier and state of the parcel’s label; 404 WAYBILL_NOT_FOUND when it has none yet (POST to get one).', tags: ['warehouse'], summary: 'A parcel’s waybill', params: Type.Object({ id: Id }), response: { 200: WaybillView, 404: ErrorBody } } },
    async (req) => hub.waybills.get(who(req), req.params.id),
  );

  app.post(
    '/shipments/:id/waybill',
    {
      config: { access: 'fulfilment.ship' },
      schema: {
        tags: ['warehouse'],
        summary: 'Get the parcel’s waybill number (取号) from its orders’ carrier network',
        description:
          'The number it has, or a new one: asked with the platform’s encrypted receiver (Taobao oaid, PDD ciphertext), never a decrypted address. ' +
          'A Shopee order’s shipment is arranged with Shopee (ship_order) and Shopee’s tracking number taken, with its shipping document as the label. ' +
          'Idempotent: a retry after a lost answer gets the same number. 409 WAYBILL_ACCOUNT_MISSING when no account serves its orders; ' +
          '409 SHIPMENT_CANCELLED / SHIPMENT_ALREADY_SHIPPED / ORDER_HELD; 422 WAYBILL_REFUSED with the network’s reason; 503 WAYBILL_UNAVAILABLE (try again; ' +
          'details.code TRACKING_NUMBER_PENDING: Shopee has not given the number yet, and the hub asks again by itself after details.retryAfterMs).',
        params: Type.Object({ id: Id }),
        response: { 200: WaybillView, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => hub.writes.getWaybill(who(req), req.params.id),
  );

  app.post(
    '/shipments/:id/waybill/cancel',
    {
      config: { access: 'fulfilment.ship' },
      schema: {
        tags: ['warehouse'],
        summary: 'Give the parcel’s waybill number back (cancel)',
        description: 'Owed at once and given back to the network; retried in the background when it does not answer (state cancel_pending). 404 WAYBILL_NOT_FOUND; 409 once shipped.',
        params: Type.Object({ id: Id }),
        response: { 200: WaybillView, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.cancelWaybill(who(req), req.params.id),
  );

  app.post(
    '/waves/:id/waybills',
    {
      config: { access: 'fulfilment.ship' },
      schema: {
        tags: ['warehouse'],
        summary: 'Get the waybill number of every parcel of a wave still to leave',
        description: 'One parcel after another; a parcel that fails is reported with its error beside the others.',
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({ waveId: Str, items: Type.Array(Type.Object({ shipmentId: Str, waybill: Type.Union([WaybillView, Type.Null()]), error: Type.Union([Type.Object({ code: Str, message: Str }), Type.Null()]) })) }),
          404: ErrorBody,
        },
      },
    },
    async (req) => hub.writes.getWaveWaybills(who(req), req.params.id),
  );

  app.get(
    '/shipments/:id/label.pdf',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['warehouse'],
        summary: 'The parcel’s label (面单) as PDF; again for a reprint',
        description: 'A Shopee parcel’s label is Shopee’s own shipping document as Shopee made it (size ignored) once it is kept; until then the hub’s own, with Shopee’s number.',
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ size: Size }),
        produces: ['application/pdf'],
      },
    },
    async (req, reply) => reply.type('application/pdf').header('cache-control', 'no-store').send(await hub.waybills.label(who(req), req.params.id, req.query.size as LabelSize)),
  );

  app.get(
    '/waves/:id/labels.pdf',
    {
      config: { access: 'orders.read' },
      schema: { description: 'The labels in pick order, sized by `size`; 404 WAYBILL_NOT_FOUND when no parcel of the wave has a waybill yet.', tags: ['warehouse'], summary: 'Every label of a wave in one PDF, one page per parcel', params: Type.Object({ id: Id }), querystring: Type.Object({ size: Size }), produces: ['application/pdf'] },
    },
    async (req, reply) => reply.type('application/pdf').header('cache-control', 'no-store').send(await hub.waybills.waveLabels(who(req), req.params.id, req.query.size as LabelSize)),
  );
};

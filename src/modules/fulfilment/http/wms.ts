// External WMS over HTTP: its accounts (a warehouse, a write-only secret, a status dictionary as data) under /api, and
// its signed push, verified over the raw bytes and answered 2xx only after the step it reports is committed.
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HubError } from '../../../kernel/errors.ts';
import { parseIsoInstant, toIso } from '../../../kernel/time.ts';
import { refuseDeepJson } from '../../../kernel/json.ts';
import { storableValue } from '../../../kernel/text.ts';
import type { Hub } from '../../../app/hub.ts';
import { wmsSteps, type WmsAccount } from '../wms/service.ts';
import { headerValue } from '../../channels/connectors/types.ts';
import { publicBase } from '../../../app/http/app.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { Instant, WarehouseCode } from '../../../app/http/schemas.ts';

const Str = Type.String();
const Step = Type.Union(wmsSteps.map((s) => Type.Literal(s)));
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 80 }) });
// Values are checked by the service so a wrong step is named in the answer.
const Dictionary = Type.Record(Type.String(), Type.Unknown(), { description: `WMS status code → ${wmsSteps.join(' | ')}` });

const WmsAccountView = Type.Object({
  id: Str,
  name: Str,
  warehouse: Str,
  active: Type.Boolean(),
  dictionary: Type.Record(Type.String(), Str, { description: 'WMS status code → picked | packed | shipped | ignored' }),
  pushUrl: Type.String({ description: 'Where the WMS posts its status reports' }),
  createdAt: Type.Union([Str, Type.Null()]),
  updatedAt: Type.Union([Str, Type.Null()]),
});

const view = (hub: Hub, a: WmsAccount) => ({
  id: a.id,
  name: a.name,
  warehouse: a.warehouse,
  active: a.active,
  dictionary: a.dictionary,
  pushUrl: `${publicBase(hub)}/hooks/wms/${a.id}`,
  createdAt: toIso(a.createdAt),
  updatedAt: toIso(a.updatedAt),
});

export const wmsRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.post(
    '/wms-accounts',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        tags: ['shipments'],
        summary: 'Add an external WMS that reports the warehouse steps of one warehouse',
        description: `The dictionary maps each of the WMS's own status codes to one of our steps (${wmsSteps.join(', ')}); an unknown step is refused (400). The secret signs its pushes and is never shown again.`,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 128 }),
          warehouse: WarehouseCode('the warehouse whose steps it reports (it must exist)'),
          secret: Type.String({ minLength: 1, maxLength: 512, description: 'HMAC-SHA256 key the WMS signs pushes with (write-only)' }),
          dictionary: Dictionary,
        }),
        response: { 201: WmsAccountView, 400: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(view(hub, await hub.writes.createWmsAccount(who(req), { ...req.body, dictionary: req.body.dictionary as Record<string, string> }))),
  );

  app.get(
    '/wms-accounts',
    { config: { access: 'stock.read' }, schema: { description: 'Each external WMS’s name, warehouses it runs, whether it is active and its push URL; the signing secret is never shown again.', tags: ['shipments'], summary: 'External WMS accounts', response: { 200: Type.Object({ items: Type.Array(WmsAccountView) }) } } },
    async (req) => ({ items: (await hub.wms.list(who(req))).map((a) => view(hub, a)) }),
  );

  app.get(
    '/wms-accounts/:id',
    { config: { access: 'stock.read' }, schema: { description: '404 ACCOUNT_NOT_FOUND for another organisation’s. The signing secret is never shown again.', tags: ['shipments'], summary: 'One external WMS account', params: Id, response: { 200: WmsAccountView, 404: ErrorBody } } },
    async (req) => view(hub, await hub.wms.getFor(who(req), req.params.id)),
  );

  app.patch(
    '/wms-accounts/:id',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        tags: ['shipments'],
        summary: 'Change a WMS account: name, status dictionary, on/off, secret',
        description:
          'The dictionary given replaces the stored one whole and is checked as on create. credentials changes the fields given (the one field is secret); ' +
          'the secret it replaces keeps signing for 24 hours, so pushes sent before the WMS switches are not refused. The warehouse cannot change: add another account.',
        params: Id,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            dictionary: Type.Optional(Dictionary),
            credentials: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: '{secret}: write-only' })),
            active: Type.Optional(Type.Boolean({ description: 'false: its pushes are refused (403) until it is switched on again' })),
            warehouse: Type.Optional(Type.Unknown({ description: 'Refused: the warehouse of an account does not change' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: WmsAccountView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const { warehouse, ...patch } = req.body;
      // Its pushes so far moved that warehouse's shipments: another warehouse is another account.
      if (warehouse !== undefined) throw new HubError('VALIDATION_FAILED', 'the warehouse of a WMS account cannot change: add another account for the other warehouse');
      return view(hub, await hub.writes.updateWmsAccount(who(req), req.params.id, patch));
    },
  );

  app.post(
    '/wms-accounts/:id/rotate-secret',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        description: 'The overlap lets the WMS switch without losing a push. Audited.',
        tags: ['shipments'],
        summary: 'Make a new signing secret, shown this once; the previous one keeps signing for 24 hours',
        params: Id,
        response: { 200: Type.Object({ account: WmsAccountView, secret: Type.String({ description: 'Give it to the WMS vendor now: it is never shown again' }) }), 404: ErrorBody },
      },
    },
    async (req) => {
      const r = await hub.writes.rotateWmsSecret(who(req), req.params.id);
      return { account: view(hub, r.account), secret: r.secret };
    },
  );

  app.delete(
    '/wms-accounts/:id',
    {
      config: { access: 'fulfilment.configure' },
      schema: {
        description: 'An account whose pushes are in the shipments’ history is kept for that history; switch it off with PATCH instead. Audited.',
        tags: ['shipments'],
        summary: 'Delete a WMS account that never reported anything (409 for one that did: switch it off instead)',
        params: Id,
        response: { 200: Type.Object({ id: Str, deleted: Type.Boolean() }), 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.deleteWmsAccount(who(req), req.params.id),
  );
};

const WmsPushBody = Type.Object({
  shipmentId: Type.String({ minLength: 1, maxLength: 80 }),
  status: Type.String({ minLength: 1, maxLength: 64, description: "The WMS's own status code, mapped through the account's dictionary" }),
  at: Instant('When the step happened in the warehouse'),
  carrier: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Required when the code maps to shipped' })),
  trackingNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Required when the code maps to shipped' })),
  lines: Type.Optional(Type.Array(Type.Object({ sku: Type.String({ minLength: 1, maxLength: 128 }), quantity: Type.Integer({ minimum: 1, maximum: 100_000 }) }), { maxItems: 500, description: 'For packed: the units put in the parcel (all still open when absent)' })),
});
const checkBody = TypeCompiler.Compile(WmsPushBody);

export const wmsHookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: hub.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/hooks/wms/:wmsAccountId',
    {
      schema: {
        tags: ['hooks'],
        security: [],
        summary: 'External WMS status report',
        description:
          'Signed as the own-shop push: X-Orderhub-Event-Id, X-Orderhub-Timestamp (unix seconds, ±300 s), X-Orderhub-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>. ' +
          'The body (application/json) is `WmsPush`: {shipmentId, status, at, carrier?, trackingNo?, lines?}. The status code is mapped through the account’s dictionary and applied as the console applies the step ' +
          '(shipped needs carrier and trackingNo). An unknown code is 422 and writes nothing; a bad signature is 401 and stores nothing; an event id seen before, or a step the shipment is already past, answers 200 and changes nothing. 200 only after commit.',
        params: Type.Object({ wmsAccountId: Type.String({ maxLength: 64 }) }),
        body: Type.Unknown({ description: 'WmsPush, as raw JSON bytes' }),
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            duplicate: Type.Boolean({ description: 'This event id was delivered before; nothing was done again' }),
            shipmentId: Str,
            status: Str,
            step: Step,
            outcome: Type.String({ description: 'applied | ignored (the dictionary says so) | already_past (recorded, nothing moved)' }),
            state: Type.String({ description: 'The shipment’s state after the push' }),
          }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (req) => {
      const now = Date.now();
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const h = {
        signature: headerValue(req.headers['x-orderhub-signature']),
        timestamp: headerValue(req.headers['x-orderhub-timestamp']),
        eventId: headerValue(req.headers['x-orderhub-event-id']),
      };
      const account = await hub.wms.verify(req.params.wmsAccountId, h, raw, now, hub.config.signatureToleranceSeconds);
      // Signed by the WMS, yet nested beyond anything a report needs: refused before it is read.
      refuseDeepJson(raw);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HubError('BODY_INVALID_JSON', 'body is not valid JSON');
      }
      if (!checkBody.Check(body)) {
        const errors = [...checkBody.Errors(body)].slice(0, 10).map((e) => ({ path: e.path || '/', message: e.message }));
        throw new HubError('VALIDATION_FAILED', `${errors[0]?.path ?? '/'} ${errors[0]?.message ?? 'invalid'}`, { errors });
      }
      if (parseIsoInstant(body.at) === null) throw new HubError('VALIDATION_FAILED', '/at must be an ISO 8601 date-time with an offset, a real calendar time');
      // What the WMS reports is made storable (NUL removed, lone surrogates replaced), the same on both databases.
      const out = await hub.writes.recordWmsPush({ wmsAccountId: account.id, eventId: h.eventId as string, receivedAt: now, body: storableValue(body) });
      req.log.debug({ wmsAccountId: account.id, outcome: out.outcome, shipmentId: out.shipmentId, duplicate: out.duplicate }, 'wms push applied');
      return { ok: true, ...out };
    },
  );
};

// Tracking over HTTP: tracking source accounts, a shipment's tracking timeline, "not received", the trust board and
// the cases delivery trust opens. Handlers validate, call one service, shape the answer.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../runtime/hub.ts';
import type { TrackingAccount } from '../../services/tracking-accounts.ts';
import { trackingAdapters } from '../../tracking/registry.ts';
import { toIso } from '../../domain/time.ts';
import { publicBase } from '../app.ts';
import { who } from '../auth.ts';
import { ErrorBody } from '../errors.ts';

const Str = Type.String();
const NStr = Type.Union([Type.String(), Type.Null()]);
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 80 }) });
const Source = Type.Union([Type.Literal('kuaidi100'), Type.Literal('aftership'), Type.Literal('track17')]);

const TrackingAccountView = Type.Object({
  id: Str,
  source: Str,
  name: Str,
  active: Type.Boolean(),
  apiBase: Type.Union([Str, Type.Null()], { description: 'Where the hub calls the source; null: the source’s public API' }),
  credentialKeys: Type.Array(Str, { description: 'Names of the stored credentials; values are never returned' }),
  pushUrl: Type.String({ description: 'The URL to give the source for pushes (Kuaidi100 gets it with each subscription)' }),
  createdAt: NStr,
  updatedAt: NStr,
});

const Credentials = Type.Record(Type.String(), Type.Unknown(), {
  description: 'kuaidi100: key, salt, customer? (for re-query). aftership: apiKey, webhookSecret, apiVersion?. track17: securityKey. Write-only.',
});
const ApiBase = Type.Union([Type.String({ maxLength: 300 }), Type.Null()]);

const Grades = Type.Object({ signature_or_otp: Type.Integer(), photo: Type.Integer(), locker_or_station: Type.Integer(), scan_only: Type.Integer() });
const TrustFields = { delivered: Type.Integer(), trusted: Type.Integer(), trustRate: Type.Number({ description: 'trusted / delivered, 0..1' }), byGrade: Grades };

const CaseView = Type.Object({
  id: Str,
  orderId: Str,
  shipmentId: NStr,
  kind: Type.String({ description: 'not_received' }),
  priority: Type.Union([Type.Literal('urgent'), Type.Literal('normal')]),
  state: Str,
  reason: Str,
  openedBy: Str,
  openedAt: NStr,
});

const TrackingView = Type.Object({
  shipment: Type.Object({
    id: Str,
    carrier: NStr,
    trackingNo: NStr,
    trackingStatus: Type.Union([Str, Type.Null()], { description: 'the tracking status set, or delivered_unconfirmed while an untrusted delivery is re-checked' }),
    trustGrade: Type.Union([Str, Type.Null()], { description: 'signature_or_otp | photo | locker_or_station | scan_only, once delivered' }),
    deliveredAt: Type.Union([Str, Type.Null()], { description: 'when the carrier says it delivered (trusted or not)' }),
  }),
  events: Type.Array(
    Type.Object({ at: NStr, status: Str, rawStatus: NStr, location: NStr, description: Str, evidence: Type.Array(Str) }),
    { description: 'oldest first' },
  ),
});

function view(hub: Hub, a: TrackingAccount) {
  return {
    id: a.id,
    source: a.source,
    name: a.name,
    active: a.active,
    apiBase: a.apiBase,
    credentialKeys: Object.keys(a.credentials),
    pushUrl: `${publicBase(hub)}/hooks/tracking/${a.source}/${a.id}`,
    createdAt: toIso(a.createdAt),
    updatedAt: toIso(a.updatedAt),
  };
}

export const trackingRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/tracking-sources',
    {
      config: { access: 'accounts.read' },
      schema: {
        tags: ['tracking'],
        summary: 'The tracking sources and the credential fields each takes',
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ source: Str, label: Str, credentialFields: Type.Array(Str) })) }) },
      },
    },
    async () => ({ items: Object.values(trackingAdapters).map((a) => ({ source: a.name, label: a.label, credentialFields: [...a.credentialFields] })) }),
  );

  app.post(
    '/tracking-accounts',
    {
      config: { access: 'tracking.manage' },
      schema: {
        tags: ['tracking'],
        summary: 'Add a tracking source account (Kuaidi100, AfterShip, 17TRACK)',
        description: 'The tenant’s first active account is the one shipped numbers are subscribed with.',
        body: Type.Object({ source: Source, name: Type.String({ minLength: 1, maxLength: 128 }), credentials: Credentials, apiBase: Type.Optional(ApiBase) }),
        response: { 201: TrackingAccountView, 400: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(view(hub, await hub.writes.createTrackingAccount(who(req), req.body))),
  );

  app.get(
    '/tracking-accounts',
    { config: { access: 'accounts.read' }, schema: { tags: ['tracking'], response: { 200: Type.Object({ items: Type.Array(TrackingAccountView) }) } } },
    async (req) => ({ items: (await hub.trackingAccounts.list(who(req))).map((a) => view(hub, a)) }),
  );

  app.get(
    '/tracking-accounts/:id',
    { config: { access: 'accounts.read' }, schema: { tags: ['tracking'], params: Id, response: { 200: TrackingAccountView, 404: ErrorBody } } },
    async (req) => view(hub, await hub.trackingAccounts.getFor(who(req), req.params.id)),
  );

  app.patch(
    '/tracking-accounts/:id',
    {
      config: { access: 'tracking.manage' },
      schema: {
        tags: ['tracking'],
        params: Id,
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          credentials: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Changes the fields given and keeps the others; null removes one' })),
          apiBase: Type.Optional(ApiBase),
          active: Type.Optional(Type.Boolean()),
        }),
        response: { 200: TrackingAccountView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => view(hub, await hub.writes.updateTrackingAccount(who(req), req.params.id, req.body)),
  );

  app.delete(
    '/tracking-accounts/:id',
    {
      config: { access: 'tracking.manage' },
      schema: { tags: ['tracking'], summary: 'Delete a tracking account: its pushes are refused from now on', params: Id, response: { 200: Type.Object({ id: Str, deleted: Type.Boolean() }), 404: ErrorBody } },
    },
    async (req) => hub.writes.deleteTrackingAccount(who(req), req.params.id),
  );

  app.get(
    '/shipments/:id/tracking',
    {
      config: { access: 'orders.read' },
      schema: { tags: ['tracking'], summary: 'A shipment’s tracking: status, trust grade and the carrier’s events', params: Id, response: { 200: TrackingView, 404: ErrorBody } },
    },
    async (req) => hub.tracking.tracking(who(req), req.params.id),
  );

  app.post(
    '/shipments/:id/not-received',
    {
      config: { access: 'orders.modify' },
      schema: {
        tags: ['tracking'],
        summary: 'The customer says the parcel did not arrive: opens a not_received case per order of the shipment',
        description:
          'Within 24 h of an untrusted delivery (locker, station, scan only) the case is urgent; otherwise normal. A second report returns the open case ' +
          '(raising it to urgent if it now is). 409 SHIPMENT_STATE when the carrier has reported no delivery yet.',
        params: Id,
        body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 201: Type.Object({ items: Type.Array(CaseView) }), 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(await hub.writes.reportNotReceived(who(req), req.params.id, { note: req.body.note })),
  );

  app.get(
    '/tracking/trust-board',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['tracking'],
        summary: 'Delivery trust rate per carrier and per delivering outlet (签收可信度)',
        querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) }),
        response: {
          200: Type.Object({
            carriers: Type.Array(Type.Object({ carrier: Str, ...TrustFields })),
            outlets: Type.Array(Type.Object({ outlet: Type.String({ description: 'the location of the delivered event; unknown when the carrier gives none' }), ...TrustFields })),
          }),
        },
      },
    },
    async (req) => hub.tracking.trustBoard(who(req), req.query.days),
  );

  app.get(
    '/cases',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['tracking'],
        summary: 'After-sales cases (for now: not_received, opened by delivery trust), urgent first',
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])) }),
        response: { 200: Type.Object({ items: Type.Array(CaseView) }) },
      },
    },
    async (req) => hub.tracking.cases(who(req), req.query),
  );
};

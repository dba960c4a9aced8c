// Tracking over HTTP: tracking source accounts, a shipment's tracking timeline, "not received", the trust board and
// the cases delivery trust opens. Handlers validate, call one service, shape the answer.
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import type { TrackingAccount } from '../account-views.ts';
import { trackingAdapters } from '../sources/registry.ts';
import { settingsLimits, stuckStatuses } from '../settings.ts';
import { deliveryTrustGrades } from '../domain/delivery-trust.ts';
import { toIso } from '../../../kernel/time.ts';
import { publicBase } from '../../../app/http/app.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';

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

const Grade = Type.Union(deliveryTrustGrades.map((g) => Type.Literal(g)));
const whole = (k: keyof typeof settingsLimits, description: string) => Type.Integer({ minimum: settingsLimits[k].min, maximum: settingsLimits[k].max, description });
const settingsFields = {
  trustedGrades: Type.Array(Grade, {
    maxItems: deliveryTrustGrades.length,
    description: 'Grades that let the customer be told "delivered": the strongest ones, in order (signature_or_otp > photo > locker_or_station > scan_only)',
  }),
  recheckCount: whole('recheckCount', 'How many times an untrusted delivery is asked about again'),
  recheckIntervalMinutes: whole('recheckIntervalMinutes', 'Minutes between re-checks (the first one that long after the hub learned of the delivery)'),
  notReceivedWindowHours: whole('notReceivedWindowHours', 'A "not received" complaint within this many hours of an untrusted delivery opens an urgent case'),
  noPickupHours: whole('noPickupHours', 'Alert when no pickup scan this many hours after shipping'),
  firstEventLateHours: whole('firstEventLateHours', 'Alert when the first carrier event comes this many hours after shipping'),
  firstEventEarlyHours: whole('firstEventEarlyHours', 'Alert when the first carrier event is this many hours before shipping (a reused number?)'),
};
const StuckHours = (nullable: string) =>
  Type.Object(
    Object.fromEntries(stuckStatuses.map((st) => [st, Type.Union([whole('stuckHours', ''), Type.Null()], { description: nullable })])),
    { additionalProperties: false, description: 'Per tracking state, hours a shipment may stay in it before a STUCK_IN_STATE alert; null: never' },
  );
const SettingsView = Type.Object({
  ...settingsFields,
  stuckHours: StuckHours('hours, or null: never alerted'),
  custom: Type.Boolean({ description: 'false: the tenant never saved settings and the defaults apply' }),
  updatedAt: NStr,
  updatedBy: NStr,
});
const SettingsPatch = Type.Object(
  {
    ...Object.fromEntries(Object.entries(settingsFields).map(([k, v]) => [k, Type.Optional(v)])),
    stuckHours: Type.Optional(Type.Partial(StuckHours('hours, or null: never alerted'))),
  },
  { additionalProperties: false, minProperties: 1 },
);

/**
 * The settings body is checked as sent, every problem named (the app's validator stops at the first). It never
 * coerces either: coerced, `null` would become 0 re-checks and a stuck limit of 0 null ("never alert").
 */
const strictBody = (body: TSchema) => {
  const check = TypeCompiler.Compile(body);
  // The route has a body and nothing else to validate.
  return () => (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const error = new Error('body is invalid') as Error & { validation: { instancePath: string; message: string }[] };
    error.validation = [...check.Errors(data)].slice(0, 10).map((e) => ({ instancePath: e.path, message: e.message }));
    return { error };
  };
};

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
        description: 'For the “add a tracking account” form: Kuaidi100, AfterShip, 17TRACK and the credential fields each takes.',
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
    { config: { access: 'accounts.read' }, schema: { summary: 'The tracking accounts of this organisation', description: 'Each account’s source, name, whether it is active and its push URL; credentials are never shown.', tags: ['tracking'], response: { 200: Type.Object({ items: Type.Array(TrackingAccountView) }) } } },
    async (req) => ({ items: (await hub.trackingAccounts.list(who(req))).map((a) => view(hub, a)) }),
  );

  app.get(
    '/tracking-accounts/:id',
    { config: { access: 'accounts.read' }, schema: { summary: 'One tracking account', description: 'As in the list; 404 ACCOUNT_NOT_FOUND for another organisation’s.', tags: ['tracking'], params: Id, response: { 200: TrackingAccountView, 404: ErrorBody } } },
    async (req) => view(hub, await hub.trackingAccounts.getFor(who(req), req.params.id)),
  );

  app.patch(
    '/tracking-accounts/:id',
    {
      config: { access: 'tracking.manage' },
      schema: {
        summary: 'Change a tracking account: name, active, credentials',
        description: 'Credentials sent are merged into the stored ones and re-encrypted. Needs tracking.manage. Audited.',
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
      schema: { description: 'Parcels already tracked keep their events. Needs tracking.manage. Audited.', tags: ['tracking'], summary: 'Delete a tracking account: its pushes are refused from now on', params: Id, response: { 200: Type.Object({ id: Str, deleted: Type.Boolean() }), 404: ErrorBody } },
    },
    async (req) => hub.writes.deleteTrackingAccount(who(req), req.params.id),
  );

  app.get(
    '/shipments/:id/tracking',
    {
      config: { access: 'orders.read' },
      schema: { description: 'The tracking status as the carrier reports it, the trust grade the hub gives the delivery (签收可信度) and every event received, newest first.', tags: ['tracking'], summary: 'A shipment’s tracking: status, trust grade and the carrier’s events', params: Id, response: { 200: TrackingView, 404: ErrorBody } },
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
        description: 'For each carrier and outlet: deliveries seen, how many were confirmed as trustworthy, the rate, and those under the alert threshold.',
        tags: ['tracking'],
        summary: 'Delivery trust rate per carrier and per delivering outlet (签收可信度)',
        querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) }),
        response: {
          200: Type.Object({
            carriers: Type.Array(Type.Object({ carrier: Str, ...TrustFields })),
            outlets: Type.Array(
              Type.Object({ outlet: Type.String({ description: 'the location of the delivered event; unknown when the carrier gives none' }), carrier: Str, ...TrustFields }),
            ),
          }),
        },
      },
    },
    async (req) => hub.tracking.trustBoard(who(req), req.query.days),
  );

  app.get(
    '/tracking/settings',
    {
      config: { access: 'orders.read' },
      schema: {
        description: 'The thresholds that grade a delivery as trusted and raise an alert when a carrier’s or outlet’s rate drops.',
        tags: ['tracking'],
        summary: 'The tenant’s delivery trust and tracking alert thresholds (the defaults until saved)',
        response: { 200: SettingsView },
      },
    },
    async (req) => hub.tracking.settingsView(who(req)),
  );

  app.put(
    '/tracking/settings',
    {
      config: { access: 'tracking.manage' },
      validatorCompiler: strictBody(SettingsPatch),
      schema: {
        tags: ['tracking'],
        summary: 'Change the tenant’s delivery trust and tracking alert thresholds',
        description:
          'Any of the fields; those left out keep their value (the default when never saved), and stuckHours changes only the states it names. ' +
          'Re-checks already scheduled keep their time; the next ones, grading, "not received" and the alert pass use the new values. ' +
          '400 VALIDATION_FAILED names every problem, and nothing is saved.',
        body: SettingsPatch,
        response: { 200: SettingsView, 400: ErrorBody },
      },
    },
    async (req) => hub.writes.saveTrackingSettings(who(req), req.body),
  );

  app.get(
    '/cases',
    {
      config: { access: 'orders.read' },
      schema: {
        description: 'Cases opened when a buyer reports a parcel not received or delivery trust flags one, most urgent first, with their parcel and order.',
        tags: ['tracking'],
        summary: 'After-sales cases (for now: not_received, opened by delivery trust), urgent first',
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])) }),
        response: { 200: Type.Object({ items: Type.Array(CaseView) }) },
      },
    },
    async (req) => hub.tracking.cases(who(req), req.query),
  );
};

// Channel integration: the platforms the hub speaks, and per account what arrived, what was refused and why, what
// polling recovered, drift alerts, the pull log; a pull on demand and the replay of a raw event after a mapping fix.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { channelAdapters } from '../connectors/registry.ts';
import { toIso } from '../../../kernel/time.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { CarrierCode } from '../../../app/http/schemas.ts';
import { callKinds, callResults } from '../store/call-log.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const PullRun = Type.Object({
  id: Type.Optional(Type.Integer()),
  startedAt: Nullable(Type.String()),
  durationMs: Type.Number(),
  windowFrom: Nullable(Type.String()),
  windowTo: Nullable(Type.String()),
  pages: Type.Integer(),
  fetched: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  recovered: Type.Integer({ description: 'Orders (or order changes) the pull found before any push brought them' }),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  rateLimited: Type.Boolean(),
});

const Alert = Type.Object({
  id: Type.Integer(),
  accountId: Type.String(),
  platform: Type.String(),
  kind: Type.String({ description: 'status_unknown, amount_mismatch, field_added, field_missing, body_large, body_near_limit, body_too_large, refusals, pull_error, pull_failing' }),
  key: Type.String(),
  message: Type.String(),
  firstAt: Nullable(Type.String()),
  lastAt: Nullable(Type.String()),
  occurrences: Type.Integer(),
  acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()),
});

const OrderOutcome = Type.Object({
  outcome: Type.String(),
  orderId: Type.String(),
  orderNo: Type.String(),
  status: Type.String(),
  reservation: Type.String(),
  hold: Nullable(Type.String()),
  detail: Type.Optional(Type.String()),
});

const AccountParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const OutboundCall = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: 'ship_back' }),
  orderId: Nullable(Type.String()),
  shipmentId: Nullable(Type.String()),
  platformOrderId: Type.String(),
  state: Type.String({ description: 'pending, in_flight, done, failed (gave up after retries), refused (the platform said no: lastError has its reason)' }),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer({ description: "The HTTP status of the platform's last answer" })),
  lastCode: Nullable(Type.String({ description: "The platform's error code, NETWORK, CARRIER_UNKNOWN; ALREADY_THERE when the platform had it from an earlier attempt" })),
  lastLatencyMs: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  platformRef: Nullable(Type.String({ description: "What the platform made (a fulfillment or tracking item id)" })),
  carrier: Nullable(Type.String()),
  trackingNo: Nullable(Type.String()),
  replacesTrackingNo: Nullable(Type.String({ description: 'A tracking-number correction (更正运单号): the number the platform held that this write replaces' })),
  createdAt: Nullable(Type.String()),
  updatedAt: Nullable(Type.String()),
  remark: Nullable(Type.String({ description: "A remark's text (kind remark)" })),
  flag: Nullable(Type.Integer({ description: "A remark's flag: 0 none, 1 red, 2 yellow, 3 green, 4 blue, 5 purple" })),
  doneAt: Nullable(Type.String({ description: 'When the platform took the write' })),
  confirmedAt: Nullable(Type.String({ description: 'When a pull or push showed the platform order shipped with our tracking number' })),
  unconfirmedAlertedAt: Nullable(Type.String({ description: 'When the "not confirmed in time" alert was raised' })),
  handledAt: Nullable(Type.String()),
  handledBy: Nullable(Type.String()),
  handledNote: Nullable(Type.String()),
  supersededBy: Nullable(Type.Integer({ description: 'The write that replaced this one (a corrected resend, a newer remark)' })),
  resendOf: Nullable(Type.Integer({ description: 'The write this one resends with a correction' })),
  exception: Nullable(
    Type.Object({
      reason: Type.String({ description: 'refund_requested, already_shipped, status_not_allowed, carrier_unknown, order_not_found, tracking_invalid, correction_unsupported, nothing_to_correct, remark_too_long, no_client, account_gone, auth, rate_limited, platform_unavailable, network, unconfirmed, other' }),
      actions: Type.Array(Type.String({ description: 'retry, resend (ship-back only), handle' })),
    }),
  ),
});

const OutboundCounts = Type.Object({
  pending: Type.Integer({ description: 'Still to send (also while the account is paused: they wait for it)' }),
  failed: Type.Integer({ description: 'Given up after retries, not handled' }),
  refused: Type.Integer({ description: 'Refused by the platform, not handled' }),
  unconfirmed: Type.Integer({ description: 'Ship-backs the platform took that no pull has shown yet' }),
  overdue: Type.Integer({ description: 'Of those, the ones past the confirmation window (alert raised)' }),
  stock: Type.Object(
    {
      pending: Type.Integer({ description: 'Listings owed a stock write now (coalesced: one write per listing)' }),
      retrying: Type.Integer({ description: 'Listings whose stock write failed and is being retried with back-off' }),
      refused: Type.Integer({ description: 'Listings whose last stock write the platform refused (the listing shows why)' }),
    },
    { description: 'Stock writes (库存同步), counted on the listings' },
  ),
});

const PlatformCall = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: 'ship_back, remark, stock, waybill' }),
  op: Type.String({ description: "The platform's method (taobao.logistics.offline.send), or the HTTP method and path of a REST call (ids as {id})" }),
  subject: Type.String({ description: "What the call was about in the platform's words: its order id, item:sku, a waybill" }),
  orderId: Nullable(Type.String()),
  outboundId: Nullable(Type.Integer({ description: 'The platform write (outbound log) this call was an attempt of' })),
  listingId: Nullable(Type.Integer()),
  attempt: Type.Integer({ minimum: 1 }),
  httpStatus: Nullable(Type.Integer({ description: 'null: no answer (network, timeout)' })),
  result: Type.String({ description: 'ok, retry (tried again later), refused (the platform said no), failed (given up)' }),
  code: Nullable(Type.String({ description: "The platform's error code, NETWORK, ALREADY_THERE" })),
  error: Nullable(Type.String()),
  latencyMs: Type.Integer(),
  at: Type.String(),
});

const OutboundParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export const integrationRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/platforms',
    {
      config: { access: 'accounts.read' },
      schema: {
        description: 'What the console’s “add a shop” form is built from: for each platform the credential fields, whether it pushes, whether it can be pulled, and its status mapping.',
        tags: ['channel accounts'],
        summary: 'The platforms the hub speaks: credentials each needs, push and pull, and each status dictionary',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                platform: Type.String(),
                label: Type.String(),
                push: Nullable(Type.String()),
                pull: Nullable(Type.String()),
                credentialFields: Type.Array(
                  Type.Object({ name: Type.String(), label: Type.String(), secret: Type.Boolean(), optional: Type.Boolean(), hint: Type.Optional(Type.String()) }),
                ),
                settingFields: Type.Array(Type.Object({ name: Type.String(), label: Type.String(), hint: Type.Optional(Type.String()) }), {
                  description: 'Settings beyond the credentials (PATCH /api/channel-accounts/{id} settings), e.g. Shopify stockLocationId',
                }),
                statuses: Type.Array(Type.Object({ raw: Type.String(), anchor: Nullable(Type.String()), hold: Nullable(Type.String()), doc: Type.String() })),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      items: Object.values(channelAdapters).map((a) => ({
        platform: a.platform,
        label: a.label,
        push: a.verifyPush ? (a.pushDescription ?? '') : null,
        pull: a.pull ? (a.pullDescription ?? '') : null,
        credentialFields: a.credentialFields.map((f) => ({ name: f.name, label: f.label, secret: Boolean(f.secret), optional: Boolean(f.optional), ...(f.hint ? { hint: f.hint } : {}) })),
        settingFields: (a.settingFields ?? []).map((f) => ({ name: f.name, label: f.label, ...(f.hint ? { hint: f.hint } : {}) })),
        statuses: Object.entries(a.statusDictionary).map(([raw, m]) => ({ raw, anchor: m.anchor, hold: m.hold ?? null, doc: m.doc })),
      })),
    }),
  );

  app.get(
    '/channel-accounts/:id/integration',
    {
      config: { access: 'accounts.read' },
      schema: {
        tags: ['channel accounts'],
        summary: 'How one account is doing: deliveries, refusals, answer times, recovered by polling, alerts, last pull',
        description: 'Counts of stored events cover the last 24 hours; refusals and answer times are what this process has seen since it started.',
        params: AccountParams,
        response: { 200: Type.Unknown(), 404: ErrorBody },
      },
    },
    async (req) => {
      const overview = await hub.integration.overview(who(req), req.params.id);
      return { ...overview, sinceStart: hub.drift.snapshot(req.params.id) };
    },
  );

  app.get(
    '/channel-accounts/:id/pulls',
    {
      config: { access: 'accounts.read' },
      schema: {
        description: 'Newest first: when each pull ran, the time window it asked for, how many orders it found and recovered, any error and its duration. 404 for an out-of-scope shop.',
        tags: ['channel accounts'],
        summary: 'The pull log: one row per run (window, orders found, errors, duration)',
        params: AccountParams,
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: { 200: Type.Object({ items: Type.Array(PullRun) }), 404: ErrorBody },
      },
    },
    async (req) => ({ items: await hub.integration.pullLog(who(req), req.params.id, req.query.limit) }),
  );

  app.get(
    '/channel-accounts/:id/outbound',
    {
      config: { access: 'accounts.read' },
      schema: {
        tags: ['channel accounts'],
        summary: 'The outbound log: every write the hub owes or made to the platform (ship-back), newest first',
        description: 'Paged: pass the nextBefore of one page as before to get the next. A refused call keeps the platform\'s reason and is not retried.',
        params: AccountParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
        }),
        response: { 200: Type.Object({ items: Type.Array(OutboundCall), nextBefore: Nullable(Type.Integer()), counts: OutboundCounts, accountActive: Type.Boolean() }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => hub.integration.outboundLog(who(req), req.params.id, { limit: req.query.limit, before: req.query.before }),
  );

  app.get(
    '/channel-accounts/:id/platform-calls',
    {
      config: { access: 'accounts.read' },
      schema: {
        tags: ['channel accounts'],
        summary: 'The platform call log (调用记录): every request the hub made to the platform, newest first',
        description:
          'Ship-backs, remarks, stock writes and e-waybill calls: the method, what it was about, the attempt, the HTTP status, latency and what came of it. Kept for callLogDays (default 14). Paged: pass nextBefore as before.',
        params: AccountParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          kind: Type.Optional(Type.Union(callKinds.map((k) => Type.Literal(k)))),
          result: Type.Optional(Type.Union(callResults.map((k) => Type.Literal(k)))),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(PlatformCall),
            nextBefore: Nullable(Type.Integer()),
            last24h: Type.Object({
              calls: Type.Integer(),
              ok: Type.Integer(),
              retry: Type.Integer(),
              refused: Type.Integer(),
              failed: Type.Integer(),
              slowestMs: Type.Integer(),
              byKind: Type.Record(Type.String(), Type.Integer()),
            }),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => hub.integration.callLog(who(req), req.params.id, req.query),
  );

  app.get(
    '/outbound-exceptions',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['channel accounts'],
        summary: 'The exception queue of platform writes: refused, given up, or taken but not confirmed in time, oldest first',
        description: 'Each item says why (exception.reason) and what may be done (retry, resend, handle). Paged: pass nextAfter as after.',
        querystring: Type.Object({
          accountId: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          after: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
        }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Composite([OutboundCall, Type.Object({ accountId: Type.String(), channel: Type.String() })])), nextAfter: Nullable(Type.Integer()) }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => hub.integration.outboundExceptions(who(req), req.query),
  );

  app.post(
    '/outbound-calls/:id/retry',
    {
      config: { access: 'orders.modify' },
      schema: {
        description: '409 OUTBOUND_NOT_OPEN for a write that is pending, in flight or confirmed. The write goes through the outbox like the first time.',
        tags: ['channel accounts'],
        summary: 'Send a refused, given-up or unconfirmed platform write again, now (after fixing its cause). Audited',
        params: OutboundParams,
        response: { 200: OutboundCall, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.retryOutbound(who(req), req.params.id),
  );

  app.post(
    '/outbound-calls/:id/resend',
    {
      config: { access: 'orders.modify' },
      schema: {
        description: 'Only for a ship-back that was refused, given up or left unconfirmed (409 OUTBOUND_NOT_OPEN otherwise); the old write is closed as superseded.',
        tags: ['channel accounts'],
        summary: 'Resend a ship-back with a corrected carrier or tracking number: a new write that replaces it. Audited',
        params: OutboundParams,
        body: Type.Object(
          { carrier: Type.Optional(CarrierCode()), trackingNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })) },
          { additionalProperties: false },
        ),
        response: { 200: OutboundCall, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.resendShipBack(who(req), req.params.id, req.body),
  );

  app.post(
    '/outbound-calls/:id/handled',
    {
      config: { access: 'orders.modify' },
      schema: {
        description: 'For a write fixed outside the hub (e.g. in the platform’s seller back office); 409 OUTBOUND_NOT_OPEN when it is not an open exception.',
        tags: ['channel accounts'],
        summary: 'Close a platform write’s exception by hand, with a note saying what was done. Audited',
        params: OutboundParams,
        body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: OutboundCall, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.markOutboundHandled(who(req), req.params.id, req.body.note),
  );

  app.post(
    '/channel-accounts/:id/pull',
    {
      config: { access: 'accounts.manage' },
      schema: {
        description: 'Runs one pull of the shop’s recent orders and answers with its log row (found, recovered, errorCode). 409 CONFLICT while another hub process pulls the same shop.',
        tags: ['channel accounts'],
        summary: 'Pull this account now (the scheduled pull runs anyway)',
        params: AccountParams,
        response: { 200: PullRun, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      await hub.accounts.getFor(who(req), req.params.id);
      const r = await hub.poller.runAccount(req.params.id);
      return {
        startedAt: toIso(r.startedAt),
        durationMs: r.finishedAt - r.startedAt,
        windowFrom: toIso(r.windowFrom),
        windowTo: toIso(r.windowTo),
        pages: r.pages,
        fetched: r.fetched,
        created: r.created,
        updated: r.updated,
        recovered: r.recovered,
        errorCode: r.errorCode,
        error: r.error,
        rateLimited: r.rateLimited,
      };
    },
  );

  app.get(
    '/channel-accounts/:id/raw-events',
    {
      config: { access: 'accounts.read' },
      schema: {
        description: 'Every push and pulled order is kept as it came before it is parsed; this lists them with their outcome (stored, duplicate, refused and why) to find what a platform really sent.',
        tags: ['channel accounts'],
        summary: 'The latest raw events of an account (without bodies), newest first: what came, how it ended',
        params: AccountParams,
        querystring: Type.Object({ outcome: Type.Optional(Type.String({ maxLength: 40 })), limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                eventId: Type.String(),
                receivedAt: Nullable(Type.String()),
                deliveries: Type.Integer(),
                outcome: Type.String(),
                orderId: Nullable(Type.String()),
                via: Type.String(),
                detail: Nullable(Type.String()),
              }),
            ),
          }),
          404: ErrorBody,
        },
      },
    },
    async (req) => ({ items: await hub.integration.rawEvents(who(req), req.params.id, req.query) }),
  );

  app.get(
    '/channel-alerts',
    {
      config: { access: 'accounts.read' },
      schema: {
        description: 'Alerts per shop with kind, detail, when first and last seen and how often; `accountId` narrows to one shop, `open` to the unacknowledged; `limit` caps the list.',
        tags: ['channel accounts'],
        summary: 'Drift and integration alerts: unknown statuses, new or vanished fields, large bodies, refusals, failing pulls',
        querystring: Type.Object({
          accountId: Type.Optional(Type.String({ maxLength: 64 })),
          open: Type.Boolean({ default: false, description: 'Only alerts nobody has acknowledged' }),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(Alert) }), 404: ErrorBody },
      },
    },
    async (req) => ({ items: await hub.integration.alerts(who(req), req.query) }),
  );

  app.post(
    '/channel-alerts/:id/acknowledge',
    {
      config: { access: 'accounts.manage' },
      schema: {
        description: 'Marks it seen by the caller; a new occurrence opens it again. 404 ALERT_NOT_FOUND for an out-of-scope alert.',
        tags: ['channel accounts'],
        summary: 'Acknowledge an alert (it opens again if it happens again)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ id: Type.Integer(), acknowledgedAt: Nullable(Type.String()) }), 404: ErrorBody },
      },
    },
    async (req) => hub.writes.acknowledgeAlert(who(req), req.params.id),
  );

  app.post(
    '/raw-events/:id/replay',
    {
      config: { access: 'accounts.manage' },
      schema: {
        tags: ['events'],
        summary: 'Run a stored raw event through its adapter again (after a mapping fix) and apply what it says now',
        description: 'An order that has moved on since is not moved back; the same platform time is applied again. Audited.',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ rawEventId: Type.Integer(), orders: Type.Array(OrderOutcome) }), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.replayRawEvent(who(req), req.params.id),
  );
};

// A local stand-in for Stripe, written from Stripe's documentation and independent of notice.ts/client.ts:
// - webhooks: events as Stripe sends them (pretty-printed JSON, Stripe-Signature t=…,v1=… with one v1 per active
//   endpoint secret, optionally a v0), queued when something happens and delivered on request;
// - API (node:http on loopback): GET /v1/payment_intents/{id}, GET /v1/payment_intents/search, POST /v1/refunds,
//   GET /v1/refunds, GET /v1/refunds/{id}; Bearer (or Basic) secret-key auth; Stripe's error shape
//   {error:{type,code,message,param}}; idempotency as Stripe documents it (same key and parameters → the saved
//   answer again with Idempotent-Replayed: true; same key, other parameters → 400 idempotency_error; results saved
//   only once the endpoint began, so parameter errors are not); injected faults (429, 5xx, 409) for error paths.
// Amounts here are Stripe's integers as they are on the wire; no conversion to the hub's units happens here.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, unknown>;

export interface FakeStripeOptions {
  /** API keys the fake accepts (sk_test_…). */
  apiKeys: string[];
  /** Endpoint signing secrets: every one signs each delivery (the first is the current one, others are being rolled). */
  webhookSecrets: string[];
  /** Adds a v0 signature (a scheme receivers must ignore). */
  includeV0?: boolean;
  livemode?: boolean;
  /** Status of a refund when created; card refunds are usually succeeded at once, others pending. */
  refundStatus?: 'succeeded' | 'pending';
  /** Account default API version, used in events and when a request sends no Stripe-Version. */
  apiVersion?: string;
  /** Epoch ms. */
  now?: () => number;
}

export interface FakeEvent {
  id: string;
  type: string;
  account: string | null;
  json: Obj;
}

export interface FakeFault {
  status: number;
  error?: Obj;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
}

export interface FakeDelivery {
  headers: Record<string, string>;
  rawBody: Buffer;
}

interface Reply {
  status: number;
  body: Obj;
  headers?: Record<string, string>;
  /** Parameter errors happen before the endpoint runs: Stripe does not save them under the idempotency key. */
  unsaved?: boolean;
}

interface Saved {
  fingerprint: string;
  status: number;
  body: Obj;
  requestId: string;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const versionPattern = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

/** Stripe-Signature for a payload: t=<unix>, then v1=hex(HMAC-SHA256(secret, "<t>.<payload>")) for each secret. */
export function stripeSignatureHeader(payload: string | Buffer, secrets: string[], timestampSec: number, opts: { v0?: boolean } = {}): string {
  const sign = (key: string) => createHmac('sha256', key).update(`${timestampSec}.`).update(payload).digest('hex');
  const parts = [`t=${timestampSec}`, ...secrets.map((s) => `v1=${sign(s)}`)];
  if (opts.v0) parts.push(`v0=${sign('whsec_legacy_test_scheme')}`);
  return parts.join(',');
}

function apiError(status: number, type: string, message: string, extra: { code?: string; param?: string; decline_code?: string } = {}): Reply {
  const error: Obj = { message, type };
  if (extra.code) {
    error.code = extra.code;
    error.doc_url = `https://docs.stripe.com/error-codes/${extra.code.replace(/_/g, '-')}`;
  }
  if (extra.decline_code) error.decline_code = extra.decline_code;
  if (extra.param) error.param = extra.param;
  return { status, body: { error } };
}

const invalid = (message: string, extra: { code?: string; param?: string } = {}, status = 400) => apiError(status, 'invalid_request_error', message, extra);

/** Stripe reports a hidden key by its start and last four characters. */
const maskKey = (k: string) => (k.length > 12 ? `${k.slice(0, 8)}${'*'.repeat(k.length - 12)}${k.slice(-4)}` : '****');

export class FakeStripe {
  readonly requests: { method: string; path: string; query: URLSearchParams; headers: Record<string, string>; body: string }[] = [];
  private readonly intents = new Map<string, { account: string | null; pi: Obj; charge: Obj }>();
  private readonly refunds = new Map<string, { account: string | null; refund: Obj; intentId: string }>();
  private readonly idempotency = new Map<string, Saved>();
  private readonly faults: FakeFault[] = [];
  private outbox: FakeEvent[] = [];
  private server: Server | null = null;

  constructor(readonly opts: FakeStripeOptions) {}

  private nowSec(): number {
    return Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
  }

  private get version(): string {
    return this.opts.apiVersion ?? '2026-10-28.endive';
  }

  // ---- state the tests set up -------------------------------------------------------------------------------

  /** A PaymentIntent (with its charge); `succeeded` ones also queue payment_intent.succeeded. */
  addPaymentIntent(p: { amount: number; currency: string; orderNo?: string; status?: string; account?: string; metadata?: Record<string, string>; amountReceived?: number }): Obj {
    const id = newId('pi');
    const chargeId = newId('ch');
    const status = p.status ?? 'succeeded';
    const created = this.nowSec();
    const received = status === 'succeeded' ? (p.amountReceived ?? p.amount) : 0;
    const metadata: Record<string, string> = { ...(p.orderNo === undefined ? {} : { order_no: p.orderNo }), ...p.metadata };
    const pi: Obj = {
      id,
      object: 'payment_intent',
      amount: p.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: received,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: { allow_redirects: 'always', enabled: true },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic_async',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      confirmation_method: 'automatic',
      created,
      currency: p.currency,
      customer: null,
      description: null,
      last_payment_error: null,
      latest_charge: status === 'succeeded' ? chargeId : null,
      livemode: this.opts.livemode ?? false,
      metadata,
      next_action: null,
      on_behalf_of: null,
      payment_method: newId('pm'),
      payment_method_options: { card: { request_three_d_secure: 'automatic' } },
      payment_method_types: ['card'],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status,
      transfer_data: null,
      transfer_group: null,
    };
    const charge: Obj = {
      id: chargeId,
      object: 'charge',
      amount: p.amount,
      amount_captured: received,
      amount_refunded: 0,
      captured: status === 'succeeded',
      created,
      currency: p.currency,
      livemode: this.opts.livemode ?? false,
      metadata: { ...metadata },
      paid: status === 'succeeded',
      payment_intent: id,
      refunded: false,
      status: status === 'succeeded' ? 'succeeded' : 'pending',
    };
    this.intents.set(id, { account: p.account ?? null, pi, charge });
    if (status === 'succeeded') this.emit('payment_intent.succeeded', pi, p.account ?? null);
    return structuredClone(pi);
  }

  paymentIntent(id: string): Obj | null {
    const x = this.intents.get(id);
    return x ? structuredClone(x.pi) : null;
  }

  refundCount(): number {
    return this.refunds.size;
  }

  /** Moves a refund to its final status, as the card network's answer would, and queues refund.updated. */
  settleRefund(id: string, status: 'succeeded' | 'failed' | 'canceled'): Obj {
    const x = this.refunds.get(id);
    if (!x) throw new Error(`no refund ${id}`);
    const previous = x.refund.status;
    x.refund.status = status;
    if (status !== 'succeeded') {
      // A failed refund gives the money back to the balance and the charge can be refunded again.
      if (status === 'failed') x.refund.failure_reason = 'expired_or_canceled_card';
      const charge = this.intents.get(x.intentId)?.charge;
      if (charge) {
        charge.amount_refunded = Number(charge.amount_refunded) - Number(x.refund.amount);
        charge.refunded = false;
      }
    }
    this.emit('refund.updated', x.refund, x.account, { status: previous });
    this.emit('charge.refund.updated', x.refund, x.account, { status: previous });
    if (status === 'failed') this.emit('refund.failed', x.refund, x.account);
    return structuredClone(x.refund);
  }

  /** Queues any event (payment_intent.payment_failed, customer.created …) about any object. */
  emit(type: string, object: Obj, account: string | null, previous?: Obj, request?: { id: string | null; idempotency_key: string | null }): FakeEvent {
    const json: Obj = {
      id: newId('evt'),
      object: 'event',
      ...(account ? { account } : {}),
      api_version: this.version,
      created: this.nowSec(),
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: this.opts.livemode ?? false,
      pending_webhooks: 1,
      request: request ?? { id: null, idempotency_key: null },
      type,
    };
    const ev = { id: json.id as string, type, account, json };
    this.outbox.push(ev);
    return ev;
  }

  /** Queued events (oldest first), removed from the queue; only those of one type when given. */
  takeEvents(type?: string): FakeEvent[] {
    const taken = this.outbox.filter((e) => !type || e.type === type);
    this.outbox = this.outbox.filter((e) => !taken.includes(e));
    return taken;
  }

  /** The bytes and headers of one delivery, signed at `timestampSec` (default now). */
  delivery(ev: FakeEvent, timestampSec = this.nowSec()): FakeDelivery {
    const rawBody = Buffer.from(JSON.stringify(ev.json, null, 2), 'utf8');
    return {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': stripeSignatureHeader(rawBody, this.opts.webhookSecrets, timestampSec, { v0: this.opts.includeV0 }),
      },
      rawBody,
    };
  }

  /** POSTs one event to a webhook endpoint as Stripe would; any 2xx counts as delivered. */
  async deliver(url: string, ev: FakeEvent): Promise<{ status: number; body: string }> {
    const d = this.delivery(ev);
    const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.rawBody });
    return { status: res.status, body: await res.text() };
  }

  /** The next matching request gets this answer instead, before anything runs (nothing is saved or created). */
  inject(fault: FakeFault): void {
    this.faults.push(fault);
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------------

  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      this.requests.push({ method, path: url.pathname, query: url.searchParams, headers, body });
      const requestId = newId('req');
      const reply = this.route(method, url, headers, body, requestId);
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        'request-id': requestId,
        'stripe-version': headers['stripe-version'] ?? this.version,
        ...reply.headers,
      });
      res.end(JSON.stringify(reply.body, null, 2));
    });
  }

  private route(method: string, url: URL, headers: Record<string, string>, body: string, requestId: string): Reply {
    const path = url.pathname;
    const fi = this.faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || f.path === path));
    if (fi >= 0) {
      const f = this.faults.splice(fi, 1)[0]!;
      const error = f.error ?? (f.status === 429 ? { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' } : { type: 'api_error', message: 'An unknown error occurred' });
      return { status: f.status, body: { error }, headers: f.headers };
    }

    const key = this.apiKey(headers.authorization);
    if (key === null) {
      return invalid(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        {},
        401,
      );
    }
    if (!this.accepted(key)) return invalid(`Invalid API Key provided: ${maskKey(key)}`, {}, 401);
    const version = headers['stripe-version'];
    if (version !== undefined && !versionPattern.test(version)) return invalid(`Invalid Stripe API version: ${version}`);
    const account = headers['stripe-account'] ?? null;

    const unrecognized = () => invalid(`Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`, {}, 404);
    const params = method === 'GET' ? url.searchParams : new URLSearchParams(body);

    if (path === '/v1/payment_intents/search') return method === 'GET' ? this.search(params, account) : unrecognized();
    let m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (m) return method === 'GET' ? this.getIntent(decodeURIComponent(m[1]!), account) : unrecognized();
    if (path === '/v1/refunds') {
      if (method === 'GET') return this.listRefunds(params, account);
      if (method !== 'POST') return unrecognized();
      return this.idempotent(key, account, headers['idempotency-key'], `${method} ${path}`, params, requestId, () => this.createRefund(params, account, requestId, headers['idempotency-key'] ?? null));
    }
    m = /^\/v1\/refunds\/([^/]+)$/.exec(path);
    if (m) return method === 'GET' ? this.getRefund(decodeURIComponent(m[1]!), account) : unrecognized();
    return unrecognized();
  }

  private apiKey(auth: string | undefined): string | null {
    if (!auth) return null;
    const bearer = /^Bearer (\S+)$/.exec(auth);
    if (bearer) return bearer[1]!;
    const basic = /^Basic (\S+)$/.exec(auth);
    if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').replace(/:.*$/, '') || null;
    return null;
  }

  private accepted(key: string): boolean {
    const h = (s: string) => createHash('sha256').update(s).digest();
    const given = h(key);
    let ok = false;
    for (const k of this.opts.apiKeys) if (timingSafeEqual(h(k), given)) ok = true;
    return ok;
  }

  /** Runs a POST under Stripe's idempotency rules. */
  private idempotent(apiKey: string, account: string | null, idemKey: string | undefined, endpoint: string, params: URLSearchParams, requestId: string, run: () => Reply): Reply {
    if (idemKey === undefined) return run();
    if (idemKey.length > 255) return invalid('Idempotency-Key must be at most 255 characters long.', { param: 'Idempotency-Key' });
    const echo = { 'idempotency-key': idemKey };
    const store = `${createHash('sha256').update(apiKey).digest('hex')}|${account ?? ''}|${idemKey}`;
    const pairs = [...params.entries()].map(([k, v]) => `${k}=${v}`).sort();
    const fingerprint = `${endpoint}\n${pairs.join('&')}`;
    const saved = this.idempotency.get(store);
    if (saved) {
      if (saved.fingerprint !== fingerprint) {
        const r = apiError(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
        );
        return { ...r, headers: echo };
      }
      return { status: saved.status, body: structuredClone(saved.body), headers: { ...echo, 'idempotent-replayed': 'true', 'original-request': saved.requestId } };
    }
    const r = run();
    if (!r.unsaved) this.idempotency.set(store, { fingerprint, status: r.status, body: structuredClone(r.body), requestId });
    return { ...r, headers: { ...r.headers, ...echo } };
  }

  private visible(account: string | null, owner: string | null): boolean {
    return account === owner;
  }

  private getIntent(id: string, account: string | null): Reply {
    const x = this.intents.get(id);
    if (!x || !this.visible(account, x.account)) return invalid(`No such payment_intent: '${id}'`, { code: 'resource_missing', param: 'intent' }, 404);
    return { status: 200, body: structuredClone(x.pi) };
  }

  /** Supports clauses `metadata['k']:'v'` and `status:'v'` joined by AND: what the hub asks for. */
  private search(params: URLSearchParams, account: string | null): Reply {
    const query = params.get('query');
    if (!query) return invalid('Missing required param: query.', { code: 'parameter_missing', param: 'query' });
    const limit = Number(params.get('limit') ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('Invalid limit: must be between 1 and 100', { param: 'limit' });
    const clauses: { field: string; value: string }[] = [];
    const clause = /^(metadata\['((?:[^'\\]|\\.)+)'\]|status):'((?:[^'\\]|\\.)*)'/;
    let rest = query.trim();
    while (rest) {
      const c = clause.exec(rest);
      if (!c) return invalid(`The search query is invalid or unsupported by this fake: ${query}`, { param: 'query' });
      const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
      clauses.push({ field: c[2] === undefined ? 'status' : `metadata.${unescape(c[2])}`, value: unescape(c[3]!) });
      rest = rest.slice(c[0].length).trim();
      if (rest) {
        if (!/^AND\s+/.test(rest)) return invalid(`The search query is invalid or unsupported by this fake: ${query}`, { param: 'query' });
        rest = rest.replace(/^AND\s+/, '');
      }
    }
    const all = [...this.intents.values()]
      .filter((x) => this.visible(account, x.account))
      .filter((x) =>
        clauses.every((c) => {
          if (c.field === 'status') return x.pi.status === c.value;
          const md = x.pi.metadata as Record<string, string>;
          return md[c.field.slice('metadata.'.length)] === c.value;
        }),
      )
      .reverse();
    const offset = params.get('page') ? Number(Buffer.from(params.get('page')!, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) return invalid('Invalid page', { param: 'page' });
    const data = all.slice(offset, offset + limit).map((x) => structuredClone(x.pi));
    const more = offset + limit < all.length;
    return {
      status: 200,
      body: { object: 'search_result', data, has_more: more, next_page: more ? Buffer.from(String(offset + limit)).toString('base64url') : null, url: '/v1/payment_intents/search' },
    };
  }

  private getRefund(id: string, account: string | null): Reply {
    const x = this.refunds.get(id);
    if (!x || !this.visible(account, x.account)) return invalid(`No such refund: '${id}'`, { code: 'resource_missing', param: 'id' }, 404);
    return { status: 200, body: structuredClone(x.refund) };
  }

  private listRefunds(params: URLSearchParams, account: string | null): Reply {
    const limit = Number(params.get('limit') ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('Invalid limit: must be between 1 and 100', { param: 'limit' });
    const pi = params.get('payment_intent');
    let all = [...this.refunds.values()].filter((x) => this.visible(account, x.account) && (!pi || x.intentId === pi)).reverse();
    const after = params.get('starting_after');
    if (after) {
      const i = all.findIndex((x) => x.refund.id === after);
      if (i < 0) return invalid(`No such refund: '${after}'`, { code: 'resource_missing', param: 'starting_after' });
      all = all.slice(i + 1);
    }
    return { status: 200, body: { object: 'list', data: all.slice(0, limit).map((x) => structuredClone(x.refund)), has_more: all.length > limit, url: '/v1/refunds' } };
  }

  private createRefund(params: URLSearchParams, account: string | null, requestId: string, idemKey: string | null): Reply {
    const metadata: Record<string, string> = {};
    for (const [k, v] of params) {
      const md = /^metadata\[([^\]]+)\]$/.exec(k);
      if (md) {
        if (md[1]!.length > 40) return { ...invalid(`Metadata keys can have up to 40 characters, but you passed in a key that is ${md[1]!.length} characters long.`, { param: k }), unsaved: true };
        if (v.length > 500) return { ...invalid(`Metadata values can have up to 500 characters, but you passed in a value that is ${v.length} characters long.`, { param: k }), unsaved: true };
        metadata[md[1]!] = v;
      } else if (!['payment_intent', 'charge', 'amount', 'reason'].includes(k)) {
        return { ...invalid(`Received unknown parameter: ${k}`, { code: 'parameter_unknown', param: k }), unsaved: true };
      }
    }
    const amountText = params.get('amount');
    if (amountText !== null && !/^[1-9]\d{0,15}$/.test(amountText)) return { ...invalid(`Invalid integer: ${amountText}`, { code: 'parameter_invalid_integer', param: 'amount' }), unsaved: true };
    const reason = params.get('reason');
    if (reason !== null && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason)) {
      return { ...invalid('Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer', { param: 'reason' }), unsaved: true };
    }
    const piId = params.get('payment_intent');
    const chargeId = params.get('charge');
    if (!piId && !chargeId) return { ...invalid('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' }), unsaved: true };

    const found = piId ? this.intents.get(piId) : [...this.intents.values()].find((x) => x.charge.id === chargeId);
    if (!found || !this.visible(account, found.account)) {
      return piId ? invalid(`No such payment_intent: '${piId}'`, { code: 'resource_missing', param: 'payment_intent' }) : invalid(`No such charge: '${chargeId}'`, { code: 'resource_missing', param: 'charge' });
    }
    const { pi, charge } = found;
    if (pi.status !== 'succeeded') return invalid(`This PaymentIntent (${String(pi.id)}) does not have a successful charge to refund.`, { param: 'payment_intent' });
    const remaining = Number(charge.amount_captured) - Number(charge.amount_refunded);
    if (remaining <= 0) return invalid(`Charge ${String(charge.id)} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = amountText === null ? remaining : Number(amountText);
    if (amount > remaining) return invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { param: 'amount' });

    const refund: Obj = {
      id: newId('re'),
      object: 'refund',
      amount,
      balance_transaction: newId('txn'),
      charge: charge.id,
      created: this.nowSec(),
      currency: pi.currency,
      destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
      metadata,
      payment_intent: pi.id,
      reason,
      receipt_number: null,
      source_transfer_reversal: null,
      status: this.opts.refundStatus ?? 'succeeded',
      transfer_reversal: null,
    };
    charge.amount_refunded = Number(charge.amount_refunded) + amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    this.refunds.set(refund.id as string, { account: found.account, refund, intentId: pi.id as string });
    const req = { id: requestId, idempotency_key: idemKey };
    this.emit('refund.created', refund, found.account, undefined, req);
    this.emit('charge.refunded', charge, found.account, { amount_refunded: Number(charge.amount_refunded) - amount, refunded: false }, req);
    return { status: 200, body: structuredClone(refund) };
  }
}

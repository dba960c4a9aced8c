// The edge: what no use case should see is refused here, before it reaches a thread or a query — JSON nested too deep,
// NUL and lone surrogates, numbers that cannot be kept exactly, query values that are not in their one written form —
// and what Fastify or Node's HTTP parser refuse is answered in the error shape, with server timeouts set.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../kernel/errors.ts';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../../kernel/json.ts';
import { textProblem } from '../../kernel/text.ts';
import { instantYears, parseIsoInstant } from '../../kernel/time.ts';
import type { Config } from '../../platform/config.ts';
import { httpStatus, sendError } from './errors.ts';

/** A place in a request and what is wrong there, as VALIDATION_FAILED lists them. */
export interface EdgeProblem {
  path: string;
  message: string;
}

const textMessages = {
  nul: 'contains NUL (U+0000), which the hub does not take',
  lone_surrogate: 'contains a lone UTF-16 surrogate, which is not a character',
} as const;

/** JSON Pointer escaping, so a key holding "/" or "~" still names one place. */
const step = (path: string, key: string | number) => `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * The first part of a parsed JSON value the hub does not take: NUL or a lone surrogate in a string or a key (PostgreSQL
 * refuses NUL; each driver writes a lone surrogate as U+FFFD, so what was checked is not what is stored), a number that
 * is not finite (1e309) or beyond ±(2^53−1) (JSON.parse has already rounded it: 2^53 + 1 arrives as 2^53). Recursive:
 * it only runs on values whose nesting was checked first.
 */
export function valueProblem(v: unknown, path: string): EdgeProblem | null {
  if (typeof v === 'string') {
    const t = textProblem(v);
    return t ? { path, message: textMessages[t] } : null;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { path, message: 'is not a finite number' };
    if (Math.abs(v) > Number.MAX_SAFE_INTEGER) return { path, message: `is beyond ±${Number.MAX_SAFE_INTEGER} (2^53−1), so it cannot be kept exactly` };
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = valueProblem(v[i], step(path, i));
      if (p) return p;
    }
    return null;
  }
  for (const [k, x] of Object.entries(v)) {
    const t = textProblem(k);
    if (t) return { path: step(path, k), message: `names a key that ${textMessages[t]}` };
    const p = valueProblem(x, step(path, k));
    if (p) return p;
  }
  return null;
}

export const problemError = (p: EdgeProblem) => new HubError('VALIDATION_FAILED', `${p.path} ${p.message}`, { errors: [p] });

/**
 * An instant given to the API (a filter, an expiry, a ship-by) as epoch ms; `path` names it in the 400 when it is not
 * ISO 8601 with an offset, or not a real calendar time in the documented years (2026-02-30 is not 2 March).
 */
export function instantAt(path: string, text: string): number;
export function instantAt(path: string, text: string | undefined): number | undefined;
export function instantAt(path: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoInstant(text);
  if (ms === null) {
    throw problemError({ path, message: `must be ISO 8601 with an offset (2026-11-22T10:00:00+08:00), a real calendar time in ${instantYears.min}–${instantYears.max}` });
  }
  return ms;
}

const deepError = () =>
  new HubError('BODY_TOO_DEEP', `the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, { limit: MAX_JSON_DEPTH });

// ---------------------------------------------------------------- query strings and path parameters

interface PartSchema {
  type?: string | string[];
  anyOf?: PartSchema[];
  const?: unknown;
  properties?: Record<string, PartSchema>;
}

/** The JSON types a schema lets through (an empty set: anything). */
function kinds(s: PartSchema, out = new Set<string>()): Set<string> {
  if (typeof s.type === 'string') out.add(s.type);
  else if (Array.isArray(s.type)) for (const t of s.type) out.add(t);
  if (s.const !== undefined) out.add(s.const === null ? 'null' : typeof s.const);
  for (const branch of s.anyOf ?? []) kinds(branch, out);
  return out;
}

// The one way each is written: page=2, never 2.0, 02, 2e0, +2, " 2" or an empty value.
const canonicalInteger = /^-?(?:0|[1-9][0-9]*)$/;
const canonicalNumber = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** A query or path value as the type its schema names, when written canonically; else the text (the validator then names the wrong type). */
function fromText(text: string, k: Set<string>): unknown {
  if (k.size === 0 || k.has('string')) return text;
  if ((k.has('integer') && canonicalInteger.test(text)) || (k.has('number') && canonicalNumber.test(text))) {
    const n = Number(text);
    if (Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER && (k.has('number') || Number.isSafeInteger(n))) return n;
  }
  if (k.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/**
 * Query strings and path parameters arrive as text, and Ajv's own coercion is off (a body is never converted): the
 * values whose schema names an integer, a number or a boolean are converted here, and only from their canonical form.
 * A value given twice (?page=1&page=2) stays a list and is refused by the validator.
 */
function convertPart(values: unknown, schema: unknown): void {
  const props = (schema as PartSchema | undefined)?.properties;
  if (!props || values === null || typeof values !== 'object') return;
  const target = values as Record<string, unknown>;
  for (const [name, s] of Object.entries(props)) {
    const v = target[name];
    if (typeof v === 'string') target[name] = fromText(v, kinds(s));
  }
}

/** NUL or a lone surrogate in a query or path key or value (they are decoded from %00, %ED%A0%80 …). */
function textInPart(values: unknown, part: string): EdgeProblem | null {
  if (values === null || typeof values !== 'object') return null;
  for (const [k, v] of Object.entries(values)) {
    const kt = textProblem(k);
    if (kt) return { path: step(part, k), message: `names a key that ${textMessages[kt]}` };
    for (const x of Array.isArray(v) ? v : [v]) {
      const t = typeof x === 'string' ? textProblem(x) : null;
      if (t) return { path: step(part, k), message: textMessages[t] };
    }
  }
  return null;
}

// ---------------------------------------------------------------- installing it

/**
 * The JSON body parser and the query and path checks, on the root instance: installed before any route or plugin so
 * that /api and the health routes inherit them. Platform pushes replace the parsers with their own raw one (they are
 * verified over the exact bytes) and check nesting after the signature (refuseDeepJson).
 */
export function installEdge(app: FastifyInstance, config: Pick<Config, 'bodyLimitBytes'>): void {
  const parseJson = app.getDefaultJsonParser('error', 'error') as (req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => void;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.bodyLimitBytes }, (req, body, done) => {
    const text = body as string;
    // On the text first: the parse itself survives any depth, everything after it (walks, clones, drivers) may not.
    if (jsonNestingExceeds(text)) {
      done(deepError(), undefined);
      return;
    }
    parseJson(req, text, (err, value) => {
      if (err) return done(err, undefined);
      const p = valueProblem(value, 'body');
      if (p) return done(problemError(p), undefined);
      done(null, value);
    });
  });

  app.addHook('onRequest', async (req) => {
    const p = textInPart(req.params, 'params') ?? textInPart(req.query, 'querystring');
    if (p) throw problemError(p);
    const schema = req.routeOptions.schema;
    if (schema?.querystring) convertPart(req.query, schema.querystring);
    if (schema?.params) convertPart(req.params, schema.params);
  });
}

// ---------------------------------------------------------------- what Fastify and Node refuse before a route

/** Fastify's default: a path parameter may be this long (an id, an order number, a SKU code are far shorter). */
const maxParamLength = 100;

/** Fastify's own refusals before routing: a bad percent-escape in the path, a path segment over maxParamLength. */
function frameworkError(e: FastifyError): HubError {
  if (e.code === 'FST_ERR_BAD_URL') return new HubError('URL_INVALID', 'the URL path is not valid: each % must start an escape of UTF-8 (%XX)');
  if (e.code === 'FST_ERR_MAX_PARAM_LENGTH') return new HubError('URI_TOO_LONG', `a part of the URL path is longer than ${maxParamLength} characters`);
  return new HubError('INTERNAL', 'internal error; the incident is logged');
}

/** What Node's HTTP parser refuses before Fastify sees a request, as the error shape over the raw socket. */
function clientError(code: string): HubError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HubError('REQUEST_TIMEOUT', 'the request did not arrive in time (headers or body too slow); see the server timeouts in the README');
    case 'HPE_HEADER_OVERFLOW':
      return new HubError('HEADERS_TOO_LARGE', 'the request line and headers are larger than 16 KB');
    default:
      return new HubError('REQUEST_MALFORMED', 'the request is not well-formed HTTP/1.1');
  }
}

function answerClientError(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = clientError(err.code ?? '');
  this.log.debug({ code: err.code, answered: e.code }, 'client error');
  // An answer already under way cannot be replaced by another; the connection just ends.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const status = httpStatus[e.code];
  const body = JSON.stringify({ error: { code: e.code, message: e.message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * Server options of the edge: the timeouts (Node's defaults keep a slow client's connection open for minutes, or
 * forever) and the answers to what is refused before a route runs.
 */
export function edgeServerOptions(config: Pick<Config, 'headersTimeoutSeconds' | 'requestTimeoutSeconds' | 'keepAliveTimeoutSeconds' | 'idleTimeoutSeconds'>) {
  const headersTimeout = config.headersTimeoutSeconds * 1000;
  const requestTimeout = config.requestTimeoutSeconds * 1000;
  return {
    connectionTimeout: config.idleTimeoutSeconds * 1000,
    keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
    requestTimeout,
    routerOptions: { maxParamLength },
    // Node checks the header and request deadlines on a timer (30 s by default): once a second keeps them close to what is set.
    http: { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    frameworkErrors: (e: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      sendError(reply, frameworkError(e));
    },
    clientErrorHandler: answerClientError,
  };
}

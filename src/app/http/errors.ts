// One place that turns errors into HTTP answers: {error: {code, message, details?}}, never a stack trace.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HubError, type ErrorCode } from '../../kernel/errors.ts';
import { Type } from '@sinclair/typebox';

export const httpStatus: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  BODY_INVALID_JSON: 400,
  BODY_TOO_LARGE: 413,
  BODY_TOO_DEEP: 400,
  URL_INVALID: 400,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_MALFORMED: 400,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EVENT_ID_MISSING: 400,
  TIMESTAMP_INVALID: 401,
  TIMESTAMP_OUT_OF_WINDOW: 401,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  UNAUTHENTICATED: 401,
  SIGN_IN_FAILED: 401,
  SIGN_IN_LOCKED: 423,
  RATE_LIMITED: 429,
  CSRF_TOKEN_INVALID: 403,
  FORBIDDEN: 403,
  USER_NOT_FOUND: 404,
  ROLE_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_SELF: 403,
  APPROVAL_DECIDED: 409,
  APPROVAL_EXPIRED: 409,
  CONFIG_INVALID: 500,
  ACCOUNT_NOT_FOUND: 404,
  ACCOUNT_INACTIVE: 403,
  ACCOUNT_PLATFORM_MISMATCH: 404,
  PLATFORM_NOT_SUPPORTED: 400,
  ORDER_NOT_FOUND: 404,
  SKU_NOT_FOUND: 404,
  WAREHOUSE_NOT_FOUND: 404,
  BUNDLE_NOT_FOUND: 404,
  BUNDLE_INVALID: 400,
  BUNDLE_IN_USE: 409,
  BUNDLE_HOLDS_NO_STOCK: 409,
  WEBHOOK_NOT_FOUND: 404,
  RAW_EVENT_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  TRANSITION_NOT_ALLOWED: 409,
  TRANSITION_GUARD_FAILED: 409,
  STOCK_BELOW_RESERVED: 409,
  STOCK_INSUFFICIENT: 409,
  CONFLICT: 409,
  SHIPMENT_NOT_FOUND: 404,
  WAVE_NOT_FOUND: 404,
  PAYMENT_EXCEPTION_NOT_FOUND: 404,
  SHIPMENT_STATE: 409,
  SHIPMENT_ALREADY_SHIPPED: 409,
  SHIPMENT_CANCELLED: 409,
  TRACKING_NO_IN_USE: 409,
  TRACKING_NO_UNCHANGED: 409,
  CORRECTION_UNSUPPORTED: 409,
  SHIP_BACK_IN_FLIGHT: 409,
  WAYBILL_ACCOUNT_MISSING: 409,
  WAYBILL_NOT_FOUND: 404,
  WAYBILL_REFUSED: 422,
  WAYBILL_UNAVAILABLE: 503,
  WAYBILL_MISMATCH: 409,
  LABEL_FONT_MISSING: 500,
  PACK_SCAN_MISMATCH: 422,
  WMS_STATUS_UNKNOWN: 422,
  ROUTING_PLAN_STALE: 409,
  ORDER_NOT_ROUTABLE: 409,
  ORDER_HELD: 409,
  LEASE_LOST: 409,
  NOT_READY: 503,
  OVERLOADED: 503,
  BUSY: 503,
  INTERNAL: 500,
  OUTBOUND_NOT_FOUND: 404,
  OUTBOUND_NOT_OPEN: 409,
  REMARK_NOT_SUPPORTED: 409,
  PRICE_CHANGE_UNSUPPORTED: 409,
  SHIP_THROUGH_WAREHOUSE: 409,
  LISTING_NOT_FOUND: 404,
  PLATFORM_UNAVAILABLE: 503,
  SKU_EXISTS: 409,
};

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorBody', description: 'Every error: a stable code, a readable message, sometimes details' },
);

function fromFastify(e: FastifyError): HubError | null {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HubError('BODY_TOO_LARGE', e.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HubError('UNSUPPORTED_MEDIA_TYPE', e.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HubError('BODY_INVALID_JSON', e.message);
    default:
      break;
  }
  if (e.validation) {
    const where = e.validationContext ?? 'request';
    const errors = e.validation.map((v) => ({ path: `${where}${v.instancePath || ''}`, message: v.message ?? 'invalid' }));
    const first = errors[0];
    return new HubError('VALIDATION_FAILED', first ? `${first.path} ${first.message}` : e.message, { errors });
  }
  if (e instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) {
    return new HubError('BODY_INVALID_JSON', `body is not valid JSON: ${e.message}`);
  }
  // Any other refusal of a request by Fastify or a plugin (a Content-Length that does not match the body …) is the
  // client's, not an incident: answered in the shape with the nearest code, never as 500.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const nearest: Partial<Record<number, ErrorCode>> = { 408: 'REQUEST_TIMEOUT', 413: 'BODY_TOO_LARGE', 414: 'URI_TOO_LONG', 415: 'UNSUPPORTED_MEDIA_TYPE', 431: 'HEADERS_TOO_LARGE', 429: 'RATE_LIMITED' };
    return new HubError(nearest[e.statusCode] ?? 'REQUEST_MALFORMED', e.message);
  }
  return null;
}

export function sendError(reply: FastifyReply, e: HubError): FastifyReply {
  if (e.code === 'OVERLOADED' || e.code === 'NOT_READY' || e.code === 'BUSY') void reply.header('retry-after', '1');
  return reply.code(httpStatus[e.code]).send({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
}

export function errorHandler(this: unknown, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const hub = error instanceof HubError ? error : fromFastify(error);
  if (hub) {
    if (httpStatus[hub.code] >= 500) request.log.warn({ code: hub.code, url: request.url }, hub.message);
    return sendError(reply, hub);
  }
  request.log.error({ err: error, url: request.url, method: request.method }, 'unhandled error');
  return sendError(reply, new HubError('INTERNAL', 'internal error; the incident is logged'));
}

// Errors as values with a stable code; the HTTP layer maps codes to status codes once.
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'BODY_INVALID_JSON'
  | 'BODY_TOO_LARGE'
  | 'BODY_TOO_DEEP'
  | 'URL_INVALID'
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_MALFORMED'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'EVENT_ID_MISSING'
  | 'TIMESTAMP_INVALID'
  | 'TIMESTAMP_OUT_OF_WINDOW'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'UNAUTHENTICATED'
  | 'SIGN_IN_FAILED'
  | 'SIGN_IN_LOCKED'
  | 'RATE_LIMITED'
  | 'CSRF_TOKEN_INVALID'
  | 'FORBIDDEN'
  | 'USER_NOT_FOUND'
  | 'ROLE_NOT_FOUND'
  | 'TOKEN_NOT_FOUND'
  | 'APPROVAL_NOT_FOUND'
  | 'APPROVAL_SELF'
  | 'APPROVAL_DECIDED'
  | 'APPROVAL_EXPIRED'
  | 'CONFIG_INVALID'
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_INACTIVE'
  | 'ACCOUNT_PLATFORM_MISMATCH'
  | 'PLATFORM_NOT_SUPPORTED'
  | 'ORDER_NOT_FOUND'
  | 'SKU_NOT_FOUND'
  | 'WEBHOOK_NOT_FOUND'
  | 'RAW_EVENT_NOT_FOUND'
  | 'ALERT_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'TRANSITION_NOT_ALLOWED'
  | 'TRANSITION_GUARD_FAILED'
  | 'STOCK_BELOW_RESERVED'
  | 'STOCK_INSUFFICIENT'
  | 'CONFLICT'
  | 'SHIPMENT_NOT_FOUND'
  | 'WAVE_NOT_FOUND'
  | 'PAYMENT_EXCEPTION_NOT_FOUND'
  | 'SHIPMENT_STATE'
  | 'SHIPMENT_ALREADY_SHIPPED'
  | 'SHIPMENT_CANCELLED'
  | 'TRACKING_NO_IN_USE'
  | 'PACK_SCAN_MISMATCH'
  | 'WMS_STATUS_UNKNOWN'
  | 'ROUTING_PLAN_STALE'
  | 'ORDER_NOT_ROUTABLE'
  | 'ORDER_HELD'
  | 'LEASE_LOST'
  | 'NOT_READY'
  | 'OVERLOADED'
  | 'BUSY'
  | 'INTERNAL'
  | 'LISTING_NOT_FOUND'
  | 'SKU_EXISTS';

export class HubError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

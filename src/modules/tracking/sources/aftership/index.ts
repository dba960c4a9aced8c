// AfterShip Tracking webhooks: `aftership-hmac-sha256` = base64 HMAC-SHA256(webhook secret, raw body bytes), checked
// before the body is parsed. Also the create-tracking request (subscribe) and the get-tracking request (re-query).
import { createHmac } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import {
  type OutboundRequest,
  type TrackingEvent,
  type TrackingPush,
  type TrackingUpdate,
  base64Bytes,
  byTime,
  header,
  invalid,
  isRecord,
  parseJson,
  sameBytes,
  str,
} from '../types.ts';
import { aftershipMeaning } from './status.ts';

export { aftershipMeaning, aftershipSubtags, aftershipTags } from './status.ts';

export interface AftershipConfig {
  apiKey: string;
  webhookSecret: string;
  /** API version in the path; default 2025-07. */
  apiVersion?: string;
}

export const aftershipSignatureHeader = 'aftership-hmac-sha256';

/** Throws SIGNATURE_* unless the header is the HMAC of exactly these bytes. */
export function verifyAftershipPush(push: TrackingPush, config: Pick<AftershipConfig, 'webhookSecret'>): void {
  if (!config.webhookSecret) throw new HubError('CONFIG_INVALID', 'AfterShip webhook secret is not configured: pushes cannot be verified');
  const sig = header(push, aftershipSignatureHeader);
  if (!sig) throw new HubError('SIGNATURE_MISSING', `AfterShip push has no ${aftershipSignatureHeader} header`);
  const given = base64Bytes(sig.trim());
  const expected = createHmac('sha256', Buffer.from(config.webhookSecret, 'utf8')).update(push.rawBody).digest();
  if (!given || !sameBytes(given, expected)) throw new HubError('SIGNATURE_INVALID', 'AfterShip push signature does not match the body');
}

function place(c: Record<string, unknown>): string | null {
  const parts = [str(c['location']) ?? [str(c['city']), str(c['state'])].filter((x) => x !== null).join(', ')].filter((x) => x !== '');
  return parts[0] ?? null;
}

function checkpoint(c: Record<string, unknown>): TrackingEvent | null {
  // checkpoint_time is the carrier's local time and may come without an offset; then created_at (UTC) is used.
  const at = parseIsoInstant(String(c['checkpoint_time'] ?? '')) ?? parseIsoInstant(String(c['created_at'] ?? ''));
  if (at === null) return null;
  const m = aftershipMeaning(str(c['tag']), str(c['subtag']));
  return {
    at,
    location: place(c),
    description: str(c['message']) ?? str(c['subtag_message']) ?? '',
    rawStatus: m.code || null,
    status: m.status,
    evidence: m.evidence ? [...m.evidence] : [],
  };
}

/** Turns a verified body into a tracking update. */
export function parseAftershipBody(rawBody: Buffer): TrackingUpdate {
  const body = parseJson('AfterShip', rawBody.toString('utf8'));
  if (!isRecord(body)) invalid('AfterShip', 'body is not an object');
  const t = body['msg'];
  if (!isRecord(t)) invalid('AfterShip', 'body has no msg (tracking)');
  const number = str(t['tracking_number']);
  if (!number) invalid('AfterShip', 'msg has no tracking_number');
  const events: TrackingEvent[] = [];
  let undated = 0;
  for (const c of Array.isArray(t['checkpoints']) ? (t['checkpoints'] as unknown[]) : []) {
    const e = isRecord(c) ? checkpoint(c) : null;
    if (e) events.push(e);
    else undated++;
  }
  const m = aftershipMeaning(str(t['tag']), str(t['subtag']));
  return {
    source: 'aftership',
    eventId: str(body['event_id']),
    trackingNumber: number,
    carrierCode: str(t['slug']),
    status: m.status,
    rawStatus: m.code,
    evidence: m.evidence ? [...m.evidence] : [],
    events: byTime(events),
    undatedEvents: undated,
    // AfterShip keeps a tracking active until it is delivered or expires; a delivered one may still be corrected.
    final: m.status === 'expired',
    content: body,
  };
}

export function receiveAftershipPush(push: TrackingPush, config: Pick<AftershipConfig, 'webhookSecret'>): TrackingUpdate {
  verifyAftershipPush(push, config);
  return parseAftershipBody(push.rawBody);
}

const base = (config: AftershipConfig): string => `https://api.aftership.com/tracking/${config.apiVersion ?? '2025-07'}`;

export interface AftershipShipment {
  trackingNumber: string;
  /** Courier slug; omitted lets AfterShip detect it. */
  slug?: string;
  orderNumber?: string;
  title?: string;
}

/** Create Tracking: POST /trackings with `as-api-key`; the webhook URL itself is set in the AfterShip admin. */
export function aftershipCreateTrackingRequest(config: AftershipConfig, s: AftershipShipment): OutboundRequest {
  const body: Record<string, string> = { tracking_number: s.trackingNumber };
  if (s.slug) body['slug'] = s.slug;
  if (s.orderNumber) body['order_number'] = s.orderNumber;
  if (s.title) body['title'] = s.title;
  return {
    method: 'POST',
    url: `${base(config)}/trackings`,
    headers: { 'as-api-key': config.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** Get Tracking by AfterShip's tracking id (re-query of a stale shipment). */
export function aftershipGetTrackingRequest(config: AftershipConfig, trackingId: string): OutboundRequest {
  return { method: 'GET', url: `${base(config)}/trackings/${encodeURIComponent(trackingId)}`, headers: { 'as-api-key': config.apiKey }, body: '' };
}

// 17TRACK webhooks (API v2.2): header `sign` = hex SHA-256(raw body + "/" + security key) — a plain hash, not an
// HMAC — checked over the raw bytes before parsing. Also the register (subscribe) and gettrackinfo (re-query) requests.
import { createHash } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import {
  type OutboundRequest,
  type TrackingEvent,
  type TrackingPush,
  type TrackingUpdate,
  byTime,
  header,
  hexBytes,
  invalid,
  isRecord,
  parseJson,
  sameBytes,
  str,
} from '../types.ts';
import { track17Meaning } from './status.ts';

export { track17Meaning, track17Statuses, track17SubStatuses } from './status.ts';

export interface Track17Config {
  /** The account's security key: sent as `17token` and used in the webhook sign. */
  securityKey: string;
}

const api = 'https://api.17track.net/track/v2.2';

/** Throws SIGNATURE_* unless `sign` is SHA-256 of these exact bytes + "/" + key (hex, either case). */
export function verifyTrack17Push(push: TrackingPush, config: Track17Config): void {
  if (!config.securityKey) throw new HubError('CONFIG_INVALID', '17TRACK security key is not configured: pushes cannot be verified');
  const sign = header(push, 'sign');
  if (!sign) throw new HubError('SIGNATURE_MISSING', '17TRACK push has no sign header');
  const given = hexBytes(sign.trim(), 32, 'any');
  const expected = createHash('sha256').update(push.rawBody).update(Buffer.from(`/${config.securityKey}`, 'utf8')).digest();
  if (!given || !sameBytes(given, expected)) throw new HubError('SIGNATURE_INVALID', '17TRACK push sign does not match SHA-256(body + "/" + key)');
}

function event(e: Record<string, unknown>): TrackingEvent | null {
  const at = parseIsoInstant(String(e['time_utc'] ?? '')) ?? parseIsoInstant(String(e['time_iso'] ?? ''));
  if (at === null) return null;
  // An event without a sub_status says nothing about status: kept as unknown, never guessed from its words.
  const sub = str(e['sub_status']);
  const m = sub === null ? null : track17Meaning(null, sub);
  return {
    at,
    location: str(e['location']),
    description: str(e['description']) ?? '',
    rawStatus: sub,
    status: m ? m.status : 'unknown',
    evidence: m?.evidence ? [...m.evidence] : [],
  };
}

/** Turns a verified body into a tracking update. */
export function parseTrack17Body(rawBody: Buffer): TrackingUpdate {
  const body = parseJson('17TRACK', rawBody.toString('utf8'));
  if (!isRecord(body)) invalid('17TRACK', 'body is not an object');
  const kind = str(body['event']);
  const data = body['data'];
  if (!isRecord(data)) invalid('17TRACK', 'body has no data');
  const number = str(data['number']);
  if (!number) invalid('17TRACK', 'data has no number');
  const info = isRecord(data['track_info']) ? data['track_info'] : {};
  const latest = isRecord(info['latest_status']) ? info['latest_status'] : {};
  const mainStatus = str(latest['status']);
  const m = track17Meaning(mainStatus, str(latest['sub_status']));
  const events: TrackingEvent[] = [];
  let undated = 0;
  const tracking = isRecord(info['tracking']) ? info['tracking'] : {};
  for (const p of Array.isArray(tracking['providers']) ? (tracking['providers'] as unknown[]) : []) {
    if (!isRecord(p) || !Array.isArray(p['events'])) continue;
    for (const e of p['events'] as unknown[]) {
      const ev = isRecord(e) ? event(e) : null;
      if (ev) events.push(ev);
      else undated++;
    }
  }
  const stopped = kind === 'TRACKING_STOPPED';
  return {
    source: 'track17',
    eventId: null,
    trackingNumber: number,
    carrierCode: str(data['carrier']),
    // TRACKING_STOPPED carries no status: the shipment keeps what it had.
    status: mainStatus === null && stopped ? 'unknown' : m.status,
    rawStatus: m.code,
    evidence: m.evidence ? [...m.evidence] : [],
    events: byTime(events),
    undatedEvents: undated,
    final: stopped,
    content: body,
  };
}

export function receiveTrack17Push(push: TrackingPush, config: Track17Config): TrackingUpdate {
  verifyTrack17Push(push, config);
  return parseTrack17Body(push.rawBody);
}

export interface Track17Shipment {
  number: string;
  /** 17TRACK numeric carrier code; omitted lets 17TRACK detect it. */
  carrier?: number;
  /** Extra parameter some carriers need (e.g. phone digits, postcode). */
  param?: string;
  /** Our own reference, echoed back in pushes. */
  tag?: string;
}

function numbers(shipments: Track17Shipment[]): Record<string, string | number>[] {
  return shipments.map((s) => {
    const o: Record<string, string | number> = { number: s.number };
    if (s.carrier !== undefined) o['carrier'] = s.carrier;
    if (s.param) o['param'] = s.param;
    if (s.tag) o['tag'] = s.tag;
    return o;
  });
}

/** Register numbers for tracking (at most 40 per call, per 17TRACK); pushes follow to the webhook set in 17TRACK's console. */
export function track17RegisterRequest(config: Track17Config, shipments: Track17Shipment[]): OutboundRequest {
  if (shipments.length === 0 || shipments.length > 40) throw new HubError('VALIDATION_FAILED', '17TRACK register takes 1 to 40 numbers per call');
  return { method: 'POST', url: `${api}/register`, headers: { '17token': config.securityKey, 'content-type': 'application/json' }, body: JSON.stringify(numbers(shipments)) };
}

/** Ask again for registered numbers (re-query of stale shipments). */
export function track17GetTrackInfoRequest(config: Track17Config, shipments: Track17Shipment[]): OutboundRequest {
  if (shipments.length === 0 || shipments.length > 40) throw new HubError('VALIDATION_FAILED', '17TRACK gettrackinfo takes 1 to 40 numbers per call');
  return { method: 'POST', url: `${api}/gettrackinfo`, headers: { '17token': config.securityKey, 'content-type': 'application/json' }, body: JSON.stringify(numbers(shipments)) };
}

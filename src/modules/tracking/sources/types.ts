// One tracking status set for every source (Kuaidi100, AfterShip, 17TRACK): sources translate into it, decide nothing.
import { timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../kernel/errors.ts';
import { refuseDeepJson } from '../../../kernel/json.ts';

/**
 * Where a parcel is, in the hub's words. `available_for_pickup` (in a locker or station, waiting) is kept apart from
 * `delivered` on purpose: a parcel in a locker has not reached the customer yet.
 */
export const trackingStatuses = [
  'info_received',
  'picked_up',
  'in_transit',
  'customs',
  'out_for_delivery',
  'available_for_pickup',
  'delivered',
  'delivery_failed',
  'exception',
  'returning',
  'returned',
  'rejected',
  'expired',
  'unknown',
] as const;
export type TrackingStatus = (typeof trackingStatuses)[number];

/** Facts a source states about how a parcel was handed over; delivery-trust grades them. */
export const evidenceHints = [
  'signature',
  'otp',
  'photo',
  'locker',
  'station',
  'recipient_in_person',
  'proxy',
  'neighbour',
  'cash_on_delivery',
  'after_exception',
] as const;
export type EvidenceHint = (typeof evidenceHints)[number];

export type TrackingSource = 'kuaidi100' | 'aftership' | 'track17';

export interface TrackingEvent {
  /** Epoch ms (UTC). */
  at: number;
  location: string | null;
  description: string;
  /** The source's own code for this event (Kuaidi100 state/sub-state, AfterShip subtag, 17TRACK sub_status), if any. */
  rawStatus: string | null;
  status: TrackingStatus;
  evidence: EvidenceHint[];
}

/** One verified push, translated: what the source says now about one tracking number. */
export interface TrackingUpdate {
  source: TrackingSource;
  /** The push's own id when the source gives one (AfterShip event_id); otherwise null (dedupe on content). */
  eventId: string | null;
  trackingNumber: string;
  /** The source's carrier code (Kuaidi100 `com`, AfterShip `slug`, 17TRACK numeric carrier as text). */
  carrierCode: string | null;
  /** Current status as the source states it for the whole shipment. */
  status: TrackingStatus;
  rawStatus: string;
  /** Evidence for the current status (meaningful when delivered). */
  evidence: EvidenceHint[];
  /** Oldest first; events without a usable time are left out and counted in `undatedEvents`. */
  events: TrackingEvent[];
  undatedEvents: number;
  /** The source will push nothing more for this number (Kuaidi100 shutdown/abort, 17TRACK TRACKING_STOPPED). */
  final: boolean;
  /** The decoded payload, for the raw-event store. */
  content: unknown;
}

/** A push as it arrived: lower-cased header names and the raw body bytes. */
export interface TrackingPush {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/** A request to a source's API, fully built and signed; the caller sends it (no network here). */
export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a source's dictionary says about one raw code. */
export interface TrackingMeaning {
  status: TrackingStatus;
  evidence?: EvidenceHint[];
  /** The source's own words for the code. */
  doc: string;
}
export type TrackingDictionary = Readonly<Record<string, TrackingMeaning>>;

export function lookUp(dict: TrackingDictionary, code: string): TrackingMeaning | undefined {
  return Object.hasOwn(dict, code) ? dict[code] : undefined;
}

export function header(push: TrackingPush, name: string): string | undefined {
  const v = push.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time equality of two byte strings; a length difference is refused without comparing contents. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return timingSafeEqual(a, b);
}

/** Hex text to bytes, or null when it is not exactly `bytes` bytes of hex in the allowed case. */
export function hexBytes(text: string, bytes: number, letterCase: 'upper' | 'lower' | 'any'): Buffer | null {
  const re = letterCase === 'upper' ? /^[0-9A-F]+$/ : letterCase === 'lower' ? /^[0-9a-f]+$/ : /^[0-9A-Fa-f]+$/;
  if (text.length !== bytes * 2 || !re.test(text)) return null;
  return Buffer.from(text, 'hex');
}

/** Strict base64 to bytes (what Buffer.from would silently skip is refused). */
export function base64Bytes(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const buf = Buffer.from(text, 'base64');
  return buf.toString('base64') === text ? buf : null;
}

export function invalid(source: string, message: string): never {
  throw new HubError('VALIDATION_FAILED', `${source} push: ${message}`);
}

export function parseJson(source: string, text: string): unknown {
  // Called once the signature checked out: a source never nests this deep, and what is parsed is handed to the writer.
  refuseDeepJson(text, `the ${source} body`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalid(source, 'body is not JSON');
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Events oldest first; ties keep the source's order. */
export function byTime(events: TrackingEvent[]): TrackingEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map((x) => x.e);
}

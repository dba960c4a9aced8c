// The three tracking sources behind one shape: credentials, push verification and answers, and the subscribe and
// re-query calls (built by each source's module, sent by the caller) with how to read their answers.
import { HubError } from '../../../kernel/errors.ts';
import { aftershipCreateTrackingRequest, aftershipGetTrackingRequest, parseAftershipBody, receiveAftershipPush } from './aftership/index.ts';
import { kuaidi100Answers, kuaidi100QueryRequest, kuaidi100SubscribeRequest, parseKuaidi100Param, receiveKuaidi100Push } from './kuaidi100/index.ts';
import { parseTrack17Body, receiveTrack17Push, track17GetTrackInfoRequest, track17RegisterRequest } from './track17/index.ts';
import { isRecord, str, type OutboundRequest, type TrackingPush, type TrackingSource, type TrackingUpdate } from './types.ts';

export const trackingSources = ['kuaidi100', 'aftership', 'track17'] as const satisfies readonly TrackingSource[];

export function isTrackingSource(s: string): s is TrackingSource {
  return (trackingSources as readonly string[]).includes(s);
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** What the hub knows of a shipment when it talks to a source about it. */
export interface TrackedParcel {
  trackingNo: string;
  carrier: string;
  /** The source's own id for the tracking, when it gave one on subscribe (AfterShip). */
  ref: string | null;
  orderNo?: string | undefined;
}

export interface SubscribeResult {
  ok: boolean;
  /** The source's id for the tracking (AfterShip), to re-query it later. */
  ref: string | null;
  message: string;
}

export interface TrackingSourceAdapter {
  name: TrackingSource;
  label: string;
  credentialFields: readonly string[];
  credentialProblems(c: Record<string, unknown>): string[];
  /** Verifies over the raw bytes and translates; throws SIGNATURE_* / VALIDATION_FAILED. */
  receive(push: TrackingPush, c: Record<string, unknown>): TrackingUpdate;
  success(): HttpAnswer;
  failure(status: number): HttpAnswer;
  subscribeRequest(c: Record<string, unknown>, p: TrackedParcel, callbackUrl: string): OutboundRequest;
  subscribeResult(status: number, body: string): SubscribeResult;
  /** Null when the source cannot be asked about this parcel (no AfterShip id yet, no Kuaidi100 customer). */
  queryRequest(c: Record<string, unknown>, p: TrackedParcel): OutboundRequest | null;
  /** The query's answer as a tracking update, or null when it says nothing usable. */
  queryUpdate(status: number, body: string): TrackingUpdate | null;
}

const text = (c: Record<string, unknown>, k: string): string => (typeof c[k] === 'string' ? (c[k] as string) : '');
const required = (c: Record<string, unknown>, keys: string[]): string[] => keys.filter((k) => !text(c, k)).map((k) => `credentials.${k} is required`);
const json = (body: string): unknown => {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
};
const jsonAnswer = (status: number, body: unknown): HttpAnswer => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

const kuaidi100: TrackingSourceAdapter = {
  name: 'kuaidi100',
  label: 'Kuaidi100 (快递100)',
  credentialFields: ['key', 'salt', 'customer'],
  credentialProblems: (c) => required(c, ['key', 'salt']),
  receive: (push, c) => receiveKuaidi100Push(push, { salt: text(c, 'salt') }),
  success: () => kuaidi100Answers.success,
  failure: (status) => ({ ...kuaidi100Answers.failure, status }),
  subscribeRequest: (c, p, callbackUrl) => kuaidi100SubscribeRequest({ key: text(c, 'key'), salt: text(c, 'salt') }, { company: p.carrier, number: p.trackingNo }, callbackUrl),
  subscribeResult(status, body) {
    const b = json(body);
    const code = isRecord(b) ? str(b['returnCode']) : null;
    // 501: 重复订阅 — the number is already subscribed, which is what we wanted.
    const ok = status === 200 && isRecord(b) && (b['result'] === true || code === '501');
    return { ok, ref: null, message: isRecord(b) ? `${code ?? ''} ${str(b['message']) ?? ''}`.trim() : `HTTP ${status}` };
  },
  queryRequest(c, p) {
    if (!text(c, 'customer')) return null;
    return kuaidi100QueryRequest({ key: text(c, 'key'), salt: text(c, 'salt'), customer: text(c, 'customer') }, { company: p.carrier, number: p.trackingNo });
  },
  queryUpdate(status, body) {
    const b = json(body);
    if (status !== 200 || !isRecord(b) || !str(b['nu'])) return null;
    // The real-time query answers with what a push carries as lastResult.
    return parseKuaidi100Param(JSON.stringify({ status: 'polling', lastResult: b }));
  },
};

const aftership: TrackingSourceAdapter = {
  name: 'aftership',
  label: 'AfterShip',
  credentialFields: ['apiKey', 'webhookSecret', 'apiVersion'],
  credentialProblems: (c) => required(c, ['apiKey', 'webhookSecret']),
  receive: (push, c) => receiveAftershipPush(push, { webhookSecret: text(c, 'webhookSecret') }),
  success: () => jsonAnswer(200, { received: true }),
  failure: (status) => jsonAnswer(status, { received: false }),
  subscribeRequest: (c, p) =>
    aftershipCreateTrackingRequest(
      { apiKey: text(c, 'apiKey'), webhookSecret: text(c, 'webhookSecret'), ...(text(c, 'apiVersion') ? { apiVersion: text(c, 'apiVersion') } : {}) },
      { trackingNumber: p.trackingNo, slug: p.carrier, ...(p.orderNo ? { orderNumber: p.orderNo } : {}) },
    ),
  subscribeResult(status, body) {
    const b = json(body);
    const meta: Record<string, unknown> = isRecord(b) && isRecord(b['meta']) ? b['meta'] : {};
    const data: Record<string, unknown> = isRecord(b) && isRecord(b['data']) ? b['data'] : {};
    const tracking: Record<string, unknown> = isRecord(data['tracking']) ? data['tracking'] : data;
    const code = str(meta['code']);
    // 4003: the tracking already exists — subscribed before.
    const ok = (status >= 200 && status < 300) || code === '4003';
    return { ok, ref: str(tracking['id']), message: `${code ?? status} ${str(meta['message']) ?? ''}`.trim() };
  },
  queryRequest(c, p) {
    if (!p.ref) return null;
    return aftershipGetTrackingRequest({ apiKey: text(c, 'apiKey'), webhookSecret: text(c, 'webhookSecret'), ...(text(c, 'apiVersion') ? { apiVersion: text(c, 'apiVersion') } : {}) }, p.ref);
  },
  queryUpdate(status, body) {
    const b = json(body);
    if (status !== 200 || !isRecord(b) || !isRecord(b['data'])) return null;
    const data: Record<string, unknown> = b['data'];
    const tracking: Record<string, unknown> = isRecord(data['tracking']) ? data['tracking'] : data;
    return parseAftershipBody(Buffer.from(JSON.stringify({ msg: tracking }), 'utf8'));
  },
};

const track17: TrackingSourceAdapter = {
  name: 'track17',
  label: '17TRACK',
  credentialFields: ['securityKey'],
  credentialProblems: (c) => required(c, ['securityKey']),
  receive: (push, c) => receiveTrack17Push(push, { securityKey: text(c, 'securityKey') }),
  success: () => jsonAnswer(200, { code: 0 }),
  failure: (status) => jsonAnswer(status, { code: status }),
  subscribeRequest: (c, p) => {
    const carrier = /^\d+$/.test(p.carrier) ? Number(p.carrier) : undefined;
    return track17RegisterRequest({ securityKey: text(c, 'securityKey') }, [{ number: p.trackingNo, ...(carrier !== undefined ? { carrier } : {}) }]);
  },
  subscribeResult(status, body) {
    const b = json(body);
    const data: Record<string, unknown> = isRecord(b) && isRecord(b['data']) ? b['data'] : {};
    const accepted = Array.isArray(data['accepted']) ? data['accepted'] : [];
    const rejected = Array.isArray(data['rejected']) ? (data['rejected'] as unknown[]) : [];
    // -18019901: already registered.
    const again = rejected.some((r) => isRecord(r) && isRecord(r['error']) && str(r['error']['code']) === '-18019901');
    const ok = status === 200 && isRecord(b) && str(b['code']) === '0' && (accepted.length > 0 || again);
    return { ok, ref: null, message: isRecord(b) ? `code ${str(b['code']) ?? '?'}` : `HTTP ${status}` };
  },
  queryRequest: (c, p) => {
    const carrier = /^\d+$/.test(p.carrier) ? Number(p.carrier) : undefined;
    return track17GetTrackInfoRequest({ securityKey: text(c, 'securityKey') }, [{ number: p.trackingNo, ...(carrier !== undefined ? { carrier } : {}) }]);
  },
  queryUpdate(status, body) {
    const b = json(body);
    const data: Record<string, unknown> | null = isRecord(b) && isRecord(b['data']) ? b['data'] : null;
    const first = data && Array.isArray(data['accepted']) ? (data['accepted'] as unknown[])[0] : undefined;
    if (status !== 200 || !isRecord(first)) return null;
    return parseTrack17Body(Buffer.from(JSON.stringify({ event: 'TRACKING_UPDATED', data: first }), 'utf8'));
  },
};

export const trackingAdapters: Record<TrackingSource, TrackingSourceAdapter> = { kuaidi100, aftership, track17 };

export function trackingAdapter(source: string): TrackingSourceAdapter {
  if (!isTrackingSource(source)) throw new HubError('PLATFORM_NOT_SUPPORTED', `tracking source "${source}" is not supported`, { supported: trackingSources });
  return trackingAdapters[source];
}

/** The source's public origins, replaced by an account's API base (a local fake in tests and the demo). */
const origins: Record<TrackingSource, string> = {
  kuaidi100: 'https://poll.kuaidi100.com',
  aftership: 'https://api.aftership.com',
  track17: 'https://api.17track.net',
};

export function rebase(source: TrackingSource, req: OutboundRequest, apiBase: string | null): OutboundRequest {
  if (!apiBase) return req;
  const origin = origins[source];
  if (!req.url.startsWith(origin)) return req;
  return { ...req, url: apiBase.replace(/\/$/, '') + req.url.slice(origin.length) };
}

/** A source's raw code split into main status and sub-status (Kuaidi100 304 → 3 / 304; AfterShip Delivered_003). */
export function splitRawStatus(source: TrackingSource, code: string | null): { main: string | null; sub: string | null } {
  if (code === null) return { main: null, sub: null };
  if (source === 'kuaidi100') {
    if (/^10\d\d$/.test(code)) return { main: '0', sub: code };
    if (/^[1-9]\d\d$/.test(code)) return { main: code.slice(0, 1), sub: code };
    return { main: code, sub: null };
  }
  const i = code.indexOf('_');
  return i > 0 ? { main: code.slice(0, i), sub: code } : { main: code, sub: null };
}

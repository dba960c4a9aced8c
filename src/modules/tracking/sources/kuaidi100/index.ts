// Kuaidi100 (快递100) subscription pushes: a form POST with `param` (JSON text) and `sign` = uppercase hex
// MD5(param + salt), the salt being the one the hub sent when it subscribed. The signature is over the decoded `param`
// value (not the raw body), which is how Kuaidi100 computes it. Also the subscribe and real-time query requests.
import { createHash } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { parseBeijingTime } from '../../../../kernel/time.ts';
import {
  type EvidenceHint,
  type OutboundRequest,
  type TrackingEvent,
  type TrackingPush,
  type TrackingUpdate,
  byTime,
  hexBytes,
  invalid,
  isRecord,
  parseJson,
  sameBytes,
  str,
} from '../types.ts';
import { kuaidi100Meaning } from './status.ts';

export { kuaidi100States, kuaidi100Meaning } from './status.ts';

export interface Kuaidi100Config {
  /** 授权key: identifies the account in subscribe and query requests. */
  key: string;
  /** 签名salt sent with each subscription; every push is signed with it. Required: an unsigned push is refused. */
  salt: string;
  /** 实时查询 customer id (only for the query request). */
  customer?: string;
}

/** What Kuaidi100 expects back once the push is stored; anything else makes it push again later. */
export const kuaidi100Answers = {
  success: { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ result: true, returnCode: '200', message: '成功' }) },
  failure: { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ result: false, returnCode: '500', message: '失败' }) },
} as const;

const md5 = (text: string): Buffer => createHash('md5').update(Buffer.from(text, 'utf8')).digest();

/** The form's fields; a field sent twice is refused (which `param` was signed would be a guess). */
function formFields(rawBody: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(rawBody.toString('utf8'))) {
    if (fields.has(k)) invalid('Kuaidi100', `field ${k} appears twice`);
    fields.set(k, v);
  }
  return fields;
}

/** Checks the signature and returns the signed `param` text; throws SIGNATURE_* on anything else. */
export function verifyKuaidi100Push(push: TrackingPush, config: Pick<Kuaidi100Config, 'salt'>): string {
  if (!config.salt) throw new HubError('CONFIG_INVALID', 'Kuaidi100 salt is not configured: pushes cannot be verified');
  const f = formFields(push.rawBody);
  const param = f.get('param');
  if (param === undefined || param === '') invalid('Kuaidi100', 'no param field');
  const sign = f.get('sign');
  if (!sign) throw new HubError('SIGNATURE_MISSING', 'Kuaidi100 push has no sign');
  const given = hexBytes(sign, 16, 'upper');
  if (!given || !sameBytes(given, md5(param + config.salt))) {
    throw new HubError('SIGNATURE_INVALID', 'Kuaidi100 push sign does not match MD5(param + salt)');
  }
  return param;
}

function traceEvent(item: Record<string, unknown>): TrackingEvent | null {
  const at = parseBeijingTime(item['time']) ?? parseBeijingTime(item['ftime']);
  if (at === null) return null;
  // With resultv2=4 each trace carries its sub-state in statusCode (and its name in status, as integrators' samples
  // show: statusCode 1002 / status 干线); otherwise only the main state's name in status.
  const code = str(item['statusCode']) ?? str(item['status']);
  const m = code === null ? null : kuaidi100Meaning(code);
  return {
    at,
    location: str(item['areaName']) ?? str(item['location']),
    description: str(item['context']) ?? '',
    rawStatus: m ? m.code : null,
    status: m ? m.status : 'unknown',
    evidence: m?.evidence ? [...m.evidence] : [],
  };
}

/** Turns a verified `param` into a tracking update. */
export function parseKuaidi100Param(param: string): TrackingUpdate {
  const body = parseJson('Kuaidi100', param);
  if (!isRecord(body)) invalid('Kuaidi100', 'param is not an object');
  const last = body['lastResult'];
  if (!isRecord(last)) invalid('Kuaidi100', 'param has no lastResult');
  const number = str(last['nu']);
  if (!number) invalid('Kuaidi100', 'lastResult has no nu (tracking number)');
  const data = Array.isArray(last['data']) ? (last['data'] as unknown[]) : [];
  const events: TrackingEvent[] = [];
  let undated = 0;
  for (const item of data) {
    const e = isRecord(item) ? traceEvent(item) : null;
    if (e) events.push(e);
    else undated++;
  }
  const sorted = byTime(events);
  const state = str(last['state']) ?? '';
  const m = kuaidi100Meaning(state);
  const evidence = new Set<EvidenceHint>(m.evidence ?? []);
  const latest = sorted.at(-1);
  // The shipment's state may be the main code (3) while the newest trace names the sub-state (301/304 …).
  if (latest && latest.status === m.status) for (const h of latest.evidence) evidence.add(h);
  const pushStatus = str(body['status']);
  return {
    source: 'kuaidi100',
    eventId: null,
    trackingNumber: number,
    carrierCode: str(body['comNew']) ?? str(last['com']),
    status: m.status,
    rawStatus: state,
    evidence: [...evidence],
    events: sorted,
    undatedEvents: undated,
    // shutdown: signed for, no more pushes; abort: Kuaidi100 gave up (no traces 3 days / no change 60 days / wrong com).
    final: pushStatus === 'shutdown' || pushStatus === 'abort',
    content: body,
  };
}

/** Verifies and parses in one step. */
export function receiveKuaidi100Push(push: TrackingPush, config: Pick<Kuaidi100Config, 'salt'>): TrackingUpdate {
  return parseKuaidi100Param(verifyKuaidi100Push(push, config));
}

export interface Kuaidi100Shipment {
  /** Kuaidi100 company code, e.g. yuantong, shunfeng. */
  company: string;
  number: string;
  from?: string;
  to?: string;
  /** Receiver's or sender's phone (SF Express needs it to release traces). */
  phone?: string;
}

function form(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** 订阅 request: POST poll.kuaidi100.com/poll with schema=json&param=…, asking for advanced sub-states (resultv2=4). */
export function kuaidi100SubscribeRequest(config: Kuaidi100Config, shipment: Kuaidi100Shipment, callbackUrl: string): OutboundRequest {
  const parameters: Record<string, string> = { callbackurl: callbackUrl, salt: config.salt, resultv2: '4' };
  if (shipment.phone) parameters['phone'] = shipment.phone;
  const param: Record<string, unknown> = { company: shipment.company, number: shipment.number, key: config.key, parameters };
  if (shipment.from) param['from'] = shipment.from;
  if (shipment.to) param['to'] = shipment.to;
  return {
    method: 'POST',
    url: 'https://poll.kuaidi100.com/poll',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: form({ schema: 'json', param: JSON.stringify(param) }),
  };
}

/** 实时查询 request (re-query of a stale shipment): sign = uppercase MD5(param + key + customer). */
export function kuaidi100QueryRequest(config: Kuaidi100Config, shipment: Kuaidi100Shipment): OutboundRequest {
  if (!config.customer) throw new HubError('CONFIG_INVALID', 'Kuaidi100 customer is not configured: real-time query needs it');
  const q: Record<string, string> = { com: shipment.company, num: shipment.number, resultv2: '4' };
  if (shipment.phone) q['phone'] = shipment.phone;
  const param = JSON.stringify(q);
  const sign = md5(param + config.key + config.customer).toString('hex').toUpperCase();
  return {
    method: 'POST',
    url: 'https://poll.kuaidi100.com/poll/query.do',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: form({ customer: config.customer, sign, param }),
  };
}

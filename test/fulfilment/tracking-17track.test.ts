// 17TRACK webhooks signed here with node:crypto (hex SHA-256 of raw body + "/" + key), apart from the verifier; the
// 9 main statuses and 30 sub-statuses checked against a table written here.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHubError } from '../../src/kernel/errors.ts';
import { receiveTrack17Push, track17GetTrackInfoRequest, track17RegisterRequest } from '../../src/modules/tracking/sources/track17/index.ts';

const key = 'SECURITY-KEY-17';
const sign = (raw: Buffer, k = key) => createHash('sha256').update(Buffer.concat([raw, Buffer.from(`/${k}`)])).digest('hex');

function body(status: string | null, sub: string | null, events: Record<string, unknown>[] = [], event = 'TRACKING_UPDATED'): Buffer {
  const data: Record<string, unknown> = { number: 'RR123456789CN', carrier: 3011, param: null, tag: 'ORD-1' };
  if (status !== null) data['track_info'] = { latest_status: { status, sub_status: sub }, tracking: { providers: [{ provider: { key: 3011 }, events }] } };
  return Buffer.from(JSON.stringify({ event, data }));
}
const push = (raw: Buffer, sig: string | undefined) => ({ headers: { sign: sig }, rawBody: raw });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isHubError(e) ? e.code : 'OTHER';
  }
  return 'NONE';
}

describe('17TRACK webhook', () => {
  const raw = body('InTransit', 'InTransit_Arrival', [
    { time_iso: '2026-11-20T18:00:00+08:00', time_utc: '2026-11-20T10:00:00Z', description: 'Arrived', location: 'Shanghai', sub_status: 'InTransit_Arrival' },
    { time_iso: '2026-11-19T09:00:00+08:00', description: 'Picked up', location: 'Shenzhen', sub_status: 'InTransit_PickedUp' },
  ]);

  it('accepts a push signed over the raw body and reads its events oldest first', () => {
    const u = receiveTrack17Push(push(raw, sign(raw)), { securityKey: key });
    expect(u.trackingNumber).toBe('RR123456789CN');
    expect(u.carrierCode).toBe('3011');
    expect(u.status).toBe('in_transit');
    expect(u.events.map((e) => [e.at, e.status])).toEqual([
      [Date.UTC(2026, 10, 19, 1), 'picked_up'],
      [Date.UTC(2026, 10, 20, 10), 'in_transit'],
    ]);
  });

  it('accepts the hex in upper case too (same bytes)', () => {
    expect(code(() => receiveTrack17Push(push(raw, sign(raw).toUpperCase()), { securityKey: key }))).toBe('NONE');
  });

  it('refuses a push whose body, sign or key differs by one byte', () => {
    const tampered = Buffer.from(raw);
    tampered[tampered.indexOf('Shanghai')] = 0x74;
    expect(code(() => receiveTrack17Push(push(tampered, sign(raw)), { securityKey: key }))).toBe('SIGNATURE_INVALID');
    const s = sign(raw);
    expect(code(() => receiveTrack17Push(push(raw, (s[0] === 'a' ? 'b' : 'a') + s.slice(1)), { securityKey: key }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveTrack17Push(push(raw, sign(raw)), { securityKey: 'SECURITY-KEY-18' }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveTrack17Push(push(raw, sign(raw, 'SECURITY-KEY-18')), { securityKey: key }))).toBe('SIGNATURE_INVALID');
    // An HMAC with the same key is not the documented plain hash.
    expect(code(() => receiveTrack17Push(push(raw, createHmac('sha256', key).update(raw).digest('hex')), { securityKey: key }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveTrack17Push(push(raw, undefined), { securityKey: key }))).toBe('SIGNATURE_MISSING');
  });

  it('marks TRACKING_STOPPED final without inventing a status', () => {
    const s = body(null, null, [], 'TRACKING_STOPPED');
    const u = receiveTrack17Push(push(s, sign(s)), { securityKey: key });
    expect(u.final).toBe(true);
    expect(u.status).toBe('unknown');
  });
});

const mains: [string, string][] = [
  ['NotFound', 'info_received'],
  ['InfoReceived', 'info_received'],
  ['InTransit', 'in_transit'],
  ['Expired', 'expired'],
  ['AvailableForPickup', 'available_for_pickup'],
  ['OutForDelivery', 'out_for_delivery'],
  ['DeliveryFailure', 'delivery_failed'],
  ['Delivered', 'delivered'],
  ['Exception', 'exception'],
];
const subs: [string, string][] = [
  ['NotFound_Other', 'info_received'],
  ['NotFound_InvalidCode', 'exception'],
  ['InfoReceived', 'info_received'],
  ['InTransit_PickedUp', 'picked_up'],
  ['InTransit_Other', 'in_transit'],
  ['InTransit_Departure', 'in_transit'],
  ['InTransit_Arrival', 'in_transit'],
  ['InTransit_CustomsProcessing', 'customs'],
  ['InTransit_CustomsReleased', 'customs'],
  ['InTransit_CustomsRequiringInformation', 'exception'],
  ['Expired_Other', 'expired'],
  ['AvailableForPickup_Other', 'available_for_pickup'],
  ['OutForDelivery_Other', 'out_for_delivery'],
  ['DeliveryFailure_Other', 'delivery_failed'],
  ['DeliveryFailure_NoBody', 'delivery_failed'],
  ['DeliveryFailure_Security', 'delivery_failed'],
  ['DeliveryFailure_Rejected', 'rejected'],
  ['DeliveryFailure_InvalidAddress', 'delivery_failed'],
  ['Delivered_Other', 'delivered'],
  ['Exception_Other', 'exception'],
  ['Exception_Returning', 'returning'],
  ['Exception_Returned', 'returned'],
  ['Exception_NoBody', 'exception'],
  ['Exception_Security', 'exception'],
  ['Exception_Damage', 'exception'],
  ['Exception_Rejected', 'rejected'],
  ['Exception_Delayed', 'exception'],
  ['Exception_Lost', 'exception'],
  ['Exception_Destroyed', 'exception'],
  ['Exception_Cancel', 'exception'],
];

describe('17TRACK dictionary', () => {
  it('has the documented 9 main statuses and 30 sub-statuses in the test table', () => {
    expect(mains).toHaveLength(9);
    expect(subs).toHaveLength(30);
  });

  it.each(mains)('status %s → %s', (status, expected) => {
    const raw = body(status, null);
    expect(receiveTrack17Push(push(raw, sign(raw)), { securityKey: key }).status).toBe(expected);
  });

  it.each(subs)('sub-status %s → %s', (sub, expected) => {
    const main = sub.split('_')[0] ?? '';
    const raw = body(main, sub, [{ time_utc: '2026-11-21T01:00:00Z', description: 'd', sub_status: sub }]);
    const u = receiveTrack17Push(push(raw, sign(raw)), { securityKey: key });
    expect(u.status).toBe(expected);
    expect(u.events[0]?.status).toBe(expected);
  });
});

describe('17TRACK requests', () => {
  it('builds register and gettrackinfo with 17token', () => {
    const r = track17RegisterRequest({ securityKey: key }, [{ number: 'RR1', carrier: 3011, tag: 'ORD-1' }, { number: 'RR2' }]);
    expect(r.url).toBe('https://api.17track.net/track/v2.2/register');
    expect(r.headers['17token']).toBe(key);
    expect(JSON.parse(r.body)).toEqual([{ number: 'RR1', carrier: 3011, tag: 'ORD-1' }, { number: 'RR2' }]);
    expect(track17GetTrackInfoRequest({ securityKey: key }, [{ number: 'RR1' }]).url).toBe('https://api.17track.net/track/v2.2/gettrackinfo');
    expect(() => track17RegisterRequest({ securityKey: key }, [])).toThrow();
  });
});

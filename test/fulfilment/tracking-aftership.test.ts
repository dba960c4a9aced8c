// AfterShip webhooks signed here with node:crypto (base64 HMAC-SHA256 of the raw body with the webhook secret), apart
// from the verifier; tags and documented subtags checked against a table written here.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHubError } from '../../src/kernel/errors.ts';
import { aftershipCreateTrackingRequest, receiveAftershipPush } from '../../src/modules/tracking/sources/aftership/index.ts';

const secret = 'whsec-aftership-1';
const sign = (body: Buffer, s = secret) => createHmac('sha256', s).update(body).digest('base64');

function body(tag: string, subtag: string | null, checkpoints: Record<string, unknown>[] = []): Buffer {
  return Buffer.from(
    JSON.stringify({
      event: 'tracking_update',
      event_id: '3f1c1b0e-8f2a-4c3e-9c1d-0a1b2c3d4e5f',
      is_tracking_first_tag: false,
      ts: 1_764_000_000,
      msg: { id: 'trk_1', tracking_number: '1Z999', slug: 'ups', tag, subtag, subtag_message: 'x', checkpoints },
    }),
  );
}

const push = (raw: Buffer, sig: string | undefined) => ({ headers: { 'aftership-hmac-sha256': sig }, rawBody: raw });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isHubError(e) ? e.code : 'OTHER';
  }
  return 'NONE';
}

describe('AfterShip webhook', () => {
  const raw = body('InTransit', 'InTransit_007', [
    { checkpoint_time: '2026-11-20T18:00:00+08:00', created_at: '2026-11-20T10:01:00Z', city: 'Hangzhou', message: 'Departure scan', tag: 'InTransit', subtag: 'InTransit_007' },
    { checkpoint_time: '2026-11-20T09:00:00', created_at: '2026-11-20T01:05:00Z', location: 'Hangzhou, CN', message: 'Picked up', tag: 'InTransit', subtag: 'InTransit_002' },
    { checkpoint_time: 'never', message: 'no time at all', tag: 'InTransit' },
  ]);

  it('accepts a push signed over the raw body and reads its checkpoints', () => {
    const u = receiveAftershipPush(push(raw, sign(raw)), { webhookSecret: secret });
    expect(u.eventId).toBe('3f1c1b0e-8f2a-4c3e-9c1d-0a1b2c3d4e5f');
    expect(u.trackingNumber).toBe('1Z999');
    expect(u.carrierCode).toBe('ups');
    expect(u.status).toBe('in_transit');
    // The checkpoint without an offset falls back to created_at (UTC); the undated one is counted, not invented.
    expect(u.events.map((e) => e.at)).toEqual([Date.UTC(2026, 10, 20, 1, 5), Date.UTC(2026, 10, 20, 10, 0)]);
    expect(u.events[1]?.location).toBe('Hangzhou');
    expect(u.undatedEvents).toBe(1);
  });

  it('refuses a push whose body, signature or secret differs by one byte', () => {
    const tampered = Buffer.from(raw);
    tampered[tampered.indexOf('1Z999') + 4] = 0x38;
    expect(code(() => receiveAftershipPush(push(tampered, sign(raw)), { webhookSecret: secret }))).toBe('SIGNATURE_INVALID');
    const sig = Buffer.from(sign(raw), 'base64');
    sig[0] = (sig[0] ?? 0) ^ 1;
    expect(code(() => receiveAftershipPush(push(raw, sig.toString('base64')), { webhookSecret: secret }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveAftershipPush(push(raw, sign(raw)), { webhookSecret: 'whsec-aftership-2' }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveAftershipPush(push(raw, sign(raw, 'whsec-aftership-2')), { webhookSecret: secret }))).toBe('SIGNATURE_INVALID');
  });

  it('refuses a missing header, a non-base64 signature and an unconfigured secret', () => {
    expect(code(() => receiveAftershipPush(push(raw, undefined), { webhookSecret: secret }))).toBe('SIGNATURE_MISSING');
    expect(code(() => receiveAftershipPush(push(raw, `${sign(raw)}!`), { webhookSecret: secret }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveAftershipPush(push(raw, sign(raw, '')), { webhookSecret: '' }))).toBe('CONFIG_INVALID');
  });

  it('verifies the bytes, not a re-serialisation: whitespace in the body is part of what is signed', () => {
    const spaced = Buffer.from(raw.toString('utf8').replace('{', '{ '));
    expect(code(() => receiveAftershipPush(push(spaced, sign(spaced)), { webhookSecret: secret }))).toBe('NONE');
    expect(code(() => receiveAftershipPush(push(spaced, sign(raw)), { webhookSecret: secret }))).toBe('SIGNATURE_INVALID');
  });
});

const tags: [string, string][] = [
  ['Pending', 'info_received'],
  ['InfoReceived', 'info_received'],
  ['InTransit', 'in_transit'],
  ['OutForDelivery', 'out_for_delivery'],
  ['AttemptFail', 'delivery_failed'],
  ['Delivered', 'delivered'],
  ['AvailableForPickup', 'available_for_pickup'],
  ['Exception', 'exception'],
  ['Expired', 'expired'],
];
const subtags: [string, string, string[]][] = [
  ['Delivered_001', 'delivered', []],
  ['Delivered_002', 'delivered', ['station']],
  ['Delivered_003', 'delivered', ['signature']],
  ['Delivered_004', 'delivered', ['cash_on_delivery']],
  ['Delivered_005', 'delivered', ['neighbour']],
  ['AvailableForPickup_001', 'available_for_pickup', ['station']],
  ['Exception_001', 'exception', []],
  ['Exception_002', 'delivery_failed', []], // customer moved
  ['Exception_003', 'rejected', []], // customer refused
  ['Exception_004', 'customs', []], // delayed (customs clearance)
  ['Exception_005', 'exception', []],
  ['Exception_006', 'exception', []], // held for payment
  ['Exception_007', 'delivery_failed', []], // incorrect address
  ['Exception_008', 'exception', ['station']], // pick up missed
  ['Exception_009', 'exception', []], // rejected by carrier
  ['Exception_010', 'returning', []],
  ['Exception_011', 'returned', []],
  ['Exception_012', 'exception', []], // damaged
  ['Exception_013', 'exception', []], // lost
];

describe('AfterShip dictionary', () => {
  it.each(tags)('tag %s → %s', (tag, status) => {
    const raw = body(tag, null);
    expect(receiveAftershipPush(push(raw, sign(raw)), { webhookSecret: secret }).status).toBe(status);
  });

  it.each(subtags)('subtag %s → %s with evidence %j', (subtag, status, evidence) => {
    const tag = subtag.split('_')[0] ?? '';
    const raw = body(tag, subtag, [{ checkpoint_time: '2026-11-21T10:00:00Z', tag, subtag, message: 'm' }]);
    const u = receiveAftershipPush(push(raw, sign(raw)), { webhookSecret: secret });
    expect(u.status).toBe(status);
    expect(u.evidence).toEqual(evidence);
    expect(u.events[0]?.status).toBe(status);
  });

  it('reads an undocumented subtag as its tag, and an unknown tag as unknown', () => {
    const a = body('InTransit', 'InTransit_099');
    expect(receiveAftershipPush(push(a, sign(a)), { webhookSecret: secret }).status).toBe('in_transit');
    const b = body('Teleported', null);
    expect(receiveAftershipPush(push(b, sign(b)), { webhookSecret: secret }).status).toBe('unknown');
  });
});

describe('AfterShip requests', () => {
  it('builds Create Tracking with as-api-key and a flat body', () => {
    const r = aftershipCreateTrackingRequest({ apiKey: 'asat_1', webhookSecret: secret }, { trackingNumber: '1Z999', slug: 'ups', orderNumber: 'ORD-1' });
    expect(r).toEqual({
      method: 'POST',
      url: 'https://api.aftership.com/tracking/2025-07/trackings',
      headers: { 'as-api-key': 'asat_1', 'content-type': 'application/json' },
      body: JSON.stringify({ tracking_number: '1Z999', slug: 'ups', order_number: 'ORD-1' }),
    });
  });
});

// From a signed push to what the customer is told: the pieces of issue 7 end to end, still without the hub.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customerFacingStatus, deliveredEvidence, gradeDelivery, recheckTimes } from '../../src/domain/delivery-trust.ts';
import { receiveAftershipPush } from '../../src/tracking/aftership/index.ts';
import { receiveKuaidi100Push } from '../../src/tracking/kuaidi100/index.ts';
import { receiveTrack17Push } from '../../src/tracking/track17/index.ts';

const salt = 's1';
function kuaidi100(state: string, context: string, statusCode: string) {
  const param = JSON.stringify({
    status: 'shutdown',
    lastResult: { state, com: 'zhongtong', nu: 'ZT1', data: [{ time: '2026-11-21 18:00:00', context, statusCode }, { time: '2026-11-21 08:00:00', context: '派件中', statusCode: '5' }] },
  });
  const sign = createHash('md5').update(param + salt).digest('hex').toUpperCase();
  return receiveKuaidi100Push({ headers: {}, rawBody: Buffer.from(`param=${encodeURIComponent(param)}&sign=${sign}`) }, { salt });
}

describe('push → grade → customer', () => {
  it('a Kuaidi100 locker sign-off is not told as delivered and is re-checked 3 times', () => {
    const u = kuaidi100('3', '快件已被丰巢智能柜代收，请凭取件通知及时领取', '304');
    const ev = deliveredEvidence(u);
    expect(ev).not.toBeNull();
    const grade = gradeDelivery(ev ?? { hints: [], description: '' });
    expect(grade).toBe('locker_or_station');
    expect(customerFacingStatus(grade)).toBe('awaiting_confirmation');
    expect(recheckTimes(ev?.at ?? 0, grade)).toHaveLength(3);
    expect(ev?.at).toBe(Date.UTC(2026, 10, 21, 10));
  });

  it('a Kuaidi100 in-person sign-off is told as delivered', () => {
    const u = kuaidi100('301', '已签收，签收人：本人', '301');
    expect(customerFacingStatus(gradeDelivery(deliveredEvidence(u) ?? { hints: [], description: '' }))).toBe('delivered');
  });

  it('an AfterShip Delivered_003 is a signature; a Delivered_001 is a scan', () => {
    const secret = 'w';
    const push = (subtag: string, message: string) => {
      const raw = Buffer.from(JSON.stringify({ event: 'tracking_update', event_id: 'e', msg: { tracking_number: 'T', slug: 'ups', tag: 'Delivered', subtag, checkpoints: [{ checkpoint_time: '2026-11-21T10:00:00Z', tag: 'Delivered', subtag, message }] } }));
      return receiveAftershipPush({ headers: { 'aftership-hmac-sha256': createHmac('sha256', secret).update(raw).digest('base64') }, rawBody: raw }, { webhookSecret: secret });
    };
    expect(gradeDelivery(deliveredEvidence(push('Delivered_003', 'Delivered')) ?? { hints: [], description: '' })).toBe('signature_or_otp');
    expect(gradeDelivery(deliveredEvidence(push('Delivered_001', 'Delivered')) ?? { hints: [], description: '' })).toBe('scan_only');
    expect(gradeDelivery(deliveredEvidence(push('Delivered_001', 'Delivered, left in parcel locker')) ?? { hints: [], description: '' })).toBe('locker_or_station');
  });

  it('a 17TRACK Delivered_Other is graded from the carrier words', () => {
    const key = 'k';
    const raw = Buffer.from(
      JSON.stringify({
        event: 'TRACKING_UPDATED',
        data: { number: 'N', carrier: 190271, track_info: { latest_status: { status: 'Delivered', sub_status: 'Delivered_Other' }, tracking: { providers: [{ events: [{ time_utc: '2026-11-21T10:00:00Z', description: '已签收，菜鸟驿站代收', sub_status: 'Delivered_Other' }] }] } } },
      }),
    );
    const u = receiveTrack17Push({ headers: { sign: createHash('sha256').update(Buffer.concat([raw, Buffer.from('/k')])).digest('hex') }, rawBody: raw }, { securityKey: key });
    expect(gradeDelivery(deliveredEvidence(u) ?? { hints: [], description: '' })).toBe('locker_or_station');
  });

  it('is not a delivery while in transit', () => {
    expect(deliveredEvidence({ status: 'in_transit', evidence: [], events: [] })).toBeNull();
  });
});

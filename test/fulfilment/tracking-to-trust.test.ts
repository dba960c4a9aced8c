// From a signed push to what the customer is told: the pieces of issue 7 end to end, still without the hub.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customerFacingStatus, deliveredEvidence, gradeDelivery, recheckTimes } from '../../src/modules/tracking/domain/delivery-trust.ts';
import { receiveAftershipPush } from '../../src/modules/tracking/sources/aftership/index.ts';
import { receiveKuaidi100Push } from '../../src/modules/tracking/sources/kuaidi100/index.ts';
import { receiveTrack17Push } from '../../src/modules/tracking/sources/track17/index.ts';

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

  it('a Kuaidi100 journey in the advanced shape (statusCode and state name per trace) reads in order and grades the pickup code', () => {
    const data = [
      { time: '2026-11-13 18:52:00', context: '已签收，签收人凭取货码签收', status: '投柜或站签收', statusCode: '304', areaName: null },
      { time: '2026-11-13 17:16:00', context: '快件已由小区驿站代收，请及时取件', status: '投柜或驿站', statusCode: '501', areaName: '四川,成都市,双流区' },
      { time: '2026-11-13 13:47:00', context: '派件中', status: '派件', statusCode: '5', areaName: '四川,成都市' },
      { time: '2026-11-13 09:05:00', context: '转运中心已收入', status: '干线', statusCode: '1002', areaName: '四川,成都市' },
      { time: '2026-11-10 14:25:00', context: '已揽收', status: '揽收', statusCode: '1', areaName: '广东,惠州市' },
    ];
    const param = JSON.stringify({ status: 'shutdown', lastResult: { state: '304', ischeck: '1', com: 'yuantong', nu: 'YT9', data } });
    const sign = createHash('md5').update(param + salt).digest('hex').toUpperCase();
    const u = receiveKuaidi100Push({ headers: {}, rawBody: Buffer.from(`param=${encodeURIComponent(param)}&sign=${sign}`) }, { salt });
    expect(u.events.map((e) => e.status)).toEqual(['picked_up', 'in_transit', 'out_for_delivery', 'available_for_pickup', 'delivered']);
    expect(u.status).toBe('delivered');
    expect(u.final).toBe(true);
    // The code sent to the receiver's phone was used at the station: that is the receiver, so it grades as OTP.
    expect(gradeDelivery(deliveredEvidence(u) ?? { hints: [], description: '' })).toBe('signature_or_otp');
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

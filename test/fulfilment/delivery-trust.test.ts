import { describe, expect, it } from 'vitest';
import {
  type DeliveryTrustGrade,
  afterRecheck,
  customerFacingStatus,
  decideNotReceived,
  defaultTrustPolicy,
  gradeDelivery,
  recheckTimes,
  strongerGrade,
  trustPolicyProblems,
  trustRates,
} from '../../src/modules/tracking/domain/delivery-trust.ts';
import type { EvidenceHint } from '../../src/modules/tracking/sources/types.ts';

const min = 60_000;
const hour = 60 * min;

describe('gradeDelivery', () => {
  const cases: [string, EvidenceHint[], string, DeliveryTrustGrade][] = [
    ['a signature subtag (AfterShip Delivered_003)', ['signature'], 'Delivered', 'signature_or_otp'],
    ['an OTP flag', ['otp'], 'Delivered', 'signature_or_otp'],
    ['本人签收 (Kuaidi100 301)', ['recipient_in_person'], '已签收', 'signature_or_otp'],
    ['cash on delivery (Delivered_004)', ['cash_on_delivery'], 'Delivered', 'signature_or_otp'],
    ['本人签收 in the text', [], '您的快件已由本人签收，感谢使用', 'signature_or_otp'],
    ['a pickup code in the text, even at a locker', [], '已签收，签收人凭取货码签收（丰巢快递柜）', 'signature_or_otp'],
    ['a photo flag', ['photo'], 'Delivered', 'photo'],
    ['拍照 in the text', [], '快件已签收，已拍照留存', 'photo'],
    ['a photo in English', [], 'Delivered, photo proof of delivery', 'photo'],
    ['locker/station sub-state (Kuaidi100 304)', ['locker', 'station'], '已签收', 'locker_or_station'],
    ['快递柜 in the text', [], '快件已被【丰巢】快递柜代收', 'locker_or_station'],
    ['驿站 in the text', [], '已签收，菜鸟驿站代收', 'locker_or_station'],
    ['picked up at a pickup point (Delivered_002)', ['station'], 'Delivered', 'locker_or_station'],
    ['代签 (Kuaidi100 303)', ['proxy'], '已签收，门卫代签', 'scan_only'],
    ['left with a neighbour (Delivered_005)', ['neighbour'], 'Delivered', 'scan_only'],
    ['signed after a delivery exception (302)', ['after_exception'], '已签收', 'scan_only'],
    ['已签收 and nothing else', [], '已签收', 'scan_only'],
    ['an empty description', [], '', 'scan_only'],
    // Proof the carrier says it did not take is no proof.
    ['"No signature required"', [], 'Delivered, No Signature Required', 'scan_only'],
    ['"Signature Service not requested" (FedEx)', [], 'Left at front door. Signature Service not requested.', 'scan_only'],
    ['"signature waived" at a locker', [], 'Delivered to parcel locker, signature waived', 'locker_or_station'],
    ['left without a signature', [], 'Left without a signature', 'scan_only'],
    ['"no photo available"', [], 'Delivered - no photo available', 'scan_only'],
    ['无需签名 in the text', [], '已签收，无需签名', 'scan_only'],
    // English words count as whole words only.
    ['"otp" inside other words', [], 'Left in parking lot per request', 'scan_only'],
    ['"photo" inside other words', [], 'Delivered to Photon Industries reception', 'scan_only'],
    ['an OTP in English', [], 'Delivered, OTP verified', 'signature_or_otp'],
    ['signed for by the recipient', [], 'Delivered, signed for by J. SMITH', 'signature_or_otp'],
    // A pickup code told to the receiver is not a code used by the receiver.
    ['a locker giving out its pickup code (304)', ['locker', 'station'], '您的快件已存放至丰巢智能柜，取件码123456', 'locker_or_station'],
    ['a station asking to come with the code', [], '快件已放入菜鸟驿站，请凭取件码取件', 'locker_or_station'],
    ['the code checked at the station', [], '取件码验证通过，已签收', 'signature_or_otp'],
  ];
  it.each(cases)('%s → %s', (_name, hints, description, grade) => {
    expect(gradeDelivery({ hints, description })).toBe(grade);
  });
});

describe('trust policy', () => {
  it('by default trusts only signature/OTP and photo, and tells the customer "delivered" only then', () => {
    expect(customerFacingStatus('signature_or_otp')).toBe('delivered');
    expect(customerFacingStatus('photo')).toBe('delivered');
    expect(customerFacingStatus('locker_or_station')).toBe('awaiting_confirmation');
    expect(customerFacingStatus('scan_only')).toBe('awaiting_confirmation');
  });

  it('is configurable', () => {
    const p = { ...defaultTrustPolicy, trusted: ['signature_or_otp', 'photo', 'locker_or_station'] as DeliveryTrustGrade[] };
    expect(customerFacingStatus('locker_or_station', p)).toBe('delivered');
    expect(recheckTimes(0, 'locker_or_station', p)).toEqual([]);
  });

  it('refuses a policy that cannot work', () => {
    expect(trustPolicyProblems(defaultTrustPolicy)).toEqual([]);
    expect(trustPolicyProblems({ ...defaultTrustPolicy, trusted: ['gold' as DeliveryTrustGrade], recheckCount: -1, recheckIntervalMs: 5 }).length).toBe(3);
  });
});

describe('re-check schedule', () => {
  const t0 = Date.UTC(2026, 10, 21, 10);
  it('checks an untrusted delivery 3 times, 30 minutes apart, and a trusted one never', () => {
    expect(recheckTimes(t0, 'scan_only')).toEqual([t0 + 30 * min, t0 + 60 * min, t0 + 90 * min]);
    expect(recheckTimes(t0, 'locker_or_station')).toHaveLength(3);
    expect(recheckTimes(t0, 'photo')).toEqual([]);
  });

  it('walks the checks, stops when a better grade arrives, and ends unconfirmed', () => {
    expect(afterRecheck({ deliveredAt: t0, checksDone: 0, bestGrade: 'scan_only' })).toEqual({ kind: 'recheck_at', at: t0 + 30 * min, checkNo: 1 });
    expect(afterRecheck({ deliveredAt: t0, checksDone: 2, bestGrade: 'scan_only' })).toEqual({ kind: 'recheck_at', at: t0 + 90 * min, checkNo: 3 });
    expect(afterRecheck({ deliveredAt: t0, checksDone: 2, bestGrade: strongerGrade('scan_only', 'photo') })).toEqual({ kind: 'trusted', grade: 'photo' });
    const end = afterRecheck({ deliveredAt: t0, checksDone: 3, bestGrade: 'locker_or_station' });
    expect(end.kind).toBe('unconfirmed');
  });

  it('keeps the stronger of two grades', () => {
    expect(strongerGrade('scan_only', 'locker_or_station')).toBe('locker_or_station');
    expect(strongerGrade('signature_or_otp', 'photo')).toBe('signature_or_otp');
  });
});

describe('"not received"', () => {
  const t0 = Date.UTC(2026, 10, 21, 10);
  it('opens an urgent case within 24 h of an untrusted delivery', () => {
    const d = decideNotReceived({ complaintAt: t0 + 23 * hour, delivery: { at: t0, grade: 'locker_or_station' } });
    expect(d).toMatchObject({ action: 'open_case', priority: 'urgent' });
    expect(decideNotReceived({ complaintAt: t0 + 24 * hour, delivery: { at: t0, grade: 'scan_only' } })).toMatchObject({ priority: 'urgent' });
  });

  it('opens a normal case after the window or after a trusted delivery', () => {
    expect(decideNotReceived({ complaintAt: t0 + 24 * hour + 1, delivery: { at: t0, grade: 'scan_only' } })).toMatchObject({ action: 'open_case', priority: 'normal' });
    expect(decideNotReceived({ complaintAt: t0 + hour, delivery: { at: t0, grade: 'signature_or_otp' } })).toMatchObject({ action: 'open_case', priority: 'normal' });
  });

  it('has nothing to dispute before any delivery is reported', () => {
    expect(decideNotReceived({ complaintAt: t0, delivery: null }).action).toBe('no_delivery_recorded');
  });
});

describe('trust rate', () => {
  it('counts trusted deliveries per carrier', () => {
    const r = trustRates([
      { key: 'yto', grade: 'photo' },
      { key: 'yto', grade: 'locker_or_station' },
      { key: 'yto', grade: 'scan_only' },
      { key: 'sf', grade: 'signature_or_otp' },
    ]);
    expect(r.get('yto')).toEqual({ delivered: 3, trusted: 1, rate: 1 / 3 });
    expect(r.get('sf')?.rate).toBe(1);
  });
});

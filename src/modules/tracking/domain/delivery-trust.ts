// Delivery trust (签收可信度): how much a "delivered" scan proves, what the customer is told, when an untrusted one is
// checked again, and what a "not received" complaint opens. Pure: times are passed in, nothing is stored.
import type { EvidenceHint, TrackingStatus, TrackingUpdate } from '../sources/types.ts';

/** Strongest first. */
export const deliveryTrustGrades = ['signature_or_otp', 'photo', 'locker_or_station', 'scan_only'] as const;
export type DeliveryTrustGrade = (typeof deliveryTrustGrades)[number];

export interface DeliveredEvidence {
  /** Structured hints from the source's sub-status (Kuaidi100 301/303/304, AfterShip Delivered_003 …). */
  hints: readonly EvidenceHint[];
  /** The carrier's words for the delivery event. */
  description: string;
}

export interface TrustPolicy {
  trusted: readonly DeliveryTrustGrade[];
  recheckCount: number;
  recheckIntervalMs: number;
  /** How long after an untrusted delivery a "not received" complaint is urgent. */
  complaintWindowMs: number;
}

export const defaultTrustPolicy: TrustPolicy = {
  trusted: ['signature_or_otp', 'photo'],
  recheckCount: 3,
  recheckIntervalMs: 30 * 60_000,
  complaintWindowMs: 24 * 3_600_000,
};

// Description keywords. Chinese words are matched on the carrier's text with spaces removed; English ones as whole
// words (a bare substring finds "otp" in "parking lot, per request" and "signature" in "no signature required").
// Order does not matter: the strongest grade any of them supports wins.
// A pickup code proves the receiver only when it was used: "凭取货码签收" is proof, while "取件码123456" and "请凭取件码
// 取件" are a locker or station telling the receiver the code — the parcel is still waiting there.
const codeWord = '(?:取件码|取货码|提货码|验证码|签收码|pin码)';
const otpUsed = new RegExp(`(?<!请)(?:凭|用|使用|输入)${codeWord}|${codeWord}(?:验证|核验|校验)(?:通过|成功)?`);
const signatureWords = ['本人签收', '本人签字', '签名', '电子签名'];
const photoWords = ['拍照', '照片', '图片签收', '影像'];
const lockerWords = ['快递柜', '智能柜', '丰巢', '自提柜', '快件柜', '投柜'];
const stationWords = ['驿站', '代收点', '自提点', '服务站', '菜鸟', '妈妈驿站', '兔喜'];
const otpEnglish = /\b(?:otp|pin\s*code|one[-\s]?time\s*(?:pass)?code|delivery\s*code)\b/;
const signatureEnglish = /\b(?:signed\s*(?:for|by)|signature)\b/;
const photoEnglish = /\b(?:photo|picture\s*proof|proof\s*of\s*delivery)\b/;
const lockerEnglish = /\b(?:locker|parcel\s*box)\b/;
const stationEnglish = /\b(?:pick[-\s]?up\s*point|access\s*point|post\s*office)\b/;
// Proof the carrier says was NOT taken: removed before the words above are looked for.
const negatedEnglish =
  /\b(?:no|without(?:\s+a)?|not)\s+(?:signature|photo|picture|otp|pin)\b|\b(?:signature|photo|otp|pin)s?\s+(?:service\s+)?(?:was\s+|is\s+)?(?:not\s+\w+|waived|released?|exempt(?:ed)?)\b/g;
const negatedChinese = /(?:无需|不需|不用|免|未|没有|无)(?:签名|签字|拍照|照片)/g;

const squash = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
const hasAny = (text: string, words: readonly string[]): boolean => words.some((w) => text.includes(w));

/**
 * The grade of one delivered event. What counts:
 * - signature or OTP: a signature, a one-time/pickup code, the carrier saying the recipient signed in person (本人签收),
 *   or cash collected on delivery (someone met the courier and paid);
 * - photo: a proof-of-delivery photo;
 * - locker or station: left in a locker (快递柜) or at a station (驿站) — the customer has not necessarily got it;
 * - scan only: "已签收" and nothing more, including 代签 (signed by someone else) and "left with a neighbour".
 * A pickup code used at a locker is an OTP (the code went to the recipient's phone), so it grades above the locker.
 */
export function gradeDelivery(evidence: DeliveredEvidence): DeliveryTrustGrade {
  const h = new Set(evidence.hints);
  const english = evidence.description.toLowerCase().replace(/\s+/g, ' ').replace(negatedEnglish, ' ');
  const text = squash(evidence.description.replace(negatedChinese, ' '));
  if (h.has('signature') || h.has('otp') || h.has('recipient_in_person') || h.has('cash_on_delivery') || otpUsed.test(text) || hasAny(text, signatureWords) || otpEnglish.test(english) || signatureEnglish.test(english)) {
    return 'signature_or_otp';
  }
  if (h.has('photo') || hasAny(text, photoWords) || photoEnglish.test(english)) return 'photo';
  if (h.has('locker') || h.has('station') || hasAny(text, lockerWords) || hasAny(text, stationWords) || lockerEnglish.test(english) || stationEnglish.test(english)) return 'locker_or_station';
  return 'scan_only';
}

export function isTrusted(grade: DeliveryTrustGrade, policy: TrustPolicy = defaultTrustPolicy): boolean {
  return policy.trusted.includes(grade);
}

/** What the customer may be told about a parcel the carrier calls delivered. */
export function customerFacingStatus(grade: DeliveryTrustGrade, policy: TrustPolicy = defaultTrustPolicy): 'delivered' | 'awaiting_confirmation' {
  return isTrusted(grade, policy) ? 'delivered' : 'awaiting_confirmation';
}

/** When an untrusted delivery is checked again: recheckCount times, recheckIntervalMs apart, after the delivery. */
export function recheckTimes(deliveredAt: number, grade: DeliveryTrustGrade, policy: TrustPolicy = defaultTrustPolicy): number[] {
  if (isTrusted(grade, policy)) return [];
  return Array.from({ length: policy.recheckCount }, (_, i) => deliveredAt + (i + 1) * policy.recheckIntervalMs);
}

export type RecheckDecision =
  | { kind: 'trusted'; grade: DeliveryTrustGrade }
  | { kind: 'recheck_at'; at: number; checkNo: number }
  | { kind: 'unconfirmed'; grade: DeliveryTrustGrade; reason: string };

/**
 * After a re-check: the best grade seen so far decides. Trusted → tell the customer; checks left → the next time;
 * none left → stays unconfirmed (the customer is not told "delivered"; a complaint will be urgent).
 */
export function afterRecheck(
  input: { deliveredAt: number; checksDone: number; bestGrade: DeliveryTrustGrade },
  policy: TrustPolicy = defaultTrustPolicy,
): RecheckDecision {
  if (isTrusted(input.bestGrade, policy)) return { kind: 'trusted', grade: input.bestGrade };
  const times = recheckTimes(input.deliveredAt, input.bestGrade, policy);
  const next = times[input.checksDone];
  if (next !== undefined) return { kind: 'recheck_at', at: next, checkNo: input.checksDone + 1 };
  return { kind: 'unconfirmed', grade: input.bestGrade, reason: `still ${input.bestGrade} after ${policy.recheckCount} re-checks` };
}

/** The stronger of two grades (a later re-check may bring a photo or a signature). */
export function strongerGrade(a: DeliveryTrustGrade, b: DeliveryTrustGrade): DeliveryTrustGrade {
  return deliveryTrustGrades.indexOf(a) <= deliveryTrustGrades.indexOf(b) ? a : b;
}

export type NotReceivedDecision =
  | { action: 'open_case'; priority: 'urgent' | 'normal'; reason: string }
  | { action: 'no_delivery_recorded'; reason: string };

/**
 * A customer says "not received". Within the window of an untrusted delivery it opens an urgent after-sales case (the
 * parcel is probably in a locker, at a station or with someone else); otherwise a normal case, since a complaint is
 * never ignored. Without a delivered event there is nothing to dispute: the parcel is still on its way.
 */
export function decideNotReceived(
  input: { complaintAt: number; delivery: { at: number; grade: DeliveryTrustGrade } | null },
  policy: TrustPolicy = defaultTrustPolicy,
): NotReceivedDecision {
  const d = input.delivery;
  if (!d) return { action: 'no_delivery_recorded', reason: 'the carrier has not reported a delivery' };
  const age = input.complaintAt - d.at;
  if (!isTrusted(d.grade, policy) && age >= 0 && age <= policy.complaintWindowMs) {
    return { action: 'open_case', priority: 'urgent', reason: `not received ${Math.round(age / 60_000)} min after an untrusted (${d.grade}) delivery` };
  }
  return { action: 'open_case', priority: 'normal', reason: isTrusted(d.grade, policy) ? `delivery was ${d.grade}` : 'complaint outside the urgent window' };
}

/** Trust rate per key (carrier, or outlet): trusted deliveries / all deliveries. */
export function trustRates(
  deliveries: readonly { key: string; grade: DeliveryTrustGrade }[],
  policy: TrustPolicy = defaultTrustPolicy,
): Map<string, { delivered: number; trusted: number; rate: number }> {
  const out = new Map<string, { delivered: number; trusted: number; rate: number }>();
  for (const d of deliveries) {
    const r = out.get(d.key) ?? { delivered: 0, trusted: 0, rate: 0 };
    r.delivered++;
    if (isTrusted(d.grade, policy)) r.trusted++;
    r.rate = r.trusted / r.delivered;
    out.set(d.key, r);
  }
  return out;
}

/**
 * The evidence of a tracking update that says "delivered": the shipment-level hints (sub-state, subtag) with those
 * and the words of the newest delivered event. Null when the update is not a delivery.
 */
export function deliveredEvidence(update: Pick<TrackingUpdate, 'status' | 'evidence' | 'events'>): (DeliveredEvidence & { at: number | null }) | null {
  if (update.status !== 'delivered') return null;
  const last = [...update.events].reverse().find((e) => e.status === 'delivered') ?? null;
  return {
    hints: [...new Set([...update.evidence, ...(last?.evidence ?? [])])],
    description: last?.description ?? '',
    at: last?.at ?? null,
  };
}

/** Whether a status is a delivery that needs grading. */
export const needsGrading = (s: TrackingStatus): boolean => s === 'delivered';

/** Refuses a policy that cannot work; for configuration loading. */
export function trustPolicyProblems(p: TrustPolicy): string[] {
  const problems: string[] = [];
  for (const g of p.trusted) if (!deliveryTrustGrades.includes(g)) problems.push(`unknown trust grade ${String(g)}`);
  if (!Number.isInteger(p.recheckCount) || p.recheckCount < 0 || p.recheckCount > 20) problems.push('recheckCount must be an integer 0..20');
  if (!Number.isInteger(p.recheckIntervalMs) || p.recheckIntervalMs < 60_000) problems.push('recheckIntervalMs must be at least one minute');
  if (!Number.isInteger(p.complaintWindowMs) || p.complaintWindowMs <= 0) problems.push('complaintWindowMs must be positive');
  return problems;
}

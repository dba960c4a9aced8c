// A tenant's tracking thresholds (which delivery grades are trusted, re-checks, the "not received" window, the alert
// limits) as the seller sets them, in hours and minutes; checked here and turned into the policies the rules take.
import { HubError } from '../../kernel/errors.ts';
import { defaultTrustPolicy, deliveryTrustGrades, type DeliveryTrustGrade, type TrustPolicy } from './domain/delivery-trust.ts';
import { defaultTrackingAlertPolicy, type TrackingAlertPolicy } from './domain/alerts.ts';
import type { TrackingStatus } from './sources/types.ts';

const hour = 3_600_000;
const minute = 60_000;

/** The states a shipment can be "stuck" in; the others (delivered, returned, expired) end its journey. */
export const stuckStatuses = [
  'info_received',
  'picked_up',
  'in_transit',
  'customs',
  'out_for_delivery',
  'available_for_pickup',
  'delivery_failed',
  'exception',
  'returning',
  'rejected',
  'unknown',
] as const satisfies readonly TrackingStatus[];
export type StuckStatus = (typeof stuckStatuses)[number];

export interface TenantTrackingSettings {
  /** Grades that let the customer be told "delivered"; always the strongest ones (a prefix of the strength order). */
  trustedGrades: DeliveryTrustGrade[];
  /** How many times an untrusted delivery is asked about again, and how far apart. */
  recheckCount: number;
  recheckIntervalMinutes: number;
  /** How long after an untrusted delivery a "not received" complaint is urgent. */
  notReceivedWindowHours: number;
  /** No pickup scan this long after shipping: alert. */
  noPickupHours: number;
  /** First carrier event this long after shipping (the parcel waited) or before it (a reused number?): alert. */
  firstEventLateHours: number;
  firstEventEarlyHours: number;
  /** Per state, how long a shipment may stay in it before an alert; null: never alerted. */
  stuckHours: Record<StuckStatus, number | null>;
}

/** What a PUT may carry: any of the fields; stuckHours names only the states it changes. */
export type TrackingSettingsPatch = Partial<Omit<TenantTrackingSettings, 'stuckHours'>> & { stuckHours?: Partial<Record<string, number | null>> };

/** Limits, shared by the HTTP schema and the check below. */
export const settingsLimits = {
  recheckCount: { min: 0, max: 20 },
  recheckIntervalMinutes: { min: 1, max: 1440 },
  notReceivedWindowHours: { min: 1, max: 720 },
  noPickupHours: { min: 1, max: 720 },
  firstEventLateHours: { min: 1, max: 720 },
  firstEventEarlyHours: { min: 0, max: 720 },
  stuckHours: { min: 1, max: 2160 },
} as const;

const wholeHours = (ms: number): number => Math.round(ms / hour);

export const defaultTenantTrackingSettings: TenantTrackingSettings = {
  trustedGrades: [...defaultTrustPolicy.trusted],
  recheckCount: defaultTrustPolicy.recheckCount,
  recheckIntervalMinutes: Math.round(defaultTrustPolicy.recheckIntervalMs / minute),
  notReceivedWindowHours: wholeHours(defaultTrustPolicy.complaintWindowMs),
  noPickupHours: wholeHours(defaultTrackingAlertPolicy.noPickupAfterMs),
  firstEventLateHours: wholeHours(defaultTrackingAlertPolicy.firstEventLateMs),
  firstEventEarlyHours: wholeHours(defaultTrackingAlertPolicy.firstEventEarlyMs),
  stuckHours: Object.fromEntries(
    stuckStatuses.map((s) => {
      const ms = defaultTrackingAlertPolicy.stuckAfterMs[s];
      return [s, ms === undefined ? null : wholeHours(ms)];
    }),
  ) as Record<StuckStatus, number | null>,
};

type ScalarField = Exclude<keyof typeof settingsLimits, 'stuckHours'>;
const scalarFields = Object.keys(settingsLimits).filter((k): k is ScalarField => k !== 'stuckHours');

function integerProblem(path: string, v: unknown, limits: { min: number; max: number }): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `${path} must be a whole number`;
  if (v < limits.min || v > limits.max) return `${path} must be between ${limits.min} and ${limits.max}`;
  return null;
}

/** Every problem of a patch, each naming its field; empty when it can be saved. */
export function trackingSettingsProblems(patch: TrackingSettingsPatch): string[] {
  const problems: string[] = [];
  for (const f of scalarFields) {
    if (patch[f] === undefined) continue;
    const p = integerProblem(f, patch[f], settingsLimits[f]);
    if (p) problems.push(p);
  }
  if (patch.trustedGrades !== undefined) {
    const given = patch.trustedGrades as readonly string[];
    const unknown = given.filter((g) => !(deliveryTrustGrades as readonly string[]).includes(g));
    if (unknown.length) problems.push(`trustedGrades: unknown grade ${unknown.join(', ')} (grades: ${deliveryTrustGrades.join(', ')})`);
    else if (new Set(given).size !== given.length) problems.push('trustedGrades lists a grade twice');
    else if (given.length === 0) problems.push('trustedGrades must name at least signature_or_otp: otherwise no order is ever delivered');
    else if (!given.every((g) => deliveryTrustGrades.indexOf(g as DeliveryTrustGrade) < given.length)) {
      // A weaker proof trusted while a stronger one is not would tell the customer "delivered" on less evidence.
      problems.push(`trustedGrades must be the strongest grades in order (${deliveryTrustGrades.join(' > ')}): trusting one grade trusts every stronger one`);
    }
  }
  if (patch.stuckHours !== undefined) {
    for (const [state, v] of Object.entries(patch.stuckHours)) {
      if (!(stuckStatuses as readonly string[]).includes(state)) {
        problems.push(`stuckHours.${state}: not a state a shipment can be stuck in (${stuckStatuses.join(', ')})`);
        continue;
      }
      if (v === null) continue;
      const p = integerProblem(`stuckHours.${state}`, v, settingsLimits.stuckHours);
      if (p) problems.push(p);
    }
  }
  return problems;
}

/** The settings after a patch; throws VALIDATION_FAILED (with every problem) when it cannot be saved. */
export function applySettingsPatch(current: TenantTrackingSettings, patch: TrackingSettingsPatch): TenantTrackingSettings {
  const problems = trackingSettingsProblems(patch);
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  const next: TenantTrackingSettings = { ...current, stuckHours: { ...current.stuckHours } };
  for (const f of scalarFields) if (patch[f] !== undefined) next[f] = patch[f] as number;
  if (patch.trustedGrades !== undefined) next.trustedGrades = deliveryTrustGrades.filter((g) => patch.trustedGrades?.includes(g));
  for (const [state, v] of Object.entries(patch.stuckHours ?? {})) if (v !== undefined) next.stuckHours[state as StuckStatus] = v;
  return next;
}

/**
 * Stored settings read back over the defaults: a field added after the row was written takes its default, and a
 * value that no longer passes the check (a limit tightened since) falls back to the default instead of failing.
 */
export function readStoredSettings(text: string | null | undefined): TenantTrackingSettings {
  if (!text) return structuredClone(defaultTenantTrackingSettings);
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return structuredClone(defaultTenantTrackingSettings);
  }
  const out = structuredClone(defaultTenantTrackingSettings);
  if (typeof stored !== 'object' || stored === null) return out;
  const s = stored as Record<string, unknown>;
  for (const f of scalarFields) {
    if (integerProblem(f, s[f], settingsLimits[f]) === null) out[f] = s[f] as number;
  }
  if (Array.isArray(s['trustedGrades']) && trackingSettingsProblems({ trustedGrades: s['trustedGrades'] as DeliveryTrustGrade[] }).length === 0) {
    out.trustedGrades = s['trustedGrades'] as DeliveryTrustGrade[];
  }
  const stuck = s['stuckHours'];
  if (typeof stuck === 'object' && stuck !== null) {
    for (const state of stuckStatuses) {
      const v = (stuck as Record<string, unknown>)[state];
      if (v === null || integerProblem(state, v, settingsLimits.stuckHours) === null) out.stuckHours[state] = v as number | null;
    }
  }
  return out;
}

export function trustPolicyOf(s: TenantTrackingSettings): TrustPolicy {
  return {
    trusted: [...s.trustedGrades],
    recheckCount: s.recheckCount,
    recheckIntervalMs: s.recheckIntervalMinutes * minute,
    complaintWindowMs: s.notReceivedWindowHours * hour,
  };
}

export function alertPolicyOf(s: TenantTrackingSettings): TrackingAlertPolicy {
  const stuckAfterMs: Partial<Record<TrackingStatus, number>> = {};
  for (const state of stuckStatuses) {
    const h = s.stuckHours[state];
    if (h !== null) stuckAfterMs[state] = h * hour;
  }
  return { noPickupAfterMs: s.noPickupHours * hour, firstEventLateMs: s.firstEventLateHours * hour, firstEventEarlyMs: s.firstEventEarlyHours * hour, stuckAfterMs };
}

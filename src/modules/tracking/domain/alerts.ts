// Tracking alerts as pure functions over a shipment's ship time and its events: no pickup scan, a first event far
// from the ship time, stuck in one state, returned to sender. The tracking worker (runtime/tracking-worker.ts) runs them periodically.
import type { TrackingEvent, TrackingStatus } from '../sources/types.ts';

const hour = 3_600_000;

export type TrackingAlertKind = 'NO_PICKUP_SCAN' | 'FIRST_EVENT_LATE' | 'FIRST_EVENT_BEFORE_SHIP' | 'STUCK_IN_STATE' | 'RETURNED_TO_SENDER';

export interface TrackingAlert {
  kind: TrackingAlertKind;
  message: string;
  /** The time the condition became true (for dedupe and age). */
  since: number;
}

export interface ShipmentTracking {
  /** When the hub marked the shipment shipped (handed over with a tracking number). */
  shippedAt: number;
  events: readonly TrackingEvent[];
}

export interface TrackingAlertPolicy {
  noPickupAfterMs: number;
  /** A first event later than this after shipping: the parcel waited at the warehouse or the number is wrong. */
  firstEventLateMs: number;
  /** A first event earlier than this before shipping: the tracking number may be reused (单号复用). */
  firstEventEarlyMs: number;
  /** How long a shipment may stay in a state; states not listed are never "stuck" (delivered, returned …). */
  stuckAfterMs: Partial<Record<TrackingStatus, number>>;
}

export const defaultTrackingAlertPolicy: TrackingAlertPolicy = {
  noPickupAfterMs: 48 * hour,
  firstEventLateMs: 24 * hour,
  firstEventEarlyMs: 1 * hour,
  stuckAfterMs: {
    info_received: 48 * hour,
    picked_up: 24 * hour,
    in_transit: 72 * hour,
    customs: 120 * hour,
    out_for_delivery: 24 * hour,
    available_for_pickup: 72 * hour,
    delivery_failed: 24 * hour,
    exception: 24 * hour,
    returning: 168 * hour,
    rejected: 48 * hour,
    unknown: 72 * hour,
  },
};

/** States that mean the carrier has the parcel (anything after a pickup scan). */
const carrierHasIt: ReadonlySet<TrackingStatus> = new Set<TrackingStatus>([
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
]);

const sorted = (events: readonly TrackingEvent[]): TrackingEvent[] => [...events].sort((a, b) => a.at - b.at);

/** No event showing the carrier has the parcel, noPickupAfterMs after shipping. */
export function noPickupScan(s: ShipmentTracking, now: number, p: TrackingAlertPolicy = defaultTrackingAlertPolicy): TrackingAlert | null {
  const due = s.shippedAt + p.noPickupAfterMs;
  if (now < due || s.events.some((e) => carrierHasIt.has(e.status))) return null;
  return { kind: 'NO_PICKUP_SCAN', message: `no pickup scan ${Math.floor((now - s.shippedAt) / hour)} h after shipping`, since: due };
}

/**
 * The first event is far from the ship time, in either direction. Before shipping, only the carrier handling the
 * parcel counts: a waybill is usually ordered (已下单, InfoReceived) when its label is printed, hours before the hub
 * marks the parcel shipped, and that is no sign of a reused number.
 */
export function firstEventFarFromShip(s: ShipmentTracking, p: TrackingAlertPolicy = defaultTrackingAlertPolicy): TrackingAlert | null {
  const events = sorted(s.events);
  const first = events[0];
  if (!first) return null;
  const gap = first.at - s.shippedAt;
  if (gap > p.firstEventLateMs) return { kind: 'FIRST_EVENT_LATE', message: `first tracking event ${Math.floor(gap / hour)} h after shipping`, since: first.at };
  const handled = events.find((e) => e.status !== 'info_received');
  const early = handled ? s.shippedAt - handled.at : 0;
  if (handled && early > p.firstEventEarlyMs) {
    return { kind: 'FIRST_EVENT_BEFORE_SHIP', message: `first carrier scan ${Math.floor(early / hour)} h before shipping: is the tracking number reused?`, since: handled.at };
  }
  return null;
}

/** The latest state has lasted longer than its threshold (measured from the first event of the current run). */
export function stuckInState(s: ShipmentTracking, now: number, p: TrackingAlertPolicy = defaultTrackingAlertPolicy): TrackingAlert | null {
  const ev = sorted(s.events);
  const last = ev.at(-1);
  if (!last) return null;
  const limit = p.stuckAfterMs[last.status];
  if (limit === undefined) return null;
  let start = last.at;
  for (let i = ev.length - 1; i >= 0 && (ev[i] as TrackingEvent).status === last.status; i--) start = (ev[i] as TrackingEvent).at;
  if (now - start <= limit) return null;
  return { kind: 'STUCK_IN_STATE', message: `${last.status} for ${Math.floor((now - start) / hour)} h (limit ${Math.floor(limit / hour)} h)`, since: start + limit };
}

/** The latest state is on the way back or back at the sender. */
export function returnedToSender(s: ShipmentTracking): TrackingAlert | null {
  const last = sorted(s.events).at(-1);
  if (!last || (last.status !== 'returning' && last.status !== 'returned')) return null;
  return { kind: 'RETURNED_TO_SENDER', message: last.status === 'returned' ? 'returned to sender' : 'on its way back to the sender', since: last.at };
}

/** Every alert that holds now. */
export function trackingAlerts(s: ShipmentTracking, now: number, p: TrackingAlertPolicy = defaultTrackingAlertPolicy): TrackingAlert[] {
  return [noPickupScan(s, now, p), firstEventFarFromShip(s, p), stuckInState(s, now, p), returnedToSender(s)].filter((a): a is TrackingAlert => a !== null);
}

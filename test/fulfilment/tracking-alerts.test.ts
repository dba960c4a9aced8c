import { describe, expect, it } from 'vitest';
import { firstEventFarFromShip, noPickupScan, returnedToSender, stuckInState, trackingAlerts } from '../../src/modules/tracking/domain/alerts.ts';
import type { TrackingEvent, TrackingStatus } from '../../src/modules/tracking/sources/types.ts';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 10, 20, 2);
const ev = (h: number, status: TrackingStatus): TrackingEvent => ({ at: t0 + h * hour, status, location: null, description: '', rawStatus: null, evidence: [] });

describe('tracking alerts', () => {
  it('no pickup scan 48 h after shipping, and not before, and not once picked up', () => {
    expect(noPickupScan({ shippedAt: t0, events: [] }, t0 + 47 * hour)).toBeNull();
    expect(noPickupScan({ shippedAt: t0, events: [ev(1, 'info_received')] }, t0 + 48 * hour)).toMatchObject({ kind: 'NO_PICKUP_SCAN', since: t0 + 48 * hour });
    expect(noPickupScan({ shippedAt: t0, events: [ev(30, 'picked_up')] }, t0 + 60 * hour)).toBeNull();
  });

  it('first event far after shipping, or before it (reused number)', () => {
    expect(firstEventFarFromShip({ shippedAt: t0, events: [ev(30, 'picked_up'), ev(40, 'in_transit')] })).toMatchObject({ kind: 'FIRST_EVENT_LATE' });
    expect(firstEventFarFromShip({ shippedAt: t0, events: [ev(-72, 'delivered')] })).toMatchObject({ kind: 'FIRST_EVENT_BEFORE_SHIP' });
    expect(firstEventFarFromShip({ shippedAt: t0, events: [ev(2, 'picked_up')] })).toBeNull();
    expect(firstEventFarFromShip({ shippedAt: t0, events: [] })).toBeNull();
  });

  it('a waybill ordered when the label was printed, hours before shipping, is not a reused number; a scan that early is', () => {
    expect(firstEventFarFromShip({ shippedAt: t0, events: [ev(-6, 'info_received'), ev(2, 'picked_up')] })).toBeNull();
    expect(firstEventFarFromShip({ shippedAt: t0, events: [ev(-6, 'info_received')] })).toBeNull();
    expect(firstEventFarFromShip({ shippedAt: t0, events: [ev(-80, 'info_received'), ev(-72, 'picked_up'), ev(-60, 'delivered')] })).toMatchObject({
      kind: 'FIRST_EVENT_BEFORE_SHIP',
      since: t0 - 72 * hour,
    });
  });

  it('stuck in one state past its threshold, counted from the first event of the run', () => {
    const events = [ev(1, 'picked_up'), ev(2, 'in_transit'), ev(50, 'in_transit')];
    expect(stuckInState({ shippedAt: t0, events }, t0 + 70 * hour)).toBeNull();
    expect(stuckInState({ shippedAt: t0, events }, t0 + 75 * hour)).toMatchObject({ kind: 'STUCK_IN_STATE', since: t0 + 74 * hour });
    expect(stuckInState({ shippedAt: t0, events: [ev(1, 'delivered')] }, t0 + 1000 * hour)).toBeNull();
    const tight = { noPickupAfterMs: 48 * hour, firstEventLateMs: 24 * hour, firstEventEarlyMs: hour, stuckAfterMs: { in_transit: 10 * hour } };
    expect(stuckInState({ shippedAt: t0, events }, t0 + 13 * hour, tight)).toMatchObject({ kind: 'STUCK_IN_STATE' });
  });

  it('returned to sender', () => {
    expect(returnedToSender({ shippedAt: t0, events: [ev(1, 'picked_up'), ev(90, 'returning')] })).toMatchObject({ kind: 'RETURNED_TO_SENDER' });
    expect(returnedToSender({ shippedAt: t0, events: [ev(120, 'returned')] })?.message).toBe('returned to sender');
    expect(returnedToSender({ shippedAt: t0, events: [ev(1, 'delivered')] })).toBeNull();
  });

  it('lists every alert that holds', () => {
    const kinds = trackingAlerts({ shippedAt: t0, events: [ev(30, 'info_received')] }, t0 + 100 * hour).map((a) => a.kind);
    expect(kinds).toEqual(['NO_PICKUP_SCAN', 'FIRST_EVENT_LATE', 'STUCK_IN_STATE']);
  });
});

// AfterShip status dictionary: the 9 delivery statuses (tags) and the documented sub-statuses (subtags) that change
// what the hub believes, mapped to the hub's tracking status set. A subtag not listed is read as its tag.
import type { TrackingDictionary, TrackingMeaning } from '../types.ts';

export const aftershipTags: TrackingDictionary = {
  // Pending: added, nothing from the carrier yet. Like InfoReceived it means "not picked up".
  Pending: { status: 'info_received', doc: 'New shipments added that are pending to track' },
  InfoReceived: { status: 'info_received', doc: 'Carrier has received request from shipper and is about to pick up the shipment' },
  InTransit: { status: 'in_transit', doc: 'Carrier has accepted or picked up shipment from shipper' },
  OutForDelivery: { status: 'out_for_delivery', doc: 'Carrier is about to deliver the shipment' },
  AttemptFail: { status: 'delivery_failed', doc: 'Carrier attempted to deliver but failed' },
  Delivered: { status: 'delivered', doc: 'The shipment was delivered successfully' },
  AvailableForPickup: { status: 'available_for_pickup', evidence: ['station'], doc: 'The package arrived at a pickup point near you' },
  Exception: { status: 'exception', doc: 'Custom hold, undelivered, returned shipment to sender or any shipping exceptions' },
  Expired: { status: 'expired', doc: 'Shipment has no tracking information for 30 days since added' },
};

/** Subtags from AfterShip's "Delivery Sub-statuses" page (Delivered_005 appears in the 2026-07 version). */
export const aftershipSubtags: TrackingDictionary = {
  Delivered_001: { status: 'delivered', doc: 'Shipment delivered successfully' },
  // Collected at a pickup point: graded like a station hand-over (the carrier does not say how the customer proved it).
  Delivered_002: { status: 'delivered', evidence: ['station'], doc: 'Package picked up by the customer' },
  Delivered_003: { status: 'delivered', evidence: ['signature'], doc: 'Package delivered to and signed by the customer' },
  Delivered_004: { status: 'delivered', evidence: ['cash_on_delivery'], doc: 'Package delivered to the customer and cash collected on delivery' },
  Delivered_005: { status: 'delivered', evidence: ['neighbour'], doc: 'The shipment was delivered to a neighbor' },
  AvailableForPickup_001: { status: 'available_for_pickup', evidence: ['station'], doc: 'The package arrived at a pickup point near you' },
  Exception_001: { status: 'exception', doc: 'Delivery of the package failed due to some shipping exception' },
  Exception_002: { status: 'delivery_failed', doc: 'Customer moved' },
  Exception_003: { status: 'rejected', doc: 'Customer refused delivery' },
  Exception_004: { status: 'customs', doc: 'Delayed (Customs clearance)' },
  Exception_005: { status: 'exception', doc: 'Delayed (External factors)' },
  Exception_006: { status: 'exception', doc: 'Held for payment' },
  Exception_007: { status: 'delivery_failed', doc: 'Incorrect Address' },
  Exception_008: { status: 'exception', evidence: ['station'], doc: 'Pick up missed' },
  Exception_009: { status: 'exception', doc: 'Rejected by carrier' },
  Exception_010: { status: 'returning', doc: 'Returning to sender' },
  Exception_011: { status: 'returned', doc: 'Returned to sender' },
  Exception_012: { status: 'exception', doc: 'Shipment damage' },
  Exception_013: { status: 'exception', doc: 'Shipment lost' },
};

/** The meaning of a tag/subtag pair: the subtag when documented, else its tag, else `unknown`. */
export function aftershipMeaning(tag: string | null, subtag: string | null): TrackingMeaning & { code: string } {
  if (subtag !== null && Object.hasOwn(aftershipSubtags, subtag)) return { ...(aftershipSubtags[subtag] as TrackingMeaning), code: subtag };
  const t = tag ?? (subtag !== null ? subtag.split('_')[0] ?? '' : '');
  if (Object.hasOwn(aftershipTags, t)) return { ...(aftershipTags[t] as TrackingMeaning), code: subtag ?? t };
  return { status: 'unknown', doc: 'not in the AfterShip dictionary', code: subtag ?? t };
}

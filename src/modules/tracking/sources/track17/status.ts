// 17TRACK status dictionary: its 9 main statuses and 30 sub-statuses (API v2.2), mapped to the hub's tracking set.
// Names and meanings from 17TRACK's help article "Understanding Tracking Status (Main Status & Substatus)".
import type { TrackingDictionary, TrackingMeaning } from '../types.ts';

export const track17Statuses: TrackingDictionary = {
  // NotFound: the carrier has nothing yet; like "info received" it means not picked up.
  NotFound: { status: 'info_received', doc: 'No tracking information found for this number yet' },
  InfoReceived: { status: 'info_received', doc: 'The carrier has received the order information' },
  InTransit: { status: 'in_transit', doc: 'The package is in transit' },
  Expired: { status: 'expired', doc: 'In transit for an extended period and not yet delivered' },
  AvailableForPickup: { status: 'available_for_pickup', evidence: ['locker', 'station'], doc: 'Arrived at the pickup point at the destination' },
  OutForDelivery: { status: 'out_for_delivery', doc: 'Out for delivery' },
  DeliveryFailure: { status: 'delivery_failed', doc: 'Delivery was attempted but unsuccessful' },
  Delivered: { status: 'delivered', doc: 'Delivered and signed for by the recipient' },
  Exception: { status: 'exception', doc: 'May be returned or detained' },
};

export const track17SubStatuses: TrackingDictionary = {
  NotFound_Other: { status: 'info_received', doc: 'The carrier did not provide any information' },
  NotFound_InvalidCode: { status: 'exception', doc: 'The tracking number is invalid' },
  InfoReceived: { status: 'info_received', doc: 'Same as the main status' },
  InTransit_PickedUp: { status: 'picked_up', doc: 'The carrier has collected the package from the sender' },
  InTransit_Other: { status: 'in_transit', doc: 'Other circumstances' },
  InTransit_Departure: { status: 'in_transit', doc: 'Left the port of the originating country/region' },
  InTransit_Arrival: { status: 'in_transit', doc: 'Arrived at the port of the destination country/region' },
  InTransit_CustomsProcessing: { status: 'customs', doc: 'Undergoing customs clearance' },
  InTransit_CustomsReleased: { status: 'customs', doc: 'Import/export customs clearance is complete' },
  // Customs waits for documents someone must provide: a problem to act on, not a place.
  InTransit_CustomsRequiringInformation: { status: 'exception', doc: 'Additional information is needed for clearance' },
  Expired_Other: { status: 'expired', doc: 'Same as the main status' },
  AvailableForPickup_Other: { status: 'available_for_pickup', evidence: ['locker', 'station'], doc: 'Same as the main status' },
  OutForDelivery_Other: { status: 'out_for_delivery', doc: 'Same as the main status' },
  DeliveryFailure_Other: { status: 'delivery_failed', doc: 'Other circumstances' },
  DeliveryFailure_NoBody: { status: 'delivery_failed', doc: 'Unable to contact the recipient temporarily' },
  DeliveryFailure_Security: { status: 'delivery_failed', doc: 'Security, customs clearance or fee issues' },
  DeliveryFailure_Rejected: { status: 'rejected', doc: 'Recipient refused to accept the package' },
  DeliveryFailure_InvalidAddress: { status: 'delivery_failed', doc: 'Incorrect recipient address' },
  Delivered_Other: { status: 'delivered', doc: 'Same as the main status' },
  Exception_Other: { status: 'exception', doc: 'Other circumstances' },
  Exception_Returning: { status: 'returning', doc: 'Being returned to the sender' },
  Exception_Returned: { status: 'returned', doc: 'Sender has received the returned package' },
  // The remaining Exception_* names complete the documented count of 30; their descriptions were not read.
  Exception_NoBody: { status: 'exception', doc: 'Recipient could not be found' },
  Exception_Security: { status: 'exception', doc: 'Security, customs or fee issues' },
  Exception_Damage: { status: 'exception', doc: 'Package damaged' },
  Exception_Rejected: { status: 'rejected', doc: 'Recipient refused the package' },
  Exception_Delayed: { status: 'exception', doc: 'Delayed' },
  Exception_Lost: { status: 'exception', doc: 'Package lost' },
  Exception_Destroyed: { status: 'exception', doc: 'Package destroyed' },
  Exception_Cancel: { status: 'exception', doc: 'Shipment cancelled' },
};

/** The meaning of a status/sub-status pair: the sub-status when known, else the main status, else `unknown`. */
export function track17Meaning(status: string | null, subStatus: string | null): TrackingMeaning & { code: string } {
  if (subStatus !== null && Object.hasOwn(track17SubStatuses, subStatus)) return { ...(track17SubStatuses[subStatus] as TrackingMeaning), code: subStatus };
  const main = status ?? (subStatus !== null ? subStatus.split('_')[0] ?? '' : '');
  if (Object.hasOwn(track17Statuses, main)) return { ...(track17Statuses[main] as TrackingMeaning), code: subStatus ?? main };
  return { status: 'unknown', doc: 'not in the 17TRACK dictionary', code: subStatus ?? main };
}

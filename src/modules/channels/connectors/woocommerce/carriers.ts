// The hub's carrier codes as the Shipment Tracking extension names its providers (`tracking_provider`): data, one
// line per carrier. A carrier missing here is refused at ship-back rather than guessed.
export const wooCarriers: Readonly<Record<string, string>> = {
  sf: 'SF Express',
  shunfeng: 'SF Express',
  ems: 'China Post',
  chinapost: 'China Post',
  ups: 'UPS',
  usps: 'USPS',
  fedex: 'Fedex',
  dhl: 'DHL',
};

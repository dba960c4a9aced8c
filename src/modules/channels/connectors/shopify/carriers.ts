// The hub's carrier codes as Shopify names tracking companies (FulfillmentTrackingInfo.company: a name from Shopify's
// list gets its tracking link made by Shopify; `url` is sent where Shopify has none). Data, one line per carrier;
// a carrier missing here is refused at ship-back rather than guessed.
export interface ShopifyCarrier {
  company: string;
  /** The tracking page, `{n}` replaced by the tracking number. */
  url?: string;
}

export const shopifyCarriers: Readonly<Record<string, ShopifyCarrier>> = {
  sf: { company: 'SF Express', url: 'https://www.sf-express.com/chn/en/waybill/waybill-detail/{n}' },
  shunfeng: { company: 'SF Express', url: 'https://www.sf-express.com/chn/en/waybill/waybill-detail/{n}' },
  zto: { company: 'ZTO Express' },
  yto: { company: 'YTO Express' },
  yunda: { company: 'Yunda Express' },
  sto: { company: 'STO Express' },
  jd: { company: 'JD Logistics' },
  ems: { company: 'China Post' },
  chinapost: { company: 'China Post' },
  ups: { company: 'UPS' },
  usps: { company: 'USPS' },
  fedex: { company: 'FedEx' },
  dhl: { company: 'DHL Express' },
};

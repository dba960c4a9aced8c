// The hub's carrier codes as WooCommerce's Shipment Tracking extension takes them: data, one line per carrier.
// A carrier in its built-in provider list goes as `tracking_provider` (the provider name); the Chinese carriers it does
// not list go as a custom provider (`custom_tracking_provider` + `custom_tracking_link`, where %1$s is the tracking
// number), which the extension documents for carriers missing from its list
// (woocommerce.com/document/shipment-tracking/, "Create a custom-provider tracking item with the REST API").
// A carrier missing from both is refused at ship-back rather than guessed.
import { carrierEntry } from '../../../../kernel/carriers.ts';

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

/**
 * Custom providers: the name the buyer reads, and the tracking link. The links are Kuaidi100's public lookup page
 * (www.kuaidi100.com/chaxun?com=<company>&nu=<number>) with Kuaidi100's company code, the one page that follows every
 * Chinese carrier; a carrier's own site changes its lookup URL more often than Kuaidi100 does.
 */
const kuaidi100 = (company: string) => `https://www.kuaidi100.com/chaxun?com=${company}&nu=%1$s`;
export const wooCustomCarriers: Readonly<Record<string, { name: string; link: string }>> = {
  zto: { name: '中通快递', link: kuaidi100('zhongtong') },
  yto: { name: '圆通速递', link: kuaidi100('yuantong') },
  sto: { name: '申通快递', link: kuaidi100('shentong') },
  yunda: { name: '韵达快递', link: kuaidi100('yunda') },
  jd: { name: '京东物流', link: kuaidi100('jd') },
  jt: { name: '极兔速递', link: kuaidi100('jtexpress') },
  best: { name: '百世快递', link: kuaidi100('huitongkuaidi') },
  deppon: { name: '德邦快递', link: kuaidi100('debangkuaidi') },
};

/** The tracking item's provider fields for a hub carrier code, or null when neither list knows it. */
export function wooProviderFields(carrier: string): { tracking_provider: string } | { custom_tracking_provider: string; custom_tracking_link: string } | null {
  const listed = carrierEntry(wooCarriers, carrier);
  if (listed) return { tracking_provider: listed };
  const custom = carrierEntry(wooCustomCarriers, carrier);
  return custom ? { custom_tracking_provider: custom.name, custom_tracking_link: custom.link } : null;
}

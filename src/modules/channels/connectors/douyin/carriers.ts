// The hub's carrier codes as Douyin names logistics companies (`company_code` of order.logisticsAdd and
// order.logisticsAddMultiPack, the codes /order/logisticsCompanyList lists): data, one line per carrier. A carrier
// missing here is refused at ship-back rather than guessed: a wrong code puts a wrong tracking link in front of the
// buyer. The codes are pinyin names: "zhongtong" is the official Java SDK's example for a waybill's company code
// (logistics/newCreateOrder EbillInfosItem); the others follow the same naming as integrations report it [not checked
// against a logisticsCompanyList answer — check the shop's own list before going live, jd and jtexpress above all].
export const douyinCarriers: Readonly<Record<string, string>> = {
  sf: 'shunfeng',
  shunfeng: 'shunfeng',
  zto: 'zhongtong',
  yto: 'yuantong',
  sto: 'shentong',
  yunda: 'yunda',
  ems: 'ems',
  jd: 'jd',
  jt: 'jtexpress',
};

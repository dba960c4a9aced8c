// The hub's carrier codes as Douyin names logistics companies (`company_code` of order.logisticsAdd and
// order.logisticsAddMultiPack, the codes /order/logisticsCompanyList lists): data, one line per carrier. A carrier
// missing here is refused at ship-back rather than guessed: a wrong code puts a wrong tracking link in front of the
// buyer. [The codes are the pinyin names third-party integrations report; check them against the shop's own
// logisticsCompanyList before going live.]
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

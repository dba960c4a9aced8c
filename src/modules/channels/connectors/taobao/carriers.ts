// The hub's carrier codes as TOP names logistics companies (`company_code` of taobao.logistics.offline.send, the codes
// taobao.logistics.companies.get lists): data, one line per carrier. A carrier missing here is refused at ship-back
// rather than guessed: a wrong code puts a wrong tracking link in front of the buyer.
export const taobaoCarriers: Readonly<Record<string, string>> = {
  sf: 'SF',
  shunfeng: 'SF',
  zto: 'ZTO',
  yto: 'YTO',
  sto: 'STO',
  yunda: 'YUNDA',
  ems: 'EMS',
  jd: 'JD',
};

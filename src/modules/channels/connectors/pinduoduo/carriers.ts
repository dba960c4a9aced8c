// The hub's carrier codes as PDD's logistics ids (`logistics_id` of pdd.logistics.online.send, the ids
// pdd.logistics.companies.get lists): data, one line per carrier. A carrier missing here is refused at ship-back
// rather than guessed: a wrong id puts a wrong tracking link in front of the buyer.
// Checked against a pdd.logistics.companies.get answer kept in a public ERP's source (申通 1, 百世 3, 顺丰 44, 圆通 85,
// 中通 115, 邮政EMS 118, 京东配送 120, 韵达 121, 德邦快递 131, 邮政快递包裹 132); a shop's own list can differ by
// what it has enabled (`available`), so a refusal names the carrier and the platform's reason.
export const pinduoduoCarriers: Readonly<Record<string, number>> = {
  sto: 1,
  best: 3,
  sf: 44,
  shunfeng: 44,
  yto: 85,
  zto: 115,
  ems: 118,
  jd: 120,
  yunda: 121,
  deppon: 131,
  chinapost: 132,
};

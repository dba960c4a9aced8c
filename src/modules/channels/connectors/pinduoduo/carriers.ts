// The hub's carrier codes as PDD's logistics ids (`logistics_id` of pdd.logistics.online.send, the ids
// pdd.logistics.companies.get lists): data, one line per carrier. A carrier missing here is refused at ship-back
// rather than guessed: a wrong id puts a wrong tracking link in front of the buyer.
export const pinduoduoCarriers: Readonly<Record<string, number>> = {
  sto: 1,
  sf: 44,
  shunfeng: 44,
  yto: 85,
  zto: 115,
  ems: 118,
  jd: 120,
  yunda: 121,
};

// The hub's carrier codes as JD's logistics company ids (`logiCoprId` of jingdong.pop.order.shipment: a number, not a
// name): data, one line per carrier. sf 467 and ems 465 are from a third-party JOS adapter; the others are JD's ids as
// commonly listed and not confirmed against jingdong.foreign.order.logistics.companies or the seller back office. A
// carrier missing here is refused at ship-back rather than guessed: a wrong id puts a wrong tracking link in front of
// the buyer.
export const jdCarriers: Readonly<Record<string, number>> = {
  sf: 467,
  shunfeng: 467,
  ems: 465,
  yto: 463,
  sto: 470,
  zto: 1499,
  yunda: 1327,
  jd: 2087,
};

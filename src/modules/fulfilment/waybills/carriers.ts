// The hub's carrier codes as each waybill network names them (Cainiao cp_code, PDD wp_code, Douyin logistics_code, JD
// 无界 providerCode): data, one line per carrier. A carrier missing here cannot get a waybill from that network
// (refused, not guessed).
import { carrierEntry } from '../../../kernel/carriers.ts';

export const cainiaoCarriers: Readonly<Record<string, string>> = {
  zto: 'ZTO',
  yto: 'YTO',
  sto: 'STO',
  yunda: 'YUNDA',
  sf: 'SF',
  shunfeng: 'SF',
  ems: 'EMS',
  chinapost: 'POSTB',
  best: 'HTKY',
  jt: 'JTSD',
};

export const pinduoduoWaybillCarriers: Readonly<Record<string, string>> = {
  zto: 'ZTO',
  yto: 'YTO',
  sto: 'STO',
  yunda: 'YUNDA',
  sf: 'SF',
  shunfeng: 'SF',
  ems: 'EMS',
  jt: 'JTSD',
};

/**
 * Douyin's logistics_code (/logistics/newCreateOrder, /logistics/cancelOrder): the same pinyin company codes Douyin's
 * ship-back takes (the SDK's EbillInfosItem.company answers one of them; "zhongtong" is its example). The others follow
 * the same naming [not checked against a /logistics/listShopNetsite answer: check the shop's own list before going live].
 */
export const douyinWaybillCarriers: Readonly<Record<string, string>> = {
  zto: 'zhongtong',
  yto: 'yuantong',
  sto: 'shentong',
  yunda: 'yunda',
  sf: 'shunfeng',
  shunfeng: 'shunfeng',
  ems: 'ems',
  jt: 'jtexpress',
};

/**
 * JD 无界电子面单's providerCode (jingdong.ldop.alpha.waybill.receive content.providerCode, vendor.bigshot.query,
 * waybill.api.unbind). "SF" is an integration's example (its SF contract branch); the rest are the carriers' usual
 * upper-case codes [not confirmed against jingdong.ldop.alpha.provider.sign.success, which lists the codes a seller's
 * signed contracts carry — check it before going live]. 京东快递 itself is not here: it is ordered through 京东物流's own
 * API, not 无界.
 */
export const jdWaybillProviders: Readonly<Record<string, string>> = {
  zto: 'ZTO',
  yto: 'YTO',
  sto: 'STO',
  yunda: 'YUNDA',
  sf: 'SF',
  shunfeng: 'SF',
  ems: 'EMS',
};

export function codeFor(dictionary: Readonly<Record<string, string>>, carrier: string): string | null {
  return carrierEntry(dictionary, carrier) ?? null;
}

/** The carriers as people read them on a label. */
export const carrierNames: Readonly<Record<string, string>> = {
  zto: '中通快递',
  yto: '圆通速递',
  sto: '申通快递',
  yunda: '韵达快递',
  sf: '顺丰速运',
  shunfeng: '顺丰速运',
  ems: 'EMS',
  chinapost: '邮政快递包裹',
  best: '百世快递',
  jt: '极兔速递',
  jd: '京东快递',
  shopee: 'Shopee 物流',
};

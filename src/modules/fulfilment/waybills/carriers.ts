// The hub's carrier codes as each waybill network names them (Cainiao cp_code, PDD wp_code): data, one line per
// carrier. A carrier missing here cannot get a waybill from that network (refused, not guessed).
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

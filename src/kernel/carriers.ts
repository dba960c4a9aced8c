// The carrier codes people and systems type for the same company: the hub's short code (sf, zto …), the pinyin that
// Kuaidi100 and many ERPs use (shunfeng, zhongtong …), and a few common spellings. Each platform's carrier dictionary
// (connectors/<platform>/carriers.ts, the waybill networks') is keyed by the short code; a code is brought to it here
// first, so a parcel shipped as "yuantong" is told to Taobao as YTO and not refused as an unknown carrier. Pure data.

/** Other spellings → the hub's short code. A code not named here stands for itself. */
const aliases: Readonly<Record<string, string>> = {
  shunfeng: 'sf',
  'sf-express': 'sf',
  sfexpress: 'sf',
  zhongtong: 'zto',
  yuantong: 'yto',
  shentong: 'sto',
  yundakuaiyun: 'yunda',
  youzhengguonei: 'chinapost',
  youzhengbaoguo: 'chinapost',
  postb: 'chinapost',
  'china-post': 'chinapost',
  jingdong: 'jd',
  jdkd: 'jd',
  huitongkuaidi: 'best',
  baishi: 'best',
  htky: 'best',
  debangwuliu: 'deppon',
  debangkuaidi: 'deppon',
  debang: 'deppon',
  jtexpress: 'jt',
  jitu: 'jt',
  jtsd: 'jt',
};

/** The hub's short code for a carrier code as typed (trimmed, lower case, an alias resolved). */
export function canonicalCarrier(code: string): string {
  const key = code.trim().toLowerCase();
  return Object.hasOwn(aliases, key) ? (aliases[key] as string) : key;
}

/** A carrier dictionary's entry for a code as typed: the code itself if the dictionary has it, else its short code's. */
export function carrierEntry<T>(dictionary: Readonly<Record<string, T>>, code: string): T | undefined {
  const key = code.trim().toLowerCase();
  if (Object.hasOwn(dictionary, key)) return dictionary[key];
  const canon = canonicalCarrier(key);
  return Object.hasOwn(dictionary, canon) ? dictionary[canon] : undefined;
}

// A carrier typed one way (the pinyin Kuaidi100 and many ERPs use) reaches every platform in the platform's own words:
// the demo shipped "yuantong" parcels that every ship-back refused as an unknown carrier before codes were brought to
// the hub's short code first.
import { describe, expect, it } from 'vitest';
import { canonicalCarrier, carrierEntry } from '../../src/kernel/carriers.ts';
import { PlatformWriteError, platformCarrier } from '../../src/modules/channels/connectors/types.ts';
import { taobaoCarriers } from '../../src/modules/channels/connectors/taobao/carriers.ts';
import { pinduoduoCarriers } from '../../src/modules/channels/connectors/pinduoduo/carriers.ts';
import { jdCarriers } from '../../src/modules/channels/connectors/jd/carriers.ts';
import { douyinCarriers } from '../../src/modules/channels/connectors/douyin/carriers.ts';
import { cainiaoCarriers, carrierNames, codeFor } from '../../src/modules/fulfilment/waybills/carriers.ts';

describe('carrier codes', () => {
  it('brings pinyin and common spellings to the hub short code, and leaves other codes as typed (lower case)', () => {
    expect(canonicalCarrier('yuantong')).toBe('yto');
    expect(canonicalCarrier(' ZhongTong ')).toBe('zto');
    expect(canonicalCarrier('shunfeng')).toBe('sf');
    expect(canonicalCarrier('huitongkuaidi')).toBe('best');
    expect(canonicalCarrier('YTO')).toBe('yto');
    expect(canonicalCarrier('acme-freight')).toBe('acme-freight');
  });

  it('finds a dictionary entry by the code itself first, then by its short code', () => {
    expect(carrierEntry({ yuantong: 'own', yto: 'short' }, 'yuantong')).toBe('own');
    expect(carrierEntry({ yto: 'short' }, 'yuantong')).toBe('short');
    expect(carrierEntry({ yto: 'short' }, 'nope')).toBeUndefined();
  });

  it('tells each platform a pinyin-coded parcel in its own words', () => {
    expect(platformCarrier(taobaoCarriers, 'yuantong', 'Taobao')).toBe('YTO');
    expect(platformCarrier(pinduoduoCarriers, 'zhongtong', 'Pinduoduo')).toBe(115);
    expect(platformCarrier(jdCarriers, 'shunfeng', 'JD')).toBe(jdCarriers.sf);
    expect(platformCarrier(douyinCarriers, 'yunda', 'Douyin')).toBe(douyinCarriers.yunda);
    expect(codeFor(cainiaoCarriers, 'yuantong')).toBe('YTO');
    expect(codeFor(cainiaoCarriers, 'jitu')).toBe('JTSD');
    expect(carrierEntry(carrierNames, 'zhongtong')).toBe('中通快递');
  });

  it('still refuses a carrier no dictionary knows, naming it', () => {
    let err: unknown;
    try {
      platformCarrier(taobaoCarriers, 'acme-freight', 'Taobao');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlatformWriteError);
    expect((err as PlatformWriteError).code).toBe('CARRIER_UNKNOWN');
    expect((err as PlatformWriteError).opts.refused).toBe(true);
    expect((err as Error).message).toContain('acme-freight');
  });
});

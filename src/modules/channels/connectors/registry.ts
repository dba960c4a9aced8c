// The platforms the hub can take orders from. Adding a platform means adding its folder and one line here.
import type { ChannelAdapter } from './types.ts';
import { ownshop } from './ownshop/index.ts';
import { shopify } from './shopify/index.ts';
import { woocommerce } from './woocommerce/index.ts';
import { jd } from './jd/index.ts';
import { douyin } from './douyin/index.ts';
import { taobao } from './taobao/index.ts';
import { pinduoduo } from './pinduoduo/index.ts';
import { shopee } from './shopee/index.ts';

export const channelAdapters: Record<string, ChannelAdapter<never>> = {
  ownshop: ownshop as ChannelAdapter<never>,
  shopify: shopify as ChannelAdapter<never>,
  woocommerce: woocommerce as ChannelAdapter<never>,
  jd: jd as ChannelAdapter<never>,
  douyin: douyin as ChannelAdapter<never>,
  taobao: taobao as ChannelAdapter<never>,
  pinduoduo: pinduoduo as ChannelAdapter<never>,
  shopee: shopee as ChannelAdapter<never>,
};

export function adapterFor(platform: string): ChannelAdapter<never> | undefined {
  return channelAdapters[platform];
}

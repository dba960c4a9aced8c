// The platforms the hub can take orders from. Adding a platform means adding its folder and one line here.
import type { ChannelAdapter } from './types.ts';
import { ownshop } from './ownshop/index.ts';
import { shopify } from './shopify/index.ts';

export const channelAdapters: Record<string, ChannelAdapter<never>> = {
  ownshop: ownshop as ChannelAdapter<never>,
  shopify: shopify as ChannelAdapter<never>,
};

export function adapterFor(platform: string): ChannelAdapter<never> | undefined {
  return channelAdapters[platform];
}

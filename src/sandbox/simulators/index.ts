// Every platform's simulator, by platform name. Adding a platform's simulator means one line here.
import type { SimulatorFactory } from './types.ts';
import { shopifySimulator } from './shopify.ts';
import { woocommerceSimulator } from './woocommerce.ts';
import { jdSimulator } from './jd.ts';
import { douyinSimulator } from './douyin.ts';
import { taobaoSimulator } from './taobao.ts';
import { pinduoduoSimulator } from './pinduoduo.ts';
import { shopeeSimulator } from './shopee.ts';

export const simulators: Record<string, SimulatorFactory> = {
  shopify: shopifySimulator,
  woocommerce: woocommerceSimulator,
  jd: jdSimulator,
  douyin: douyinSimulator,
  taobao: taobaoSimulator,
  pinduoduo: pinduoduoSimulator,
  shopee: shopeeSimulator,
};

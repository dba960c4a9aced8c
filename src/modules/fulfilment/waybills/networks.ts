// Every carrier network's waybill client, by network name. Adding a network means one line here.
import { cainiaoWaybills } from './cainiao.ts';
import { douyinWaybills } from './douyin.ts';
import { jdWaybills } from './jd.ts';
import { pinduoduoWaybills } from './pinduoduo.ts';
import { shopeeWaybills } from './shopee.ts';
import type { WaybillClient, WaybillNetwork } from './types.ts';

const clients: Partial<Record<WaybillNetwork, WaybillClient<never>>> = {
  cainiao: cainiaoWaybills as WaybillClient<never>,
  pinduoduo: pinduoduoWaybills as WaybillClient<never>,
  douyin: douyinWaybills as WaybillClient<never>,
  jd: jdWaybills as WaybillClient<never>,
  shopee: shopeeWaybills as WaybillClient<never>,
};

export function waybillClientFor(network: string): WaybillClient<unknown> | null {
  return (Object.hasOwn(clients, network) ? (clients[network as WaybillNetwork] as WaybillClient<unknown> | undefined) : undefined) ?? null;
}

/** The networks with a client: an account for another one is refused. */
export const supportedNetworks = (): string[] => Object.keys(clients);

// The shops the stock sync tests sell on: one simulated shop per platform with a stock write, each an account on the
// hub, and how a test lists a SKU there (an item with one SKU of that outer id in the simulator's catalogue).
import { expect } from 'vitest';
import type { TestServer } from '../support/server.ts';
import type { SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import type { PlatformSimulator, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';

export interface Shop {
  platform: string;
  sim: PlatformSimulator;
  accountId: string;
  /** Lists the SKU on the platform (an item with one SKU of that outer id, 0 units); its ids. */
  list(sku: string): { itemId: string; skuId: string };
  /** The next stock write to this item is refused with the platform's business error. */
  refuseNextStockWrite(itemId: string): void;
  refusalCode: string;
  refusalMessage: string;
}

interface PlatformSpec {
  platform: string;
  factory: SimulatorFactory;
  refusal: { code: string; message: string };
}

export const stockPlatforms: PlatformSpec[] = [
  { platform: 'taobao', factory: taobaoSimulator, refusal: { code: 'isv.item-quantity-item-update-service-error-PROMOTION_LOCKED', message: '商品参加活动中，不能修改库存' } },
  { platform: 'pinduoduo', factory: pinduoduoSimulator, refusal: { code: 'goods_in_promotion', message: '商品在活动中，不能减少库存' } },
  { platform: 'jd', factory: jdSimulator, refusal: { code: 'ware.stock.locked', message: '商品参加秒杀活动，库存锁定中' } },
];

let itemSeq = 0;

export async function platformShops(s: TestServer, sims: SimulatorServer, seed: string): Promise<Shop[]> {
  const out: Shop[] = [];
  // Three shops: Taobao, Pinduoduo and JD.
  const specs = [...stockPlatforms];
  while (specs.length < 3) specs.push(stockPlatforms[0] as PlatformSpec);
  for (const [i, p] of specs.entries()) {
    const sim = sims.mount(`${p.platform}-${seed}-${i}`, p.factory, `${seed}-${i}`);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: p.platform, name: `${p.platform} ${i}`, credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    out.push({
      platform: p.platform,
      sim,
      accountId: a.body.id,
      list(sku) {
        const base = 700_000_000_000 + ++itemSeq * 100;
        const itemId = String(base);
        const skuId = String(base + 1);
        sim.catalogue?.add({ itemId, title: sku, skus: [{ skuId, outerId: sku, quantity: 0 }] });
        return { itemId, skuId };
      },
      refuseNextStockWrite: (itemId) => sim.catalogue?.refuseNextWrite(p.refusal.code, p.refusal.message, itemId),
      refusalCode: p.refusal.code,
      refusalMessage: p.refusal.message,
    });
  }
  return out;
}

// What an order's channel can carry when a person acts on the order in the hub: asked by the orders module before
// it offers or runs an action, so an action the platform would never see is refused instead of silently diverging.
import { adapterFor } from '../connectors/registry.ts';

/**
 * Why a price change (改价) cannot reach what the buyer pays on this channel, or null when it can: the channel's
 * adapter says how (the own shop, paid through the hub), or the channel is none the hub pulls from (the hub's own orders).
 */
export function priceChangeRefusal(channel: string): string | null {
  const a = adapterFor(channel);
  if (!a || a.priceChange) return null;
  return `${a.label} orders are paid on ${a.label} at its price: a price change in the hub would never reach the buyer; change the price in the ${a.label} seller back office`;
}

// Ingestion: keep the raw delivery, drop duplicates and stale updates, then create or move the order. A thin façade
// over its parts — raw-event.ts (keep, redeliver, replay), apply-order.ts (the stale guard), create-order.ts,
// update-order.ts, update-amounts.ts, reported-state.ts (status and holds), lock-batch.ts — built once by the hub.
import type { Tx } from '../../../platform/db/database.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import type { LifecycleSettings } from '../lifecycle.ts';
import type { Delivery, DeliveryResult, OrderResult, Replay } from './delivery.ts';
import type { IngestDeps } from './deps.ts';
import { lockForBatch } from './lock-batch.ts';
import type { OrderNumbers } from './order-numbers.ts';
import { applyDelivery, replayRawEvent } from './raw-event.ts';
import { SkuResolver } from './sku-resolver.ts';

// Where these lived before the split; importers keep naming this file.
export { sealDelivery, type Delivery, type DeliveryResult, type OrderOutcome, type OrderResult, type Replay, type SealedDelivery, type SealedOrder } from './delivery.ts';
export { OrderNumbers } from './order-numbers.ts';

export class IngestService {
  private readonly deps: IngestDeps;

  constructor(settings: LifecycleSettings, numbers: OrderNumbers, keyring: Keyring) {
    // The SKU codes it remembers live as long as the service (one per hub, or per writer thread).
    this.deps = { settings, numbers, keyring, skus: new SkuResolver() };
  }

  lockFor(tx: Tx, deliveries: readonly Delivery[]): Promise<void> {
    return lockForBatch(tx, deliveries);
  }

  apply(tx: Tx, d: Delivery): Promise<DeliveryResult> {
    return applyDelivery(this.deps, tx, d);
  }

  replay(tx: Tx, r: Replay): Promise<OrderResult[]> {
    return replayRawEvent(this.deps, tx, r);
  }
}

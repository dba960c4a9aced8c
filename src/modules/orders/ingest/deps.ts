// What ingestion's parts are given: built once by IngestService, passed to each step.
import type { Keyring } from '../../../platform/security/keyring.ts';
import type { LifecycleSettings } from '../lifecycle.ts';
import type { OrderNumbers } from './order-numbers.ts';
import type { SkuResolver } from './sku-resolver.ts';

export interface IngestDeps {
  settings: LifecycleSettings;
  numbers: OrderNumbers;
  keyring: Keyring;
  skus: SkuResolver;
}

// A local stand-in for each platform, used by the demo, the tests and the load sandbox: it keeps a shop's orders,
// sends pushes signed as the platform signs them, and answers pull requests as the platform's API does after
// checking their signature the way the platform checks it. Its signers are written apart from the hub's verifiers
// (no shared helper), so a test of one against the other can fail.
import type { SimCatalogue } from './catalogue.ts';

/** Where an order is in its life, platform-neutral; each simulator writes it as its platform's raw status. */
export type SimPhase = 'created' | 'paid' | 'shipped' | 'delivered' | 'completed' | 'cancelled';

export interface SimLine {
  sku: string;
  title: string;
  quantity: number;
  /** Minor units. */
  unitPrice: number;
  /** Seller-borne discount on this line, minor units. */
  discount: number;
}

export interface SimOrder {
  /** The platform's order id (digits for platforms whose ids are numbers). */
  id: string;
  phase: SimPhase;
  /** Overrides the raw status the simulator writes (to send an ambiguous or an unknown one). */
  rawStatus?: string;
  /** Epoch ms. `updatedAt` is the platform's modified time: it must grow with every change. */
  createdAt: number;
  updatedAt: number;
  currency: string;
  lines: SimLine[];
  shippingFee: number;
  /** Borne by the platform (平台补贴) and by the seller (店铺优惠), order level, minor units. */
  discountPlatform: number;
  discountSeller: number;
  buyer: { id: string; name: string; phone: string };
  receiver: { name: string; phone: string; province: string; city: string; district: string; address: string };
}

/** One push as the platform sends it: POST to the account's hook URL with these headers and exactly these bytes. */
export interface SimPush {
  headers: Record<string, string>;
  body: string;
}

export interface SimRequest {
  method: string;
  /** Path below the simulator's mount point, e.g. `/router/rest`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** A file the platform serves (Shopee's shipping document PDF): sent instead of `body`. */
  bytes?: Buffer;
}

export interface PlatformSimulator {
  readonly platform: string;
  /** The shop's credentials as an account on the hub takes them; `apiBase` points the hub's pull at this simulator. */
  readonly credentials: Record<string, unknown>;
  /** Records the order's new state (what later pulls see) and returns the pushes the platform sends for it (none when the platform does not push over HTTP). */
  record(order: SimOrder, hookUrl: string): SimPush[];
  /** Answers one API request as the platform's API does, after checking its signature the way the platform does. */
  handle(req: SimRequest): SimResponse;
  /** The next `n` API calls get the platform's rate-limit answer. */
  throttleNext(n: number): void;
  /**
   * The next write call (ship-back) fails: `status` 5xx after applying the change when `applied` (the answer was lost,
   * the shop has it), or refused with the platform's error `code` and `message` (4xx), the change not applied.
   */
  failNextWrite?(f: { status: number; applied?: boolean; code?: string; message?: string }): void;
  /** A multi-location shop: this SKU's lines are assigned to that location (Shopify's fulfillment orders), its stock moved there. */
  placeSku?(sku: string, location: number): void;
  /** Shopify: a location of the shop (active unless said otherwise). */
  addLocation?(id: number, name?: string, active?: boolean): void;
  /** Shopify: stocks a listing at a location with this available quantity, behind the hub's back (null: unstocked there). */
  stockAt?(key: string, location: number, quantity: number | null): void;
  /** Shopify: a listing's available quantity per location id. */
  levelsOf?(key: string): Record<string, number>;
  /** Shopify: the next inventory set fails — refused with a userError (4xx status given), or a 5xx before or after applying. */
  failNextStockWrite?(f: { status: number; applied?: boolean; code?: string; message?: string }): void;
  /** Shopify: every inventory set the shop accepted, in order. */
  stockWrites?(): { inventoryItemId: number; locationId: number; quantity: number; compareQuantity: number | null; reason: string; referenceDocumentUri: string | null }[];
  /** The tracking numbers the platform holds for an order (one per shipment it knows). */
  shipmentsOf?(platformOrderId: string): string[];
  /** The shop's catalogue as the platform holds it: each SKU code its orders used, with its ids and the quantity on offer. */
  catalogueOf?(): { code: string; itemId: string; skuId: string; quantity: number }[];
  /** Changes a SKU's quantity on offer behind the hub's back (the seller editing it in the platform's back office). */
  setCatalogueQuantity?(code: string, quantity: number): void;
  /** The seller's remark (卖家备注) and flag the platform holds for an order; null when none was written. */
  remarkOf?(platformOrderId: string): { text: string; flag: number } | null;
  /** The shop's catalogue (listing pulls read it, stock writes change it), where the simulator has listings. */
  readonly catalogue?: SimCatalogue;
  /** The shop's listings (its catalogue): the SKUs its orders use, plus those a test put there. */
  listings?(): SimListing[];
  /**
   * Adds a listing, or changes one, behind the hub's back (as the seller would in the platform's back office). `key`
   * names it for the simulator (its ids derive from it); `code` is its merchant code (default: the key; null: none);
   * `parent` makes it a variant of that product (platforms with variants).
   */
  putListing?(key: string, patch?: { code?: string | null; title?: string; quantity?: number | null; parent?: string }): SimListing;
  /** Takes a listing off the platform. */
  removeListing?(key: string): void;
  /** API calls answered so far, and how many were refused for a bad signature. */
  readonly stats: { calls: number; refusedSignature: number; throttled: number };
}

/** One listing as the simulated platform holds it. */
export interface SimListing {
  key: string;
  itemId: string;
  /** '' for a product without variants. */
  skuId: string;
  code: string | null;
  title: string;
  /** null: stock not tracked. */
  quantity: number | null;
  /** Where the stock is (Shopify). */
  location?: number;
}

export interface SimulatorOptions {
  /** Where the simulator's API answers, e.g. http://127.0.0.1:4010/taobao-1 (the hub's `apiBase` credential). */
  apiBase: string;
  /** Makes secrets and shop ids differ between simulated shops of one platform. */
  seed?: string;
}

export type SimulatorFactory = (opts: SimulatorOptions) => PlatformSimulator;

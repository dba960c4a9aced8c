// The one small interface every platform adapter implements. Adapters translate; they decide nothing.
// An adapter verifies a push (where the platform pushes over HTTP), parses it into normalised orders, maps raw
// statuses through its dictionary (data), and pulls orders modified in a time window with the platform's signing.
import type { NormalizedOrder } from '../../orders/domain/order.ts';
import type { OrderStatus } from '../../orders/domain/machine.ts';
import { carrierEntry } from '../../../kernel/carriers.ts';

export interface PushRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  now: number;
  /** The URL the platform called, as registered with it (public base + path): Shopee signs it. */
  url: string;
}

export interface VerifiedPush {
  /** The delivery's own id: a redelivery carries the same one. */
  eventId: string;
  /** Headers worth keeping with the raw event (no secrets). */
  keptHeaders: Record<string, string>;
  /** A platform's check that the URL answers (e.g. WooCommerce's creation ping): answered, nothing stored. */
  ping?: boolean;
  /** The kind of payload (topic, tag …): contract drift learns the fields of each kind apart. */
  shape?: string;
}

/**
 * What one raw platform status means for the anchor. `anchor: null` means the value does not say where the order is
 * (the order keeps its status); `hold` puts the order on hold until the platform says more (JD LOCKED, Shopee
 * IN_CANCEL: never read as "cancelled").
 */
export interface StatusMeaning {
  anchor: OrderStatus | null;
  hold?: string;
  /** What the platform documents for the value (Chinese or English, as the platform writes it). */
  doc: string;
}

export type StatusDictionary = Readonly<Record<string, StatusMeaning>>;

/** Hold codes a platform's own state puts on an order; the platform lifts them by reporting a clear state. */
export const platformHoldCodes = ['PLATFORM_HOLD', 'STATUS_UNKNOWN', 'AMOUNT_MISMATCH'] as const;
export type PlatformHoldCode = (typeof platformHoldCodes)[number];

/**
 * Looks a raw status up: the dictionary's meaning, or STATUS_UNKNOWN (kept, flagged and alerted; never guessed).
 * Adapters call this and copy `status`/`hold` into the NormalizedOrder.
 */
export function meaningOf(
  dictionary: StatusDictionary,
  raw: string,
  platformLabel: string,
): { status: OrderStatus | null; hold?: { code: string; reason: string } } {
  const m = Object.hasOwn(dictionary, raw) ? dictionary[raw] : undefined;
  if (!m) return { status: null, hold: { code: 'STATUS_UNKNOWN', reason: `${platformLabel} status ${JSON.stringify(raw)} is not in the dictionary (kept as received, not guessed)` } };
  return m.hold ? { status: m.anchor, hold: { code: m.hold, reason: `${platformLabel} status ${raw}: ${m.doc}` } } : { status: m.anchor };
}

/** One order as a pull found it: stored as a raw event like a push, under an id that repeats for the same version. */
export interface PulledOrder {
  /** `${platformOrderId}@${platform modified time}`: pulling the same version twice is one raw event. */
  eventId: string;
  /** The platform's JSON for this one order, as fetched (the raw event body). */
  rawBody: Buffer;
  order: NormalizedOrder;
}

export interface PullContext<Credentials> {
  credentials: Credentials;
  /** Orders modified in [from, to), epoch ms. The caller keeps the window within `maxWindowMs`. */
  from: number;
  to: number;
  /** HTTP for the platform API (global fetch; tests point `credentials.apiBase` at a simulator on loopback). */
  fetch: typeof fetch;
  now(): number;
  signal?: AbortSignal | undefined;
}

/** Why a pull failed, as the platform said it. `rateLimited` makes the poller back off instead of counting a failure. */
export class PullError extends Error {
  constructor(
    /** The platform's error code, or HTTP_<status>, or NETWORK. */
    readonly code: string,
    message: string,
    readonly opts: { rateLimited?: boolean; retryAfterMs?: number; authFailed?: boolean } = {},
  ) {
    super(message);
    this.name = 'PullError';
  }
}

export interface ChannelAdapter<Credentials = unknown> {
  readonly platform: string;
  /** The platform's name for people, e.g. "Shopify". */
  readonly label: string;
  /** Problems with credentials given for a new account; empty when usable. */
  credentialProblems(credentials: unknown): string[];
  /** The credential fields, for the console's account form: secrets are write-only. */
  readonly credentialFields: readonly { name: string; label: string; secret?: boolean; optional?: boolean; hint?: string }[];
  /** The platform's raw statuses and what each one means. */
  readonly statusDictionary: StatusDictionary;

  /** How the platform signs a push and what it expects back, for the API document; absent when it has no HTTP push. */
  readonly pushDescription?: string;
  /** Checks a push exactly as the platform signs it, against the raw bytes; throws HubError when it fails. */
  verifyPush?(req: PushRequest, credentials: Credentials, toleranceSeconds: number): VerifiedPush;
  /**
   * Parses a verified push into orders as the platform sees them (none for a delivery that carries no order, such as
   * a refund notice); throws HubError(VALIDATION_FAILED).
   */
  parsePush?(rawBody: Buffer, verified: VerifiedPush): NormalizedOrder[];
  /** The body the platform expects on success; null for an empty 200. */
  successBody?(): unknown;

  /** How the pull signs its requests, for the API document. */
  readonly pullDescription?: string;
  /** The widest window one pull may ask for (platforms cap it, e.g. 24 h on Taobao, 30 min on PDD). */
  readonly maxPullWindowMs?: number;
  /** False when the account's credentials lack what a pull needs (an optional API token): it is then not scheduled. */
  pullConfigured?(credentials: Credentials): boolean;
  /** Orders modified in the window, page by page, with the platform's request signing; throws PullError. */
  pull?(ctx: PullContext<Credentials>): AsyncGenerator<PulledOrder[], void, void>;
  /**
   * Orders a push named without carrying them (Shopee and Douyin status messages hold an id and a status, not the
   * order): the hub fetches them right after answering, instead of waiting for the next scheduled pull.
   */
  announcedOrders?(rawBody: Buffer, verified: VerifiedPush): { ids: string[]; at?: number | undefined } | null;
  /** Fetches named orders; without it the hub pulls a short window around the announcement. */
  fetchOrders?(ctx: Omit<PullContext<Credentials>, 'from' | 'to'>, ids: readonly string[]): Promise<PulledOrder[]>;
  /** Reads a stored pulled order (a PulledOrder's rawBody) again, for a replay after a mapping fix. */
  parsePulled?(rawBody: Buffer): NormalizedOrder[];
  /** Tells the platform a parcel shipped (发货回传); absent where the hub cannot ship back yet. */
  shipBack?(ctx: CallContext<Credentials>, parcel: ShipBackParcel): Promise<WriteResult>;
  /**
   * The platform's method for correcting a parcel's carrier or tracking number after it was told of it (for the API
   * document): `shipBack` then takes a parcel with `replacesTrackingNo`. A platform with a ship-back but no correction is
   * refused a correction before anything is written, so the new number never goes as a second parcel.
   */
  readonly trackingCorrection?: string;
  /** Why the platform cannot take a corrected number at all (it issues the number itself, it documents no method). */
  readonly trackingCorrectionRefused?: string;
  /** The shop's listings (商品下载), page by page, with the platform's signing; throws PlatformWriteError. */
  pullListings?(ctx: CallContext<Credentials>): AsyncGenerator<PlatformListing[], void, void>;
  /** Sets one listing's sellable quantity on the platform (库存同步); idempotent (an absolute value, never a delta). */
  setStock?(ctx: CallContext<Credentials>, write: StockWrite): Promise<WriteResult>;
  /** Writes the seller's remark (卖家备注) and flag on a platform order; idempotent (the remark replaces the last one). */
  setRemark?(ctx: CallContext<Credentials>, remark: RemarkWrite): Promise<WriteResult>;

  /**
   * How a price change made in the hub (改价, before payment) reaches what the buyer pays, for the API document. Absent:
   * the buyer pays on the platform at the platform's price, so the hub refuses the change (PRICE_CHANGE_UNSUPPORTED)
   * instead of holding a total the platform never charges.
   */
  readonly priceChange?: string;

  /** The account settings the platform takes besides its credentials (Shopify's stock location), for the form. */
  readonly settingFields?: readonly { name: string; label: string; hint?: string }[];
  /** Problems with settings as given (their shape); empty when usable. Settings not listed in settingFields are refused. */
  settingsProblems?(settings: Readonly<Record<string, unknown>>): string[];
  /**
   * Checks settings against the shop when they are saved (a Shopify location must be one of the shop's): problems in
   * the seller's words, empty when the shop agrees; throws PlatformWriteError when the shop cannot be asked.
   */
  checkSettings?(ctx: CallContext<Credentials>, settings: Readonly<Record<string, unknown>>): Promise<string[]>;
  /** How fast the hub sends this platform's writes per account (write-pacing.ts); absent: not paced. */
  readonly writeRate?: PlatformWriteRate;
}

export interface WriteRate {
  /** Requests per second, sustained. */
  perSecond: number;
  /** Requests that may go at once after a quiet spell (1: evenly spaced). */
  burst: number;
}

/** A platform's write rate (ChannelAdapter.writeRate), as data beside its connector: what the hub paces to, and the platform's limit it keeps under. */
export interface PlatformWriteRate extends WriteRate {
  /** The platform's own limit (per app and shop), which the pace stays under with some room. */
  limit: WriteRate;
  /** `documented`: the platform publishes the figure; `assumed`: it publishes none the hub could confirm (override it). */
  basis: 'documented' | 'assumed';
}

/** One platform SKU of a shop as a listing pull finds it (an item without SKUs is one listing with platformSkuId ''). */
export interface PlatformListing {
  platformItemId: string;
  /** '' when the item has no SKUs. */
  platformSkuId: string;
  /** The merchant code the seller typed on the platform (Taobao outer_id, JD outerId, Shopify variant sku …); null when none. */
  merchantCode: string | null;
  title: string;
  /** The quantity the platform offers now; null when the platform does not say (stock not tracked). */
  quantity: number | null;
  /** What a stock write needs besides the ids (Shopify inventory_item_id and location_id, a variation's parent …). */
  ref?: Record<string, string>;
}

/** Where a stock write goes: a listing's ids and ref as its pull found them. */
export interface ListingRef {
  platformItemId: string;
  platformSkuId: string;
  ref: Record<string, string>;
}

export interface StockWrite {
  listing: ListingRef;
  /** The absolute sellable quantity the platform should show, >= 0. */
  quantity: number;
  /**
   * What the hub last wrote there (compare-and-set where the platform offers it: a different number on the platform
   * means it changed behind the hub's back); null when the hub never wrote it.
   */
  expected: number | null;
  /** Where that last write went (WriteResult.target); a connector ignores `expected` written to another place. */
  expectedTarget?: string | null | undefined;
  /** The hub's listing id: named in the platform's history where it keeps one (Shopify referenceDocumentUri). */
  listingId?: number | undefined;
}

export interface RemarkWrite {
  platformOrderId: string;
  /** The seller's remark as it should read on the platform (replaces the one there). */
  text: string;
  /** The platform's flag colour (旗帜) as the hub names it: 0 none, 1 red, 2 yellow, 3 green, 4 blue, 5 purple. */
  flag: number | null;
}

export function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/**
 * A credential's `apiBase` (where pulls go instead of the platform's production API: a simulator, a sandbox). The
 * hub sends the shop's access token there, so plain http is only allowed on this machine: elsewhere it must be https.
 */
export function apiBaseProblems(v: unknown): string[] {
  if (v === undefined) return [];
  let u: URL | null = null;
  try {
    u = typeof v === 'string' ? new URL(v) : null;
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) return ['credentials.apiBase must be an https URL'];
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol === 'http:' && !loopback) return ['credentials.apiBase must be https (plain http only on 127.0.0.1 or localhost)'];
  return [];
}

/** One parcel the hub shipped, as a ship-back tells the platform (发货回传). */
export interface ShipBackParcel {
  platformOrderId: string;
  /** The hub's carrier code; the connector's carrier dictionary names it in the platform's words. */
  carrier: string;
  trackingNo: string;
  shippedAt: number;
  /** What this parcel carries of the order, by merchant SKU, with the platform's line id where it has one (Taobao oid). */
  lines: { sku: string; quantity: number; platformLineId?: string | null | undefined }[];
  /**
   * The parcel carries only part of the order (its other lines or units leave in other parcels): Taobao sends it as a
   * split (is_split, sub_tid = the lines' oids), PDD's later parcels go as extra logistics. Absent or false: the whole order.
   */
  partial?: boolean | undefined;
  /** A correction: this number replaces one the platform was already told for the same lines (taobao.logistics.consign.resend). */
  replacesTrackingNo?: string | undefined;
  /** Unique per parcel and order: sent where the platform takes an idempotency key. */
  idempotencyKey: string;
}

export interface CallContext<Credentials> {
  credentials: Credentials;
  fetch: typeof fetch;
  now(): number;
  signal?: AbortSignal | undefined;
  /** The account's settings as saved (ChannelAdapter.settingFields); absent or empty when none. */
  settings?: Readonly<Record<string, unknown>> | undefined;
  /** What the hub read from the shop before and kept (Shopify's primary location). */
  learned?: Readonly<Record<string, string>> | undefined;
  /** Keeps facts read from the shop with the account, so the next call need not ask again; absent where nothing is kept. */
  learn?: ((facts: Record<string, string>) => Promise<void>) | undefined;
  /** Told of every request the call makes (the outbound call log): the transport calls it, the worker records it. */
  onCall?: ((call: PlatformCallTrace) => void) | undefined;
  /** Waits for the account's turn under the platform's rate (the write pacer): the transport awaits it before every request. */
  pace?: (() => Promise<void>) | undefined;
}

/** One request a platform call made, as the transport saw it: no body, no credentials, no personal data. */
export interface PlatformCallTrace {
  /** The platform's method (taobao.logistics.offline.send, pdd.waybill.get), or the HTTP method and path for REST. */
  op: string;
  /** The HTTP status; null when no answer came (the network, a timeout). */
  status: number | null;
  latencyMs: number;
  /** When it was sent (epoch ms). */
  at: number;
}

/** What a platform write came to when it worked. `already`: the platform had it before this call (a retry). */
export interface WriteResult {
  /** The platform's id of what the write made (a fulfillment id), when it says one. */
  platformRef: string | null;
  already: boolean;
  /** The HTTP status of the last request. */
  status: number;
  /** Where a stock write went when the platform has several places (a Shopify location gid); the next write's expectedTarget. */
  target?: string | undefined;
  /**
   * A compare-and-set stock write found the platform's number changed since the hub's last write (a sale there, a
   * person's edit) and wrote the hub's number over it: what the hub had written and what the platform showed.
   */
  drift?: { expected: number; found: number } | undefined;
}

/**
 * Why a platform write failed. `refused`: the platform said no with a reason (a 4xx other than 429, an unknown
 * carrier): sending the same again cannot help, so it is not retried. Otherwise (network, 5xx, 429) it is retried.
 */
export class PlatformWriteError extends Error {
  constructor(
    /** The platform's error code, or HTTP_<status>, NETWORK, CARRIER_UNKNOWN. */
    readonly code: string,
    message: string,
    readonly opts: { refused?: boolean; status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'PlatformWriteError';
  }
}

/** A platform's ship-back: tells the platform a parcel left, with its carrier and tracking number; idempotent. */
export interface ShipBackClient<Credentials = unknown> {
  shipBack(ctx: CallContext<Credentials>, parcel: ShipBackParcel): Promise<WriteResult>;
}

/**
 * The hub's carrier codes in a platform's words (data, per platform). Refuses a carrier the dictionary does not know:
 * a guessed name would put a wrong tracking link in front of the buyer.
 */
export function platformCarrier<T>(dictionary: Readonly<Record<string, T>>, carrier: string, platformLabel: string): T {
  const name = carrierEntry(dictionary, carrier);
  if (!name) throw new PlatformWriteError('CARRIER_UNKNOWN', `carrier ${JSON.stringify(carrier)} is not in the ${platformLabel} carrier dictionary: add it before shipping back`, { refused: true });
  return name;
}

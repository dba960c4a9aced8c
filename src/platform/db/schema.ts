// Row types of the tables, for Kysely's typed reads. Money and times are numbers (minor units, epoch ms).
export interface OrdersTable {
  id: string;
  tenant_id: string;
  order_no: string;
  channel: string;
  account_id: string;
  platform_order_id: string;
  status: string;
  platform_status: string;
  payment_status: string;
  fulfilment_status: string;
  aftersale_status: string;
  reservation_state: string;
  hold_code: string | null;
  hold_reason: string | null;
  cancel_cause: string | null;
  currency: string;
  goods_amount: number;
  line_discount_amount: number;
  shipping_fee: number;
  discount_platform: number;
  discount_seller: number;
  tax_amount: number;
  total_amount: number;
  paid_amount: number;
  buyer_id: string | null;
  buyer_name: string | null;
  buyer_phone: string | null;
  buyer_phone_hash: string | null;
  receiver_name: string;
  receiver_phone: string;
  receiver_phone_hash: string | null;
  receiver_province: string;
  receiver_city: string;
  receiver_district: string;
  receiver_address: string;
  receiver_protection: string | null;
  /** Set once routing committed a dispatch plan for the order; routing_problem says why it could not (JSON). */
  dispatch_plan_id: string | null;
  routing_problem: string | null;
  routing_checked_at: number | null;
  platform_created_at: number;
  source_updated_at: number;
  paid_at: number | null;
  cancelled_at: number | null;
  created_at: number;
  updated_at: number;
  version: number;
  /** Migration 022: the seller's remark (卖家备注) and flag (旗帜) as last written from the hub, and when. */
  seller_remark: string | null;
  seller_flag: number | null;
  seller_remark_at: number | null;
}

export interface OrderLinesTable {
  tenant_id: string;
  order_id: string;
  line_no: number;
  sku: string | null;
  external_sku: string;
  title: string;
  quantity: number;
  unit_price: number;
  discount: number;
  /** The platform's id of the line (Taobao oid, JD skuId); null where it has none (migration 023). */
  platform_line_id: string | null;
}

export interface OrderHistoryTable {
  id: number;
  tenant_id: string;
  order_id: string;
  at: number;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  cause: string;
  source_time: number | null;
  raw_event_id: number | null;
  detail: string | null;
}

export interface ReservationsTable {
  id: number;
  tenant_id: string;
  order_id: string;
  sku: string;
  warehouse: string;
  quantity: number;
  state: string;
  created_at: number;
  updated_at: number;
  /** The bundle whose order line these component units serve (migration 020); null for a plain line. */
  bundle_sku: string | null;
}

export interface StockTable {
  tenant_id: string;
  sku: string;
  warehouse: string;
  on_hand: number;
  reserved: number;
  safety_stock: number;
  updated_at: number;
}

export interface ChannelAccountsTable {
  id: string;
  tenant_id: string;
  platform: string;
  name: string;
  credentials: string;
  active: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  /** JSON: the seller's settings for the shop (Shopify stockLocationId), migration 029. */
  settings: string;
  /** JSON of strings: what the hub read once from the platform and keeps (Shopify primaryLocationId). */
  learned: string;
}

export interface RawEventsTable {
  id: number;
  tenant_id: string;
  channel: string;
  account_id: string;
  event_id: string;
  received_at: number;
  deliveries: number;
  last_delivery_at: number;
  headers: string;
  body: string;
  body_sha256: string;
  outcome: string;
  order_id: string | null;
  detail: string | null;
  via: string;
}

export interface PullStateTable {
  account_id: string;
  tenant_id: string;
  watermark: number;
  next_run_at: number;
  failures: number;
  last_error: string | null;
  updated_at: number;
}

export interface PullLogTable {
  id: number;
  tenant_id: string;
  account_id: string;
  started_at: number;
  finished_at: number;
  window_from: number;
  window_to: number;
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  recovered: number;
  error_code: string | null;
  error: string | null;
  rate_limited: number;
}

export interface ChannelAlertsTable {
  id: number;
  tenant_id: string;
  account_id: string;
  platform: string;
  kind: string;
  alert_key: string;
  message: string;
  detail: string | null;
  first_at: number;
  last_at: number;
  occurrences: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

export interface OutboxTable {
  id: number;
  tenant_id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: string;
  created_at: number;
}

export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  url: string;
  secret: string;
  event_types: string;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: number;
  tenant_id: string;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** The claim token of the sender pass posting it now, and when that claim lapses (migration 016). */
  claimed_by: string | null;
  claimed_until: number | null;
}

export interface TimersTable {
  id: number;
  tenant_id: string;
  kind: string;
  ref: string;
  due_at: number;
  state: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** The claim token of the worker pass firing it now, and when that claim lapses (migration 016). */
  claimed_by: string | null;
  claimed_until: number | null;
}

/** Who runs a job (or a unit of work such as one account's pull) now; `token` grows each time it changes hands. */
export interface JobLeasesTable {
  name: string;
  holder: string;
  token: number;
  expires_at: number;
  acquired_at: number;
  renewed_at: number;
}

export interface AuditLogTable {
  id: number;
  tenant_id: string;
  seq: number;
  at: number;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  token_id: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
  key_id: string;
  prev_mac: string;
  mac: string;
}

export interface ShipmentsTable {
  id: string;
  tenant_id: string;
  plan_id: string;
  warehouse: string;
  /** JSON list of order ids (merged orders share a shipment). */
  order_ids: string;
  state: string;
  ship_by: number;
  weight_grams: number;
  carrier: string | null;
  tracking_no: string | null;
  wave_id: string | null;
  created_at: number;
  waved_at: number | null;
  picked_at: number | null;
  packed_at: number | null;
  shipped_at: number | null;
  delivered_at: number | null;
  returned_at: number | null;
  updated_at: number;
  /** Tracking (011): the tracking status set, or delivered_unconfirmed while an untrusted delivery is re-checked. */
  tracking_status: string | null;
  tracking_raw_status: string | null;
  last_event_at: number | null;
  tracking_checked_at: number | null;
  carrier_delivered_at: number | null;
  delivery_seen_at: number | null;
  delivery_outlet: string | null;
  trust_grade: string | null;
  recheck_count: number;
  recheck_due_at: number | null;
  recheck_state: string | null;
  tracking_account_id: string | null;
  tracking_ref: string | null;
  subscribed_at: number | null;
  /** 015: when and why the shipment was cancelled before it was handed to a carrier. */
  cancelled_at: number | null;
  cancel_reason: string | null;
}

export interface TrackingAccountsTable {
  id: string;
  tenant_id: string;
  source: string;
  name: string;
  credentials: string;
  api_base: string | null;
  active: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface WmsAccountsTable {
  id: string;
  tenant_id: string;
  name: string;
  warehouse: string;
  secret: string;
  dictionary: string;
  active: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface WmsPushesTable {
  wms_account_id: string;
  event_id: string;
  tenant_id: string;
  shipment_id: string;
  status: string;
  step: string;
  outcome: string;
  reported_at: number | null;
  received_at: number;
}

export interface TrackingPushesTable {
  id: number;
  tenant_id: string;
  tracking_account_id: string;
  source: string;
  dedupe_key: string;
  via: string;
  tracking_no: string | null;
  received_at: number;
  deliveries: number;
  last_delivery_at: number;
  headers: string;
  body: string;
  body_sha256: string;
  shipment_id: string | null;
  outcome: string;
}

export interface TrackingEventsTable {
  id: number;
  tenant_id: string;
  shipment_id: string;
  source: string;
  event_key: string;
  status: string;
  raw_status: string | null;
  raw_sub_status: string | null;
  at: number;
  location: string | null;
  description: string;
  evidence: string;
  push_id: number | null;
  created_at: number;
}

export interface AftersaleCasesTable {
  id: string;
  tenant_id: string;
  order_id: string;
  shipment_id: string | null;
  kind: string;
  priority: string;
  state: string;
  reason: string;
  opened_by: string;
  opened_at: number;
  updated_at: number;
}

export interface ShipmentLinesTable {
  shipment_id: string;
  tenant_id: string;
  order_id: string;
  line_no: number;
  sku: string;
  quantity: number;
  scanned: number;
  /** A bundle's component (migration 020): the bundle and its order line; null for a plain line. */
  bundle_sku: string | null;
  bundle_line_no: number | null;
}

/** A waybill account (migration 021): the seller's account with a carrier network's e-waybill service. */
export interface WaybillAccountsTable {
  id: string;
  tenant_id: string;
  /** 'cainiao' | 'pinduoduo' | 'douyin' | 'jd' | 'shopee'. */
  network: string;
  name: string;
  /** The hub carrier code the numbers belong to (zto, yunda …; shopee: the channel Shopee assigns). */
  carrier: string;
  /** Encrypted JSON: the network's keys and session. */
  credentials: string;
  /** JSON: the sender (发件人) printed on the label and sent with each request. */
  sender: string;
  active: number;
  created_at: number;
  updated_at: number;
}

/** One waybill number asked for a parcel (migration 021). */
/** The network's own printable label for a waybill (Shopee's shipping document), kept for reprints. */
export interface WaybillDocumentsTable {
  waybill_id: number;
  tenant_id: string;
  shipment_id: string;
  /** As the network served it (application/pdf). */
  content_type: string;
  /** Base64 of the bytes. */
  body: string;
  fetched_at: number;
}

export interface WaybillsTable {
  id: number;
  tenant_id: string;
  shipment_id: string;
  account_id: string;
  network: string;
  carrier: string;
  /** The id the network keeps per request: the same id answers the same number. */
  object_id: string;
  /** 'requesting' | 'issued' | 'cancel_pending' | 'cancelled'. */
  state: string;
  waybill_no: string | null;
  /** The sort code (大头笔/三段码) the network returned, if any. */
  sort_code: string | null;
  /** JSON: what the label prints from the network's answer (masked receiver, route), never a decrypted address. */
  print_data: string | null;
  error_code: string | null;
  error: string | null;
  attempts: number;
  requested_at: number;
  issued_at: number | null;
  cancel_reason: string | null;
  cancelled_at: number | null;
  next_attempt_at: number | null;
  updated_at: number;
}

/** An outbound platform write (migration 017): what the hub must tell a platform, and its last attempt. */
/** The platform call log: one request the hub made to a platform (migration 031). */
export interface PlatformCallsTable {
  id: number;
  tenant_id: string;
  account_id: string;
  platform: string;
  /** ship_back, remark, stock, waybill. */
  kind: string;
  op: string;
  /** What the call was about, in the platform's words: its order id, item:sku, a waybill number. */
  subject: string;
  order_id: string | null;
  outbound_id: number | null;
  listing_id: number | null;
  attempt: number;
  http_status: number | null;
  /** ok, retry, refused, failed. */
  result: string;
  code: string | null;
  error: string | null;
  latency_ms: number;
  at: number;
}

export interface OutboundCallsTable {
  id: number;
  tenant_id: string;
  account_id: string;
  channel: string;
  kind: string;
  order_id: string | null;
  shipment_id: string | null;
  platform_order_id: string;
  idempotency_key: string;
  /** JSON: what the call must say (the parcel for a ship-back). */
  request: string;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_code: string | null;
  last_latency_ms: number | null;
  last_error: string | null;
  platform_ref: string | null;
  claimed_by: string | null;
  claimed_until: number | null;
  created_at: number;
  updated_at: number;
  /** Migration 022: when the platform took the write; when a later pull or push showed it (ship-back's closed loop). */
  done_at: number | null;
  confirmed_at: number | null;
  /** When the "not confirmed in time" alert was raised (once per row). */
  unconfirmed_alerted_at: number | null;
  /** A refused or failed write a person closed, with their note. */
  handled_at: number | null;
  handled_by: string | null;
  handled_note: string | null;
  /** The row that replaced this one (a corrected resend, a newer remark); the row this one resends. */
  superseded_by: number | null;
  resend_of: number | null;
}

/** A platform listing of a channel account (migration 018): its ids, merchant code, match and stock-sync state. */
export interface ListingsTable {
  id: number;
  tenant_id: string;
  account_id: string;
  channel: string;
  platform_item_id: string;
  /** '' when the item has no SKUs. */
  platform_sku_id: string;
  merchant_code: string | null;
  title: string;
  /** JSON object of strings: what a stock write needs besides the ids (Shopify's inventory_item_id …). */
  ref: string;
  /** The hub SKU it is matched to; null = unmatched (商品未匹配). */
  sku: string | null;
  /** 'code' | 'alias' | 'manual'; null while unmatched. */
  match_source: string | null;
  ignored: number;
  platform_quantity: number | null;
  seen_at: number;
  gone: number;
  fixed_quantity: number | null;
  cap_quantity: number | null;
  sync_wanted: number | null;
  sync_wanted_at: number | null;
  sync_due_at: number | null;
  synced_quantity: number | null;
  synced_at: number | null;
  sync_attempts: number;
  sync_error: string | null;
  sync_error_code: string | null;
  sync_claimed_by: string | null;
  sync_claimed_until: number | null;
  created_at: number;
  updated_at: number;
  /** Where the last write went (a Shopify location gid); null where the platform has one place per listing (029). */
  synced_target: string | null;
  /** The last write that found the platform's number changed since the hub's own last write (029). */
  drift_at: number | null;
  drift_expected: number | null;
  drift_found: number | null;
  drift_written: number | null;
}

/** Per channel account: the share of a SKU's free stock it may offer (issue 17, 库存分配). */
export interface StockAllocationTable {
  tenant_id: string;
  account_id: string;
  /** Percent of the free stock, 0–100. */
  ratio_pct: number;
  /** Units kept back from this account's listings. */
  safety_stock: number;
  /** 0: this account's listings are not synced. */
  sync_enabled: number;
  updated_at: number;
}

/** A SKU offered by one channel account only: every other account's listings of it get 0. */
export interface StockExclusiveTable {
  tenant_id: string;
  sku: string;
  account_id: string;
  updated_at: number;
}

/** One component of a bundle (组合装, migration 020): how many units of it one unit of the bundle takes. */
export interface BundleComponentsTable {
  tenant_id: string;
  bundle_sku: string;
  component_sku: string;
  quantity: number;
  /** The component's place in the definition, from 1: its shipment lines are numbered by it. */
  place: number;
  created_at: number;
}

/** The last listing pull of each channel account and when the next is due (migration 024). */
export interface ListingPullsTable {
  account_id: string;
  tenant_id: string;
  started_at: number | null;
  finished_at: number | null;
  seen: number;
  matched: number;
  unmatched: number;
  gone: number;
  error_code: string | null;
  error: string | null;
  failures: number;
  next_run_at: number;
  updated_at: number;
}

export interface DB {
  audit_log: AuditLogTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_history: OrderHistoryTable;
  reservations: ReservationsTable;
  stock: StockTable;
  channel_accounts: ChannelAccountsTable;
  raw_events: RawEventsTable;
  pull_state: PullStateTable;
  pull_log: PullLogTable;
  channel_alerts: ChannelAlertsTable;
  outbox: OutboxTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  timers: TimersTable;
  job_leases: JobLeasesTable;
  shipments: ShipmentsTable;
  shipment_lines: ShipmentLinesTable;
  tracking_accounts: TrackingAccountsTable;
  tracking_pushes: TrackingPushesTable;
  tracking_events: TrackingEventsTable;
  aftersale_cases: AftersaleCasesTable;
  wms_accounts: WmsAccountsTable;
  wms_pushes: WmsPushesTable;
  outbound_calls: OutboundCallsTable;
  listings: ListingsTable;
  waybill_accounts: WaybillAccountsTable;
  waybills: WaybillsTable;
  waybill_documents: WaybillDocumentsTable;
  stock_allocation: StockAllocationTable;
  stock_exclusive: StockExclusiveTable;
  bundle_components: BundleComponentsTable;
  listing_pulls: ListingPullsTable;
  platform_calls: PlatformCallsTable;
}

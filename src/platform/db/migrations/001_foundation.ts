// Foundation schema: orders, lines, stock and reservations, history, raw events, outbox, timers, webhooks.
// Written once; `{{autoid}}` and `{{big}}` become each dialect's types. Every table names its tenant.
export const name = 'foundation';

export const ddl = `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at {{big}} NOT NULL
);

CREATE TABLE sequences (
  key TEXT PRIMARY KEY,
  last {{big}} NOT NULL
);

CREATE TABLE channel_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  name TEXT NOT NULL,
  credentials TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);
CREATE INDEX channel_accounts_tenant ON channel_accounts (tenant_id, platform);

CREATE TABLE warehouses (
  tenant_id TEXT NOT NULL,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 100,
  created_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, code)
);

CREATE TABLE skus (
  tenant_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  created_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, sku)
);

CREATE TABLE sku_aliases (
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL DEFAULT '',
  external_sku TEXT NOT NULL,
  sku TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, account_id, external_sku)
);

CREATE TABLE stock (
  tenant_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  warehouse TEXT NOT NULL,
  on_hand {{big}} NOT NULL,
  reserved {{big}} NOT NULL DEFAULT 0,
  safety_stock {{big}} NOT NULL DEFAULT 0,
  updated_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, sku, warehouse),
  CHECK (on_hand >= 0),
  CHECK (reserved >= 0),
  CHECK (reserved <= on_hand),
  CHECK (safety_stock >= 0)
);

CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  order_no TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  account_id TEXT NOT NULL,
  platform_order_id TEXT NOT NULL,
  status TEXT NOT NULL,
  platform_status TEXT NOT NULL,
  payment_status TEXT NOT NULL,
  fulfilment_status TEXT NOT NULL,
  aftersale_status TEXT NOT NULL,
  reservation_state TEXT NOT NULL,
  hold_code TEXT,
  hold_reason TEXT,
  cancel_cause TEXT,
  currency TEXT NOT NULL,
  goods_amount {{big}} NOT NULL,
  line_discount_amount {{big}} NOT NULL,
  shipping_fee {{big}} NOT NULL,
  discount_platform {{big}} NOT NULL,
  discount_seller {{big}} NOT NULL,
  total_amount {{big}} NOT NULL,
  paid_amount {{big}} NOT NULL,
  buyer_id TEXT,
  buyer_name TEXT,
  buyer_phone TEXT,
  receiver_name TEXT NOT NULL,
  receiver_phone TEXT NOT NULL,
  receiver_province TEXT NOT NULL,
  receiver_city TEXT NOT NULL,
  receiver_district TEXT NOT NULL,
  receiver_address TEXT NOT NULL,
  platform_created_at {{big}} NOT NULL,
  source_updated_at {{big}} NOT NULL,
  paid_at {{big}},
  cancelled_at {{big}},
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (account_id, platform_order_id)
);
CREATE INDEX orders_tenant_created ON orders (tenant_id, created_at);
CREATE INDEX orders_tenant_status ON orders (tenant_id, status, created_at);
CREATE INDEX orders_tenant_platform_id ON orders (tenant_id, platform_order_id);
CREATE INDEX orders_held ON orders (tenant_id, hold_code) WHERE hold_code IS NOT NULL;
CREATE INDEX orders_receiver_phone ON orders (receiver_phone);

CREATE TABLE order_lines (
  order_id TEXT NOT NULL REFERENCES orders (id),
  line_no INTEGER NOT NULL,
  sku TEXT,
  external_sku TEXT NOT NULL,
  title TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price {{big}} NOT NULL CHECK (unit_price >= 0),
  discount {{big}} NOT NULL CHECK (discount >= 0),
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_sku ON order_lines (sku);
CREATE INDEX order_lines_unmatched ON order_lines (external_sku) WHERE sku IS NULL;

CREATE TABLE reservations (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL REFERENCES orders (id),
  sku TEXT NOT NULL,
  warehouse TEXT NOT NULL,
  quantity {{big}} NOT NULL CHECK (quantity > 0),
  state TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);
CREATE INDEX reservations_order ON reservations (order_id);

CREATE TABLE order_history (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL REFERENCES orders (id),
  at {{big}} NOT NULL,
  kind TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT,
  cause TEXT NOT NULL,
  source_time {{big}},
  raw_event_id {{big}},
  detail TEXT
);
CREATE INDEX order_history_order ON order_history (order_id, id);

CREATE TABLE raw_events (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  account_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at {{big}} NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 1,
  last_delivery_at {{big}} NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  outcome TEXT NOT NULL,
  order_id TEXT,
  detail TEXT,
  UNIQUE (account_id, event_id)
);
CREATE INDEX raw_events_order ON raw_events (order_id);

CREATE TABLE outbox (
  id {{autoid}},
  {{xidcol}}
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  aggregate_type TEXT NOT NULL,
  aggregate_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at {{big}} NOT NULL
);
{{xidindex}}

CREATE TABLE outbox_cursors (
  subscriber TEXT PRIMARY KEY,
  last_xid TEXT NOT NULL DEFAULT '0',
  last_id {{big}} NOT NULL DEFAULT 0,
  updated_at {{big}} NOT NULL
);

CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  event_types TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);

CREATE TABLE webhook_deliveries (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id {{big}} NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at {{big}} NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE timers (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  due_at {{big}} NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  UNIQUE (kind, ref)
);
CREATE INDEX timers_due ON timers (due_at) WHERE state = 'pending';
`;

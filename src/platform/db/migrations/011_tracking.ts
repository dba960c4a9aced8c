// Tracking (issue 7): tracking source accounts per tenant (Kuaidi100, AfterShip, 17TRACK; credentials encrypted),
// every push or query answer kept raw (encrypted) and deduplicated, the tracking events of each shipment, what the
// shipment's tracking says now (status, last event, delivery and its trust grade, re-checks, subscription), and the
// "not received" cases delivery trust opens (a minimal after-sales table; after-sales proper comes later).
export const name = 'tracking';

export const ddl = `
CREATE TABLE tracking_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  source TEXT NOT NULL,
  name TEXT NOT NULL,
  credentials TEXT NOT NULL,
  api_base TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  deleted_at {{big}},
  CHECK (source IN ('kuaidi100', 'aftership', 'track17'))
);
CREATE INDEX tracking_accounts_tenant ON tracking_accounts (tenant_id, created_at);

CREATE TABLE tracking_pushes (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  tracking_account_id TEXT NOT NULL,
  source TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  via TEXT NOT NULL,
  tracking_no TEXT,
  received_at {{big}} NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 1,
  last_delivery_at {{big}} NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  shipment_id TEXT,
  outcome TEXT NOT NULL,
  UNIQUE (tracking_account_id, dedupe_key)
);
CREATE INDEX tracking_pushes_shipment ON tracking_pushes (shipment_id);

CREATE TABLE tracking_events (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  shipment_id TEXT NOT NULL REFERENCES shipments (id),
  source TEXT NOT NULL,
  event_key TEXT NOT NULL,
  status TEXT NOT NULL,
  raw_status TEXT,
  raw_sub_status TEXT,
  at {{big}} NOT NULL,
  location TEXT,
  description TEXT NOT NULL,
  evidence TEXT NOT NULL,
  push_id {{big}},
  created_at {{big}} NOT NULL,
  UNIQUE (shipment_id, event_key)
);
CREATE INDEX tracking_events_shipment ON tracking_events (shipment_id, at);

ALTER TABLE shipments ADD COLUMN tracking_status TEXT;
ALTER TABLE shipments ADD COLUMN tracking_raw_status TEXT;
ALTER TABLE shipments ADD COLUMN last_event_at {{big}};
ALTER TABLE shipments ADD COLUMN tracking_checked_at {{big}};
ALTER TABLE shipments ADD COLUMN carrier_delivered_at {{big}};
ALTER TABLE shipments ADD COLUMN delivery_seen_at {{big}};
ALTER TABLE shipments ADD COLUMN delivery_outlet TEXT;
ALTER TABLE shipments ADD COLUMN trust_grade TEXT;
ALTER TABLE shipments ADD COLUMN recheck_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shipments ADD COLUMN recheck_due_at {{big}};
ALTER TABLE shipments ADD COLUMN recheck_state TEXT;
ALTER TABLE shipments ADD COLUMN tracking_account_id TEXT;
ALTER TABLE shipments ADD COLUMN tracking_ref TEXT;
ALTER TABLE shipments ADD COLUMN subscribed_at {{big}};
CREATE INDEX shipments_tracking_no ON shipments (tenant_id, tracking_no);
CREATE INDEX shipments_tracking_checked ON shipments (state, tracking_checked_at);

CREATE TABLE aftersale_cases (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL REFERENCES orders (id),
  shipment_id TEXT REFERENCES shipments (id),
  kind TEXT NOT NULL,
  priority TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  opened_by TEXT NOT NULL,
  opened_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  CHECK (kind IN ('not_received')),
  CHECK (priority IN ('urgent', 'normal')),
  CHECK (state IN ('open', 'closed'))
);
CREATE INDEX aftersale_cases_tenant_state ON aftersale_cases (tenant_id, state, opened_at);
CREATE INDEX aftersale_cases_shipment ON aftersale_cases (shipment_id);
`;

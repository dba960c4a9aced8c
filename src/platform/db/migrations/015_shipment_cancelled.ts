// A shipment can be cancelled (issue 7): when every order in it is cancelled, or left the warehouse another way (the
// seller shipped it from the platform's back office), before it was handed to a carrier (拦截). It keeps its row, lines
// and history, leaves the warehouse's queues, and says when and why.
//
// The shipments' state CHECK gains 'cancelled'. PostgreSQL changes the constraint in place. SQLite cannot alter a
// CHECK: the table is rebuilt, its rows copied back under the same name. The tables that reference shipments
// (shipment_lines, tracking_events, aftersale_cases) are untouched; with foreign keys deferred, dropping the old table
// counts their rows as orphans and re-inserting every shipment row un-counts them, so the commit fails if any row
// were lost.
export const name = 'shipment_cancelled';

const states = `'planned', 'waved', 'picked', 'packed', 'shipped', 'delivered', 'returned', 'cancelled'`;
const columns =
  'id, tenant_id, plan_id, warehouse, order_ids, state, ship_by, weight_grams, carrier, tracking_no, wave_id, created_at, waved_at, picked_at, packed_at, ' +
  'shipped_at, delivered_at, returned_at, updated_at, tracking_status, tracking_raw_status, last_event_at, tracking_checked_at, carrier_delivered_at, ' +
  'delivery_seen_at, delivery_outlet, trust_grade, recheck_count, recheck_due_at, recheck_state, tracking_account_id, tracking_ref, subscribed_at';

export const ddl = {
  postgres: `
ALTER TABLE shipments DROP CONSTRAINT shipments_state_check;
ALTER TABLE shipments ADD CONSTRAINT shipments_state_check CHECK (state IN (${states}));
ALTER TABLE shipments ADD COLUMN cancelled_at BIGINT;
ALTER TABLE shipments ADD COLUMN cancel_reason TEXT;
`,
  sqlite: `
PRAGMA defer_foreign_keys = ON;
CREATE TABLE shipments_before_015 AS SELECT ${columns} FROM shipments;
DROP TABLE shipments;
CREATE TABLE shipments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  plan_id TEXT NOT NULL REFERENCES dispatch_plans (id),
  warehouse TEXT NOT NULL,
  order_ids TEXT NOT NULL,
  state TEXT NOT NULL,
  ship_by INTEGER NOT NULL,
  weight_grams INTEGER NOT NULL,
  carrier TEXT,
  tracking_no TEXT,
  wave_id TEXT REFERENCES waves (id),
  created_at INTEGER NOT NULL,
  waved_at INTEGER,
  picked_at INTEGER,
  packed_at INTEGER,
  shipped_at INTEGER,
  delivered_at INTEGER,
  returned_at INTEGER,
  updated_at INTEGER NOT NULL,
  tracking_status TEXT,
  tracking_raw_status TEXT,
  last_event_at INTEGER,
  tracking_checked_at INTEGER,
  carrier_delivered_at INTEGER,
  delivery_seen_at INTEGER,
  delivery_outlet TEXT,
  trust_grade TEXT,
  recheck_count INTEGER NOT NULL DEFAULT 0,
  recheck_due_at INTEGER,
  recheck_state TEXT,
  tracking_account_id TEXT,
  tracking_ref TEXT,
  subscribed_at INTEGER,
  cancelled_at INTEGER,
  cancel_reason TEXT,
  CHECK (state IN (${states}))
);
INSERT INTO shipments (${columns}) SELECT ${columns} FROM shipments_before_015;
DROP TABLE shipments_before_015;
CREATE INDEX shipments_warehouse_state ON shipments (tenant_id, warehouse, state, ship_by);
CREATE INDEX shipments_warehouse_created ON shipments (tenant_id, warehouse, created_at);
CREATE INDEX shipments_plan ON shipments (plan_id);
CREATE INDEX shipments_wave ON shipments (wave_id);
CREATE UNIQUE INDEX shipments_tracking ON shipments (tenant_id, carrier, tracking_no) WHERE tracking_no IS NOT NULL;
CREATE INDEX shipments_tracking_no ON shipments (tenant_id, tracking_no);
CREATE INDEX shipments_tracking_checked ON shipments (state, tracking_checked_at);
`,
};

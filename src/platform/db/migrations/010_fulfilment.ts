// Fulfilment (issue 7): what routing needs to know about warehouses (regions, daily capacity, customs, carriers) and
// SKUs (allowed warehouses, promised ship hours, weight, customs), each tenant's routing rules as data, and what it
// produces — dispatch plans, shipments (merged orders allowed) with their lines, and the waves they are picked in.
export const name = 'fulfilment';

export const ddl = `
ALTER TABLE warehouses ADD COLUMN regions TEXT NOT NULL DEFAULT '["*"]';
ALTER TABLE warehouses ADD COLUMN daily_capacity INTEGER NOT NULL DEFAULT 100000;
ALTER TABLE warehouses ADD COLUMN can_clear_customs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE warehouses ADD COLUMN carriers TEXT;
ALTER TABLE warehouses ADD COLUMN updated_at {{big}};

ALTER TABLE orders ADD COLUMN dispatch_plan_id TEXT;
ALTER TABLE orders ADD COLUMN routing_problem TEXT;
ALTER TABLE orders ADD COLUMN routing_checked_at {{big}};

CREATE TABLE sku_traits (
  tenant_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  allowed_warehouses TEXT,
  promised_ship_hours INTEGER NOT NULL,
  weight_grams INTEGER NOT NULL,
  needs_customs INTEGER NOT NULL DEFAULT 0,
  updated_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, sku),
  CHECK (promised_ship_hours > 0),
  CHECK (weight_grams >= 0)
);

CREATE TABLE routing_rules (
  tenant_id TEXT PRIMARY KEY,
  rules TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at {{big}} NOT NULL
);

CREATE TABLE dispatch_plans (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  order_ids TEXT NOT NULL,
  state TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);
CREATE INDEX dispatch_plans_tenant ON dispatch_plans (tenant_id, created_at);

CREATE TABLE waves (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  warehouse TEXT NOT NULL,
  state TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);
CREATE INDEX waves_tenant ON waves (tenant_id, warehouse, created_at);

CREATE TABLE shipments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  plan_id TEXT NOT NULL REFERENCES dispatch_plans (id),
  warehouse TEXT NOT NULL,
  order_ids TEXT NOT NULL,
  state TEXT NOT NULL,
  ship_by {{big}} NOT NULL,
  weight_grams {{big}} NOT NULL,
  carrier TEXT,
  tracking_no TEXT,
  wave_id TEXT REFERENCES waves (id),
  created_at {{big}} NOT NULL,
  waved_at {{big}},
  picked_at {{big}},
  packed_at {{big}},
  shipped_at {{big}},
  delivered_at {{big}},
  returned_at {{big}},
  updated_at {{big}} NOT NULL,
  CHECK (state IN ('planned', 'waved', 'picked', 'packed', 'shipped', 'delivered', 'returned'))
);
CREATE INDEX shipments_warehouse_state ON shipments (tenant_id, warehouse, state, ship_by);
CREATE INDEX shipments_warehouse_created ON shipments (tenant_id, warehouse, created_at);
CREATE INDEX shipments_plan ON shipments (plan_id);
CREATE INDEX shipments_wave ON shipments (wave_id);
CREATE UNIQUE INDEX shipments_tracking ON shipments (tenant_id, carrier, tracking_no) WHERE tracking_no IS NOT NULL;

CREATE TABLE shipment_lines (
  shipment_id TEXT NOT NULL REFERENCES shipments (id),
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL REFERENCES orders (id),
  line_no INTEGER NOT NULL,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  scanned INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (shipment_id, order_id, line_no),
  CHECK (scanned >= 0 AND scanned <= quantity)
);
CREATE INDEX shipment_lines_order ON shipment_lines (order_id);
`;

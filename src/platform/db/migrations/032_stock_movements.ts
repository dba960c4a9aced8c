// The stock movement ledger (出入库流水, issue 18 item 4): one row for every change of a stock row's on-hand or
// reserved units — count, adjustment, reservation, release, restock, reroute, shipment — with who (a person, or null
// for the hub's own order flow), when, why (the cause, a person's reason, the order or approval it serves) and the
// figures before and after. Append-only, written in the transaction that moves the stock row.
export const name = 'stock_movements';

export const ddl = `
CREATE TABLE stock_movements (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  warehouse TEXT NOT NULL,
  at {{big}} NOT NULL,
  cause TEXT NOT NULL,
  reason TEXT,
  actor_id TEXT,
  actor_name TEXT,
  ref TEXT,
  on_hand_before INTEGER NOT NULL,
  on_hand_after INTEGER NOT NULL,
  reserved_before INTEGER NOT NULL,
  reserved_after INTEGER NOT NULL
);
CREATE INDEX stock_movements_row ON stock_movements (tenant_id, sku, warehouse, id);
CREATE INDEX stock_movements_sku ON stock_movements (tenant_id, sku, id);
`;

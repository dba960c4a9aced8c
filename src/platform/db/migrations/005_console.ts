// What the console adds: notes on orders (customer service, warehouse), and sorting the order list by amount.
export const name = 'console';

export const ddl = `
CREATE TABLE order_notes (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL REFERENCES orders (id),
  at {{big}} NOT NULL,
  author_id TEXT,
  author_name TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX order_notes_order ON order_notes (order_id, id);
CREATE INDEX orders_tenant_total ON orders (tenant_id, total_amount);
`;

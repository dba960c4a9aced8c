// Bundles (组合装, issue 17): a hub SKU sold as a set of component SKUs, each with a quantity. A bundle holds no stock
// of its own: an order line of it reserves, moves and ships its components. One row per (bundle, component); a bundle
// exists while it has rows. A component is never itself a bundle (checked by the define command, under its lock).
//
// Reservations say which bundle a component's units serve (bundle_sku, null for a plain line), so views, release and
// shipping keep the link; an open reservation naming a bundle freezes its definition. A shipment line of a component
// carries the bundle it belongs to and the order line of the bundle (bundle_line_no); its own line_no is
// bundle_line_no × 1000 + the component's place, unique within the order as the shipment line key needs.
export const name = 'bundles';

export const ddl = `
CREATE TABLE bundle_components (
  tenant_id TEXT NOT NULL,
  bundle_sku TEXT NOT NULL,
  component_sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  place INTEGER NOT NULL,
  created_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, bundle_sku, component_sku)
);
CREATE INDEX bundle_components_component ON bundle_components (tenant_id, component_sku);
ALTER TABLE reservations ADD COLUMN bundle_sku TEXT;
CREATE INDEX reservations_bundle ON reservations (tenant_id, bundle_sku, state) WHERE bundle_sku IS NOT NULL;
ALTER TABLE shipment_lines ADD COLUMN bundle_sku TEXT;
ALTER TABLE shipment_lines ADD COLUMN bundle_line_no INTEGER;
`;

// Tracking settings per tenant (issue 7): the delivery trust and tracking alert thresholds a seller sets (trusted
// grades, re-checks, the "not received" window, no pickup, first event far from shipping, stuck per state), kept as
// one checked JSON document; a tenant without a row uses the defaults.
export const name = 'tracking_settings';

export const ddl = `
CREATE TABLE tracking_settings (
  tenant_id TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  updated_at {{big}} NOT NULL,
  updated_by TEXT NOT NULL
);
`;

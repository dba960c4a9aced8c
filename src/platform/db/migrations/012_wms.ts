// External WMS (issue 7): accounts that report the warehouse steps of one warehouse by signed push (secret
// encrypted, a status dictionary of their own codes as data), and every push they made, deduplicated by event id.
export const name = 'wms';

export const ddl = `
CREATE TABLE wms_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  warehouse TEXT NOT NULL,
  secret TEXT NOT NULL,
  dictionary TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  deleted_at {{big}}
);
CREATE INDEX wms_accounts_tenant ON wms_accounts (tenant_id, created_at);

CREATE TABLE wms_pushes (
  wms_account_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  shipment_id TEXT NOT NULL,
  status TEXT NOT NULL,
  step TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reported_at {{big}},
  received_at {{big}} NOT NULL,
  PRIMARY KEY (wms_account_id, event_id)
);
CREATE INDEX wms_pushes_shipment ON wms_pushes (shipment_id, received_at);
`;

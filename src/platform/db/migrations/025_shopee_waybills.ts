// Shopee's inverted shipping flow (issue 17): on Shopee the hub does not bring a tracking number, it arranges the
// shipment (v2.logistics.ship_order) and takes the number Shopee's logistics channel gives. That is a waybill network
// of its own, `shopee`: its accounts hold only the seller's choices (pickup or drop-off, the pickup address, the
// document type); each call is signed with the credentials of the Shopee shop the order belongs to.
//
// waybill_accounts' network CHECK gains 'shopee'. PostgreSQL changes the constraint in place; SQLite cannot alter a
// CHECK, so the table is rebuilt and its rows copied back (no table references it).
//
// waybill_documents keeps the network's own printable label for a waybill (Shopee's shipping document, a PDF), fetched
// once when the number is issued: Shopee prints it only until the parcel is picked up, and a reprint must still work.
export const name = 'shopee_waybills';

const networks = `'cainiao', 'pinduoduo', 'douyin', 'jd', 'shopee'`;
const columns = 'id, tenant_id, network, name, carrier, credentials, sender, active, created_at, updated_at';

const documents = `
CREATE TABLE waybill_documents (
  waybill_id {{big}} PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  shipment_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,
  fetched_at {{big}} NOT NULL
);
CREATE INDEX waybill_documents_shipment ON waybill_documents (shipment_id);
`;

export const ddl = {
  postgres: `
ALTER TABLE waybill_accounts DROP CONSTRAINT waybill_accounts_network_check;
ALTER TABLE waybill_accounts ADD CONSTRAINT waybill_accounts_network_check CHECK (network IN (${networks}));
${documents}`,
  sqlite: `
CREATE TABLE waybill_accounts_before_025 AS SELECT ${columns} FROM waybill_accounts;
DROP TABLE waybill_accounts;
CREATE TABLE waybill_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  network TEXT NOT NULL,
  name TEXT NOT NULL,
  carrier TEXT NOT NULL,
  credentials TEXT NOT NULL,
  sender TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (network IN (${networks}))
);
INSERT INTO waybill_accounts (${columns}) SELECT ${columns} FROM waybill_accounts_before_025;
DROP TABLE waybill_accounts_before_025;
CREATE INDEX waybill_accounts_tenant ON waybill_accounts (tenant_id, network);
${documents}`,
};

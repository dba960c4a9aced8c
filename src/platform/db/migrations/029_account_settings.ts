// Per-account settings and Shopify's compare-and-set stock writes (issue 17, 库存同步).
//
// channel_accounts.settings: what the seller chose for the shop beyond its credentials (Shopify `stockLocationId`: the
// location the hub's sellable number is written to), plain JSON, checked against the platform when saved.
// channel_accounts.learned: what the hub read once from the platform and keeps (Shopify's primary location, the
// default when no location is chosen); forgotten when the credentials change.
// listings.synced_target: where the last stock write went (a Shopify location), so the next write compares against
// the number written there and not at a location written before. listings.drift_*: the last time a write found the
// platform's number changed since the hub's last write (a sale there, a person's edit): what the hub had written, what
// the platform showed, and what was written over it.
export const name = 'account_settings';

export const ddl = `
ALTER TABLE channel_accounts ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channel_accounts ADD COLUMN learned TEXT NOT NULL DEFAULT '{}';
ALTER TABLE listings ADD COLUMN synced_target TEXT;
ALTER TABLE listings ADD COLUMN drift_at {{big}};
ALTER TABLE listings ADD COLUMN drift_expected {{big}};
ALTER TABLE listings ADD COLUMN drift_found {{big}};
ALTER TABLE listings ADD COLUMN drift_written {{big}};
`;

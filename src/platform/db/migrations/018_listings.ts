// Listings (商品下载, issue 17): what each channel account offers on its platform, one row per platform SKU (or per item
// when the item has no SKUs: platform_sku_id ''), with the merchant code the seller typed there and the hub SKU it is
// matched to (by that code, by an alias, or by hand; null = 商品未匹配). A pull upserts by the platform's ids and never
// undoes a match a person made or an "ignore".
//
// The stock-sync columns say what the platform should show (sync_wanted, computed from the hub's stock when it
// changed), when that is due (sync_due_at; null = nothing owed), what the platform was last told and what it answered.
// A listing is claimed like any work row (sync_claimed_by/until): at most one stock write in flight per listing, and
// the latest wanted value wins (coalescing). fixed_quantity and cap_quantity are the per-listing overrides.
export const name = 'listings';

export const ddl = `
CREATE TABLE listings (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  platform_item_id TEXT NOT NULL,
  platform_sku_id TEXT NOT NULL DEFAULT '',
  merchant_code TEXT,
  title TEXT NOT NULL DEFAULT '',
  ref TEXT NOT NULL DEFAULT '{}',
  sku TEXT,
  match_source TEXT,
  ignored INTEGER NOT NULL DEFAULT 0,
  platform_quantity INTEGER,
  seen_at {{big}} NOT NULL,
  gone INTEGER NOT NULL DEFAULT 0,
  fixed_quantity INTEGER,
  cap_quantity INTEGER,
  sync_wanted INTEGER,
  sync_wanted_at {{big}},
  sync_due_at {{big}},
  synced_quantity INTEGER,
  synced_at {{big}},
  sync_attempts INTEGER NOT NULL DEFAULT 0,
  sync_error TEXT,
  sync_error_code TEXT,
  sync_claimed_by TEXT,
  sync_claimed_until {{big}},
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  UNIQUE (tenant_id, account_id, platform_item_id, platform_sku_id)
);
CREATE INDEX listings_sku ON listings (tenant_id, sku);
CREATE INDEX listings_code ON listings (tenant_id, account_id, merchant_code);
CREATE INDEX listings_sync_due ON listings (sync_due_at);
`;

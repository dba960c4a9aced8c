// Stock allocation (库存分配, issue 17): how much of a SKU's free stock each channel account may offer. Per account a
// ratio (percent of what is free), a safety stock kept back from that account, and whether its listings are synced at
// all; per SKU an exclusive account (the others get 0). Owned by inventory: the number a stock write pushes and the one
// GET /api/stock/{sku} reports come from the same rows through one pure function (inventory/domain/allocation.ts).
export const name = 'stock_allocation';

export const ddl = `
CREATE TABLE stock_allocation (
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  ratio_pct INTEGER NOT NULL DEFAULT 100,
  safety_stock INTEGER NOT NULL DEFAULT 0,
  sync_enabled INTEGER NOT NULL DEFAULT 1,
  updated_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, account_id),
  CHECK (ratio_pct >= 0 AND ratio_pct <= 100),
  CHECK (safety_stock >= 0)
);
CREATE TABLE stock_exclusive (
  tenant_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  account_id TEXT NOT NULL,
  updated_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, sku)
);
`;

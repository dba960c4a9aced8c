// Listing pulls (商品下载, issue 17): per channel account, the last pull of its listings — when it started and ended,
// what it found (seen, matched, unmatched, gone), why it failed — and when the next one is due. One row per account:
// the schedule reads it like pull_state, and the account's listing page shows it.
export const name = 'listing_pulls';

export const ddl = `
CREATE TABLE listing_pulls (
  account_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  started_at {{big}},
  finished_at {{big}},
  seen INTEGER NOT NULL DEFAULT 0,
  matched INTEGER NOT NULL DEFAULT 0,
  unmatched INTEGER NOT NULL DEFAULT 0,
  gone INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  next_run_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);
`;

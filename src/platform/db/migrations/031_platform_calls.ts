// The platform call log (issue 17, item 8): every request the hub made to a platform — ship-back, remark, stock write,
// e-waybill — with its method, what it was about, the attempt, the answer's HTTP status, latency and what the attempt
// came to. Append-only, written in the transaction that records the attempt; kept for a set number of days (pruned).
// No request bodies: no credentials and no personal data.
export const name = 'platform_calls';

export const ddl = `
CREATE TABLE platform_calls (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  kind TEXT NOT NULL,
  op TEXT NOT NULL,
  subject TEXT NOT NULL,
  order_id TEXT,
  outbound_id {{big}},
  listing_id {{big}},
  attempt INTEGER NOT NULL,
  http_status INTEGER,
  result TEXT NOT NULL,
  code TEXT,
  error TEXT,
  latency_ms INTEGER NOT NULL,
  at {{big}} NOT NULL
);
CREATE INDEX platform_calls_account ON platform_calls (tenant_id, account_id, id);
CREATE INDEX platform_calls_order ON platform_calls (order_id);
CREATE INDEX platform_calls_at ON platform_calls (at);
`;

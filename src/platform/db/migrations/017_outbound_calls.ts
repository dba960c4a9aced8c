// Outbound platform writes (issue 17, first slice): what the hub still has to tell a platform, and what each attempt
// got back. A row is written in the transaction of the change that causes it (a shipment becoming `shipped`), so the
// platform is told exactly when the change committed; the outbound worker claims due rows (claims.ts) and records each
// attempt. `idempotency_key` is unique: one change makes one row, however often the writing transaction is retried.
export const name = 'outbound_calls';

export const ddl = `
CREATE TABLE outbound_calls (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  order_id TEXT,
  shipment_id TEXT,
  platform_order_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  request TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at {{big}},
  last_status INTEGER,
  last_code TEXT,
  last_latency_ms INTEGER,
  last_error TEXT,
  platform_ref TEXT,
  claimed_by TEXT,
  claimed_until {{big}},
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL
);
CREATE INDEX outbound_calls_due ON outbound_calls (state, next_attempt_at);
CREATE INDEX outbound_calls_account ON outbound_calls (tenant_id, account_id, id);
CREATE INDEX outbound_calls_order ON outbound_calls (order_id);
`;

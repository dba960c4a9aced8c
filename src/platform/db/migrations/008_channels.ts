// Every channel in (issue 5): pulls with a watermark and a log row per run, alerts for contract drift and unknown
// statuses, where a raw event came from (push or pull: what pulls find that pushes missed is "recovered by
// polling"), and platform-protected receiver data (masked or encrypted by Taobao, PDD, JD, Douyin).
export const name = 'channels';

export const ddl = `
ALTER TABLE orders ADD COLUMN receiver_protection TEXT;
ALTER TABLE raw_events ADD COLUMN via TEXT NOT NULL DEFAULT 'push';
CREATE INDEX raw_events_account_received ON raw_events (account_id, received_at);

CREATE TABLE pull_state (
  account_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  watermark {{big}} NOT NULL,
  next_run_at {{big}} NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  updated_at {{big}} NOT NULL
);

CREATE TABLE pull_log (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  started_at {{big}} NOT NULL,
  finished_at {{big}} NOT NULL,
  window_from {{big}} NOT NULL,
  window_to {{big}} NOT NULL,
  pages INTEGER NOT NULL,
  fetched INTEGER NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  recovered INTEGER NOT NULL,
  error_code TEXT,
  error TEXT,
  rate_limited INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pull_log_account ON pull_log (account_id, id);

CREATE TABLE channel_alerts (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  kind TEXT NOT NULL,
  alert_key TEXT NOT NULL,
  message TEXT NOT NULL,
  detail TEXT,
  first_at {{big}} NOT NULL,
  last_at {{big}} NOT NULL,
  occurrences INTEGER NOT NULL DEFAULT 1,
  acknowledged_at {{big}},
  acknowledged_by TEXT,
  UNIQUE (account_id, kind, alert_key)
);
CREATE INDEX channel_alerts_tenant_last ON channel_alerts (tenant_id, last_at);

CREATE TABLE contract_shapes (
  account_id TEXT NOT NULL,
  shape TEXT NOT NULL,
  deliveries INTEGER NOT NULL,
  mean_bytes {{big}} NOT NULL,
  max_bytes {{big}} NOT NULL,
  fields TEXT NOT NULL,
  updated_at {{big}} NOT NULL,
  PRIMARY KEY (account_id, shape)
);
`;

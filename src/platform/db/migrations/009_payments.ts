// Payments (issue 6): payment accounts per tenant, every provider notice kept raw (encrypted) and deduplicated on the
// provider's own notice id for good (Alipay repeats notify_id for 25 h), payment exceptions with their reasons, and
// refunds — proposed, requested, sent with their out_refund_no as the idempotency key, confirmed by the provider.
export const name = 'payments';

export const ddl = `
CREATE TABLE payment_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  name TEXT NOT NULL,
  credentials TEXT NOT NULL,
  channel_accounts TEXT NOT NULL,
  order_ref TEXT NOT NULL DEFAULT 'order_no',
  active INTEGER NOT NULL DEFAULT 1,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  deleted_at {{big}}
);
CREATE INDEX payment_accounts_tenant ON payment_accounts (tenant_id);

CREATE TABLE payment_notices (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  payment_account_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  provider_state TEXT NOT NULL,
  success INTEGER NOT NULL,
  out_trade_no TEXT,
  transaction_id TEXT,
  out_refund_no TEXT,
  amount {{big}},
  currency TEXT,
  occurred_at {{big}},
  received_at {{big}} NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 1,
  last_delivery_at {{big}} NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  via TEXT NOT NULL DEFAULT 'notice',
  order_id TEXT,
  effect TEXT NOT NULL,
  reason TEXT,
  UNIQUE (payment_account_id, notice_id)
);
CREATE INDEX payment_notices_order ON payment_notices (order_id);
CREATE INDEX payment_notices_refund ON payment_notices (out_refund_no);

CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  payment_account_id TEXT NOT NULL,
  out_refund_no TEXT NOT NULL UNIQUE,
  out_trade_no TEXT NOT NULL,
  transaction_id TEXT,
  amount {{big}} NOT NULL,
  total_amount {{big}} NOT NULL,
  currency TEXT NOT NULL,
  reason TEXT NOT NULL,
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  provider_refund_id TEXT,
  provider_state TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at {{big}},
  last_error TEXT,
  requested_by TEXT,
  decided_by TEXT,
  stuck_alerted INTEGER NOT NULL DEFAULT 0,
  created_at {{big}} NOT NULL,
  requested_at {{big}},
  confirmed_at {{big}},
  updated_at {{big}} NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_due ON refunds (state, next_attempt_at);

CREATE TABLE payment_exceptions (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  payment_account_id TEXT NOT NULL,
  order_id TEXT,
  notice_row_id {{big}},
  refund_id TEXT,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  resolved_at {{big}},
  resolved_by TEXT,
  resolution TEXT
);
CREATE INDEX payment_exceptions_tenant_state ON payment_exceptions (tenant_id, state, id);
CREATE INDEX payment_exceptions_order ON payment_exceptions (order_id);
`;

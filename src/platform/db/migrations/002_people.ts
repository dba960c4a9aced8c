// People and their doors: users, roles, sessions, API tokens, the hash-chained audit log, second approvals,
// and keyed-hash columns so encrypted phone numbers can still be searched exactly.
export const name = 'people';

export const ddl = `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  username TEXT NOT NULL,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  roles TEXT NOT NULL,
  scope TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until {{big}},
  last_sign_in_at {{big}},
  password_changed_at {{big}} NOT NULL,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  UNIQUE (tenant_id, username)
);

CREATE TABLE roles (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  permissions TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  csrf_hash TEXT NOT NULL,
  ip TEXT,
  user_agent TEXT,
  created_at {{big}} NOT NULL,
  expires_at {{big}} NOT NULL,
  revoked_at {{big}}
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  expires_at {{big}},
  last_used_at {{big}},
  revoked_at {{big}}
);
CREATE INDEX api_tokens_user ON api_tokens (tenant_id, user_id);

CREATE TABLE audit_log (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  seq {{big}} NOT NULL,
  at {{big}} NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  actor_name TEXT NOT NULL,
  token_id TEXT,
  ip TEXT,
  user_agent TEXT,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT,
  before TEXT,
  after TEXT,
  detail TEXT,
  key_id TEXT NOT NULL,
  prev_mac TEXT NOT NULL,
  mac TEXT NOT NULL,
  UNIQUE (tenant_id, seq)
);
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_type, target_id);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);

CREATE TABLE audit_heads (
  tenant_id TEXT PRIMARY KEY,
  seq {{big}} NOT NULL,
  mac TEXT NOT NULL
);

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  permission TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT,
  summary TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_by_name TEXT NOT NULL,
  requested_at {{big}} NOT NULL,
  decided_by TEXT,
  decided_by_name TEXT,
  decided_at {{big}},
  decision_reason TEXT,
  result TEXT
);
CREATE INDEX approvals_state ON approvals (tenant_id, state, requested_at);

ALTER TABLE orders ADD COLUMN receiver_phone_hash TEXT;
ALTER TABLE orders ADD COLUMN buyer_phone_hash TEXT;
DROP INDEX orders_receiver_phone;
CREATE INDEX orders_receiver_phone_hash ON orders (tenant_id, receiver_phone_hash);
CREATE INDEX orders_buyer_phone_hash ON orders (tenant_id, buyer_phone_hash) WHERE buyer_phone_hash IS NOT NULL;
`;

// E-waybills (电子面单, issue 17): the seller's waybill accounts per carrier network (Cainiao for Taobao/Tmall orders,
// PDD, Douyin, JD), their credentials encrypted like every other account's, and one row per waybill number asked for a
// parcel. A waybill row is written (state `requesting`) and committed before the network is called, under an object id
// the network keeps per request (Cainiao and PDD answer the same number for the same object id): a lost answer is
// asked again with the same id and yields the same number, and the partial unique index allows one live waybill per
// parcel. Cancelling is owed (`cancel_pending`) in the transaction that stops the parcel, and done after commit.
export const name = 'waybills';

export const ddl = `
CREATE TABLE waybill_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  network TEXT NOT NULL,
  name TEXT NOT NULL,
  carrier TEXT NOT NULL,
  credentials TEXT NOT NULL,
  sender TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  CHECK (network IN ('cainiao', 'pinduoduo', 'douyin', 'jd'))
);
CREATE INDEX waybill_accounts_tenant ON waybill_accounts (tenant_id, network);

CREATE TABLE waybills (
  id {{autoid}},
  tenant_id TEXT NOT NULL,
  shipment_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  network TEXT NOT NULL,
  carrier TEXT NOT NULL,
  object_id TEXT NOT NULL,
  state TEXT NOT NULL,
  waybill_no TEXT,
  sort_code TEXT,
  print_data TEXT,
  error_code TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  requested_at {{big}} NOT NULL,
  issued_at {{big}},
  cancel_reason TEXT,
  cancelled_at {{big}},
  next_attempt_at {{big}},
  updated_at {{big}} NOT NULL,
  UNIQUE (tenant_id, object_id),
  CHECK (state IN ('requesting', 'issued', 'cancel_pending', 'cancelled'))
);
CREATE UNIQUE INDEX waybills_live ON waybills (shipment_id) WHERE state IN ('requesting', 'issued');
CREATE INDEX waybills_cancel_due ON waybills (state, next_attempt_at);
`;

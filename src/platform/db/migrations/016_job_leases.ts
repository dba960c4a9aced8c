// Jobs with leases (issue 16): two hub processes on one database never run the same background work twice.
//
// job_leases holds one row per lease name: a job that one process runs at a time (an outbox subscriber's cursor, the
// auto-routing pass, the tracking alert pass) or a unit of work (the pull of one channel account). `token` grows every
// time the lease changes hands (or lapses), so a transaction that carries (holder, token) can tell that its lease is
// still the one it was given: fencing. Times are the database's clock, so hosts whose clocks differ agree on expiry.
//
// The tables of work items (timers, webhook deliveries, refunds) gain a claim: `claimed_by` is the claim token of the
// batch that took the row (one process's one pass), `claimed_until` when that claim lapses and the row is free again.
// A row's effect commits only while its claim is the one in `claimed_by`.
export const name = 'job_leases';

export const ddl = `
CREATE TABLE job_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token {{big}} NOT NULL,
  expires_at {{big}} NOT NULL,
  acquired_at {{big}} NOT NULL,
  renewed_at {{big}} NOT NULL
);
ALTER TABLE timers ADD COLUMN claimed_by TEXT;
ALTER TABLE timers ADD COLUMN claimed_until {{big}};
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until {{big}};
ALTER TABLE refunds ADD COLUMN claimed_by TEXT;
ALTER TABLE refunds ADD COLUMN claimed_until {{big}};
`;

// What the webhooks module's use cases are given, built once by their service (endpoints.ts, event-log.ts).
import type { Database } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';

export interface WebhookDeps {
  db: Database;
  /** Endpoint signing secrets are encrypted at rest; received payloads are read back through it. */
  keyring: Keyring;
}

// Reading the event log (outbox) and the raw-event store, for integrations and engineers: inside the caller's
// tenant; a received payload (which carries phones and addresses) only in full with pii.view, and audited.
// The service the routes call; each method is one query of queries/.
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { WebhookDeps } from './deps.ts';
import { listEvents } from './queries/list-events.ts';
import { rawEvent } from './queries/raw-event.ts';

export class EventService {
  private readonly deps: WebhookDeps;

  constructor(db: Database, keyring: Keyring) {
    this.deps = { db, keyring };
  }

  events(who: Principal, f: { after: number; limit: number; aggregateId?: string | undefined }) {
    return listEvents(this.deps, who, f);
  }

  rawEvent(who: Principal, id: number, reveal: boolean) {
    return rawEvent(this.deps, who, id, reveal);
  }
}

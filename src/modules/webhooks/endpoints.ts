// Registered outbound webhook endpoints, and what was delivered to them: the service the command registry and the
// routes call, each method one use case of commands/ or queries/.
import type { Database } from '../../platform/db/database.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { WebhookDeps } from './deps.ts';
import { createWebhook } from './commands/create-webhook.ts';
import { removeWebhook } from './commands/remove-webhook.ts';
import { listWebhooks } from './queries/list-webhooks.ts';
import { webhookDeliveries } from './queries/webhook-deliveries.ts';

export class WebhookEndpointService {
  private readonly deps: WebhookDeps;

  constructor(db: Database, keyring: Keyring) {
    this.deps = { db, keyring };
  }

  create(who: Principal, input: { url: string; secret?: string | undefined; events?: string[] | undefined }, now = Date.now()) {
    return createWebhook(this.deps, who, input, now);
  }

  list(who: Principal) {
    return listWebhooks(this.deps, who);
  }

  remove(who: Principal, id: string, now = Date.now()): Promise<void> {
    return removeWebhook(this.deps, who, id, now);
  }

  deliveries(who: Principal, id: string, limit: number) {
    return webhookDeliveries(this.deps, who, id, limit);
  }
}

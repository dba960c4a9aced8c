// Outbound webhooks: the outbox fans events out to endpoint deliveries; a sender posts them, signed like
// own-shop pushes, and retries with exponential back-off until the endpoint answers 2xx or attempts run out.
import { createHmac } from 'node:crypto';
import type { Database } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/log.ts';
import type { OutboxEvent, Subscriber } from '../../platform/outbox/relay.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { hideUrlCredentials } from '../../kernel/redact.ts';

export interface WebhookSenderOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
  concurrency: number;
  pollMs: number;
}

export const defaultWebhookOptions: WebhookSenderOptions = {
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 15,
  timeoutMs: 10_000,
  concurrency: 8,
  pollMs: 500,
};

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Turns outbox events into one pending delivery per interested endpoint, in the relay's transaction. */
export function webhookFanout(): Subscriber {
  return {
    name: 'webhooks',
    types: '*',
    transactional: true,
    async handle(events, tx) {
      if (!tx) throw new Error('webhook fan-out needs a transaction');
      // Read in the relay's transaction, never cached: an endpoint registered a moment ago must get the next event.
      const endpoints = await tx.all<{ id: string; event_types: string; tenant_id: string; created_at: number }>(
        'SELECT id, event_types, tenant_id, created_at FROM webhook_endpoints WHERE active = 1',
      );
      if (endpoints.length === 0) return;
      const now = Date.now();
      for (const ep of endpoints) {
        const types = JSON.parse(ep.event_types) as string[];
        for (const e of events) {
          // An endpoint gets what happened after it was registered, not the backlog before it.
          if (e.tenantId !== ep.tenant_id || e.createdAt < Number(ep.created_at)) continue;
          if (!types.includes('*') && !types.includes(e.type)) continue;
          await tx.run(
            `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
            [e.tenantId, ep.id, e.id, e.type, JSON.stringify(envelope(e)), now, now, now],
          );
        }
      }
    },
  };
}

function envelope(e: OutboxEvent) {
  return { id: `evt_${e.id}`, type: e.type, createdAt: new Date(e.createdAt).toISOString(), data: e.payload };
}

interface DueDelivery {
  id: number;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
  url: string;
  secret: string;
}

export class WebhookSender {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private stopped = true;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly keyring: Keyring,
    private readonly opts: WebhookSenderOptions = defaultWebhookOptions,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.sendDue();
      } catch (e) {
        this.log.error({ err: e }, 'webhook sender pass failed');
      }
      if (!this.stopped) {
        this.timer = setTimeout(() => void tick(), this.opts.pollMs);
        this.timer.unref();
      }
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  }

  backoff(attempts: number): number {
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  async sendDue(now = Date.now()): Promise<number> {
    const free = this.opts.concurrency - this.inFlight;
    if (free <= 0) return 0;
    const due = await this.db.read.all<DueDelivery>(
      `SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts, d.next_attempt_at, e.url, e.secret
       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`,
      [now, free],
    );
    const sends: Promise<void>[] = [];
    for (const d of due) {
      // Claim by moving the due time forward (a lease), so another process does not send it at the same time.
      const lease = now + this.opts.timeoutMs + 5_000;
      const claimed = await this.db.transaction((tx) =>
        tx.run(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND state = 'pending' AND next_attempt_at = ?`, [
          lease,
          d.id,
          d.next_attempt_at,
        ]),
      );
      if (claimed !== 1) continue;
      this.inFlight++;
      sends.push(this.send(d).finally(() => this.inFlight--));
    }
    await Promise.all(sends);
    return sends.length;
  }

  private async send(d: DueDelivery): Promise<void> {
    const ts = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'orderhub-webhooks/1',
          'x-orderhub-event-id': `evt_${d.event_id}`,
          'x-orderhub-event-type': d.event_type,
          'x-orderhub-timestamp': String(ts),
          'x-orderhub-signature': signWebhook(this.keyring.decrypt(d.secret), ts, d.payload),
        },
        body: d.payload,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'manual',
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      // A failed fetch names its URL, with any user:password in it: kept out of the stored error and the log.
      error = hideUrlCredentials((e as Error).message);
    }
    const now = Date.now();
    const attempts = d.attempts + 1;
    if (!error) {
      await this.db.transaction((tx) =>
        tx.run(`UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, updated_at = ? WHERE id = ?`, [
          attempts,
          status,
          now,
          d.id,
        ]),
      );
      return;
    }
    const dead = attempts >= this.opts.maxAttempts;
    await this.db.transaction((tx) =>
      tx.run(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
        [dead ? 'dead' : 'pending', attempts, status, error, now + this.backoff(attempts), now, d.id],
      ),
    );
    this.log[dead ? 'error' : 'warn']({ delivery: d.id, endpoint: d.endpoint_id, attempts, error }, dead ? 'webhook delivery gave up' : 'webhook delivery failed; will retry');
  }
}

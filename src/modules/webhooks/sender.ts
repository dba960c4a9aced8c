// Outbound webhooks: the outbox fans events out to endpoint deliveries; a sender posts them, signed like
// own-shop pushes, and retries with exponential back-off until the endpoint answers 2xx or attempts run out.
//
// Jobs and leases: deliveries are rows of a table, so each sender pass claims the due ones it has room for (claims.ts:
// FOR UPDATE SKIP LOCKED on PostgreSQL): two hub processes post different deliveries side by side, and a delivery is
// posted once per attempt. Its outcome is written only while the claim is still this pass's; a claim outlives the
// request's timeout, and one left by a dead process lapses and the delivery is posted again (at least once).
import { createHmac } from 'node:crypto';
import type { Database } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/log.ts';
import type { OutboxEvent, Subscriber } from '../../platform/outbox/relay.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { hideUrlCredentials } from '../../kernel/redact.ts';
import { claimDue } from '../../platform/jobs/claims.ts';
import { dbNow, LeaseKeeper, sqlLeaseStore } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';

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
  /** The claim token of the pass posting it. */
  claim: string;
}

export class WebhookSender {
  private inFlight = 0;
  private readonly runner: JobRunner;
  private readonly holder: string;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly keyring: Keyring,
    private readonly opts: WebhookSenderOptions = defaultWebhookOptions,
    leases?: LeaseKeeper,
  ) {
    this.holder = (leases ?? new LeaseKeeper(sqlLeaseStore(db), log)).holder;
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'webhooks', failureMessage: 'webhook sender pass failed', everyMs: this.opts.pollMs, run: async () => void (await this.sendDue()) });
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  }

  backoff(attempts: number): number {
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  async sendDue(now = Date.now()): Promise<number> {
    const free = this.opts.concurrency - this.inFlight;
    if (free <= 0) return 0;
    const where = `state = 'pending' AND next_attempt_at <= ?`;
    // A look on the read connection first: with nothing due, no write at all.
    const any = await this.db.read.get(
      `SELECT id FROM webhook_deliveries WHERE ${where} AND (claimed_until IS NULL OR claimed_until <= ${dbNow(this.db.dialect)}) LIMIT 1`,
      [now],
    );
    if (!any) return 0;
    // The claim lasts past the request's own timeout, so it cannot lapse while a live process is still posting.
    const claim = await claimDue<Omit<DueDelivery, 'url' | 'secret' | 'claim'>>(
      this.db,
      this.holder,
      {
        table: 'webhook_deliveries',
        where,
        params: [now],
        orderBy: 'next_attempt_at, id',
        limit: free,
        columns: 'id, endpoint_id, event_id, event_type, payload, attempts, next_attempt_at',
      },
      this.opts.timeoutMs + 5_000,
    );
    if (claim.rows.length === 0) return 0;
    const endpointIds = [...new Set(claim.rows.map((d) => d.endpoint_id))];
    const endpoints = new Map(
      (
        await this.db.read.all<{ id: string; url: string; secret: string }>(
          `SELECT id, url, secret FROM webhook_endpoints WHERE id IN (${endpointIds.map(() => '?').join(', ')})`,
          endpointIds,
        )
      ).map((e) => [e.id, e]),
    );
    const sends: Promise<void>[] = [];
    for (const row of claim.rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.id) - Number(b.id))) {
      const ep = endpoints.get(row.endpoint_id);
      if (!ep) continue; // endpoints are switched off, never deleted
      this.inFlight++;
      sends.push(this.send({ ...row, id: Number(row.id), event_id: Number(row.event_id), attempts: Number(row.attempts), url: ep.url, secret: ep.secret, claim: claim.token }).finally(() => this.inFlight--));
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
    // Written only under this pass's claim: if it lapsed and another process took the delivery, that one records it.
    const release = 'claimed_by = NULL, claimed_until = NULL';
    if (!error) {
      const n = await this.db.transaction((tx) =>
        tx.run(`UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, updated_at = ?, ${release} WHERE id = ? AND claimed_by = ?`, [
          attempts,
          status,
          now,
          d.id,
          d.claim,
        ]),
      );
      if (n !== 1) this.log.warn({ delivery: d.id, endpoint: d.endpoint_id }, 'webhook delivered after its claim lapsed; another process may post it again');
      return;
    }
    const dead = attempts >= this.opts.maxAttempts;
    await this.db.transaction((tx) =>
      tx.run(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?, ${release} WHERE id = ? AND claimed_by = ?`,
        [dead ? 'dead' : 'pending', attempts, status, error, now + this.backoff(attempts), now, d.id, d.claim],
      ),
    );
    this.log[dead ? 'error' : 'warn']({ delivery: d.id, endpoint: d.endpoint_id, attempts, error }, dead ? 'webhook delivery gave up' : 'webhook delivery failed; will retry');
  }
}

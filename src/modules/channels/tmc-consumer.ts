// Taobao's message service (TMC) consumed over HTTP: the near-real-time feed for Taobao/Tmall shops. Every few seconds,
// per Taobao account and under its lease `tmc:<account id>` (one hub process at a time consumes a shop), it takes the
// shop's waiting messages (taobao.tmc.messages.consume), reads the trades they name in full (taobao.trade.fullinfo.get,
// as announced orders are fetched), stores each as a raw event exactly as the pull does — under the same event id
// `pull:<tid>@<modified>`, so a trade consumed again, or also pulled, is one raw event and one change — and confirms
// the messages (taobao.tmc.messages.confirm) only after every ingest committed. A crash between the two leaves them
// unconfirmed: TMC delivers them again and the repeat does nothing. The 300 s pull stays as the safety net.
import { HubError } from '../../kernel/errors.ts';
import { storableText, storableValue } from '../../kernel/text.ts';
import type { Logger } from '../../platform/log.ts';
import type { Database } from '../../platform/db/database.ts';
import { LeaseKeeper } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';
import type { WriteApi } from '../../app/commands.ts';
import type { AccountService } from './accounts.ts';
import { adapterFor } from './connectors/registry.ts';
import type { ChannelAdapter } from './connectors/types.ts';
import type { TaobaoCredentials } from './connectors/taobao/index.ts';
import { tmcConfirm, tmcConsume, tmcPermit } from './connectors/taobao/tmc.ts';

export interface TmcOptions {
  /** How often each Taobao shop's messages are consumed; 0 switches the consumer off. */
  pollMs: number;
  /** Messages taken per call (TOP: at most 200). */
  quantity: number;
  /** The TMC group the hub's app consumes (created in the app's TMC settings; "default" exists for every app). */
  group: string;
  /** A platform request that takes longer is abandoned (the messages come back). */
  requestTimeoutMs: number;
}

export const defaultTmcOptions: TmcOptions = { pollMs: 3_000, quantity: 100, group: 'default', requestTimeoutMs: 30_000 };

export interface TmcPass {
  accountId: string;
  consumed: number;
  stored: number;
  confirmed: number;
}

export class TmcConsumer {
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;
  /** Accounts whose topics this process has opened (taobao.tmc.user.permit) since it started. */
  private readonly permitted = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly accounts: Pick<AccountService, 'get'>,
    private readonly writes: WriteApi,
    private readonly log: Logger,
    private readonly opts: TmcOptions = defaultTmcOptions,
    private readonly fetchImpl: typeof fetch = fetch,
    leases?: LeaseKeeper,
  ) {
    this.leases =
      leases ??
      new LeaseKeeper({ acquire: (n, h, t) => writes.acquireLease(n, h, t), renew: (l, t) => writes.renewLease(l, t), release: (l) => writes.releaseLease(l) }, log);
    this.runner = new JobRunner(log);
    if (opts.pollMs > 0) this.runner.add({ name: 'tmc', failureMessage: 'TMC pass failed', everyMs: opts.pollMs, run: async () => void (await this.runDue()) });
  }

  start(): void {
    if (this.opts.pollMs > 0) this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** One pass over every active Taobao account; an account another process is consuming is skipped. */
  async runDue(): Promise<TmcPass[]> {
    const rows = await this.db.read.all<{ id: string }>(`SELECT id FROM channel_accounts WHERE platform = 'taobao' AND active = 1 AND deleted_at IS NULL`);
    const out: TmcPass[] = [];
    for (const r of rows) {
      try {
        const done = await this.leases.withLease(`tmc:${r.id}`, (_lease, lost) => this.consume(r.id, lost));
        if (done?.value) out.push(done.value);
      } catch (e) {
        // Left unconfirmed: TMC delivers the messages again, and the pull finds the trades anyway.
        this.log.warn({ err: e, accountId: r.id }, 'TMC consume failed; the messages come back');
      }
    }
    return out;
  }

  /** Consumes, stores and then confirms one batch of one account's messages. */
  async consume(accountId: string, lost?: AbortSignal): Promise<TmcPass | null> {
    const account = await this.accounts.get(accountId);
    if (!account || !account.active || account.platform !== 'taobao') return null;
    const adapter = adapterFor('taobao') as ChannelAdapter<TaobaoCredentials> | undefined;
    if (!adapter?.fetchOrders) return null;
    const timeout = this.opts.requestTimeoutMs;
    const fetchWithTimeout: typeof fetch = (input, init) => this.fetchImpl(input, { ...init, signal: init?.signal ?? (lost ? AbortSignal.any([AbortSignal.timeout(timeout), lost]) : AbortSignal.timeout(timeout)) });
    const ctx = { credentials: account.credentials as unknown as TaobaoCredentials, fetch: fetchWithTimeout, now: () => Date.now() };
    if (!this.permitted.has(accountId)) {
      await tmcPermit(ctx);
      this.permitted.add(accountId);
    }
    const messages = await tmcConsume(ctx, this.opts.group, this.opts.quantity);
    if (messages.length === 0) return { accountId, consumed: 0, stored: 0, confirmed: 0 };
    const tids = [...new Set(messages.map((m) => m.tid).filter((t): t is string => t !== null))];
    const items = tids.length ? await adapter.fetchOrders(ctx, tids) : [];
    let stored = 0;
    for (const item of items) {
      try {
        const r = await this.writes.ingest({
          tenantId: account.tenantId,
          accountId,
          channel: 'taobao',
          // The pull's own event id: the same trade version consumed again, or pulled too, is one raw event.
          eventId: storableText(`pull:${item.eventId}`),
          receivedAt: Date.now(),
          headers: {},
          rawBody: item.rawBody,
          orders: [storableValue(item.order)],
          via: 'fetch',
        });
        if (!r.duplicateDelivery) stored += 1;
      } catch (e) {
        // Another path stored this version at the same moment: it is stored, which is what confirming needs.
        if (!(e instanceof HubError && e.code === 'CONFLICT')) throw e;
      }
    }
    // Every ingest above committed (each awaited): only now does TMC hear the messages are handled.
    await tmcConfirm(ctx, this.opts.group, messages.map((m) => m.id));
    this.log.debug({ accountId, consumed: messages.length, stored }, 'TMC messages stored and confirmed');
    return { accountId, consumed: messages.length, stored, confirmed: messages.length };
  }
}

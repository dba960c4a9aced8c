// Refunds and the payment exceptions queue (issue 6): refunds proposed by the payment service or asked for by a
// person, each with its out_refund_no written with an outbox event in one transaction; what the provider says of a
// refund (its notice or a refund query: the only confirmations); the refund worker's steps; the exceptions queue and
// its actions.
import { HubError } from '../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../kernel/principal.ts';
import { orderScopeSql, paymentExceptionScopeSql } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { raiseAlert } from '../health/alerts.ts';
import { appendAudit } from '../access/audit.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import { newId } from '../../kernel/ids.ts';
import { orderStateColumns, type OrderState } from '../orders/lifecycle.ts';

export type PaymentExceptionKind =
  | 'UNKNOWN_ORDER'
  | 'MERCHANT_MISMATCH'
  | 'AMOUNT_MISMATCH'
  | 'CURRENCY_MISMATCH'
  | 'AMOUNT_MISSING'
  | 'NOTICE_REPLAYED'
  | 'PAID_NO_STOCK'
  | 'LATE_PAYMENT'
  | 'DUPLICATE_PAYMENT'
  | 'REFUND_UNKNOWN'
  | 'REFUND_FAILED'
  | 'REFUND_CLOSED'
  | 'REFUND_STUCK'
  | 'QUERY_FAILED';

export interface RefundSettings {
  /** A refund not confirmed this long after it was requested is an exception (REFUND_STUCK). */
  refundStuckMs: number;
  /** The base of the hub's public URL, for refund notify URLs (null: the provider's configured URL is used). */
  publicUrl: string | null;
}

export interface RefundRow {
  id: string;
  tenant_id: string;
  order_id: string;
  payment_account_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string | null;
  amount: number;
  total_amount: number;
  currency: string;
  reason: string;
  source: string;
  state: string;
  provider_refund_id: string | null;
  provider_state: string | null;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  requested_by: string | null;
  decided_by: string | null;
  stuck_alerted: number;
  created_at: number;
  requested_at: number | null;
  confirmed_at: number | null;
  updated_at: number;
}

export interface ExceptionRow {
  id: number;
  tenant_id: string;
  payment_account_id: string;
  order_id: string | null;
  notice_row_id: number | null;
  refund_id: string | null;
  code: string;
  reason: string;
  state: string;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
}

/** A PostgreSQL row lock where it matters; SQLite has one writer. */
export const lockSuffix = (tx: Tx) => (tx.dialect === 'postgres' ? ' FOR UPDATE' : '');

/** One transaction, retried as a whole on a PostgreSQL deadlock or serialisation failure. */
export async function inTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (e) {
      if (attempt < 4 && db.isRetryable(e)) continue;
      throw e;
    }
  }
}

export class RefundService {
  /** Called after a refund request commits (the hub wakes the refund worker). */
  onRefundRequested: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly settings: RefundSettings,
  ) {}

  private inTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return inTransaction(this.db, fn);
  }

  async insertRefund(
    tx: Tx,
    r: {
      order: Pick<OrderState, 'id' | 'tenant_id' | 'order_no'>;
      paymentAccountId: string;
      outTradeNo: string;
      transactionId: string | null;
      amount: number;
      total: number;
      currency: string;
      reason: string;
      source: 'proposal' | 'api';
      state: 'proposed' | 'requested';
      by: string | null;
      at: number;
    },
  ): Promise<{ id: string; outRefundNo: string }> {
    const id = newId(r.at);
    // Made under the order's row lock, so the count is the order's own: R1, R2 … stay unique and readable.
    const count = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM refunds WHERE order_id = ?', [r.order.id]);
    const outRefundNo = `${r.order.order_no}-R${Number(count?.n ?? 0) + 1}`;
    await tx.run(
      `INSERT INTO refunds (id, tenant_id, order_id, payment_account_id, out_refund_no, out_trade_no, transaction_id, amount, total_amount, currency, reason,
         source, state, next_attempt_at, requested_by, created_at, requested_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        r.order.tenant_id,
        r.order.id,
        r.paymentAccountId,
        outRefundNo,
        r.outTradeNo,
        r.transactionId,
        r.amount,
        r.total,
        r.currency,
        r.reason,
        r.source,
        r.state,
        r.state === 'requested' ? r.at : null,
        r.by,
        r.at,
        r.state === 'requested' ? r.at : null,
        r.at,
      ],
    );
    await appendEvent(tx, {
      tenantId: r.order.tenant_id,
      type: r.state === 'requested' ? 'payment.refund_requested' : 'payment.refund_proposed',
      aggregateType: 'order',
      aggregateId: r.order.id,
      at: r.at,
      payload: { orderId: r.order.id, orderNo: r.order.order_no, refundId: id, outRefundNo, amount: r.amount, currency: r.currency },
    });
    return { id, outRefundNo };
  }

  async raiseException(
    tx: Tx,
    tenantId: string,
    paymentAccountId: string,
    provider: string,
    e: { orderId: string | null; noticeRowId?: number | null; refundId?: string | null; code: PaymentExceptionKind; reason: string; at: number },
  ): Promise<number> {
    const row = await tx.get<{ id: number }>(
      `INSERT INTO payment_exceptions (tenant_id, payment_account_id, order_id, notice_row_id, refund_id, code, reason, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id`,
      [tenantId, paymentAccountId, e.orderId, e.noticeRowId ?? null, e.refundId ?? null, e.code, e.reason.slice(0, 1000), e.at],
    );
    const id = Number(row?.id);
    await raiseAlert(tx, {
      tenantId,
      accountId: paymentAccountId,
      platform: provider,
      kind: 'payment_exception',
      key: e.code,
      message: e.reason,
      detail: { exceptionId: id, orderId: e.orderId },
      at: e.at,
    });
    await appendEvent(tx, {
      tenantId,
      type: 'payment.exception',
      aggregateType: 'payment_account',
      aggregateId: paymentAccountId,
      at: e.at,
      payload: { exceptionId: id, code: e.code, orderId: e.orderId, reason: e.reason },
    });
    return id;
  }

  /** What the provider says of a refund, by notice or query: the only ways a refund is confirmed. */
  async settleRefund(
    tx: Tx,
    r: RefundRow,
    s: { state: 'succeeded' | 'processing' | 'failed' | 'closed' | 'not_found'; providerState: string; providerRefundId: string | null },
    at: number,
    cause: string,
  ): Promise<string> {
    if (r.state === 'succeeded') return 'refund_already_confirmed';
    if (s.state === 'processing' || s.state === 'not_found') {
      await tx.run('UPDATE refunds SET provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), updated_at = ? WHERE id = ?', [s.providerState, s.providerRefundId, at, r.id]);
      return 'refund_processing';
    }
    const state = s.state;
    await tx.run(
      'UPDATE refunds SET state = ?, provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), confirmed_at = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?',
      [state, s.providerState, s.providerRefundId, state === 'succeeded' ? at : null, at, r.id],
    );
    const account = await tx.get<{ provider: string }>('SELECT provider FROM payment_accounts WHERE id = ?', [r.payment_account_id]);
    if (state === 'succeeded') {
      // The exceptions that waited on this refund are settled by it.
      await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE refund_id = ? AND state = 'open'`, [
        at,
        'system',
        `refund ${r.out_refund_no} confirmed by ${cause}`,
        r.id,
      ]);
    } else {
      await this.raiseException(tx, r.tenant_id, r.payment_account_id, account?.provider ?? '', {
        orderId: r.order_id,
        refundId: r.id,
        code: state === 'closed' ? 'REFUND_CLOSED' : 'REFUND_FAILED',
        reason: `refund ${r.out_refund_no} ${state} at the provider (${s.providerState})`,
        at,
      });
    }
    await appendHistory(tx, {
      tenantId: r.tenant_id,
      orderId: r.order_id,
      at,
      kind: 'update',
      cause,
      detail: { refund: r.out_refund_no, state, amount: Number(r.amount), currency: r.currency },
    });
    await appendEvent(tx, {
      tenantId: r.tenant_id,
      type: state === 'succeeded' ? 'payment.refunded' : 'payment.refund_failed',
      aggregateType: 'order',
      aggregateId: r.order_id,
      at,
      payload: { orderId: r.order_id, refundId: r.id, outRefundNo: r.out_refund_no, amount: Number(r.amount), currency: r.currency, state },
    });
    return `refund_${state}`;
  }

  // ------------------------------------------------------------------ refunds requested by people

  async requestRefund(who: Principal, orderId: string, input: { amount?: number | undefined; reason: string }, now = Date.now()) {
    requirePermission(who, 'refunds.approve');
    const view = await this.inTransaction(async (tx) => {
      const f = orderScopeSql(who.scope, 'orders');
      const o = await tx.get<OrderState & { currency: string }>(`SELECT ${orderStateColumns}, currency FROM orders WHERE id = ? AND tenant_id = ? AND ${f.text}${lockSuffix(tx)}`, [
        orderId,
        who.tenantId,
        ...f.params,
      ]);
      if (!o) throw new HubError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
      const paid = await tx.get<{ payment_account_id: string; transaction_id: string | null; out_trade_no: string; amount: number }>(
        `SELECT payment_account_id, transaction_id, out_trade_no, amount FROM payment_notices
         WHERE order_id = ? AND effect IN ('paid', 'late_paid', 'paid_no_stock') ORDER BY id LIMIT 1`,
        [o.id],
      );
      if (!paid) throw new HubError('CONFLICT', `order ${o.order_no} has no payment the hub received through a payment account`);
      const taken = await tx.get<{ s: number | null }>(`SELECT SUM(amount) AS s FROM refunds WHERE order_id = ? AND state NOT IN ('declined', 'failed', 'closed')`, [o.id]);
      const refundable = Number(paid.amount) - Number(taken?.s ?? 0);
      const amount = input.amount ?? refundable;
      if (!Number.isSafeInteger(amount) || amount <= 0 || amount > refundable) {
        throw new HubError('VALIDATION_FAILED', `the refund must be between 1 and ${refundable} (${o.currency} minor units still refundable)`, { refundable });
      }
      const r = await this.insertRefund(tx, {
        order: o,
        paymentAccountId: paid.payment_account_id,
        outTradeNo: paid.out_trade_no,
        transactionId: paid.transaction_id,
        amount,
        total: Number(paid.amount),
        currency: o.currency,
        reason: input.reason.slice(0, 80),
        source: 'api',
        state: 'requested',
        by: who.name,
        at: now,
      });
      await appendAudit(tx, this.keyring, who, { action: 'refund.request', targetType: 'order', targetId: o.id, after: { outRefundNo: r.outRefundNo, amount, reason: input.reason } }, now);
      return this.refundView((await tx.get<RefundRow>('SELECT * FROM refunds WHERE id = ?', [r.id])) as RefundRow);
    });
    this.onRefundRequested?.();
    return view;
  }

  /** An exception of the principal's tenant and scope, locked; one outside them answers like one that does not exist. */
  private async exceptionFor(tx: Tx, who: Principal, id: number): Promise<ExceptionRow> {
    const f = paymentExceptionScopeSql(who.scope, 'payment_exceptions');
    const e = await tx.get<ExceptionRow>(`SELECT * FROM payment_exceptions WHERE id = ? AND tenant_id = ? AND ${f.text}${lockSuffix(tx)}`, [id, who.tenantId, ...f.params]);
    if (!e) throw new HubError('ORDER_NOT_FOUND', `payment exception ${id} does not exist`);
    return e;
  }

  /** Approves or declines the refund an exception proposes. Approving sends it (through the outbox and the worker). */
  async decideProposal(who: Principal, exceptionId: number, input: { approve: boolean; note: string }, now = Date.now()) {
    requirePermission(who, 'refunds.approve');
    await this.inTransaction(async (tx) => {
      const e = await this.exceptionFor(tx, who, exceptionId);
      const r = e.refund_id ? await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockSuffix(tx)}`, [e.refund_id]) : undefined;
      if (!r || r.state !== 'proposed') throw new HubError('CONFLICT', `payment exception ${exceptionId} has no refund proposal waiting for a decision`);
      if (input.approve) {
        await tx.run(`UPDATE refunds SET state = 'requested', decided_by = ?, requested_by = ?, requested_at = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`, [who.name, who.name, now, now, now, r.id]);
        await appendEvent(tx, {
          tenantId: r.tenant_id,
          type: 'payment.refund_requested',
          aggregateType: 'order',
          aggregateId: r.order_id,
          at: now,
          payload: { orderId: r.order_id, refundId: r.id, outRefundNo: r.out_refund_no, amount: Number(r.amount), currency: r.currency },
        });
      } else {
        await tx.run(`UPDATE refunds SET state = 'declined', decided_by = ?, updated_at = ? WHERE id = ?`, [who.name, now, r.id]);
        await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?`, [now, who.name, `refund declined: ${input.note}`, e.id]);
      }
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: input.approve ? 'refund.approve' : 'refund.decline', targetType: 'order', targetId: r.order_id, before: { state: 'proposed' }, after: { state: input.approve ? 'requested' : 'declined' }, detail: { outRefundNo: r.out_refund_no, note: input.note } },
        now,
      );
    });
    if (input.approve) this.onRefundRequested?.();
    return this.exception(who, exceptionId);
  }

  async resolveException(who: Principal, exceptionId: number, note: string, now = Date.now()) {
    requirePermission(who, 'payments.manage');
    await this.inTransaction(async (tx) => {
      const e = await this.exceptionFor(tx, who, exceptionId);
      if (e.state !== 'open') throw new HubError('CONFLICT', `payment exception ${exceptionId} is already resolved`);
      const r = e.refund_id ? await tx.get<{ state: string }>('SELECT state FROM refunds WHERE id = ?', [e.refund_id]) : undefined;
      if (r?.state === 'proposed') throw new HubError('CONFLICT', 'this exception proposes a refund: approve or decline it');
      await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?`, [now, who.name, note, e.id]);
      await appendAudit(tx, this.keyring, who, { action: 'payment_exception.resolve', targetType: 'payment_exception', targetId: String(e.id), before: { state: 'open', code: e.code }, after: { state: 'resolved' }, detail: { note } }, now);
    });
    return this.exception(who, exceptionId);
  }

  // ------------------------------------------------------------------ reads

  refundView(r: RefundRow) {
    return {
      id: r.id,
      orderId: r.order_id,
      paymentAccountId: r.payment_account_id,
      outRefundNo: r.out_refund_no,
      outTradeNo: r.out_trade_no,
      transactionId: r.transaction_id,
      amount: Number(r.amount),
      currency: r.currency,
      reason: r.reason,
      source: r.source,
      state: r.state,
      providerState: r.provider_state,
      providerRefundId: r.provider_refund_id,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      requestedBy: r.requested_by,
      decidedBy: r.decided_by,
      createdAt: toIso(Number(r.created_at)),
      requestedAt: toIso(r.requested_at === null ? null : Number(r.requested_at)),
      confirmedAt: toIso(r.confirmed_at === null ? null : Number(r.confirmed_at)),
    };
  }

  exceptionView(e: ExceptionRow & { order_no?: string | null; refund_state?: string | null; out_refund_no?: string | null; provider?: string | null }) {
    return {
      id: Number(e.id),
      code: e.code,
      reason: e.reason,
      state: e.state,
      paymentAccountId: e.payment_account_id,
      provider: e.provider ?? null,
      orderId: e.order_id,
      orderNo: e.order_no ?? null,
      noticeId: e.notice_row_id === null ? null : Number(e.notice_row_id),
      refund: e.refund_id ? { id: e.refund_id, state: e.refund_state ?? null, outRefundNo: e.out_refund_no ?? null } : null,
      actions: [
        ...(e.state === 'open' && e.refund_state === 'proposed' ? ['approve_refund', 'decline_refund'] : []),
        ...(e.state === 'open' && e.refund_state !== 'proposed' ? ['resolve'] : []),
        ...(e.order_id ? ['recheck'] : []),
      ],
      createdAt: toIso(Number(e.created_at)),
      resolvedAt: toIso(e.resolved_at === null ? null : Number(e.resolved_at)),
      resolvedBy: e.resolved_by,
      resolution: e.resolution,
    };
  }

  readonly exceptionSelect = `SELECT e.*, o.order_no, r.state AS refund_state, r.out_refund_no, a.provider FROM payment_exceptions e
     LEFT JOIN orders o ON o.id = e.order_id LEFT JOIN refunds r ON r.id = e.refund_id LEFT JOIN payment_accounts a ON a.id = e.payment_account_id`;

  async exception(who: Principal, id: number) {
    const f = paymentExceptionScopeSql(who.scope, 'e');
    const e = await this.db.read.get<ExceptionRow>(`${this.exceptionSelect} WHERE e.id = ? AND e.tenant_id = ? AND ${f.text}`, [id, who.tenantId, ...f.params]);
    if (!e) throw new HubError('ORDER_NOT_FOUND', `payment exception ${id} does not exist`);
    return this.exceptionView(e);
  }

  /** The payment exceptions queue: open first by default, newest first. */
  async exceptions(who: Principal, f: { state?: string | undefined; code?: string | undefined; orderId?: string | undefined; limit: number }) {
    const where = ['e.tenant_id = ?'];
    const params: (string | number)[] = [who.tenantId];
    if (f.state) {
      where.push('e.state = ?');
      params.push(f.state);
    }
    if (f.code) {
      where.push('e.code = ?');
      params.push(f.code);
    }
    if (f.orderId) {
      where.push('e.order_id = ?');
      params.push(f.orderId);
    }
    const inScope = paymentExceptionScopeSql(who.scope, 'e');
    where.push(inScope.text);
    params.push(...inScope.params);
    const rows = await this.db.read.all<ExceptionRow>(`${this.exceptionSelect} WHERE ${where.join(' AND ')} ORDER BY e.id DESC LIMIT ?`, [...params, f.limit]);
    return { items: rows.map((e) => this.exceptionView(e)) };
  }

  // ------------------------------------------------------------------ the refund worker's steps

  async dueRefunds(now: number, limit = 50): Promise<RefundRow[]> {
    return this.db.read.all<RefundRow>(
      `SELECT * FROM refunds WHERE state IN ('requested', 'submitted') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
      [now, limit],
    );
  }

  /** The URL a provider should send refund notices to, when the hub knows its public address. */
  notifyUrl(provider: string, paymentAccountId: string): string | undefined {
    return this.settings.publicUrl ? `${this.settings.publicUrl.replace(/\/$/, '')}/hooks/pay/${provider}/${paymentAccountId}` : undefined;
  }

  /** Records one attempt's outcome on a refund still in the state it was read in (a notice may have settled it meanwhile). */
  async afterAttempt(
    r: RefundRow,
    outcome:
      | { kind: 'submitted'; providerState: string; providerRefundId: string | null; nextAt: number }
      | { kind: 'retry'; error: string; nextAt: number; resend: boolean }
      | { kind: 'failed'; error: string }
      | { kind: 'settled'; status: { state: 'succeeded' | 'failed' | 'closed'; providerState: string; providerRefundId: string | null } },
    now: number,
  ): Promise<void> {
    await this.inTransaction(async (tx) => {
      const cur = await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockSuffix(tx)}`, [r.id]);
      if (!cur || cur.state !== r.state) return;
      const provider = (await tx.get<{ provider: string }>('SELECT provider FROM payment_accounts WHERE id = ?', [r.payment_account_id]))?.provider ?? '';
      switch (outcome.kind) {
        case 'submitted':
          await tx.run(
            `UPDATE refunds SET state = 'submitted', provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), attempts = attempts + 1, last_error = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
            [outcome.providerState, outcome.providerRefundId, outcome.nextAt, now, r.id],
          );
          break;
        case 'retry':
          await tx.run(`UPDATE refunds SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`, [
            outcome.resend ? 'requested' : cur.state,
            outcome.error,
            outcome.nextAt,
            now,
            r.id,
          ]);
          break;
        case 'failed':
          await tx.run(`UPDATE refunds SET state = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?`, [outcome.error, now, r.id]);
          await this.raiseException(tx, r.tenant_id, r.payment_account_id, provider, { orderId: r.order_id, refundId: r.id, code: 'REFUND_FAILED', reason: `refund ${r.out_refund_no} refused by the provider: ${outcome.error}`, at: now });
          return;
        case 'settled':
          await this.settleRefund(tx, cur, outcome.status, now, `${provider} refund query`);
          return;
      }
      const requestedAt = Number(cur.requested_at ?? cur.created_at);
      if (Number(cur.stuck_alerted) === 0 && now - requestedAt > this.settings.refundStuckMs) {
        await tx.run('UPDATE refunds SET stuck_alerted = 1 WHERE id = ?', [r.id]);
        await this.raiseException(tx, r.tenant_id, r.payment_account_id, provider, {
          orderId: r.order_id,
          refundId: r.id,
          code: 'REFUND_STUCK',
          reason: `refund ${r.out_refund_no} not confirmed ${Math.round((now - requestedAt) / 60_000)} min after it was requested (${cur.provider_state ?? outcome.kind})`,
          at: now,
        });
      }
    });
  }
}

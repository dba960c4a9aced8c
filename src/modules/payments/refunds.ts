// Refunds and the payment exceptions queue (issue 6): refunds proposed by the payment service or asked for by a
// person, each with its out_refund_no written with an outbox event in one transaction; what the provider says of a
// refund (its notice or a refund query: the only confirmations); the refund worker's steps; the exceptions queue and
// its actions.
import { HubError } from '../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../kernel/principal.ts';
import { paymentExceptionScopeSql } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { raiseAlert } from '../health/alerts.ts';
import { appendAudit } from '../access/audit.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import { newId } from '../../kernel/ids.ts';
import type { OrderState } from '../orders/lifecycle.ts';
import { lockOrders } from '../orders/store/orders.ts';
import { forUpdate } from '../../platform/db/unit-of-work.ts';
import { refundMachine, type RefundContext, type RefundEffect, type RefundState } from './domain/refund-machine.ts';
import { paymentExceptionMachine } from './domain/payment-exception-machine.ts';
import { claimDue, type Claim } from '../../platform/jobs/claims.ts';
import { dbNow } from '../../platform/jobs/leases.ts';
import { orderNumbers, orderWithinScope } from '../orders/queries/order-facts.ts';

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
  /** The claim token of the refund worker pass working it now, and when that claim lapses (migration 016). */
  claimed_by: string | null;
  claimed_until: number | null;
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

/** A refund arriving in a state, as the state's effects see it. */
export interface RefundStep {
  service: RefundService;
  tx: Tx;
  /** The refund as it was before the move. */
  r: RefundRow;
  to: RefundState;
  provider: string;
  at: number;
  /** Completes "refund <out_refund_no> …": `confirmed by wechatpay notice N`, `failed at the provider (ABNORMAL)`. */
  why: string;
}

/** What each effect the refund machine names does (domain/refund-machine.ts); startHub checks the table is complete. */
export const refundEffects: { readonly [E in RefundEffect]: (s: RefundStep) => Promise<void> } = {
  // The exceptions that waited on this refund are settled by it.
  async settleWaitingExceptions({ tx, r, at, why }) {
    paymentExceptionMachine.check('open', 'resolved', { refundState: 'succeeded' });
    await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE refund_id = ? AND state = 'open'`, [
      at,
      'system',
      `refund ${r.out_refund_no} ${why}`,
      r.id,
    ]);
  },
  async raiseRefundException({ service, tx, r, to, provider, at, why }) {
    await service.raiseException(tx, r.tenant_id, r.payment_account_id, provider, {
      orderId: r.order_id,
      refundId: r.id,
      code: to === 'closed' ? 'REFUND_CLOSED' : 'REFUND_FAILED',
      reason: `refund ${r.out_refund_no} ${why}`,
      at,
    });
  },
};

/**
 * The effects of a refund arriving in `to`, checked against its machine first (nothing is written for a refused
 * move). The provider saying again what the hub already recorded (failed, then failed) is no transition; the state's
 * effects apply again all the same, as they always have.
 */
function refundMove(r: RefundRow, to: RefundState, ctx: RefundContext): { before: RefundEffect[]; after: RefundEffect[] } {
  if (r.state === to) return { before: [...(refundMachine.states[to].onEnter ?? [])], after: [...(refundMachine.states[to].afterEnter ?? [])] };
  refundMachine.check(r.state, to, ctx);
  return refundMachine.effectsOf(r.state as RefundState, to);
}

/**
 * Locks a refund or payment-exception row (kind `refund` of the one lock order, after orders: unit-of-work.ts) and
 * returns the row-lock clause for its SELECT. Keys `exception:<id>` sort before `refund:<id>`: an exception is locked
 * before the refund it proposes.
 */
export function lockRefundRow(tx: Tx, key: string): string {
  tx.locks.take('refund', [key]);
  return forUpdate(tx);
}

export class RefundService {
  /** Called after a refund request commits (the hub wakes the refund worker). */
  onRefundRequested: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly settings: RefundSettings,
  ) {}


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
    refundMachine.start(r.state);
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
    paymentExceptionMachine.start('open');
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
    const effects = refundMove(r, state, { by: 'provider' });
    await tx.run(
      'UPDATE refunds SET state = ?, provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), confirmed_at = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?',
      [state, s.providerState, s.providerRefundId, state === 'succeeded' ? at : null, at, r.id],
    );
    const account = await tx.get<{ provider: string }>('SELECT provider FROM payment_accounts WHERE id = ?', [r.payment_account_id]);
    const step: RefundStep = {
      service: this,
      tx,
      r,
      to: state,
      provider: account?.provider ?? '',
      at,
      why: state === 'succeeded' ? `confirmed by ${cause}` : `${state} at the provider (${s.providerState})`,
    };
    for (const e of effects.before) await refundEffects[e](step);
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
    for (const e of effects.after) await refundEffects[e](step);
    return `refund_${state}`;
  }

  // ------------------------------------------------------------------ refunds requested by people

  async requestRefund(who: Principal, orderId: string, input: { amount?: number | undefined; reason: string }, now = Date.now()) {
    requirePermission(who, 'refunds.approve');
    const view = await this.db.transaction(async (tx) => {
      const o = (await lockOrders<{ currency: string }>(tx, [orderId], 'currency')).get(orderId);
      const visible = o && (await orderWithinScope(tx, who.tenantId, who.scope, orderId));
      if (!o || !visible) throw new HubError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
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
    const e = await tx.get<ExceptionRow>(`SELECT * FROM payment_exceptions WHERE id = ? AND tenant_id = ? AND ${f.text}${lockRefundRow(tx, `exception:${id}`)}`, [id, who.tenantId, ...f.params]);
    if (!e) throw new HubError('ORDER_NOT_FOUND', `payment exception ${id} does not exist`);
    return e;
  }

  /** Approves or declines the refund an exception proposes. Approving sends it (through the outbox and the worker). */
  async decideProposal(who: Principal, exceptionId: number, input: { approve: boolean; note: string }, now = Date.now()) {
    requirePermission(who, 'refunds.approve');
    await this.db.transaction(async (tx) => {
      const e = await this.exceptionFor(tx, who, exceptionId);
      const r = e.refund_id ? await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockRefundRow(tx, `refund:${e.refund_id}`)}`, [e.refund_id]) : undefined;
      if (!r || r.state !== 'proposed') throw new HubError('CONFLICT', `payment exception ${exceptionId} has no refund proposal waiting for a decision`);
      if (input.approve) {
        refundMachine.check(r.state, 'requested', { by: 'person' });
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
        refundMachine.check(r.state, 'declined', { by: 'person' });
        paymentExceptionMachine.check(e.state, 'resolved', { refundState: 'declined' });
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
    await this.db.transaction(async (tx) => {
      const e = await this.exceptionFor(tx, who, exceptionId);
      if (e.state !== 'open') throw new HubError('CONFLICT', `payment exception ${exceptionId} is already resolved`);
      const r = e.refund_id ? await tx.get<{ state: string }>('SELECT state FROM refunds WHERE id = ?', [e.refund_id]) : undefined;
      if (r?.state === 'proposed') throw new HubError('CONFLICT', 'this exception proposes a refund: approve or decline it');
      paymentExceptionMachine.check(e.state, 'resolved', { refundState: r?.state ?? null });
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

  readonly exceptionSelect = `SELECT e.*, r.state AS refund_state, r.out_refund_no, a.provider FROM payment_exceptions e
     LEFT JOIN refunds r ON r.id = e.refund_id LEFT JOIN payment_accounts a ON a.id = e.payment_account_id`;

  /** Exception rows as the queue shows them: each named by its order's number (asked of the orders module). */
  async exceptionViews(rows: readonly ExceptionRow[]) {
    const numbers = await orderNumbers(this.db.read, [...new Set(rows.map((e) => e.order_id).filter((id): id is string => id !== null))]);
    return rows.map((e) => this.exceptionView({ ...e, order_no: e.order_id ? (numbers.get(e.order_id) ?? null) : null }));
  }

  async exception(who: Principal, id: number) {
    const f = paymentExceptionScopeSql(who.scope, 'e');
    const e = await this.db.read.get<ExceptionRow>(`${this.exceptionSelect} WHERE e.id = ? AND e.tenant_id = ? AND ${f.text}`, [id, who.tenantId, ...f.params]);
    if (!e) throw new HubError('ORDER_NOT_FOUND', `payment exception ${id} does not exist`);
    return (await this.exceptionViews([e]))[0] as ReturnType<RefundService['exceptionView']>;
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
    return { items: await this.exceptionViews(rows) };
  }

  // ------------------------------------------------------------------ the refund worker's steps

  /**
   * Claims refunds due at `now` for one pass of the refund worker (claims.ts): a refund another hub process is sending
   * or asking about is left alone. Null when none is due (looked up on the read connection: no write when idle).
   */
  async claimDueRefunds(now: number, holder: string, limit = 50): Promise<Claim<RefundRow> | null> {
    const where = `state IN ('requested', 'submitted') AND next_attempt_at <= ?`;
    const any = await this.db.read.get(`SELECT id FROM refunds WHERE ${where} AND (claimed_until IS NULL OR claimed_until <= ${dbNow(this.db.dialect)}) LIMIT 1`, [now]);
    if (!any) return null;
    const claim = await claimDue<RefundRow>(this.db, holder, { table: 'refunds', where, params: [now], orderBy: 'next_attempt_at, id', limit, columns: '*' });
    claim.rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || a.id.localeCompare(b.id));
    return claim;
  }

  /** The URL a provider should send refund notices to, when the hub knows its public address. */
  notifyUrl(provider: string, paymentAccountId: string): string | undefined {
    return this.settings.publicUrl ? `${this.settings.publicUrl.replace(/\/$/, '')}/hooks/pay/${provider}/${paymentAccountId}` : undefined;
  }

  /**
   * Records one attempt's outcome on a refund still in the state it was read in (a notice may have settled it meanwhile),
   * and ends the claim `claim` the attempt ran under — unless that claim lapsed and another pass took the refund over.
   */
  async afterAttempt(
    r: RefundRow,
    outcome:
      | { kind: 'submitted'; providerState: string; providerRefundId: string | null; nextAt: number }
      | { kind: 'retry'; error: string; nextAt: number; resend: boolean }
      | { kind: 'failed'; error: string }
      | { kind: 'settled'; status: { state: 'succeeded' | 'failed' | 'closed'; providerState: string; providerRefundId: string | null } },
    now: number,
    claim?: string,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const cur = await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockRefundRow(tx, `refund:${r.id}`)}`, [r.id]);
      if (!cur) return;
      if (claim !== undefined) {
        if (cur.claimed_by !== claim) return;
        await tx.run('UPDATE refunds SET claimed_by = NULL, claimed_until = NULL WHERE id = ?', [r.id]);
      }
      if (cur.state !== r.state) return;
      const provider = (await tx.get<{ provider: string }>('SELECT provider FROM payment_accounts WHERE id = ?', [r.payment_account_id]))?.provider ?? '';
      switch (outcome.kind) {
        case 'submitted':
          refundMachine.check(cur.state, 'submitted', { by: 'worker' });
          await tx.run(
            `UPDATE refunds SET state = 'submitted', provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), attempts = attempts + 1, last_error = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
            [outcome.providerState, outcome.providerRefundId, outcome.nextAt, now, r.id],
          );
          break;
        case 'retry':
          // Tried again later in the same state; sent again (submitted → requested) when the provider has no record of it.
          if (outcome.resend && cur.state !== 'requested') refundMachine.check(cur.state, 'requested', { by: 'worker' });
          await tx.run(`UPDATE refunds SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`, [
            outcome.resend ? 'requested' : cur.state,
            outcome.error,
            outcome.nextAt,
            now,
            r.id,
          ]);
          break;
        case 'failed': {
          const effects = refundMove(cur, 'failed', { by: 'worker' });
          await tx.run(`UPDATE refunds SET state = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?`, [outcome.error, now, r.id]);
          const step: RefundStep = { service: this, tx, r, to: 'failed', provider, at: now, why: `refused by the provider: ${outcome.error}` };
          for (const e of [...effects.before, ...effects.after]) await refundEffects[e](step);
          return;
        }
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

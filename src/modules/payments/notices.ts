// The payment service (issue 6): a verified provider notice is stored raw and decided in one transaction — paid only
// as a conjunction (signature, merchant ids, exact amount, success state), late payments re-reserve or become
// "paid, no stock" with a refund proposal, anything else a payment exception — and the provider is answered after
// commit. Also the query before auto-close and the order's payment timeline. Refunds and the exceptions queue are in
// refunds.ts.
import { createHash } from 'node:crypto';
import { decidePayment, type OrderFacts } from './domain/decision.ts';
import { HubError } from '../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../kernel/principal.ts';
import { paymentExceptionScopeSql } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Logger } from '../../platform/log.ts';
import { callErrorText, providerFor, type PaymentQueryResult } from './providers/registry.ts';
import type { VerifiedNotice } from './providers/types.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { moveOrder, tryReserve, type LifecycleSettings, type OrderState } from '../orders/lifecycle.ts';
import { lockOrders } from '../orders/store/orders.ts';
import { lockRefundRow, type ExceptionRow, type PaymentExceptionKind, type RefundRow, type RefundService } from './refunds.ts';
import type { OrderRef, PaymentAccount, PaymentAccountService } from './accounts.ts';
import { paymentExceptionMachine } from './domain/payment-exception-machine.ts';
import { orderFacts, orderIdsByRef } from '../orders/queries/order-facts.ts';

/** A verified notice on its way into the store: plain data, so it crosses into the writer thread. */
export interface NoticeDelivery {
  tenantId: string;
  paymentAccountId: string;
  provider: string;
  receivedAt: number;
  /** The signature headers as received (no secrets in them). */
  headers: Record<string, string>;
  /** The body as received (UTF-8 text: JSON or a percent-encoded form), and the SHA-256 of its bytes. */
  body: string;
  bodySha256: string;
  notice: VerifiedNotice;
  /** The merchant ids the account expects, and a mismatch found against a list (WeChat app ids). */
  expectedMerchant: Record<string, string>;
  merchantMismatch: string | null;
  orderRef: OrderRef;
  channelAccounts: string[];
  /** notice: pushed by the provider; query: what a payment query answered (before auto-close, or a re-check). */
  via?: 'notice' | 'query';
}

export interface NoticeOutcome {
  duplicate: boolean;
  noticeRowId: number;
  effect: string;
  orderId: string | null;
  reason: string | null;
}

export interface PaymentSettings extends LifecycleSettings {
  /** Query attempts before an unpaid order is closed without the provider's answer. */
  queryAttempts: number;
}

/** The facts of two deliveries of one notice id must agree; a signed notice that says something else is a replay. */
function sameFacts(a: { kind: string; provider_state: string; out_trade_no: string | null; transaction_id: string | null; amount: number | null; currency: string | null }, n: VerifiedNotice): boolean {
  return (
    a.kind === n.kind &&
    a.provider_state === n.providerState &&
    (a.out_trade_no ?? null) === n.outTradeNo &&
    (a.transaction_id ?? null) === n.transactionId &&
    (a.amount === null ? null : Number(a.amount)) === (n.amount?.value ?? null) &&
    (a.currency ?? null) === (n.amount?.currency ?? null)
  );
}

export class PaymentService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly accounts: PaymentAccountService,
    private readonly refunds: RefundService,
    private readonly settings: PaymentSettings,
    private readonly log: Logger,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}


  // ------------------------------------------------------------------ notices in

  /** Stores a verified notice and applies what it means, in one transaction; the caller answers the provider after. */
  async recordNotice(d: NoticeDelivery): Promise<NoticeOutcome> {
    return this.db.transaction((tx) => this.applyNotice(tx, d));
  }

  private async applyNotice(tx: Tx, d: NoticeDelivery): Promise<NoticeOutcome> {
    const n = d.notice;
    const at = d.receivedAt;
    const inserted = await tx.get<{ id: number }>(
      `INSERT INTO payment_notices (tenant_id, payment_account_id, provider, notice_id, kind, provider_state, success, out_trade_no, transaction_id,
         out_refund_no, amount, currency, occurred_at, received_at, last_delivery_at, headers, body, body_sha256, via, effect)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received')
       ON CONFLICT (payment_account_id, notice_id) DO NOTHING RETURNING id`,
      [
        d.tenantId,
        d.paymentAccountId,
        d.provider,
        n.noticeId,
        n.kind,
        n.providerState,
        n.success ? 1 : 0,
        n.outTradeNo,
        n.transactionId,
        n.outRefundNo,
        n.amount?.value ?? null,
        n.amount?.currency ?? null,
        n.occurredAt,
        at,
        at,
        JSON.stringify(d.headers),
        // The content can name the payer (openid, buyer_logon_id): kept encrypted like raw events.
        this.keyring.encrypt(d.body),
        d.bodySha256,
        d.via ?? 'notice',
      ],
    );
    if (!inserted) return this.redelivery(tx, d);
    const rowId = Number(inserted.id);
    const out = await this.decide(tx, d, rowId);
    await tx.run('UPDATE payment_notices SET effect = ?, reason = ?, order_id = ? WHERE id = ?', [out.effect, out.reason, out.orderId, rowId]);
    return { duplicate: false, noticeRowId: rowId, ...out };
  }

  /** The same notice id again: a retry changes nothing; the same id saying something else is recorded as a replay. */
  private async redelivery(tx: Tx, d: NoticeDelivery): Promise<NoticeOutcome> {
    const prior = await tx.get<{
      id: number;
      kind: string;
      provider_state: string;
      out_trade_no: string | null;
      transaction_id: string | null;
      amount: number | null;
      currency: string | null;
      effect: string;
      reason: string | null;
      order_id: string | null;
    }>(
      'SELECT id, kind, provider_state, out_trade_no, transaction_id, amount, currency, effect, reason, order_id FROM payment_notices WHERE payment_account_id = ? AND notice_id = ?',
      [d.paymentAccountId, d.notice.noticeId],
    );
    if (!prior) throw new Error('payment notice vanished between insert and read');
    await tx.run('UPDATE payment_notices SET deliveries = deliveries + 1, last_delivery_at = ? WHERE id = ?', [d.receivedAt, prior.id]);
    // A retry of a payment whose order was not there yet: decided again, now that the order may have arrived.
    if (prior.order_id === null && prior.reason?.startsWith('UNKNOWN_ORDER') && sameFacts(prior, d.notice) && (await this.findOrder(tx, d, d.notice.outTradeNo))) {
      const out = await this.decide(tx, d, Number(prior.id));
      await tx.run('UPDATE payment_notices SET effect = ?, reason = ?, order_id = ? WHERE id = ?', [out.effect, out.reason, out.orderId, prior.id]);
      return { duplicate: false, noticeRowId: Number(prior.id), ...out };
    }
    if (!sameFacts(prior, d.notice)) {
      await this.refunds.raiseException(tx, d.tenantId, d.paymentAccountId, d.provider, {
        orderId: prior.order_id,
        noticeRowId: Number(prior.id),
        code: 'NOTICE_REPLAYED',
        reason: `notice ${d.notice.noticeId} came again saying something else (${d.notice.providerState}, ${d.notice.amount?.value ?? 'no amount'}): only its first delivery counts`,
        at: d.receivedAt,
      });
    }
    return { duplicate: true, noticeRowId: Number(prior.id), effect: prior.effect, orderId: prior.order_id, reason: prior.reason };
  }

  private async findOrder(tx: Tx, d: Pick<NoticeDelivery, 'tenantId' | 'orderRef' | 'channelAccounts'>, ref: string | null): Promise<OrderState | null> {
    if (!ref) return null;
    const column = d.orderRef === 'platform_order_id' ? 'platform_order_id' : 'order_no';
    const rows = [...(await lockOrders(tx, await orderIdsByRef(tx, d.tenantId, { by: column, value: ref }))).values()];
    // Only the orders of the shops this payment account pays for: the same number in another shop is not this payment's.
    const mine = rows.filter((o) => d.channelAccounts.length === 0 || d.channelAccounts.includes(o.account_id));
    return mine.length === 1 ? (mine[0] as OrderState) : null;
  }

  private async decide(tx: Tx, d: NoticeDelivery, rowId: number): Promise<{ effect: string; orderId: string | null; reason: string | null }> {
    const n = d.notice;
    if (n.kind === 'refund') return this.refundNotice(tx, d, rowId);
    if (n.kind !== 'payment') return { effect: 'no_effect', orderId: null, reason: `${n.providerState} is not a payment or refund notice` };
    const o = await this.findOrder(tx, d, n.outTradeNo);
    const base = { tenantId: d.tenantId, accountId: d.paymentAccountId, provider: d.provider, at: d.receivedAt };
    const exception = async (code: PaymentExceptionKind, reason: string) => {
      await this.refunds.raiseException(tx, base.tenantId, base.accountId, base.provider, { orderId: o?.id ?? null, noticeRowId: rowId, code, reason, at: base.at });
      return { effect: 'exception', orderId: o?.id ?? null, reason: `${code}: ${reason}` };
    };
    if (d.merchantMismatch && n.success) return exception('MERCHANT_MISMATCH', d.merchantMismatch);
    // The same transaction told twice under two notice ids (a pushed notice and a query's answer): counted once.
    if (o && n.success && n.transactionId) {
      const seen = await tx.get<{ effect: string }>(
        `SELECT effect FROM payment_notices WHERE order_id = ? AND transaction_id = ? AND id <> ?
           AND effect IN ('paid', 'late_paid', 'paid_no_stock', 'duplicate_payment', 'late_payment_refund') LIMIT 1`,
        [o.id, n.transactionId, rowId],
      );
      if (seen) return { effect: 'already_paid', orderId: o.id, reason: `transaction ${n.transactionId} was already applied (${seen.effect})` };
    }
    const facts: OrderFacts | null = o ? { status: o.status, paymentStatus: o.payment_status, totalAmount: Number(o.total_amount), currency: await this.currencyOf(tx, o.id) } : null;
    const decision = decidePayment(n, facts, d.expectedMerchant);
    const cause = `${d.provider} ${d.via === 'query' ? 'query' : 'notice'} ${n.noticeId}`;
    switch (decision.effect) {
      case 'exception':
        return exception(decision.code, decision.reason);
      case 'no_effect':
        return { effect: 'no_effect', orderId: o?.id ?? null, reason: decision.reason };
      case 'already_paid': {
        const order = o as OrderState;
        const first = await tx.get<{ transaction_id: string | null }>(
          `SELECT transaction_id FROM payment_notices WHERE order_id = ? AND effect IN ('paid', 'late_paid', 'paid_no_stock') ORDER BY id LIMIT 1`,
          [order.id],
        );
        if (first?.transaction_id && n.transactionId && first.transaction_id !== n.transactionId) {
          // The buyer paid twice (two transactions for one order): the second payment goes back.
          await this.propose(tx, order, d, n.transactionId, 'DUPLICATE_PAYMENT', `a second payment ${n.transactionId} for an order already paid by ${first.transaction_id}`, rowId);
          return { effect: 'duplicate_payment', orderId: order.id, reason: `a second transaction ${n.transactionId}; refund proposed` };
        }
        return { effect: 'already_paid', orderId: order.id, reason: null };
      }
      case 'mark_paid':
        return this.markPaid(tx, o as OrderState, d, cause, rowId, false);
      case 'late_payment': {
        const order = o as OrderState;
        if (order.cancel_cause !== 'payment_timeout') {
          // Cancelled by the platform or a person: the hub does not reopen it on its own. The money must go back.
          await this.propose(tx, order, d, n.transactionId, 'LATE_PAYMENT', `paid after the order was cancelled (${order.cancel_cause ?? 'cancelled'})`, rowId);
          return { effect: 'late_payment_refund', orderId: order.id, reason: `order was cancelled (${order.cancel_cause}); refund proposed` };
        }
        return this.markPaid(tx, order, d, cause, rowId, true);
      }
    }
  }

  private async currencyOf(tx: Tx, orderId: string): Promise<string> {
    return (await orderFacts(tx, orderId))?.currency ?? '';
  }

  /**
   * The conjunction held: the order moves to paid through the status anchor (reserved stock deducted, the payment
   * timer cancelled, a history row naming the notice, an outbox event). A late payment re-reserves all lines or none;
   * without stock the order is held PAID_NO_STOCK with a refund proposal.
   */
  private async markPaid(tx: Tx, o: OrderState, d: NoticeDelivery, cause: string, rowId: number, late: boolean) {
    const n = d.notice;
    o.paid_amount = n.amount?.value ?? o.paid_amount;
    await moveOrder(tx, o, 'paid', { source: 'platform', cause, at: d.receivedAt, sourceTime: n.occurredAt }, this.settings);
    await appendEvent(tx, {
      tenantId: o.tenant_id,
      type: 'payment.received',
      aggregateType: 'order',
      aggregateId: o.id,
      at: d.receivedAt,
      payload: {
        orderId: o.id,
        orderNo: o.order_no,
        provider: d.provider,
        paymentAccountId: d.paymentAccountId,
        transactionId: n.transactionId,
        amount: n.amount?.value ?? null,
        currency: n.amount?.currency ?? null,
        late,
      },
    });
    // A notice that came before its order (the shop's push was late) left an UNKNOWN_ORDER exception: the order has
    // arrived and is paid now, so that exception is settled — with the order named, for the record.
    if (n.outTradeNo) {
      paymentExceptionMachine.check('open', 'resolved', { refundState: null });
      await tx.run(
        `UPDATE payment_exceptions SET state = 'resolved', order_id = ?, resolved_at = ?, resolved_by = 'system', resolution = ?
         WHERE payment_account_id = ? AND code = 'UNKNOWN_ORDER' AND state = 'open'
           AND notice_row_id IN (SELECT id FROM payment_notices WHERE payment_account_id = ? AND out_trade_no = ?)`,
        [o.id, d.receivedAt, `order ${o.order_no} arrived and was paid (${cause})`, d.paymentAccountId, d.paymentAccountId, n.outTradeNo],
      );
    }
    // Paid while short of stock (never reserved, or its units gone): asked once more, all lines or none, now as paid.
    if (!late && (o.reservation_state === 'short' || o.reservation_state === 'none')) {
      await tryReserve(tx, o, { source: 'platform', cause, at: d.receivedAt, sourceTime: n.occurredAt }, this.settings, 'PAID_NO_STOCK');
    }
    if (o.reservation_state === 'deducted') return { effect: late ? 'late_paid' : 'paid', orderId: o.id, reason: late ? 'late payment: stock reserved again' : null };
    if (o.reservation_state === 'short') {
      await this.propose(tx, o, d, n.transactionId, 'PAID_NO_STOCK', o.hold_reason ?? 'paid, but there is no stock for it', rowId);
      return { effect: 'paid_no_stock', orderId: o.id, reason: 'paid, no stock: held PAID_NO_STOCK, refund proposed' };
    }
    // Unmatched SKUs: the order is held SKU_UNMATCHED; mapping the SKU serves it.
    return { effect: 'paid', orderId: o.id, reason: `paid; reservation ${o.reservation_state}` };
  }

  /** A refund proposal (state proposed) for the order's payment, with the exception that shows it in the queue. */
  private async propose(tx: Tx, o: OrderState, d: NoticeDelivery, transactionId: string | null, code: PaymentExceptionKind, reason: string, rowId: number): Promise<void> {
    const amount = d.notice.amount?.value ?? Number(o.paid_amount);
    const refund = await this.refunds.insertRefund(tx, {
      order: o,
      paymentAccountId: d.paymentAccountId,
      outTradeNo: d.notice.outTradeNo ?? o.order_no,
      transactionId,
      amount,
      total: amount,
      currency: d.notice.amount?.currency ?? (await this.currencyOf(tx, o.id)),
      reason: `${code}: ${reason}`.slice(0, 80),
      source: 'proposal',
      state: 'proposed',
      by: null,
      at: d.receivedAt,
    });
    await this.refunds.raiseException(tx, d.tenantId, d.paymentAccountId, d.provider, { orderId: o.id, noticeRowId: rowId, refundId: refund.id, code, reason: `${reason}; refund ${refund.outRefundNo} proposed`, at: d.receivedAt });
  }

  // ------------------------------------------------------------------ refund notices

  private async refundNotice(tx: Tx, d: NoticeDelivery, rowId: number): Promise<{ effect: string; orderId: string | null; reason: string | null }> {
    const n = d.notice;
    if (!n.outRefundNo) return { effect: 'no_effect', orderId: null, reason: `${n.providerState} names no merchant refund number; a refund query will tell` };
    const found = await tx.get<{ id: number }>('SELECT id FROM refunds WHERE out_refund_no = ? AND payment_account_id = ?', [n.outRefundNo, d.paymentAccountId]);
    const r = found ? await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockRefundRow(tx, `refund:${found.id}`)}`, [found.id]) : undefined;
    if (!r) {
      await this.refunds.raiseException(tx, d.tenantId, d.paymentAccountId, d.provider, {
        orderId: null,
        noticeRowId: rowId,
        code: 'REFUND_UNKNOWN',
        reason: `a refund ${n.outRefundNo} (${n.providerState}) the hub did not ask for`,
        at: d.receivedAt,
      });
      return { effect: 'exception', orderId: null, reason: `REFUND_UNKNOWN: ${n.outRefundNo}` };
    }
    const verdict = n.success ? 'succeeded' : /ABNORMAL|failed/i.test(n.providerState) ? 'failed' : /CLOSED|canceled/i.test(n.providerState) ? 'closed' : 'processing';
    const effect = await this.refunds.settleRefund(tx, r, { state: verdict, providerState: n.providerState, providerRefundId: n.refundId }, d.receivedAt, `${d.provider} notice ${n.noticeId}`);
    return { effect, orderId: r.order_id, reason: null };
  }

  // ------------------------------------------------------------------ query before auto-close

  /** A notice-shaped account of what a payment query answered, for the same decision as a pushed notice. */
  private queryDelivery(a: PaymentAccount, o: { tenant_id: string }, outTradeNo: string, q: PaymentQueryResult, now: number): NoticeDelivery {
    const provider = providerFor(a.provider);
    const em = provider ? provider.expectedMerchant(a.credentials, q.merchant) : { expected: {}, mismatch: null };
    const body = JSON.stringify({ query: outTradeNo, state: q.state, providerState: q.providerState, transactionId: q.transactionId, amount: q.amount });
    return {
      tenantId: o.tenant_id,
      paymentAccountId: a.id,
      provider: a.provider,
      receivedAt: now,
      headers: {},
      body,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      notice: {
        provider: a.provider,
        noticeId: `query:${q.transactionId ?? outTradeNo}`,
        kind: 'payment',
        providerState: q.providerState,
        success: q.state === 'paid',
        outTradeNo,
        transactionId: q.transactionId,
        outRefundNo: null,
        refundId: null,
        amount: q.amount,
        merchant: q.merchant,
        occurredAt: q.occurredAt,
        content: null,
      },
      expectedMerchant: em.expected,
      merchantMismatch: em.mismatch,
      orderRef: a.orderRef,
      channelAccounts: a.channelAccounts,
      via: 'query',
    };
  }

  /**
   * Before the payment timeout closes an order paid through a payment account, the provider is asked (outside any
   * transaction): paid → the order is made paid through the same conjunction; a failed query → the timer retries
   * later, up to `queryAttempts`, then the order is closed and that recorded.
   */
  async beforeClose(timer: { id: number; ref: string }, now: number): Promise<'close' | 'paid' | 'retry' | 'close_unconfirmed'> {
    const o = await orderFacts(this.db.read, timer.ref);
    if (!o || o.status !== 'pending_payment') return 'close';
    const a = await this.accounts.forChannelAccount(this.db.read, o.tenant_id, o.account_id);
    const provider = a ? providerFor(a.provider) : null;
    if (!a || !provider) return 'close';
    const outTradeNo = a.orderRef === 'platform_order_id' ? o.platform_order_id : o.order_no;
    let q: PaymentQueryResult;
    try {
      q = await provider.queryPayment(a.credentials, outTradeNo, { fetch: this.fetchFn });
    } catch (e) {
      const t = await this.db.read.get<{ attempts: number }>('SELECT attempts FROM timers WHERE id = ?', [timer.id]);
      const attempts = Number(t?.attempts ?? 0) + 1;
      this.log.warn({ provider: a.provider, paymentAccountId: a.id, orderNo: o.order_no, attempts, err: callErrorText(e) }, 'payment query before auto-close failed');
      if (attempts < this.settings.queryAttempts) {
        await this.db.transaction((tx) =>
          tx.run(`UPDATE timers SET attempts = ?, last_error = ?, due_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'`, [
            attempts,
            `payment query failed: ${callErrorText(e)}`,
            now + Math.min(30 * 60_000, 30_000 * 2 ** (attempts - 1)),
            now,
            timer.id,
          ]),
        );
        return 'retry';
      }
      return 'close_unconfirmed';
    }
    if (q.state !== 'paid') return 'close';
    const out = await this.recordNotice(this.queryDelivery(a, o, outTradeNo, q, now));
    this.log.info({ provider: a.provider, orderNo: o.order_no, effect: out.effect }, 'payment found by the query before auto-close');
    return out.effect === 'paid' || out.effect === 'late_paid' || out.effect === 'already_paid' ? 'paid' : 'close';
  }

  /** After an order was closed without the provider having answered: the exception that says so. */
  async recordClosedUnconfirmed(orderId: string, now: number): Promise<void> {
    const o = await orderFacts(this.db.read, orderId);
    if (!o) return;
    const a = await this.accounts.forChannelAccount(this.db.read, o.tenant_id, o.account_id);
    if (!a) return;
    await this.db.transaction((tx) =>
      this.refunds.raiseException(tx, o.tenant_id, a.id, a.provider, {
        orderId,
        code: 'QUERY_FAILED',
        reason: `closed by the payment timeout after ${this.settings.queryAttempts} failed payment queries: a payment the provider holds would arrive as a late payment`,
        at: now,
      }),
    );
  }

  /** Asks the provider again about the exception's order (a lost notice, a query that failed before close). */
  async recheck(who: Principal, exceptionId: number, now = Date.now()) {
    requirePermission(who, 'payments.manage');
    const f = paymentExceptionScopeSql(who.scope, 'payment_exceptions');
    const e = await this.db.read.get<ExceptionRow>(`SELECT * FROM payment_exceptions WHERE id = ? AND tenant_id = ? AND ${f.text}`, [exceptionId, who.tenantId, ...f.params]);
    if (!e) throw new HubError('ORDER_NOT_FOUND', `payment exception ${exceptionId} does not exist`);
    if (!e.order_id) throw new HubError('CONFLICT', 'this exception names no order to ask about');
    const o = await orderFacts(this.db.read, e.order_id);
    const a = await this.accounts.get(e.payment_account_id);
    const provider = a ? providerFor(a.provider) : null;
    if (!o || !a || !provider) throw new HubError('ACCOUNT_NOT_FOUND', 'the order or its payment account is gone');
    const outTradeNo = a.orderRef === 'platform_order_id' ? o.platform_order_id : o.order_no;
    let q: PaymentQueryResult;
    try {
      q = await provider.queryPayment(a.credentials, outTradeNo, { fetch: this.fetchFn });
    } catch (err) {
      throw new HubError('OVERLOADED', `the provider did not answer: ${callErrorText(err)}`);
    }
    const out = q.state === 'paid' ? await this.recordNotice(this.queryDelivery(a, o, outTradeNo, q, now)) : null;
    return { query: { state: q.state, providerState: q.providerState, transactionId: q.transactionId, amount: q.amount }, effect: out?.effect ?? 'no_effect', exception: await this.refunds.exception(who, exceptionId) };
  }

  /** The order's payment timeline: every notice with its verification, decision and effect; its refunds; its exceptions. */
  async timeline(orderId: string) {
    const [notices, refunds, exceptions] = await Promise.all([
      this.db.read.all<{
        id: number;
        provider: string;
        payment_account_id: string;
        notice_id: string;
        kind: string;
        provider_state: string;
        success: number;
        transaction_id: string | null;
        out_refund_no: string | null;
        amount: number | null;
        currency: string | null;
        occurred_at: number | null;
        received_at: number;
        deliveries: number;
        via: string;
        effect: string;
        reason: string | null;
      }>(
        `SELECT id, provider, payment_account_id, notice_id, kind, provider_state, success, transaction_id, out_refund_no, amount, currency, occurred_at,
           received_at, deliveries, via, effect, reason FROM payment_notices WHERE order_id = ? ORDER BY id`,
        [orderId],
      ),
      this.db.read.all<RefundRow>('SELECT * FROM refunds WHERE order_id = ? ORDER BY created_at, id', [orderId]),
      this.db.read.all<ExceptionRow>(`${this.refunds.exceptionSelect} WHERE e.order_id = ? ORDER BY e.id`, [orderId]),
    ]);
    return {
      notices: notices.map((n) => ({
        id: Number(n.id),
        provider: n.provider,
        paymentAccountId: n.payment_account_id,
        noticeId: n.notice_id,
        via: n.via,
        // Only notices whose signature (and decryption) checked out are stored; refused ones leave a log line.
        verification: n.via === 'query' ? 'signed query answer' : 'signature verified',
        kind: n.kind,
        providerState: n.provider_state,
        success: Number(n.success) === 1,
        transactionId: n.transaction_id,
        outRefundNo: n.out_refund_no,
        amount: n.amount === null ? null : Number(n.amount),
        currency: n.currency,
        occurredAt: toIso(n.occurred_at === null ? null : Number(n.occurred_at)),
        receivedAt: toIso(Number(n.received_at)),
        deliveries: Number(n.deliveries),
        effect: n.effect,
        reason: n.reason,
      })),
      refunds: refunds.map((r) => this.refunds.refundView(r)),
      exceptions: await this.refunds.exceptionViews(exceptions),
    };
  }
}

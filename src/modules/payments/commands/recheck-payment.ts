// A person asks the provider again about a payment exception's order; a payment found is recorded like a notice.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { paymentExceptionScopeSql } from '../../../kernel/scope.ts';
import { orderFacts } from '../../orders/queries/order-facts.ts';
import { callErrorText, providerFor, type PaymentQueryResult } from '../providers/registry.ts';
import type { PaymentDeps } from '../deps.ts';
import { queryDelivery } from '../notice-delivery.ts';
import type { ExceptionRow } from '../rows.ts';
import { recordPaymentNotice } from './record-payment-notice.ts';

/** Asks the provider again about the exception's order (a lost notice, a query that failed before close). */
export async function recheckPayment(deps: PaymentDeps, who: Principal, exceptionId: number, now = Date.now()) {
  requirePermission(who, 'payments.manage');
  const f = paymentExceptionScopeSql(who.scope, 'payment_exceptions');
  const e = await deps.db.read.get<ExceptionRow>(`SELECT * FROM payment_exceptions WHERE id = ? AND tenant_id = ? AND ${f.text}`, [exceptionId, who.tenantId, ...f.params]);
  if (!e) throw new HubError('PAYMENT_EXCEPTION_NOT_FOUND', `payment exception ${exceptionId} does not exist`);
  if (!e.order_id) throw new HubError('CONFLICT', 'this exception names no order to ask about');
  const o = await orderFacts(deps.db.read, e.order_id);
  const a = await deps.accounts.get(e.payment_account_id);
  const provider = a ? providerFor(a.provider) : null;
  if (!o || !a || !provider) throw new HubError('ACCOUNT_NOT_FOUND', 'the order or its payment account is gone');
  const outTradeNo = a.orderRef === 'platform_order_id' ? o.platform_order_id : o.order_no;
  let q: PaymentQueryResult;
  try {
    q = await provider.queryPayment(a.credentials, outTradeNo, { fetch: deps.fetchFn });
  } catch (err) {
    throw new HubError('OVERLOADED', `the provider did not answer: ${callErrorText(err)}`);
  }
  const out = q.state === 'paid' ? await recordPaymentNotice(deps, queryDelivery(a, o, outTradeNo, q, now)) : null;
  return { query: { state: q.state, providerState: q.providerState, transactionId: q.transactionId, amount: q.amount }, effect: out?.effect ?? 'no_effect', exception: await deps.refunds.exception(who, exceptionId) };
}

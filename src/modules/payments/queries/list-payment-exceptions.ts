// The payment exceptions queue of the principal's tenant and scope, filtered by state, code or order.
import type { Principal } from '../../../kernel/principal.ts';
import { paymentExceptionScopeSql } from '../../../kernel/scope.ts';
import type { RefundDeps } from '../deps.ts';
import type { ExceptionRow } from '../rows.ts';
import { exceptionSelect, exceptionViews } from '../views.ts';

/** The payment exceptions queue: open first by default, newest first. */
export async function listPaymentExceptions(deps: RefundDeps, who: Principal, f: { state?: string | undefined; code?: string | undefined; orderId?: string | undefined; limit: number }) {
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
  const rows = await deps.db.read.all<ExceptionRow>(`${exceptionSelect} WHERE ${where.join(' AND ')} ORDER BY e.id DESC LIMIT ?`, [...params, f.limit]);
  return { items: await exceptionViews(deps.db, rows) };
}

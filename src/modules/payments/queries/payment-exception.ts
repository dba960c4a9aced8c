// One payment exception of the principal's tenant and scope, as the queue shows it.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { paymentExceptionScopeSql } from '../../../kernel/scope.ts';
import type { RefundDeps } from '../deps.ts';
import type { ExceptionRow } from '../rows.ts';
import { exceptionSelect, exceptionViews, type exceptionView } from '../views.ts';

export async function paymentException(deps: RefundDeps, who: Principal, id: number) {
  const f = paymentExceptionScopeSql(who.scope, 'e');
  const e = await deps.db.read.get<ExceptionRow>(`${exceptionSelect} WHERE e.id = ? AND e.tenant_id = ? AND ${f.text}`, [id, who.tenantId, ...f.params]);
  if (!e) throw new HubError('PAYMENT_EXCEPTION_NOT_FOUND', `payment exception ${id} does not exist`);
  return (await exceptionViews(deps.db, [e]))[0] as ReturnType<typeof exceptionView>;
}

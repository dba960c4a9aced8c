// The audit chain of the principal's organisation, verified on request (the console's "verify" button).
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { isUnlimited } from '../../../kernel/scope.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import { verifyAudit, type AuditVerdict } from '../audit.ts';

/** The principal's tenant's chain, walked: it reads every entry, so a limited data scope may not ask for it. */
export async function verifyAuditFor(db: Database, keyring: Keyring, who: Principal): Promise<Omit<AuditVerdict, 'tenantId'>> {
  if (!isUnlimited(who.scope)) {
    throw new HubError('FORBIDDEN', `verifying the audit log reads every entry of the organisation; ${who.name} has a limited data scope`, { scope: who.scope });
  }
  const v = (await verifyAudit(db, keyring)).find((x) => x.tenantId === who.tenantId);
  return v
    ? { checked: v.checked, ok: v.ok, broken: v.broken, brokenCount: v.brokenCount, firstBroken: v.firstBroken }
    : { ok: true, checked: 0, broken: [], brokenCount: 0, firstBroken: null };
}

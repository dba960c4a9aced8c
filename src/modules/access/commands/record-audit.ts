// Records an audit entry that goes with no other change.
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';

/** An audit row on its own: refused sign-ins, CSRF failures, views of personal data. */
export async function recordAudit(deps: PeopleDeps, who: Principal, entry: { action: string; targetType: string; targetId?: string | null; detail?: unknown }, now = Date.now()): Promise<void> {
  await deps.db.transaction((tx) => appendAudit(tx, deps.keyring, who, entry, now));
}

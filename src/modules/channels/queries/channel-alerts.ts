// The channel alerts a principal may see, for one account or all of them.
import type { Principal } from '../../../kernel/principal.ts';
import { listAlerts } from '../../health/alerts.ts';
import type { IntegrationDeps } from '../deps.ts';

export async function channelAlerts(deps: IntegrationDeps, who: Principal, f: { accountId?: string | undefined; open?: boolean | undefined; limit?: number | undefined }) {
  if (f.accountId) await deps.accounts.getFor(who, f.accountId);
  return listAlerts(deps.db, who, f);
}

// One request the caller may see; any other answers like one that does not exist.
import type { Principal } from '../../../kernel/principal.ts';
import type { ApprovalDeps } from '../deps.ts';
import { approvalView, type ApprovalView } from '../approval-view.ts';
import { loadApproval } from '../approval-lookup.ts';

export async function getApproval(deps: ApprovalDeps, who: Principal, id: string): Promise<ApprovalView> {
  return approvalView(deps.settings, await loadApproval(deps, who, id), who);
}

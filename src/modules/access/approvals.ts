// Second approvals: a sensitive operation is stored as a pending request; a different person with the permission
// approves (the operation runs, in the same transaction as the decision) or rejects it. Every step is audited.
// The service other modules, the command registry and the routes call; each method is one use case of commands/
// or queries/.
import type { ApprovalKind, ApprovalState } from './domain/approvals.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { ApprovalDeps, ApprovalExecutor, ApprovalSettings } from './deps.ts';
import type { ApprovalView } from './approval-view.ts';
import { openApproval, type ApprovalDraft } from './commands/open-approval.ts';
import { decideApproval } from './commands/decide-approval.ts';
import { withdrawApproval } from './commands/withdraw-approval.ts';
import { listApprovals } from './queries/list-approvals.ts';
import { getApproval } from './queries/get-approval.ts';
import { decidableCount, pendingOnTargets, type PendingMarker } from './queries/pending-approvals.ts';

export type { ApprovalContext, ApprovalExecutor, ApprovalSettings } from './deps.ts';
export type { ApprovalView, MaybePending } from './approval-view.ts';
export type { ApprovalDraft } from './commands/open-approval.ts';
export type { PendingMarker } from './queries/pending-approvals.ts';

export class ApprovalService {
  private readonly deps: ApprovalDeps;

  constructor(db: Database, keyring: Keyring, settings: ApprovalSettings) {
    this.deps = { db, keyring, settings, executors: new Map<ApprovalKind, ApprovalExecutor>() };
  }

  register(kind: ApprovalKind, executor: ApprovalExecutor): void {
    this.deps.executors.set(kind, executor);
  }

  /** Does this kind wait for a second person under the configured policy? */
  required(kind: ApprovalKind): boolean {
    return this.deps.settings.required.includes(kind);
  }

  open(tx: Tx, who: Principal, d: ApprovalDraft, now: number): Promise<ApprovalView> {
    return openApproval(this.deps, tx, who, d, now);
  }

  list(who: Principal, f: { state?: ApprovalState | undefined; limit: number }): Promise<ApprovalView[]> {
    return listApprovals(this.deps, who, f);
  }

  get(who: Principal, id: string): Promise<ApprovalView> {
    return getApproval(this.deps, who, id);
  }

  /** The open requests on each target (the "待审批" marker of an order), by target id. */
  pendingOn(tenantId: string, targetType: string, ids: readonly string[], now = Date.now()): Promise<Map<string, PendingMarker[]>> {
    return pendingOnTargets(this.deps, tenantId, targetType, ids, now);
  }

  /** The notification bell: how many open requests the caller may decide. */
  decidable(who: Principal, now = Date.now()): Promise<{ count: number; more: boolean }> {
    return decidableCount(this.deps, who, now);
  }

  decide(who: Principal, id: string, input: { decision: 'approve' | 'reject'; reason?: string | undefined }, now = Date.now()): Promise<ApprovalView> {
    return decideApproval(this.deps, who, id, input, now);
  }

  withdraw(who: Principal, id: string, now = Date.now()): Promise<ApprovalView> {
    return withdrawApproval(this.deps, who, id, now);
  }
}

// A second-approval request as stored and as the caller sees it (with whether it is theirs, and when it expires).
import { actorKey, approvalKinds, isApprovalKind, type ApprovalKind, type ApprovalState } from './domain/approvals.ts';
import type { Principal } from '../../kernel/principal.ts';
import { toIso } from '../../kernel/time.ts';
import type { ApprovalSettings } from './deps.ts';
import { approvalDiff, type ApprovalDiff } from './approval-diff.ts';

export interface ApprovalRow {
  id: string;
  tenant_id: string;
  kind: string;
  permission: string;
  target_type: string;
  target_id: string | null;
  summary: string;
  payload: string;
  state: string;
  requested_by: string;
  requested_by_name: string;
  requested_at: number;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  result: string | null;
}

export interface ApprovalView {
  id: string;
  kind: ApprovalKind;
  label: string;
  permission: string;
  state: ApprovalState;
  targetType: string;
  targetId: string | null;
  summary: string;
  payload: Record<string, unknown>;
  /** What it would change, per kind (SKUs, quantities, old → new), for the decider; null for an unknown payload shape. */
  diff: ApprovalDiff | null;
  requestedBy: string;
  requestedAt: string | null;
  expiresAt: string | null;
  /** True when the caller made this request (and so may not decide it). */
  mine: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  result: unknown;
}

/** The answer of an operation that may need a second approval: either done, or waiting. */
export type MaybePending<T> = { done: T } | { pending: ApprovalView };

export function approvalView(settings: ApprovalSettings, r: ApprovalRow, who: Principal): ApprovalView {
  const kind = r.kind as ApprovalKind;
  const expiresAt = Number(r.requested_at) + settings.ttlHours * 3_600_000;
  const payload = JSON.parse(r.payload) as Record<string, unknown>;
  return {
    id: r.id,
    kind,
    label: isApprovalKind(kind) ? approvalKinds[kind].label : kind,
    permission: r.permission,
    state: r.state as ApprovalState,
    targetType: r.target_type,
    targetId: r.target_id,
    summary: r.summary,
    payload,
    diff: isApprovalKind(kind) ? approvalDiff(kind, payload) : null,
    requestedBy: r.requested_by_name,
    requestedAt: toIso(Number(r.requested_at)),
    expiresAt: r.state === 'pending' ? toIso(expiresAt) : null,
    mine: r.requested_by === actorKey(who),
    decidedBy: r.decided_by_name,
    decidedAt: toIso(r.decided_at === null ? null : Number(r.decided_at)),
    decisionReason: r.decision_reason,
    result: r.result ? (JSON.parse(r.result) as unknown) : null,
  };
}

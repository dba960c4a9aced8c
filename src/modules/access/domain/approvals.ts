// Second approval (四眼原则): the sensitive operations that wait for a different person's yes, declared as data,
// and the pure rules for who may decide. Pure: no I/O.
import { HubError } from '../../../kernel/errors.ts';
import { can, type Principal } from '../../../kernel/principal.ts';
import type { Permission } from '../../../kernel/permissions.ts';

export const approvalKinds = {
  'order.price_change': { permission: 'prices.change', label: 'Change the prices of an unpaid order (改价)' },
  'order.cancel_paid': { permission: 'orders.cancel_paid', label: 'Cancel an order that is already paid' },
  'stock.bulk_adjust': { permission: 'stock.adjust', label: 'Adjust the stock of several SKUs or warehouses at once' },
  'channel_account.delete': { permission: 'accounts.manage', label: 'Delete a channel account (its credentials are erased)' },
  'user.delete': { permission: 'users.manage', label: 'Delete a user (sessions and API tokens end)' },
} as const satisfies Record<string, { permission: Permission; label: string }>;

export type ApprovalKind = keyof typeof approvalKinds;
export const allApprovalKinds = Object.keys(approvalKinds) as ApprovalKind[];

export function isApprovalKind(k: string): k is ApprovalKind {
  return Object.hasOwn(approvalKinds, k);
}

export const approvalStates = ['pending', 'approved', 'rejected', 'withdrawn', 'expired', 'failed'] as const;
export type ApprovalState = (typeof approvalStates)[number];

/**
 * Parses the `approvals` setting: `all` (the default), `none`, or a comma-separated list of kinds.
 * Throws with the known kinds when one is misspelt.
 */
export function parseApprovalPolicy(text: string): ApprovalKind[] {
  const t = text.trim();
  if (t === '' || t === 'all') return [...allApprovalKinds];
  if (t === 'none') return [];
  const kinds = t.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !isApprovalKind(k));
  if (unknown.length) throw new Error(`unknown approval kinds: ${unknown.join(', ')} (known: all, none, ${allApprovalKinds.join(', ')})`);
  return allApprovalKinds.filter((k) => kinds.includes(k));
}

/**
 * Who a principal is, as far as "a different person" goes: a user and that user's API tokens are one person;
 * the break-glass admin token is one; the hub itself another.
 */
export function actorKey(p: Pick<Principal, 'kind' | 'userId' | 'name'>): string {
  if (p.userId) return `user:${p.userId}`;
  if (p.kind === 'admin_token') return 'admin_token';
  return `${p.kind}:${p.name}`;
}

/** Refuses a decision the principal may not make: missing permissions (FORBIDDEN) or their own request (APPROVAL_SELF). */
export function checkDecider(decider: Principal, a: { kind: ApprovalKind; requestedBy: string; id: string }): void {
  const needed: Permission[] = ['approvals.decide', approvalKinds[a.kind].permission];
  const missing = needed.filter((p) => !can(decider, p));
  if (missing.length) {
    throw new HubError('FORBIDDEN', `deciding a ${a.kind} request needs ${needed.join(' and ')}; ${decider.name} lacks ${missing.join(', ')}`, {
      permission: missing[0],
    });
  }
  if (actorKey(decider) === a.requestedBy) {
    throw new HubError('APPROVAL_SELF', `approval ${a.id} was requested by ${decider.name}: a second approval must come from someone else`);
  }
}

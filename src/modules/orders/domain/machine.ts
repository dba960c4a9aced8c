// The status anchor (状态锚点): the one order state machine, declared as data and checked at start-up.
import { HubError } from '../../../kernel/errors.ts';

export const orderStatuses = ['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** Who asks for a transition. Platforms report facts; operators and the hub's own timers make decisions. */
export type TransitionSource = 'platform' | 'operator' | 'system';

/** What a guard may look at: facts about the order, never I/O. */
export interface GuardContext {
  source: TransitionSource;
  /** An open hold (stock short, SKU unmatched …) blocks decisions, not facts reported by the platform. */
  holdCode: string | null;
  cancelCause: string | null;
  totalAmount: number;
  paidAmount: number;
}

/** A guard returns null when the transition may happen, or the reason it may not. */
export type Guard = (ctx: GuardContext) => string | null;

export const guards = {
  notHeldForDecisions: (ctx) =>
    ctx.source !== 'platform' && ctx.holdCode ? `order is on hold (${ctx.holdCode}); release the hold first` : null,
  paymentCoversTotal: (ctx) =>
    ctx.source !== 'platform' && ctx.paidAmount < ctx.totalAmount
      ? `paid amount ${ctx.paidAmount} is less than the order total ${ctx.totalAmount}`
      : null,
  reopenedOnlyAfterPaymentTimeout: (ctx) =>
    ctx.cancelCause === 'payment_timeout'
      ? null
      : 'only an order the hub cancelled for payment timeout can be reopened by a late payment',
  reopenedOnlyByPlatform: (ctx) => (ctx.source === 'platform' ? null : 'only the platform can report a late payment'),
} satisfies Record<string, Guard>;

export type GuardName = keyof typeof guards;

export interface TransitionRule {
  to: OrderStatus;
  guards?: GuardName[];
}

export interface StateDefinition {
  label: { zh: string; en: string };
  terminal?: boolean;
  to: TransitionRule[];
}

export interface MachineDefinition {
  initial: OrderStatus;
  states: Record<OrderStatus, StateDefinition>;
}

/**
 * The anchor. Payment, fulfilment and after-sales progress are tracked beside it (their own columns),
 * so "shipped" means one thing: handed to the carrier.
 */
export const orderMachine: MachineDefinition = {
  initial: 'pending_payment',
  states: {
    pending_payment: {
      label: { zh: '待付款', en: 'Pending payment' },
      to: [{ to: 'paid', guards: ['paymentCoversTotal'] }, { to: 'cancelled' }],
    },
    paid: {
      label: { zh: '已付款', en: 'Paid' },
      to: [{ to: 'shipped', guards: ['notHeldForDecisions'] }, { to: 'cancelled' }],
    },
    shipped: {
      label: { zh: '已发货', en: 'Shipped' },
      to: [{ to: 'delivered' }, { to: 'cancelled' }],
    },
    delivered: {
      label: { zh: '已签收', en: 'Delivered' },
      to: [{ to: 'completed' }],
    },
    completed: { label: { zh: '已完成', en: 'Completed' }, terminal: true, to: [] },
    cancelled: {
      label: { zh: '已取消', en: 'Cancelled' },
      // A payment that arrives after the hub's own payment timeout reopens the order (issue: late payment).
      to: [{ to: 'paid', guards: ['reopenedOnlyByPlatform', 'reopenedOnlyAfterPaymentTimeout'] }],
    },
  },
};

/** Checks a machine definition: known targets, known guards, reachability, and a way out of every state. */
export function validateMachine(def: MachineDefinition): string[] {
  const problems: string[] = [];
  const names = Object.keys(def.states) as OrderStatus[];
  if (!def.states[def.initial]) problems.push(`initial state "${def.initial}" is not declared`);
  for (const name of names) {
    const state = def.states[name];
    const seen = new Set<string>();
    for (const rule of state.to) {
      if (!def.states[rule.to]) problems.push(`${name} → ${rule.to}: unknown target state`);
      if (seen.has(rule.to)) problems.push(`${name} → ${rule.to}: declared twice`);
      seen.add(rule.to);
      for (const g of rule.guards ?? []) {
        if (!(g in guards)) problems.push(`${name} → ${rule.to}: unknown guard "${g}"`);
      }
    }
    if (state.terminal && state.to.length > 0) problems.push(`${name} is terminal but has transitions`);
    if (!state.terminal && state.to.length === 0) problems.push(`${name} has no transitions and is not marked terminal`);
  }
  const reachable = new Set<string>([def.initial]);
  const queue: string[] = [def.initial];
  while (queue.length) {
    const s = def.states[queue.shift() as OrderStatus];
    for (const rule of s?.to ?? []) {
      if (!reachable.has(rule.to)) {
        reachable.add(rule.to);
        queue.push(rule.to);
      }
    }
  }
  for (const name of names) if (!reachable.has(name)) problems.push(`${name} cannot be reached from ${def.initial}`);
  const terminals = names.filter((n) => def.states[n].terminal);
  if (terminals.length === 0) problems.push('no terminal state');
  for (const name of names) {
    if (!terminals.some((t) => pathBetween(def, name, t) !== null)) problems.push(`${name} can never end`);
  }
  return problems;
}

/** Throws at start-up when the anchor is malformed. */
export function assertValidMachine(def: MachineDefinition = orderMachine): void {
  const problems = validateMachine(def);
  if (problems.length) throw new Error(`order state machine is invalid:\n- ${problems.join('\n- ')}`);
}

export function isOrderStatus(s: string): s is OrderStatus {
  return (orderStatuses as readonly string[]).includes(s);
}

export function allowedTargets(from: OrderStatus, def: MachineDefinition = orderMachine): OrderStatus[] {
  return def.states[from].to.map((r) => r.to);
}

/** Shortest chain of declared transitions from → to (ignoring guards), or null. [] when from === to. */
export function pathBetween(def: MachineDefinition, from: OrderStatus, to: OrderStatus): OrderStatus[] | null {
  if (from === to) return [];
  const prev = new Map<OrderStatus, OrderStatus>();
  const queue: OrderStatus[] = [from];
  const seen = new Set<OrderStatus>([from]);
  while (queue.length) {
    const cur = queue.shift() as OrderStatus;
    // Unknown targets are reported by validateMachine; here they are simply dead ends.
    for (const rule of def.states[cur]?.to ?? []) {
      if (seen.has(rule.to)) continue;
      seen.add(rule.to);
      prev.set(rule.to, cur);
      if (rule.to === to) {
        const path: OrderStatus[] = [to];
        let p = cur;
        while (p !== from) {
          path.unshift(p);
          p = prev.get(p) as OrderStatus;
        }
        return path;
      }
      queue.push(rule.to);
    }
  }
  return null;
}

/** One step: refuses undeclared transitions and failing guards with a clear error. */
export function checkTransition(
  from: OrderStatus,
  to: OrderStatus,
  ctx: GuardContext,
  def: MachineDefinition = orderMachine,
): void {
  const rule = def.states[from].to.find((r) => r.to === to);
  if (!rule) {
    const allowed = allowedTargets(from, def);
    throw new HubError(
      'TRANSITION_NOT_ALLOWED',
      `an order cannot go from ${from} to ${to}` + (allowed.length ? ` (allowed: ${allowed.join(', ')})` : ` (${from} is final)`),
      { from, to, allowed },
    );
  }
  for (const g of rule.guards ?? []) {
    const reason = guards[g](ctx);
    if (reason) throw new HubError('TRANSITION_GUARD_FAILED', `${from} → ${to} refused: ${reason}`, { from, to, guard: g });
  }
}

/**
 * Plans how a reported status is reached. A platform that skipped steps we never heard of
 * (paid → delivered) is walked through the declared chain, each step checked, so history stays complete.
 */
export function planTransitions(
  from: OrderStatus,
  to: OrderStatus,
  ctx: GuardContext,
  def: MachineDefinition = orderMachine,
): OrderStatus[] {
  if (from === to) return [];
  const path = pathBetween(def, from, to);
  if (!path) {
    throw new HubError('TRANSITION_NOT_ALLOWED', `an order cannot go from ${from} to ${to}`, {
      from,
      to,
      allowed: allowedTargets(from, def),
    });
  }
  let cur = from;
  for (const step of path) {
    checkTransition(cur, step, ctx, def);
    cur = step;
  }
  return path;
}

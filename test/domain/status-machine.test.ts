// The status anchor: every declared transition, every refused one, guards, walking skipped steps, validation.
import { describe, expect, it } from 'vitest';
import {
  allowedTargets,
  assertValidMachine,
  checkTransition,
  orderMachine,
  orderStatuses,
  pathBetween,
  planTransitions,
  validateMachine,
  type GuardContext,
  type MachineDefinition,
  type OrderStatus,
} from '../../src/modules/orders/domain/machine.ts';
import { HubError } from '../../src/kernel/errors.ts';

const platform: GuardContext = { source: 'platform', holdCode: null, cancelCause: null, totalAmount: 100, paidAmount: 100 };
const operator: GuardContext = { ...platform, source: 'operator' };

// The declared table, written out independently of the definition so that a change to it must be deliberate.
const expected: Record<OrderStatus, OrderStatus[]> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered', 'cancelled'],
  delivered: ['completed'],
  completed: [],
  cancelled: ['paid'],
};

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof HubError ? e.code : 'THREW_OTHER';
  }
}

describe('order status anchor', () => {
  it('is valid at start-up', () => {
    expect(validateMachine(orderMachine)).toEqual([]);
    expect(() => assertValidMachine()).not.toThrow();
  });

  it('declares exactly the expected transitions', () => {
    for (const s of orderStatuses) expect(allowedTargets(s).sort()).toEqual([...expected[s]].sort());
  });

  describe.each(orderStatuses.flatMap((from) => orderStatuses.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    const declared = expected[from].includes(to);
    it(declared ? 'is allowed when its guards pass' : 'is refused with TRANSITION_NOT_ALLOWED', () => {
      const ctx = from === 'cancelled' ? { ...platform, cancelCause: 'payment_timeout' } : platform;
      expect(codeOf(() => checkTransition(from, to, ctx))).toBe(declared ? null : 'TRANSITION_NOT_ALLOWED');
    });
  });

  it('names the allowed targets in the refusal', () => {
    try {
      checkTransition('completed', 'paid', platform);
      expect.unreachable();
    } catch (e) {
      expect((e as HubError).message).toMatch(/completed is final/);
    }
    try {
      checkTransition('pending_payment', 'shipped', platform);
      expect.unreachable();
    } catch (e) {
      expect((e as HubError).message).toMatch(/allowed: paid, cancelled/);
    }
  });

  it('refuses an operator marking an order paid when the payment does not cover the total', () => {
    expect(codeOf(() => checkTransition('pending_payment', 'paid', { ...operator, paidAmount: 99 }))).toBe('TRANSITION_GUARD_FAILED');
    expect(codeOf(() => checkTransition('pending_payment', 'paid', { ...operator, paidAmount: 100 }))).toBeNull();
    // The platform reports a fact: the amount check belongs to payment verification, not to the anchor.
    expect(codeOf(() => checkTransition('pending_payment', 'paid', { ...platform, paidAmount: 0 }))).toBeNull();
  });

  it('refuses an operator shipping a held order, but records a platform that shipped it', () => {
    expect(codeOf(() => checkTransition('paid', 'shipped', { ...operator, holdCode: 'STOCK_SHORT' }))).toBe('TRANSITION_GUARD_FAILED');
    expect(codeOf(() => checkTransition('paid', 'shipped', { ...platform, holdCode: 'STOCK_SHORT' }))).toBeNull();
  });

  it('reopens a cancelled order only for a late platform payment after the hub timed it out', () => {
    expect(codeOf(() => checkTransition('cancelled', 'paid', { ...platform, cancelCause: 'payment_timeout' }))).toBeNull();
    expect(codeOf(() => checkTransition('cancelled', 'paid', { ...platform, cancelCause: 'platform' }))).toBe('TRANSITION_GUARD_FAILED');
    expect(codeOf(() => checkTransition('cancelled', 'paid', { ...operator, cancelCause: 'payment_timeout' }))).toBe('TRANSITION_GUARD_FAILED');
  });

  it('walks a platform through steps it skipped, checking each', () => {
    expect(planTransitions('pending_payment', 'completed', platform)).toEqual(['paid', 'shipped', 'delivered', 'completed']);
    expect(planTransitions('paid', 'paid', platform)).toEqual([]);
    expect(codeOf(() => planTransitions('completed', 'pending_payment', platform))).toBe('TRANSITION_NOT_ALLOWED');
    expect(codeOf(() => planTransitions('delivered', 'cancelled', platform))).toBe('TRANSITION_NOT_ALLOWED');
    // A guard on any step stops the whole walk before anything happens.
    expect(codeOf(() => planTransitions('cancelled', 'shipped', { ...platform, cancelCause: 'platform' }))).toBe('TRANSITION_GUARD_FAILED');
  });

  it('finds no path backwards', () => {
    expect(pathBetween(orderMachine, 'shipped', 'pending_payment')).toBeNull();
  });

  it('catches a malformed machine at start-up', () => {
    const broken: MachineDefinition = {
      ...orderMachine,
      states: {
        ...orderMachine.states,
        paid: { label: { zh: '', en: '' }, to: [{ to: 'nowhere' as OrderStatus }, { to: 'cancelled', guards: ['noSuchGuard' as never] }] },
        delivered: { label: { zh: '', en: '' }, to: [] },
        completed: { label: { zh: '', en: '' }, terminal: true, to: [{ to: 'paid' }] },
      },
    };
    const problems = validateMachine(broken);
    expect(problems).toContain('paid → nowhere: unknown target state');
    expect(problems).toContain('paid → cancelled: unknown guard "noSuchGuard"');
    expect(problems).toContain('delivered has no transitions and is not marked terminal');
    expect(problems).toContain('completed is terminal but has transitions');
    expect(() => assertValidMachine(broken)).toThrow(/order state machine is invalid/);
  });

  it('reports unreachable states', () => {
    const island: MachineDefinition = {
      ...orderMachine,
      states: {
        ...orderMachine.states,
        pending_payment: { label: { zh: '', en: '' }, to: [{ to: 'cancelled' }] },
        cancelled: { label: { zh: '', en: '' }, terminal: true, to: [] },
      },
    };
    expect(validateMachine(island)).toContain('paid cannot be reached from pending_payment');
  });
});
